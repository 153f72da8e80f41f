import Imaging
import SightlineCore
import SightlineTestKit
import Testing

@Suite struct JPEGDecoderTests {
    @Test func roundTripKeepsPictureClose() throws {
        let picture = SyntheticFootage.picture(width: 64, height: 48, index: 3)
        let jpeg = try JPEGEncoder.encode(picture, quality: 95)
        let out = try JPEGDecoder().decode(jpeg)
        #expect(out.image.width == 64 && out.image.height == 48 && out.image.channels == 3)
        // 4:2:0 chroma subsampling smears the square's saturated edge, so compare the mean error.
        var total = 0
        for i in 0..<picture.pixels.count { total += abs(Int(picture.pixels[i]) - Int(out.image.pixels[i])) }
        let mean = Double(total) / Double(picture.pixels.count)
        #expect(mean < 3, "q95 round trip differs by \(mean) on average")
    }

    @Test(arguments: [1, 2, 4, 8]) func dctScalingGivesCeilingSize(scale: Int) throws {
        let jpeg = try JPEGEncoder.encode(SyntheticFootage.picture(width: 100, height: 75, index: 0))
        let out = try JPEGDecoder().decode(jpeg, scale: scale, gray: true)
        #expect(out.image.width == (100 + scale - 1) / scale)
        #expect(out.image.height == (75 + scale - 1) / scale)
        #expect(out.image.channels == 1)
        #expect(out.sourceWidth == 100 && out.sourceHeight == 75)
    }

    @Test func grayOutputMatchesLumaOfColourDecode() throws {
        let jpeg = try JPEGEncoder.encode(SyntheticFootage.picture(width: 80, height: 60, index: 5), quality: 90)
        let decoder = JPEGDecoder()
        let gray = try decoder.decode(jpeg, gray: true).image
        let rgb = try decoder.decode(jpeg, gray: false).image
        let luma = ColorConversion.luma(of: rgb)
        var worst = 0
        for i in 0..<gray.pixels.count { worst = max(worst, abs(Int(gray.pixels[i]) - Int(luma.pixels[i]))) }
        // Gray output skips the YCbCr→RGB→Y round trip; rounding differs by a few levels at most.
        #expect(worst <= 3)
    }

    @Test func truncatedAndGarbageAreErrorsNotCrashes() throws {
        let jpeg = try JPEGEncoder.encode(SyntheticFootage.picture(width: 64, height: 64, index: 1))
        let decoder = JPEGDecoder()
        #expect(throws: JPEGError.self) { try decoder.decode(Array(jpeg.prefix(jpeg.count / 2))) }
        #expect(throws: JPEGError.self) { try decoder.decode([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02]) }
        #expect(throws: JPEGError.self) { try decoder.decode([UInt8](repeating: 0, count: 1000)) }
        #expect(throws: JPEGError.self) { try decoder.decode([]) }
        // The decoder is still usable after failures.
        #expect(try decoder.decode(jpeg).image.width == 64)
    }
}
