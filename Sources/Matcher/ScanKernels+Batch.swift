// GEMM-style microkernel of the batch path: 8 queries × 2 float32 blocks (32 vectors) of dot products kept in
// 16 AVX-512 registers; each step loads two gallery rows and broadcasts eight query components.

extension ScanKernels {
    /// Dot products of 8 queries (row-major, `dimension` floats apart) with the 32 vectors of two consecutive
    /// blocks; writes 16 results to `out` as `out[2r + b]` (query r, block b).
    @inline(__always)
    static func dot8x2(
        queries: UnsafePointer<Float>, blocks: UnsafePointer<Float>, dimension d: Int,
        out: UnsafeMutablePointer<SIMD16<Float>>
    ) {
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
        var c60 = SIMD16<Float>(), c61 = SIMD16<Float>(), c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
        let q0 = queries, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d, q4 = q3 + d, q5 = q4 + d, q6 = q5 + d, q7 = q6 + d
        let stride = d &* 64
        var x = UnsafeRawPointer(blocks)
        for j in 0..<d {
            let x0 = x.loadUnaligned(as: SIMD16<Float>.self)
            let x1 = x.loadUnaligned(fromByteOffset: stride, as: SIMD16<Float>.self)
            var q = SIMD16<Float>(repeating: q0[j])
            c00 = c00.addingProduct(q, x0); c01 = c01.addingProduct(q, x1)
            q = SIMD16<Float>(repeating: q1[j])
            c10 = c10.addingProduct(q, x0); c11 = c11.addingProduct(q, x1)
            q = SIMD16<Float>(repeating: q2[j])
            c20 = c20.addingProduct(q, x0); c21 = c21.addingProduct(q, x1)
            q = SIMD16<Float>(repeating: q3[j])
            c30 = c30.addingProduct(q, x0); c31 = c31.addingProduct(q, x1)
            q = SIMD16<Float>(repeating: q4[j])
            c40 = c40.addingProduct(q, x0); c41 = c41.addingProduct(q, x1)
            q = SIMD16<Float>(repeating: q5[j])
            c50 = c50.addingProduct(q, x0); c51 = c51.addingProduct(q, x1)
            q = SIMD16<Float>(repeating: q6[j])
            c60 = c60.addingProduct(q, x0); c61 = c61.addingProduct(q, x1)
            q = SIMD16<Float>(repeating: q7[j])
            c70 = c70.addingProduct(q, x0); c71 = c71.addingProduct(q, x1)
            x += 64
        }
        out[0] = c00; out[1] = c01; out[2] = c10; out[3] = c11; out[4] = c20; out[5] = c21; out[6] = c30
        out[7] = c31; out[8] = c40; out[9] = c41; out[10] = c50; out[11] = c51; out[12] = c60; out[13] = c61
        out[14] = c70; out[15] = c71
    }
}
