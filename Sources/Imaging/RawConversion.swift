import SightlineCore

/// Uncompressed camera layouts to luma and RGB, with an optional box reduction by 2, 4 or 8.
///
/// YUV is taken as BT.601 limited range, as V4L2 webcams and ffmpeg's yuv420p deliver it; the
/// luma plane is passed through unchanged (stages work on relative brightness).
public enum RawConversion {
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case shortFrame(expected: Int, got: Int)
        /// A width or height that is not positive, or a frame over the pixel cap.
        case badSize(width: Int, height: Int, maxPixels: Int)
        public var description: String {
            switch self {
            case .shortFrame(let e, let g): return "raw frame has \(g) bytes, its format needs \(e)"
            case .badSize(let w, let h, let cap): return "raw frame of \(w)x\(h) is empty or over the cap of \(cap) pixels"
            }
        }
    }

    /// Converts `bytes` in `format` to luma (always) and RGB (when `color`), both reduced by
    /// `scale` (1, 2, 4 or 8) with box averaging of luma and chroma taken at the block centre.
    /// Frames of more than `maxPixels` are refused before anything is allocated.
    public static func convert(_ bytes: [UInt8], format: PixelFormat, width: Int, height: Int, scale: Int,
                               color: Bool, maxPixels: Int = JPEGDecoder.defaultMaxPixels)
        throws(Error) -> (gray: Image, rgb: Image?) {
        precondition([1, 2, 4, 8].contains(scale), "scale must be 1, 2, 4 or 8")
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard width > 0, height > 0, !overflow, pixels <= maxPixels, pixels <= Int.max / 4 else {
            throw .badSize(width: width, height: height, maxPixels: maxPixels)
        }
        let needed = format.frameByteCount(width: width, height: height)
        guard bytes.count >= needed else { throw .shortFrame(expected: needed, got: bytes.count) }
        let ow = max(width / scale, 1), oh = max(height / scale, 1)
        var gray = [UInt8](repeating: 0, count: ow * oh)
        var rgb: [UInt8] = color ? [UInt8](repeating: 0, count: ow * oh * 3) : []
        bytes.withUnsafeBufferPointer { src in
            let s = src.baseAddress!
            let layout = Layout(format: format, width: width, height: height)
            gray.withUnsafeMutableBufferPointer { g in
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var sum = 0
                        for dy in 0..<scale {
                            let y = min(oy * scale + dy, height - 1)
                            for dx in 0..<scale {
                                sum &+= Int(layout.luma(s, min(ox * scale + dx, width - 1), y))
                            }
                        }
                        g[oy * ow + ox] = UInt8(truncatingIfNeeded: sum / (scale * scale))
                    }
                }
            }
            guard color else { return }
            rgb.withUnsafeMutableBufferPointer { out in
                for oy in 0..<oh {
                    let y = min(oy * scale + scale / 2, height - 1)
                    for ox in 0..<ow {
                        let x = min(ox * scale + scale / 2, width - 1)
                        let (r, gg, b) = layout.rgb(s, x, y, luma: Int(gray[oy * ow + ox]))
                        let o = (oy * ow + ox) * 3
                        out[o] = r; out[o + 1] = gg; out[o + 2] = b
                    }
                }
            }
        }
        return (Image(width: ow, height: oh, channels: 1, pixels: gray),
                color ? Image(width: ow, height: oh, channels: 3, pixels: rgb) : nil)
    }

    /// Addressing of one raw layout.
    private struct Layout {
        let format: PixelFormat
        let width: Int
        let height: Int

        @inline(__always)
        func luma(_ s: UnsafePointer<UInt8>, _ x: Int, _ y: Int) -> UInt8 {
            switch format {
            case .yuyv: return s[y * ((width + 1) / 2) * 4 + x * 2]
            case .gray, .nv12, .i420: return s[y * width + x]
            case .rgb24:
                let p = (y * width + x) * 3
                return ColorConversion.luma(r: s[p], g: s[p + 1], b: s[p + 2])
            }
        }

        @inline(__always)
        func rgb(_ s: UnsafePointer<UInt8>, _ x: Int, _ y: Int, luma: Int) -> (UInt8, UInt8, UInt8) {
            let cw = (width + 1) / 2, ch = (height + 1) / 2
            let u: Int, v: Int
            switch format {
            case .gray: return (UInt8(luma), UInt8(luma), UInt8(luma))
            case .rgb24:
                let p = (y * width + x) * 3
                return (s[p], s[p + 1], s[p + 2])
            case .yuyv:
                let p = y * cw * 4 + (x / 2) * 4
                u = Int(s[p + 1]); v = Int(s[p + 3])
            case .nv12:
                let p = width * height + (y / 2) * cw * 2 + (x / 2) * 2
                u = Int(s[p]); v = Int(s[p + 1])
            case .i420:
                let base = width * height
                u = Int(s[base + (y / 2) * cw + x / 2])
                v = Int(s[base + cw * ch + (y / 2) * cw + x / 2])
            }
            // BT.601 limited range, fixed point with 8 fractional bits.
            let c = 298 * (luma - 16), d = u - 128, e = v - 128
            let r = (c + 409 * e + 128) >> 8
            let g = (c - 100 * d - 208 * e + 128) >> 8
            let b = (c + 516 * d + 128) >> 8
            return (clamp(r), clamp(g), clamp(b))
        }

        @inline(__always)
        private func clamp(_ v: Int) -> UInt8 { UInt8(min(max(v, 0), 255)) }
    }
}
