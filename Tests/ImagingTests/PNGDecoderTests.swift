import Foundation
import Imaging
import SightlineCore
import Testing

/// PNGDecoder against Pillow: each Fixtures/png/NAME.png was written by Pillow and NAME.pnm holds the pixels
/// Pillow decodes from it (Tools/reference/png_fixtures.py).
struct PNGDecoderTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/png")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    @Test(arguments: ["chip-rgb8", "rgba8", "gray8", "palette8", "gray16"])
    func decodesLikePillow(name: String) throws {
        let png = try Self.bytes(name + ".png")
        #expect(PNGDecoder.isPNG(png))
        let image = try PNGDecoder.decode(png)
        let expected = try #require(PNMDecoder.decode(try Self.bytes(name + ".pnm")))
        #expect(image.width == expected.width && image.height == expected.height)
        #expect(image.channels == expected.channels)
        #expect(image.pixels == expected.pixels, "\(name): pixels differ from Pillow's")
    }

    @Test func corruptAndTruncatedFilesThrow() throws {
        let png = try Self.bytes("rgba8.png")
        #expect(throws: PNGError.corrupt("no PNG signature")) { try PNGDecoder.decode(Array(png.dropFirst())) }
        for length in stride(from: 0, to: png.count, by: 37) {
            #expect(throws: PNGError.self, "length \(length)") { try PNGDecoder.decode(Array(png.prefix(length))) }
        }
        var flipped = png
        flipped[png.count / 2] ^= 0x5A  // inside the compressed data
        #expect(throws: PNGError.self) { try PNGDecoder.decode(flipped) }
    }

    @Test func pnmHeaderWithComment() throws {
        let data = Array("P6\n# made by hand\n2 1\n255\n".utf8) + [1, 2, 3, 4, 5, 6]
        let image = try #require(PNMDecoder.decode(data))
        #expect(image == Image(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6]))
        #expect(PNMDecoder.decode(Array(data.dropLast())) == nil)
    }
}
