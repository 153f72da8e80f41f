/// Single-precision matrix multiply, row-major: the BLIS-style packed kernel behind `PackedConvolution`.
public enum SGEMM {
    /// C (M×N) = A (M×K) · B (K×N), all row-major and dense; overwrites `c` (resized to M·N).
    ///
    /// Packs B into the workspace (K × N rounded up to the panel width) and A one micro-panel at a time,
    /// so the workspace grows to about `K·N` floats.
    public static func multiply(
        m: Int, n: Int, k: Int, a: [Float], b: [Float], into c: inout [Float], workspace: Workspace
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "negative GEMM dimension")
        precondition(a.count >= m * k && b.count >= k * n, "GEMM operands smaller than \(m)x\(k) and \(k)x\(n)")
        if c.count != m * n { c = [Float](repeating: 0, count: m * n) }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n,
                             c: cp.baseAddress!, ldc: n, workspace: workspace)
                }
            }
        }
    }

    /// Pointer form: C = A · B with leading dimensions `lda`, `ldb`, `ldc` (row-major). Pointers must be valid
    /// for the whole call; C must not overlap A or B.
    public static func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, workspace: Workspace
    ) {
        let packedCount = roundUpTo16(Packing.packedBCount(k: k, n: n))
        let scratch = workspace.reserve(packedCount + GEMMDriver.scratchCount(k: k))
        Packing.packB(b, ldb: ldb, k: k, n: n, into: scratch)
        GEMMDriver.run(m: m, n: n, k: k, source: .matrix(a, lda: lda), packedB: scratch, c: c, ldc: ldc,
                       epilogue: .none, scratch: scratch + packedCount)
    }
}
