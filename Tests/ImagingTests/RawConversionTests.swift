import Foundation
import Imaging
import SightlineCore
import SightlineTestKit
import Testing

/// RawConversion against ffmpeg's own converter (swscale) on seeded frames. ffmpeg converts with
/// nearest-neighbour chroma (`neighbor+full_chroma_int`, as RawConversion takes chroma) and exact
/// rounding; its BT.601 limited-range fixed point rounds differently by at most one level.
@Suite(.enabled(if: FFmpeg.path != nil, "ffmpeg is not installed (apt-get install ffmpeg)"))
struct RawConversionTests {
    static let swsFlags = ["-sws_flags", "neighbor+accurate_rnd+full_chroma_int"]
    /// ffmpeg's gray is full range unless told otherwise; RawConversion passes luma through unchanged.
    static let keepRange = ["-vf", "scale=in_range=tv:out_range=tv"]

    /// Seeded bytes in the legal BT.601 ranges (luma 16–235, chroma 16–240), as cameras send.
    static func frame(_ format: PixelFormat, width: Int, height: Int, seed: UInt64) -> [UInt8] {
        var state = seed | 1
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state >> 40)
        }
        let lumaCount = width * height
        let count = format.frameByteCount(width: width, height: height)
        return (0..<count).map { index in
            let isLuma: Bool
            switch format {
            case .yuyv: isLuma = index % 2 == 0
            case .nv12, .i420, .gray: isLuma = index < lumaCount
            case .rgb24: isLuma = false
            }
            return UInt8(isLuma ? 16 + next() % 220 : 16 + next() % 225)
        }
    }

    static let ffmpegName: [PixelFormat: String] = [.yuyv: "yuyv422", .nv12: "nv12", .i420: "yuv420p"]

    @Test(arguments: [PixelFormat.yuyv, .nv12, .i420], [(64, 32), (30, 18)])
    func matchesFFmpeg(format: PixelFormat, size: (Int, Int)) throws {
        let (width, height) = size
        let bytes = Self.frame(format, width: width, height: height, seed: 0x5EED + UInt64(width))
        let name = try #require(Self.ffmpegName[format])
        let (gray, rgb) = try RawConversion.convert(bytes, format: format, width: width, height: height, scale: 1,
                                                    color: true)
        let refGray = try FFmpeg.convertRaw(bytes, inputFormat: name, width: width, height: height,
                                            outputFormat: "gray", arguments: Self.keepRange)
        #expect(gray.pixels == refGray, "\(format) \(width)x\(height): luma differs from ffmpeg's")
        let refRGB = try FFmpeg.convertRaw(bytes, inputFormat: name, width: width, height: height,
                                           outputFormat: "rgb24", arguments: Self.swsFlags)
        let image = try #require(rgb)
        #expect(image.pixels.count == refRGB.count)
        var worst = 0, total = 0
        for (ours, theirs) in zip(image.pixels, refRGB) {
            let difference = abs(Int(ours) - Int(theirs))
            worst = max(worst, difference)
            total += difference
        }
        #expect(worst <= 1, "\(format) \(width)x\(height): RGB differs from ffmpeg's by \(worst)")
        #expect(Double(total) / Double(refRGB.count) < 0.15, "\(format) \(width)x\(height): mean error")
    }

    /// Reduced luma is the box mean of ffmpeg's full-size luma (truncated, as RawConversion documents).
    @Test(arguments: [2, 4, 8])
    func reducedLumaIsTheBoxMean(scale: Int) throws {
        let width = 64, height = 40
        let bytes = Self.frame(.yuyv, width: width, height: height, seed: 99)
        let full = try FFmpeg.convertRaw(bytes, inputFormat: "yuyv422", width: width, height: height,
                                         outputFormat: "gray", arguments: Self.keepRange)
        let (gray, _) = try RawConversion.convert(bytes, format: .yuyv, width: width, height: height, scale: scale,
                                                  color: false)
        #expect(gray.width == width / scale && gray.height == height / scale)
        for oy in 0..<gray.height {
            for ox in 0..<gray.width {
                var sum = 0
                for y in oy * scale..<(oy + 1) * scale {
                    for x in ox * scale..<(ox + 1) * scale { sum += Int(full[y * width + x]) }
                }
                #expect(Int(gray[ox, oy]) == sum / (scale * scale), "(\(ox), \(oy)) at 1/\(scale)")
            }
        }
    }

    @Test func shortFramesAreErrors() {
        #expect(throws: RawConversion.Error.shortFrame(expected: 64 * 32 * 2, got: 10)) {
            try RawConversion.convert([UInt8](repeating: 0, count: 10), format: .yuyv, width: 64, height: 32,
                                      scale: 1, color: true)
        }
    }
}

/// ColorConversion: luma against libjpeg's own RGB-to-gray conversion, on a JPEG stored in RGB
/// (Fixtures/jpeg/rgb.jpg, written by cjpeg -rgb: Tools/reference/jpeg_fixtures.sh).
struct ColorConversionTests {
    static let rgbJPEG: [UInt8] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/jpeg/rgb.jpg")
        return (try? [UInt8](Data(contentsOf: url))) ?? []
    }()

    @Test func lumaIsLibjpegsGrayOfTheSameRGB() throws {
        #expect(Self.rgbJPEG.count > 1000)
        let decoder = JPEGDecoder()
        let rgb = try decoder.decode(Self.rgbJPEG, gray: false).image
        let libjpegGray = try decoder.decode(Self.rgbJPEG, gray: true).image
        #expect(rgb.width == 96 && rgb.height == 64)
        #expect(ColorConversion.luma(of: rgb) == libjpegGray)
    }

    /// The one-decode luma + RGB path on an RGB JPEG gives libjpeg's gray and libjpeg's RGB.
    @Test(arguments: [0, 24, 48])
    func planesOfAnRGBJPEGMatchLibjpeg(minWidth: Int) throws {
        let planes = try JPEGDecoder().decodePlanes(Self.rgbJPEG, minWidth: minWidth, color: true)
        let scale = minWidth == 0 ? 1 : JPEGDecoder.scale(forSourceWidth: 96, minWidth: minWidth)
        #expect(planes.gray == (try JPEGDecoder().decode(Self.rgbJPEG, scale: scale, gray: true).image))
        #expect(planes.rgb == (try JPEGDecoder().decode(Self.rgbJPEG, scale: scale, gray: false).image))
    }

    @Test func grayToRGBReplicates() {
        let gray = Image(width: 3, height: 2, channels: 1, pixels: [0, 1, 127, 128, 254, 255])
        let rgb = ColorConversion.rgb(fromGray: gray)
        #expect(rgb.channels == 3)
        #expect(rgb.pixels == gray.pixels.flatMap { [$0, $0, $0] })
        #expect(ColorConversion.luma(of: rgb) == gray)
    }
}
