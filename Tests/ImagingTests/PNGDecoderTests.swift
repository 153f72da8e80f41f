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
        let expected = try #require(Self.pnm(try Self.bytes(name + ".pnm")))
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

    /// The fixtures' PGM/PPM as png_fixtures.py writes them: "P5|P6\nW H\n255\n" then the samples.
    static func pnm(_ data: [UInt8]) -> Image? {
        let lines = data.split(separator: 0x0A, maxSplits: 3, omittingEmptySubsequences: false)
        guard lines.count == 4 else { return nil }
        let size = String(decoding: lines[1], as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        guard size.count == 2 else { return nil }
        let channels = lines[0].last == UInt8(ascii: "6") ? 3 : 1
        let pixels = Array(lines[3])
        guard pixels.count == size[0] * size[1] * channels else { return nil }
        return Image(width: size[0], height: size[1], channels: channels, pixels: pixels)
    }
}
