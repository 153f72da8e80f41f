import FuzzSupport
import Imaging
import SightlineCore

// Raw camera frames (RawConversion) on arbitrary bytes: the first five bytes choose the layout, the size (1–96 each
// way), the reduction and whether RGB is made; the rest is the frame, as long as it happens to be. Invariants: no trap
// and no read outside the frame (AddressSanitizer); a frame shorter than its layout needs is `shortFrame` with the exact
// counts; otherwise planes of the reduced size, the same luma with and without RGB, luma passed through unchanged
// at full size for the planar layouts and YUYV, and gray RGB equal to its luma.
let formats: [PixelFormat] = [.yuyv, .gray, .nv12, .i420, .rgb24]

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 5 else { return 0 }
    let format = formats[Int(data[0]) % formats.count]
    let width = 1 + Int(data[1]) % 96, height = 1 + Int(data[2]) % 96
    let scale = [1, 2, 4, 8][Int(data[3]) % 4]
    let color = data[4] & 1 == 1
    let bytes = [UInt8](UnsafeBufferPointer(start: data + 5, count: size - 5))
    let needed = format.frameByteCount(width: width, height: height)
    let planes: (gray: Image, rgb: Image?)
    do {
        planes = try RawConversion.convert(bytes, format: format, width: width, height: height, scale: scale,
                                           color: color)
    } catch {
        guard error == .shortFrame(expected: needed, got: bytes.count), bytes.count < needed else {
            fuzzFailure("\(format) \(width)x\(height) with \(bytes.count) of \(needed) bytes: \(error)")
        }
        return 0
    }
    guard bytes.count >= needed else { fuzzFailure("\(format) \(width)x\(height): converted \(bytes.count) of \(needed) bytes") }
    let ow = max(width / scale, 1), oh = max(height / scale, 1)
    guard planes.gray.width == ow, planes.gray.height == oh, planes.gray.channels == 1,
          planes.gray.pixels.count == ow * oh else { fuzzFailure("luma plane \(planes.gray.width)x\(planes.gray.height)") }
    if color {
        guard let rgb = planes.rgb, rgb.width == ow, rgb.height == oh, rgb.channels == 3, rgb.pixels.count == ow * oh * 3
        else { fuzzFailure("RGB plane missing or of the wrong size") }
        let lumaOnly = try? RawConversion.convert(bytes, format: format, width: width, height: height, scale: scale,
                                                  color: false)
        guard lumaOnly?.gray == planes.gray, lumaOnly?.rgb == nil else { fuzzFailure("luma differs without RGB") }
        if format == .gray {
            for i in 0..<(ow * oh) where rgb.pixels[3 * i] != planes.gray.pixels[i]
                || rgb.pixels[3 * i + 1] != planes.gray.pixels[i] || rgb.pixels[3 * i + 2] != planes.gray.pixels[i] {
                fuzzFailure("gray RGB differs from its luma at \(i)")
            }
        }
    } else if planes.rgb != nil {
        fuzzFailure("RGB made without being asked")
    }
    if scale == 1 {
        switch format {
        case .gray, .nv12, .i420:
            guard planes.gray.pixels[...] == bytes[0..<(width * height)] else { fuzzFailure("planar luma changed") }
        case .yuyv:
            let stride = (width + 1) / 2 * 4
            for y in 0..<height {
                for x in 0..<width where planes.gray.pixels[y * width + x] != bytes[y * stride + 2 * x] {
                    fuzzFailure("YUYV luma changed at (\(x), \(y))")
                }
            }
        case .rgb24: break
        }
    }
    return 0
}

/// One frame of each layout at a few sizes and reductions, and one cut short.
func seeds() -> [(name: String, bytes: [UInt8])] {
    var seeds: [(String, [UInt8])] = []
    for (f, format) in formats.enumerated() {
        for (width, height, scale) in [(16, 8, 0), (7, 5, 1), (3, 9, 3)] {
            let count = format.frameByteCount(width: width, height: height)
            let frame = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ f) }
            seeds.append(("\(format)-\(width)x\(height)-\(scale).raw",
                          [UInt8(f), UInt8(width - 1), UInt8(height - 1), UInt8(scale), 1] + frame))
        }
        seeds.append(("\(format)-short.raw", [UInt8(f), 15, 7, 0, 1] + [UInt8](repeating: 128, count: 20)))
    }
    return seeds
}

runFuzzer(seeds: seeds) { data, size in fuzzOne(data, size) }
