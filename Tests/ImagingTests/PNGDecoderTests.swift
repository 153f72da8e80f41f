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

/// PNG headers may not decide allocations (SECURITY-REVIEW F18).
struct PNGDecoderLimitsTests {
    /// A PNG of `width`×`height` with the given IHDR and an IDAT holding `zlib` (CRCs are zero; they
    /// are not checked).
    static func png(width: Int, height: Int, bitDepth: UInt8 = 8, colorType: UInt8 = 0, zlib: [UInt8]) -> [UInt8] {
        func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] { be32(body.count) + Array(type.utf8) + body + [0, 0, 0, 0] }
        let ihdr = be32(width) + be32(height) + [bitDepth, colorType, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", zlib)
            + chunk("IEND", [])
    }

    /// A complete zlib stream of nothing.
    static let emptyZlib: [UInt8] = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]

    @Test func the68BytePNGIsRefusedByTheCap() throws {
        let png = Self.png(width: 32768, height: 32768, zlib: [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])
        #expect(png.count <= 68)
        #expect(throws: PNGError.tooLarge(width: 32768, height: 32768, maxPixels: PNGDecoder.defaultMaxPixels)) {
            try PNGDecoder.decode(png)
        }
        #expect(throws: PNGError.tooLarge(width: 20, height: 20, maxPixels: 399)) {
            try PNGDecoder.decode(Self.png(width: 20, height: 20, zlib: Self.emptyZlib), maxPixels: 399)
        }
    }

    /// Under the caps, a header that asks for 256 MB (8192² RGBA8) with a few bytes of data fails on the
    /// data: the inflate buffer grows with what actually inflates.
    @Test func headerUnderTheCapWithTooLittleDataFailsOnTheData() throws {
        let png = Self.png(width: 8192, height: 8192, bitDepth: 8, colorType: 6, zlib: Self.emptyZlib)
        #expect(throws: PNGError.corrupt("image data does not inflate to \(8192 * (8192 * 4 + 1)) bytes (zlib status 0)")) {
            try PNGDecoder.decode(png)
        }
    }

    /// 8192² RGBA16 is within the pixel cap but holds 512 MB of samples: a valid file of half a megabyte
    /// cost about 3 GB to decode (attack run). Refused on its header, before anything is allocated.
    @Test func sixteenBitRGBAAtThePixelCapIsRefusedOnBytes() throws {
        let png = Self.png(width: 8192, height: 8192, bitDepth: 16, colorType: 6, zlib: Self.emptyZlib)
        #expect(throws: PNGError.tooManyBytes(width: 8192, height: 8192, bytes: 8192 * 8192 * 8,
                                              maxBytes: PNGDecoder.defaultMaxPixels * 4)) {
            try PNGDecoder.decode(png)
        }
        // The same at a quarter of the pixels is within both caps (and fails only on its missing data).
        #expect(throws: PNGError.corrupt("image data does not inflate to \(4096 * (4096 * 8 + 1)) bytes (zlib status 0)")) {
            try PNGDecoder.decode(Self.png(width: 4096, height: 4096, bitDepth: 16, colorType: 6, zlib: Self.emptyZlib))
        }
    }

    /// Data that inflates to more than the header allows is refused, not truncated silently.
    @Test func dataPastTheHeaderIsCorrupt() throws {
        // Two rows of a 2-pixel gray image (filter byte + 2 samples each) in one stored block.
        let rows: [UInt8] = [0, 1, 2, 0, 3, 4]
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in rows { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        let adler = b << 16 | a
        let stored: [UInt8] = [0x78, 0x01, 0x01, 0x06, 0x00, 0xF9, 0xFF] + rows
            + [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
        #expect(try PNGDecoder.decode(Self.png(width: 2, height: 2, zlib: stored)).pixels == [1, 2, 3, 4])
        #expect(throws: PNGError.corrupt("image data does not inflate to 3 bytes (zlib status -5)")) {
            try PNGDecoder.decode(Self.png(width: 2, height: 1, zlib: stored))
        }
    }
}
