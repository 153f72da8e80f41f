import SightlineCore

/// Colour-space helpers on `Image`.
public enum ColorConversion {
    /// BT.601 luma of an RGB image (the weights JPEG uses), fixed point.
    public static func luma(of rgb: Image) -> Image {
        precondition(rgb.channels == 3, "luma(of:) needs an RGB image")
        let n = rgb.width * rgb.height
        let out = [UInt8](unsafeUninitializedCapacity: n) { dst, count in
            rgb.pixels.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    let r = UInt32(src[3 * i]), g = UInt32(src[3 * i + 1]), b = UInt32(src[3 * i + 2])
                    dst[i] = UInt8(truncatingIfNeeded: (19595 &* r &+ 38470 &* g &+ 7471 &* b &+ 32768) >> 16)
                }
            }
            count = n
        }
        return Image(width: rgb.width, height: rgb.height, channels: 1, pixels: out)
    }

    /// Gray replicated into three channels.
    public static func rgb(fromGray gray: Image) -> Image {
        precondition(gray.channels == 1, "rgb(fromGray:) needs a one-channel image")
        var out = [UInt8](repeating: 0, count: gray.pixels.count * 3)
        for i in 0..<gray.pixels.count {
            out[3 * i] = gray.pixels[i]; out[3 * i + 1] = gray.pixels[i]; out[3 * i + 2] = gray.pixels[i]
        }
        return Image(width: gray.width, height: gray.height, channels: 3, pixels: out)
    }
}
