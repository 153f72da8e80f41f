import Imaging
import SightlineCore
import SightlineTestKit
import Testing

/// The decode seam: DCT scale chosen by libjpeg's header reader, one luma plane whatever else is asked.
@Suite struct FrameDecoderTests {
    static func captured(_ jpeg: [UInt8]) -> CapturedFrame {
        CapturedFrame(seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0, payload: .jpeg(jpeg))
    }

    static let picture = SyntheticFootage.picture(width: 640, height: 480, index: 4)

    /// Bytes between segments (0xFF fill bytes, or garbage) are accepted by libjpeg; the frame must
    /// still be DCT-scaled to the processing width, not silently decoded at full size.
    @Test(arguments: [[0xFF, 0xFF, 0xFF], [0x00, 0x12, 0x34, 0x56], [0x0D, 0x0A]] as [[UInt8]])
    func bytesBetweenSegmentsStillScale(filler: [UInt8]) throws {
        let clean = try JPEGEncoder.encode(Self.picture, quality: 85)
        let dirty = JPEGSegments.withBytesBetweenSegments(clean, filler)
        #expect(dirty.count == clean.count + filler.count * (JPEGSegments.markers(clean).count - 1))
        for color in [false, true] {
            let decoder = FrameDecoder(camera: "t", options: .init(minWidth: 160, color: color))
            let frame = try decoder.decode(Self.captured(dirty))
            #expect(frame.gray.width == 160 && frame.gray.height == 120, "filler \(filler) color \(color)")
            #expect(frame.sourceWidth == 640 && frame.sourceHeight == 480)
            let reference = try decoder.decode(Self.captured(clean))
            #expect(frame.gray == reference.gray)
            #expect(frame.rgb == reference.rgb)
        }
    }

    @Test(arguments: [0, 80, 81, 160, 161, 320, 321, 640, 1000])
    func scaleIsTheLargestThatKeepsMinWidth(minWidth: Int) throws {
        let jpeg = try JPEGEncoder.encode(Self.picture)
        let frame = try FrameDecoder(camera: "t", options: .init(minWidth: minWidth)).decode(Self.captured(jpeg))
        let expected = minWidth == 0 ? 1 : JPEGDecoder.scale(forSourceWidth: 640, minWidth: minWidth)
        #expect(frame.gray.width == 640 / expected)
    }

    /// Stages that want colour must not change the luma plane the others see.
    @Test(arguments: [0, 80, 160, 320])
    func lumaIsIdenticalWithAndWithoutColour(minWidth: Int) throws {
        for quality in [60, 95] {
            let jpeg = try JPEGEncoder.encode(Self.picture, quality: quality)
            let grayOnly = try FrameDecoder(camera: "t", options: .init(minWidth: minWidth, color: false))
                .decode(Self.captured(jpeg))
            let both = try FrameDecoder(camera: "t", options: .init(minWidth: minWidth, color: true))
                .decode(Self.captured(jpeg))
            #expect(grayOnly.rgb == nil)
            let rgb = try #require(both.rgb)
            #expect(both.gray == grayOnly.gray, "minWidth \(minWidth) q\(quality): luma depends on colour")
            // The RGB plane is what libjpeg's own RGB output gives.
            let scale = minWidth == 0 ? 1 : JPEGDecoder.scale(forSourceWidth: 640, minWidth: minWidth)
            let libjpegRGB = try JPEGDecoder().decode(jpeg, scale: scale, gray: false).image
            #expect(rgb == libjpegRGB, "minWidth \(minWidth) q\(quality)")
        }
    }

    @Test func lumaOfAGrayJPEGIsIdenticalWithAndWithoutColour() throws {
        let gray = ColorConversion.luma(of: Self.picture)
        let jpeg = try JPEGEncoder.encode(gray, quality: 80)
        let grayOnly = try FrameDecoder(camera: "t").decode(Self.captured(jpeg))
        let both = try FrameDecoder(camera: "t", options: .init(color: true)).decode(Self.captured(jpeg))
        #expect(both.gray == grayOnly.gray)
        #expect(both.rgb == ColorConversion.rgb(fromGray: grayOnly.gray))
    }

    /// Raw RGB frames take luma with the same formula as libjpeg and `ColorConversion.luma`.
    @Test func rawRGBLumaUsesTheOneFormula() throws {
        let picture = SyntheticFootage.picture(width: 64, height: 48, index: 2)
        let frame = try FrameDecoder(camera: "t").decode(CapturedFrame(
            seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0,
            payload: .raw(format: .rgb24, width: 64, height: 48, bytes: picture.pixels)))
        #expect(frame.gray == ColorConversion.luma(of: picture))
    }

    @Test func rawFramesOverThePixelCapAreRefused() throws {
        let decoder = FrameDecoder(camera: "t", options: .init(maxPixels: 64 * 47))
        let bytes = [UInt8](repeating: 0, count: 64 * 48 * 2)
        #expect(throws: FrameDecoder.Error.raw(.badSize(width: 64, height: 48, maxPixels: 64 * 47))) {
            try decoder.decode(CapturedFrame(seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0,
                                             payload: .raw(format: .yuyv, width: 64, height: 48, bytes: bytes)))
        }
        #expect(throws: RawConversion.Error.self) {
            try RawConversion.convert([], format: .gray, width: Int.max, height: 2, scale: 1, color: false)
        }
    }
}
