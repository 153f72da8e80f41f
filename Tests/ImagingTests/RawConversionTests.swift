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

/// RawConversion against its definition, pixel by pixel, for every layout and reduction, including pictures of odd
/// size and pictures narrower or shorter than one block: luma is the truncated mean of each block (edge samples
/// repeated), RGB is BT.601 limited range of that luma and the chroma at the block's centre. The definition is written
/// here the plain way, one pixel at a time, apart from the conversion's per-layout loops.
struct RawConversionDefinitionTests {
    static func definition(_ s: [UInt8], _ format: PixelFormat, _ width: Int, _ height: Int, _ scale: Int)
        -> (gray: [UInt8], rgb: [UInt8]) {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        func luma(_ x: Int, _ y: Int) -> Int {
            switch format {
            case .yuyv: return Int(s[y * cw * 4 + x * 2])
            case .gray, .nv12, .i420: return Int(s[y * width + x])
            case .rgb24:
                let p = (y * width + x) * 3
                return Int(ColorConversion.luma(r: s[p], g: s[p + 1], b: s[p + 2]))
            }
        }
        let ow = max(width / scale, 1), oh = max(height / scale, 1)
        var gray: [UInt8] = [], rgb: [UInt8] = []
        for oy in 0..<oh {
            for ox in 0..<ow {
                var sum = 0
                for dy in 0..<scale {
                    for dx in 0..<scale { sum += luma(min(ox * scale + dx, width - 1), min(oy * scale + dy, height - 1)) }
                }
                gray.append(UInt8(sum / (scale * scale)))
            }
        }
        func clamp(_ v: Int) -> UInt8 { UInt8(min(max(v, 0), 255)) }
        for oy in 0..<oh {
            for ox in 0..<ow {
                let x = min(ox * scale + scale / 2, width - 1), y = min(oy * scale + scale / 2, height - 1)
                let l = Int(gray[oy * ow + ox])
                let u: Int, v: Int
                switch format {
                case .gray: rgb += [UInt8(l), UInt8(l), UInt8(l)]; continue
                case .rgb24: let p = (y * width + x) * 3; rgb += [s[p], s[p + 1], s[p + 2]]; continue
                case .yuyv: u = Int(s[y * cw * 4 + x / 2 * 4 + 1]); v = Int(s[y * cw * 4 + x / 2 * 4 + 3])
                case .nv12: u = Int(s[width * height + y / 2 * cw * 2 + x / 2 * 2])
                    v = Int(s[width * height + y / 2 * cw * 2 + x / 2 * 2 + 1])
                case .i420: u = Int(s[width * height + y / 2 * cw + x / 2])
                    v = Int(s[width * height + cw * ch + y / 2 * cw + x / 2])
                }
                let c = 298 * (l - 16), d = u - 128, e = v - 128
                rgb += [clamp((c + 409 * e + 128) >> 8), clamp((c - 100 * d - 208 * e + 128) >> 8),
                        clamp((c + 516 * d + 128) >> 8)]
            }
        }
        return (gray, rgb)
    }

    @Test(arguments: [PixelFormat.yuyv, .gray, .nv12, .i420, .rgb24], [1, 2, 4, 8])
    func everyLayoutAndReductionMatchesTheDefinition(format: PixelFormat, scale: Int) throws {
        for (width, height) in [(64, 32), (37, 21), (5, 3), (1, 1), (9, 17), (2, 1), (1, 9), (16, 16), (33, 2), (7, 8)] {
            var state = UInt64(width * 1000 + height) | 1
            let bytes = (0..<format.frameByteCount(width: width, height: height)).map { _ -> UInt8 in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return UInt8(truncatingIfNeeded: state >> 32)
            }
            let (gray, rgb) = try RawConversion.convert(bytes, format: format, width: width, height: height,
                                                        scale: scale, color: true)
            let expected = Self.definition(bytes, format, width, height, scale)
            #expect(gray.width == max(width / scale, 1) && gray.height == max(height / scale, 1))
            #expect(gray.pixels == expected.gray, "\(format) \(width)x\(height) 1/\(scale): luma")
            #expect(rgb?.pixels == expected.rgb, "\(format) \(width)x\(height) 1/\(scale): RGB")
        }
    }
}
