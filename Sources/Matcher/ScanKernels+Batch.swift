// GEMM-style microkernel of the batch path: 6 queries × one 64-vector float32 block of dot products kept in
// 24 AVX-512 registers. The block layout is already a packed GEMM panel (component j of 64 vectors is one
// contiguous row), so each step loads four rows of the panel and broadcasts six query components: 24 FMAs
// per 4 loads + 6 broadcasts, near the FMA peak while the gallery tile sits in L2.

extension ScanKernels {
    /// Queries per batch microkernel call.
    static let batchRows = 6

    /// Dot products of 6 queries (row-major, `dimension` floats apart) with the 64 vectors of one block;
    /// writes 24 results to `out` as `out[4r + g]` (query r, lane group g).
    @inline(__always)
    static func dot6x64(
        queries: UnsafePointer<Float>, block: UnsafePointer<Float>, dimension d: Int,
        out: UnsafeMutablePointer<SIMD16<Float>>
    ) {
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c02 = SIMD16<Float>(), c03 = SIMD16<Float>()
        var c10 = SIMD16<Float>(), c11 = SIMD16<Float>(), c12 = SIMD16<Float>(), c13 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c22 = SIMD16<Float>(), c23 = SIMD16<Float>()
        var c30 = SIMD16<Float>(), c31 = SIMD16<Float>(), c32 = SIMD16<Float>(), c33 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c42 = SIMD16<Float>(), c43 = SIMD16<Float>()
        var c50 = SIMD16<Float>(), c51 = SIMD16<Float>(), c52 = SIMD16<Float>(), c53 = SIMD16<Float>()
        let q0 = queries, q1 = q0 + d, q2 = q1 + d, q3 = q2 + d, q4 = q3 + d, q5 = q4 + d
        var x = UnsafeRawPointer(block)
        for j in 0..<d {
            let x0 = x.loadUnaligned(as: SIMD16<Float>.self)
            let x1 = x.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let x2 = x.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
            let x3 = x.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
            var q = SIMD16<Float>(repeating: q0[j])
            c00 = c00.addingProduct(q, x0); c01 = c01.addingProduct(q, x1)
            c02 = c02.addingProduct(q, x2); c03 = c03.addingProduct(q, x3)
            q = SIMD16<Float>(repeating: q1[j])
            c10 = c10.addingProduct(q, x0); c11 = c11.addingProduct(q, x1)
            c12 = c12.addingProduct(q, x2); c13 = c13.addingProduct(q, x3)
            q = SIMD16<Float>(repeating: q2[j])
            c20 = c20.addingProduct(q, x0); c21 = c21.addingProduct(q, x1)
            c22 = c22.addingProduct(q, x2); c23 = c23.addingProduct(q, x3)
            q = SIMD16<Float>(repeating: q3[j])
            c30 = c30.addingProduct(q, x0); c31 = c31.addingProduct(q, x1)
            c32 = c32.addingProduct(q, x2); c33 = c33.addingProduct(q, x3)
            q = SIMD16<Float>(repeating: q4[j])
            c40 = c40.addingProduct(q, x0); c41 = c41.addingProduct(q, x1)
            c42 = c42.addingProduct(q, x2); c43 = c43.addingProduct(q, x3)
            q = SIMD16<Float>(repeating: q5[j])
            c50 = c50.addingProduct(q, x0); c51 = c51.addingProduct(q, x1)
            c52 = c52.addingProduct(q, x2); c53 = c53.addingProduct(q, x3)
            x += 256
        }
        out[0] = c00; out[1] = c01; out[2] = c02; out[3] = c03
        out[4] = c10; out[5] = c11; out[6] = c12; out[7] = c13
        out[8] = c20; out[9] = c21; out[10] = c22; out[11] = c23
        out[12] = c30; out[13] = c31; out[14] = c32; out[15] = c33
        out[16] = c40; out[17] = c41; out[18] = c42; out[19] = c43
        out[20] = c50; out[21] = c51; out[22] = c52; out[23] = c53
    }
}
