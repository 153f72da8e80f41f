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
        // Gray's RGB is its luma replicated (`ColorConversion.rgb(fromGray:)`, below); the others fill this plane.
        var rgb: [UInt8] = color && format != .gray ? [UInt8](repeating: 0, count: ow * oh * 3) : []
        bytes.withUnsafeBufferPointer { src in
            let s = src.baseAddress!
            gray.withUnsafeMutableBufferPointer { g in
                let planes = Planes(source: s, width: width, height: height, scale: scale, gray: g.baseAddress!,
                                    outWidth: ow, outHeight: oh)
                // One specialised loop per layout: the format is decided once per frame, not once per pixel.
                switch format {
                case .yuyv: planes.reduceLuma(YUYV(width: width))
                case .gray: planes.reduceLuma(Planar(width: width, height: height, interleavedChroma: false))
                case .nv12: planes.reduceLuma(Planar(width: width, height: height, interleavedChroma: true))
                case .i420: planes.reduceLuma(Planar(width: width, height: height, interleavedChroma: false))
                case .rgb24: planes.reduceLuma(RGB24(width: width))
                }
                guard color, format != .gray else { return }
                rgb.withUnsafeMutableBufferPointer { out in
                    let o = out.baseAddress!
                    switch format {
                    case .yuyv: planes.sampleRGB(YUYV(width: width), into: o)
                    case .nv12: planes.sampleRGB(Planar(width: width, height: height, interleavedChroma: true), into: o)
                    case .i420: planes.sampleRGB(Planar(width: width, height: height, interleavedChroma: false), into: o)
                    case .rgb24: planes.copyRGB(into: o)
                    case .gray: break
                    }
                }
            }
        }
        let luma = Image(width: ow, height: oh, channels: 1, pixels: gray)
        guard color else { return (luma, nil) }
        return (luma, format == .gray ? ColorConversion.rgb(fromGray: luma)
                                      : Image(width: ow, height: oh, channels: 3, pixels: rgb))
    }

    /// A raw layout's addressing: where each luma sample is, and the chroma pair that covers a pixel.
    private protocol Layout {
        /// The luma of pixel (`x`, row `y`).
        func luma(_ s: UnsafePointer<UInt8>, _ x: Int, _ y: Int) -> UInt8
        /// Row `y`'s chroma: Cb of pixel x at `u[(x >> 1) * step]`, Cr at `v[(x >> 1) * step]` (unused by layouts
        /// without chroma).
        func chromaRow(_ s: UnsafePointer<UInt8>, _ y: Int) -> (u: UnsafePointer<UInt8>, v: UnsafePointer<UInt8>, step: Int)
    }

    /// YUYV 4:2:2: Y0 U Y1 V per pair of pixels, rows of `(width + 1) / 2` pairs.
    private struct YUYV: Layout {
        let stride: Int
        init(width: Int) { stride = (width + 1) / 2 * 4 }
        @inline(__always) func luma(_ s: UnsafePointer<UInt8>, _ x: Int, _ y: Int) -> UInt8 { s[y &* stride &+ x &* 2] }
        @inline(__always) func chromaRow(_ s: UnsafePointer<UInt8>, _ y: Int)
            -> (u: UnsafePointer<UInt8>, v: UnsafePointer<UInt8>, step: Int) {
            (s + (y &* stride &+ 1), s + (y &* stride &+ 3), 4)
        }
    }

    /// A luma plane of `width` × `height`, then (NV12) one plane of interleaved Cb Cr pairs or (I420) a Cb plane and
    /// a Cr plane, each of `(width + 1) / 2` × `(height + 1) / 2`. Gray is the luma plane alone.
    private struct Planar: Layout {
        let width: Int
        let chromaWidth: Int
        let lumaCount: Int
        let crOffset: Int
        let interleavedChroma: Bool
        init(width: Int, height: Int, interleavedChroma: Bool) {
            self.width = width
            chromaWidth = (width + 1) / 2
            lumaCount = width * height
            crOffset = chromaWidth * ((height + 1) / 2)
            self.interleavedChroma = interleavedChroma
        }
        @inline(__always) func luma(_ s: UnsafePointer<UInt8>, _ x: Int, _ y: Int) -> UInt8 { s[y &* width &+ x] }
        @inline(__always) func chromaRow(_ s: UnsafePointer<UInt8>, _ y: Int)
            -> (u: UnsafePointer<UInt8>, v: UnsafePointer<UInt8>, step: Int) {
            if interleavedChroma {
                let p = s + (lumaCount &+ (y >> 1) &* chromaWidth &* 2)
                return (p, p + 1, 2)
            }
            let p = s + (lumaCount &+ (y >> 1) &* chromaWidth)
            return (p, p + crOffset, 1)
        }
    }

    /// Packed R G B; luma is BT.601 of each pixel.
    private struct RGB24: Layout {
        let width: Int
        init(width: Int) { self.width = width }
        @inline(__always) func luma(_ s: UnsafePointer<UInt8>, _ x: Int, _ y: Int) -> UInt8 {
            let p = (y &* width &+ x) &* 3
            return ColorConversion.luma(r: s[p], g: s[p &+ 1], b: s[p &+ 2])
        }
        @inline(__always) func chromaRow(_ s: UnsafePointer<UInt8>, _ y: Int)
            -> (u: UnsafePointer<UInt8>, v: UnsafePointer<UInt8>, step: Int) { (s, s, 0) }
    }

    /// One conversion's source and output planes.
    private struct Planes {
        let source: UnsafePointer<UInt8>
        let width: Int
        let height: Int
        let scale: Int
        let gray: UnsafeMutablePointer<UInt8>
        let outWidth: Int
        let outHeight: Int

        /// Luma reduced by `scale`: the truncated mean of each `scale` × `scale` block (edge samples repeated when the
        /// picture is narrower or shorter than one block).
        func reduceLuma<L: Layout>(_ layout: L) {
            if scale == 1 {
                for y in 0..<height {
                    let row = gray + y &* width
                    for x in 0..<width { row[x] = layout.luma(source, x, y) }
                }
                return
            }
            let area = scale * scale
            guard width >= scale else {
                // Narrower than one block: one output column, the edge sample repeated.
                for oy in 0..<outHeight {
                    var sum = 0
                    for dy in 0..<scale {
                        let y = min(oy &* scale &+ dy, height - 1)
                        for dx in 0..<scale { sum &+= Int(layout.luma(source, min(dx, width - 1), y)) }
                    }
                    gray[oy] = UInt8(truncatingIfNeeded: sum / area)
                }
                return
            }
            // Column sums over the block's rows first (a plain loop along each row, which vectorises), then each
            // block's columns; `area` is a power of two and the sums are not negative, so the mean is a shift.
            let columns = outWidth &* scale, shift = area.trailingZeroBitCount
            var sums = [Int32](repeating: 0, count: columns)
            var line = [UInt8](repeating: 0, count: columns)
            sums.withUnsafeMutableBufferPointer { sums in line.withUnsafeMutableBufferPointer { line in
                let sum = sums.baseAddress!, line = line.baseAddress!
                for oy in 0..<outHeight {
                    for x in 0..<columns { sum[x] = 0 }
                    for dy in 0..<scale {
                        // The row's luma first (a strided load for YUYV), then the widening add.
                        let y = min(oy &* scale &+ dy, height - 1)
                        for x in 0..<columns { line[x] = layout.luma(source, x, y) }
                        for x in 0..<columns { sum[x] &+= Int32(line[x]) }
                    }
                    let row = gray + oy &* outWidth
                    // One loop per block width, so that each has a fixed stride the compiler can vectorise.
                    switch scale {
                    case 2:
                        for ox in 0..<outWidth {
                            row[ox] = UInt8(truncatingIfNeeded: (sum[2 &* ox] &+ sum[2 &* ox &+ 1]) &>> 2)
                        }
                    case 4:
                        for ox in 0..<outWidth {
                            let p = sum + 4 &* ox
                            row[ox] = UInt8(truncatingIfNeeded: (p[0] &+ p[1] &+ p[2] &+ p[3]) &>> 4)
                        }
                    default:
                        for ox in 0..<outWidth {
                            var block: Int32 = 0
                            for dx in 0..<scale { block &+= sum[ox &* scale &+ dx] }
                            row[ox] = UInt8(truncatingIfNeeded: block &>> Int32(shift))
                        }
                    }
                }
            } }
        }

        /// RGB of each output pixel from its (reduced) luma and the chroma at its block's centre, BT.601 limited range.
        /// A row at a time in three plain loops (gather the chroma, convert, interleave), which the compiler vectorises.
        func sampleRGB<L: Layout>(_ layout: L, into out: UnsafeMutablePointer<UInt8>) {
            let half = scale / 2
            let n = outWidth
            var buffer = [Int32](repeating: 0, count: 2 * n)
            var channels = [UInt8](repeating: 0, count: 3 * n)
            buffer.withUnsafeMutableBufferPointer { buffer in
                channels.withUnsafeMutableBufferPointer { channels in
                    let us = buffer.baseAddress!, vs = us + n
                    let rs = channels.baseAddress!, gs = rs + n, bs = gs + n
                    for oy in 0..<outHeight {
                        let y = min(oy &* scale &+ half, height - 1)
                        let lumaRow = gray + oy &* n, outRow = out + oy &* n &* 3
                        let chroma = layout.chromaRow(source, y)
                        for ox in 0..<n {
                            let pair = (min(ox &* scale &+ half, width - 1) >> 1) &* chroma.step
                            us[ox] = Int32(chroma.u[pair])
                            vs[ox] = Int32(chroma.v[pair])
                        }
                        for ox in 0..<n {
                            // Fixed point with 8 fractional bits.
                            let c = 298 &* (Int32(lumaRow[ox]) &- 16), d = us[ox] &- 128, e = vs[ox] &- 128
                            rs[ox] = Self.clamp((c &+ 409 &* e &+ 128) &>> 8)
                            gs[ox] = Self.clamp((c &- 100 &* d &- 208 &* e &+ 128) &>> 8)
                            bs[ox] = Self.clamp((c &+ 516 &* d &+ 128) &>> 8)
                        }
                        for ox in 0..<n {
                            outRow[3 &* ox] = rs[ox]
                            outRow[3 &* ox &+ 1] = gs[ox]
                            outRow[3 &* ox &+ 2] = bs[ox]
                        }
                    }
                }
            }
        }

        /// RGB24 reduced: the source pixel at each block's centre.
        func copyRGB(into out: UnsafeMutablePointer<UInt8>) {
            let half = scale / 2
            for oy in 0..<outHeight {
                let y = min(oy &* scale &+ half, height - 1)
                for ox in 0..<outWidth {
                    let x = min(ox &* scale &+ half, width - 1)
                    let p = (y &* width &+ x) &* 3, o = (oy &* outWidth &+ ox) &* 3
                    out[o] = source[p]; out[o &+ 1] = source[p &+ 1]; out[o &+ 2] = source[p &+ 2]
                }
            }
        }

        @inline(__always)
        static func clamp(_ v: Int32) -> UInt8 { UInt8(truncatingIfNeeded: min(max(v, 0), 255)) }
    }
}
