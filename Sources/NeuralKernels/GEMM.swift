/// Per-column epilogue applied to C once its last K block is done: `relu(c · scale + shift + residual)`.
struct GEMMEpilogue {
    /// Per-column multiplier (folded batch norm / dlib `affine`), padded to a multiple of NR; nil means 1.
    var scale: UnsafePointer<Float>?
    /// Per-column addend (bias and affine shift), padded to a multiple of NR; nil means 0.
    var shift: UnsafePointer<Float>?
    /// A tensor with C's shape and leading dimension, added before the ReLU; nil means none.
    var residual: UnsafePointer<Float>?
    var relu: Bool

    static var none: GEMMEpilogue { GEMMEpilogue(scale: nil, shift: nil, residual: nil, relu: false) }

    var isIdentity: Bool { scale == nil && shift == nil && residual == nil && !relu }
}

enum GEMMDriver {
    /// Largest K block. A micro-panel (MR × kc) stays in L1; the packed B block (kc × N) stays in L2.
    static let kcMax = 320

    /// Scratch floats `run` needs from a workspace, beyond anything the caller keeps there.
    static func scratchCount(k: Int) -> Int {
        let kc = blockK(k)
        return KernelTarget.mr * roundUpTo16(kc) + KernelTarget.mr * KernelTarget.nr
    }

    /// K block length: K split into equal blocks of at most `kcMax`.
    @inline(__always)
    static func blockK(_ k: Int) -> Int {
        let blocks = (k + kcMax - 1) / kcMax
        return max(1, (k + blocks - 1) / blocks)
    }

    /// C (M×N, row-major, `ldc`) = A · B, then the epilogue. A comes from `source`, B is packed by
    /// `Packing.packB`. `scratch` must hold `scratchCount(k:)` floats and be 64-byte aligned.
    ///
    /// Loop order: K blocks, then MR-row micro-panels of A (packed once, kept in L1), then NR-column panels
    /// of B (streamed from L2). A micro-panel made only of padding zeros is skipped.
    static func run(
        m: Int, n: Int, k: Int, source: GEMMSource, packedB: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue, scratch: UnsafeMutablePointer<Float>
    ) {
        let mr = KernelTarget.mr
        let nr = KernelTarget.nr
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { zeroFloats(c + i * ldc, n) }
            if !epilogue.isIdentity { applyEpilogue(epilogue, c: c, ldc: ldc, rows: m, cols: n, i0: 0, j0: 0) }
            return
        }
        let kcStep = blockK(k)
        let lda = roundUpTo16(kcStep)
        let aPanel = scratch
        let tile = scratch + mr * lda
        let panels = (n + nr - 1) / nr
        var p0 = 0
        while p0 < k {
            let kc = min(kcStep, k - p0)
            let first = p0 == 0
            let last = p0 + kc == k
            var i0 = 0
            while i0 < m {
                let rows = min(mr, m - i0)
                let direct = Packing.directRows(source, m0: i0, rows: rows, n: n)
                let live = direct != nil
                    || Packing.packA(source, m0: i0, rows: rows, p0: p0, kc: kc, into: aPanel, lda: lda)
                for panel in 0..<panels {
                    let j0 = panel * nr
                    let cols = min(nr, n - j0)
                    let cTile = c + i0 * ldc + j0
                    let b = packedB + panel * k * nr + p0 * nr
                    if let direct {
                        Microkernel.kernel8x32Direct(direct, p0: p0, kc: kc, b, cTile, ldc, accumulate: !first)
                    } else if rows == mr && cols == nr {
                        if live {
                            Microkernel.run(kc, aPanel, lda, b, cTile, ldc, accumulate: !first)
                        } else if first {
                            for r in 0..<rows { zeroFloats(cTile + r * ldc, cols) }
                        }
                    } else if live || first {
                        if first {
                            zeroFloats(tile, mr * nr)
                        } else {
                            for r in 0..<rows { copyFloats(tile + r * nr, cTile + r * ldc, cols) }
                        }
                        if live { Microkernel.run(kc, aPanel, lda, b, tile, nr, accumulate: !first) }
                        for r in 0..<rows { copyFloats(cTile + r * ldc, tile + r * nr, cols) }
                    }
                    if last && !epilogue.isIdentity {
                        applyEpilogue(epilogue, c: cTile, ldc: ldc, rows: rows, cols: cols, i0: i0, j0: j0)
                    }
                }
                i0 += mr
            }
            p0 += kc
        }
    }

    /// Applies the epilogue to a `rows × cols` tile of C whose top-left element is C[i0, j0].
    @inline(__always)
    static func applyEpilogue(
        _ e: GEMMEpilogue, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, i0: Int, j0: Int
    ) {
        for r in 0..<rows {
            let row = c + r * ldc
            let residualRow = e.residual.map { $0 + (i0 + r) * ldc + j0 }
            var j = 0
            while j + 16 <= cols {
                let raw = UnsafeMutableRawPointer(row)
                var v = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                if let s = e.scale {
                    let scale = UnsafeRawPointer(s).loadUnaligned(fromByteOffset: (j0 + j) * 4, as: SIMD16<Float>.self)
                    if let t = e.shift {
                        let shift = UnsafeRawPointer(t).loadUnaligned(fromByteOffset: (j0 + j) * 4, as: SIMD16<Float>.self)
                        v = multiplyAdd(shift, v, scale)
                    } else {
                        v *= scale
                    }
                } else if let t = e.shift {
                    v += UnsafeRawPointer(t).loadUnaligned(fromByteOffset: (j0 + j) * 4, as: SIMD16<Float>.self)
                }
                if let res = residualRow {
                    v += UnsafeRawPointer(res).loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self)
                }
                if e.relu { v = v.replacing(with: 0, where: v .< 0) }
                raw.storeBytes(of: v, toByteOffset: j * 4, as: SIMD16<Float>.self)
                j += 16
            }
            while j < cols {
                var v = row[j]
                if let s = e.scale { v *= s[j0 + j] }
                if let t = e.shift { v += t[j0 + j] }
                if let res = residualRow { v += res[j] }
                if e.relu && v < 0 { v = 0 }
                row[j] = v
                j += 1
            }
        }
    }
}
