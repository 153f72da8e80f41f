import SightlineCore

/// Colour-space helpers on `Image`.
public enum ColorConversion {
    /// BT.601 luma of one RGB pixel: libjpeg's own RGB-to-gray weights and rounding (16-bit fixed
    /// point), so luma computed here matches what libjpeg's gray output gives for an RGB JPEG.
    /// The one RGB-to-luma formula of the project.
    @inline(__always)
    public static func luma(r: UInt8, g: UInt8, b: UInt8) -> UInt8 {
        let weighted = 19595 &* UInt32(r) &+ 38470 &* UInt32(g) &+ 7471 &* UInt32(b) &+ 32768
        return UInt8(truncatingIfNeeded: weighted >> 16)
    }

    /// BT.601 luma of an RGB image (`luma(r:g:b:)` per pixel).
    public static func luma(of rgb: Image) -> Image {
        precondition(rgb.channels == 3, "luma(of:) needs an RGB image")
        let n = rgb.width * rgb.height
        let out = [UInt8](unsafeUninitializedCapacity: n) { dst, count in
            rgb.pixels.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    dst[i] = luma(r: src[3 * i], g: src[3 * i + 1], b: src[3 * i + 2])
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
