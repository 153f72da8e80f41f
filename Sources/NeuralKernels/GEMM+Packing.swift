// Packing routines of the BLIS-style GEMM: B into NR-column panels (once per weight set), A into MR-row
// micro-panels (per K block, from a matrix or straight from an HWC image as implicit im2col).

/// Where the rows of A come from.
enum GEMMSource {
    /// A row-major matrix with leading dimension `lda`.
    case matrix(UnsafePointer<Float>, lda: Int)
    /// The im2col rows of a convolution over an HWC image; see `ConvolutionGeometry`.
    case convolution(UnsafePointer<Float>, ConvolutionGeometry)
}

/// Shapes of one convolution call: input, kernel, stride, padding and output.
struct ConvolutionGeometry {
    var inHeight: Int, inWidth: Int, inChannels: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideY: Int, strideX: Int, paddingY: Int, paddingX: Int
    var outHeight: Int, outWidth: Int
    /// Images stacked in the input and output (a batch: image i's rows follow image i−1's); GEMM row
    /// `m` is pixel `m mod (outHeight·outWidth)` of image `m / (outHeight·outWidth)`.
    var images: Int = 1
}

enum Packing {
    /// Floats needed by `packB` for a K×N matrix.
    static func packedBCount(k: Int, n: Int) -> Int {
        let nr = KernelTarget.nr
        return ((n + nr - 1) / nr) * nr * k
    }

    /// Packs row-major B (K×N, leading dimension `ldb`) into full-K panels of NR columns: panel `j` holds
    /// `k` rows of NR floats at `dst + j·K·NR`, columns past N zero-filled.
    static func packB(_ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int, into dst: UnsafeMutablePointer<Float>) {
        let nr = KernelTarget.nr
        var panel = 0
        while panel * nr < n {
            let j0 = panel * nr
            let cols = min(nr, n - j0)
            let base = dst + panel * k * nr
            for p in 0..<k {
                let out = base + p * nr
                copyFloats(out, b + p * ldb + j0, cols)
                if cols < nr { zeroFloats(out + cols, nr - cols) }
            }
            panel += 1
        }
    }

    /// Packs rows `m0..<m0+rows` (at most MR), columns `p0..<p0+kc` of A into `dst` as MR rows `lda` apart,
    /// zero-filling rows past `rows`. Returns false when every packed value is a padding zero.
    @inline(__always)
    static func packA(
        _ source: GEMMSource, m0: Int, rows: Int, p0: Int, kc: Int,
        into dst: UnsafeMutablePointer<Float>, lda: Int
    ) -> Bool {
        switch source {
        case .matrix(let a, let ldaSource):
            for r in 0..<KernelTarget.mr {
                if r < rows {
                    copyFloats(dst + r * lda, a + (m0 + r) * ldaSource + p0, kc)
                } else {
                    zeroFloats(dst + r * lda, kc)
                }
            }
            return true
        case .convolution(let input, let g):
            var live = false
            for r in 0..<KernelTarget.mr {
                let row = dst + r * lda
                if r >= rows {
                    zeroFloats(row, kc)
                } else if packImageRow(input, g, pixel: m0 + r, p0: p0, kc: kc, into: row) {
                    live = true
                }
            }
            return live
        }
    }

    /// Writes im2col entries `p0..<p0+kc` of output pixel `pixel`; K is ordered (ky, kx, channel), so
    /// horizontally adjacent in-bounds taps form one contiguous run of the HWC input.
    @inline(__always)
    static func packImageRow(
        _ input: UnsafePointer<Float>, _ g: ConvolutionGeometry, pixel: Int, p0: Int, kc: Int,
        into row: UnsafeMutablePointer<Float>
    ) -> Bool {
        var input = input
        var pixel = pixel
        if g.images > 1 {
            let outPixels = g.outHeight * g.outWidth
            let image = pixel / outPixels
            pixel -= image * outPixels
            input += image * g.inHeight * g.inWidth * g.inChannels
        }
        let oy = pixel / g.outWidth
        let ox = pixel - oy * g.outWidth
        let iy0 = oy * g.strideY - g.paddingY
        let ix0 = ox * g.strideX - g.paddingX
        let channels = g.inChannels
        let rowFloats = g.kernelWidth * channels
        var live = false
        var k = p0
        let end = p0 + kc
        var out = row
        // Position (ky, offset within the kernel row) of k; runs usually end at a kernel row's end, so the
        // position advances without a division except after a partial run.
        var ky = p0 / rowFloats
        var offset = p0 - ky * rowFloats
        while k < end {
            let kx = offset == 0 ? 0 : offset / channels
            let ic = offset - kx * channels
            let iy = iy0 + ky
            let ix = ix0 + kx
            let n: Int
            if iy < 0 || iy >= g.inHeight {
                n = min(rowFloats - offset, end - k)
                zeroFloats(out, n)
            } else if ix < 0 {
                n = min(min(-ix, g.kernelWidth - kx) * channels - ic, end - k)
                zeroFloats(out, n)
            } else if ix >= g.inWidth {
                n = min(rowFloats - offset, end - k)
                zeroFloats(out, n)
            } else {
                let taps = min(g.kernelWidth - kx, g.inWidth - ix)
                n = min(taps * channels - ic, end - k)
                copyFloats(out, input + (iy * g.inWidth + ix) * channels + ic, n)
                live = true
            }
            out += n
            k += n
            offset += n
            if offset == rowFloats {
                ky += 1
                offset = 0
            }
        }
        return live
    }
}

/// Copies `n` floats with 16-wide vector moves (runs here are short, so this beats a memcpy call).
@inline(__always)
func copyFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let d = UnsafeMutableRawPointer(dst)
    let s = UnsafeRawPointer(src)
    while i &+ 16 <= n {
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self), toByteOffset: i &* 4,
                     as: SIMD16<Float>.self)
        i &+= 16
    }
    while i &+ 4 <= n {
        d.storeBytes(of: s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD4<Float>.self), toByteOffset: i &* 4,
                     as: SIMD4<Float>.self)
        i &+= 4
    }
    while i < n {
        dst[i] = src[i]
        i &+= 1
    }
}

/// Sets `n` floats to zero.
@inline(__always)
func zeroFloats(_ dst: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    let d = UnsafeMutableRawPointer(dst)
    while i &+ 16 <= n {
        d.storeBytes(of: SIMD16<Float>(), toByteOffset: i &* 4, as: SIMD16<Float>.self)
        i &+= 16
    }
    while i < n {
        dst[i] = 0
        i &+= 1
    }
}
