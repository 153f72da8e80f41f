// Register-blocked SGEMM microkernels, one per target shape (see KernelTarget for the choice).
// A is a micro-panel of MR rows, each `kc` floats, `lda` apart (rows of im2col); B is a packed panel of
// `kc` rows of NR floats, 16-byte aligned; C is row-major with leading dimension `ldc`.

enum Microkernel {
    /// Runs the microkernel selected for this build's target: MR × NR = 8×32, 6×16 or 4×16.
    @inline(__always)
    static func run(
        _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, accumulate: Bool
    ) {
        if KernelTarget.vectorBits == 512 {
            kernel8x32(kc, a, lda, b, c, ldc, accumulate)
        } else if KernelTarget.vectorBits == 256 {
            kernel6x16(kc, a, lda, b, c, ldc, accumulate)
        } else {
            kernel4x16(kc, a, lda, b, c, ldc, accumulate)
        }
    }

    /// C[8×32] (+)= A[8×kc] · B[kc×32] for AVX-512: 16 SIMD16 accumulators.
    @inline(__always)
    static func kernel8x32(
        _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
    ) {
        let a0 = a
        let a1 = a + 1 &* lda
        let a2 = a + 2 &* lda
        let a3 = a + 3 &* lda
        let a4 = a + 4 &* lda
        let a5 = a + 5 &* lda
        let a6 = a + 6 &* lda
        let a7 = a + 7 &* lda
        var c00 = SIMD16<Float>()
        var c01 = SIMD16<Float>()
        var c10 = SIMD16<Float>()
        var c11 = SIMD16<Float>()
        var c20 = SIMD16<Float>()
        var c21 = SIMD16<Float>()
        var c30 = SIMD16<Float>()
        var c31 = SIMD16<Float>()
        var c40 = SIMD16<Float>()
        var c41 = SIMD16<Float>()
        var c50 = SIMD16<Float>()
        var c51 = SIMD16<Float>()
        var c60 = SIMD16<Float>()
        var c61 = SIMD16<Float>()
        var c70 = SIMD16<Float>()
        var c71 = SIMD16<Float>()
        let braw = UnsafeRawPointer(b)
        var p = 0
        while p < kc {
            let b0 = braw.load(fromByteOffset: (p &* 32 &+ 0) &* 4, as: SIMD16<Float>.self)
            let b1 = braw.load(fromByteOffset: (p &* 32 &+ 16) &* 4, as: SIMD16<Float>.self)
            let s0 = a0[p]
            c00 = multiplyAdd(c00, s0, b0)
            c01 = multiplyAdd(c01, s0, b1)
            let s1 = a1[p]
            c10 = multiplyAdd(c10, s1, b0)
            c11 = multiplyAdd(c11, s1, b1)
            let s2 = a2[p]
            c20 = multiplyAdd(c20, s2, b0)
            c21 = multiplyAdd(c21, s2, b1)
            let s3 = a3[p]
            c30 = multiplyAdd(c30, s3, b0)
            c31 = multiplyAdd(c31, s3, b1)
            let s4 = a4[p]
            c40 = multiplyAdd(c40, s4, b0)
            c41 = multiplyAdd(c41, s4, b1)
            let s5 = a5[p]
            c50 = multiplyAdd(c50, s5, b0)
            c51 = multiplyAdd(c51, s5, b1)
            let s6 = a6[p]
            c60 = multiplyAdd(c60, s6, b0)
            c61 = multiplyAdd(c61, s6, b1)
            let s7 = a7[p]
            c70 = multiplyAdd(c70, s7, b0)
            c71 = multiplyAdd(c71, s7, b1)
            p &+= 1
        }
        let c0 = UnsafeMutableRawPointer(c + 0 &* ldc)
        if accumulate { c00 += c0.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c0.storeBytes(of: c00, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c01 += c0.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        c0.storeBytes(of: c01, toByteOffset: 64, as: SIMD16<Float>.self)
        let c1 = UnsafeMutableRawPointer(c + 1 &* ldc)
        if accumulate { c10 += c1.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c1.storeBytes(of: c10, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c11 += c1.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        c1.storeBytes(of: c11, toByteOffset: 64, as: SIMD16<Float>.self)
        let c2 = UnsafeMutableRawPointer(c + 2 &* ldc)
        if accumulate { c20 += c2.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c2.storeBytes(of: c20, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c21 += c2.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        c2.storeBytes(of: c21, toByteOffset: 64, as: SIMD16<Float>.self)
        let c3 = UnsafeMutableRawPointer(c + 3 &* ldc)
        if accumulate { c30 += c3.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c3.storeBytes(of: c30, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c31 += c3.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        c3.storeBytes(of: c31, toByteOffset: 64, as: SIMD16<Float>.self)
        let c4 = UnsafeMutableRawPointer(c + 4 &* ldc)
        if accumulate { c40 += c4.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c4.storeBytes(of: c40, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c41 += c4.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        c4.storeBytes(of: c41, toByteOffset: 64, as: SIMD16<Float>.self)
        let c5 = UnsafeMutableRawPointer(c + 5 &* ldc)
        if accumulate { c50 += c5.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c5.storeBytes(of: c50, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c51 += c5.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        c5.storeBytes(of: c51, toByteOffset: 64, as: SIMD16<Float>.self)
        let c6 = UnsafeMutableRawPointer(c + 6 &* ldc)
        if accumulate { c60 += c6.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c6.storeBytes(of: c60, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c61 += c6.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        c6.storeBytes(of: c61, toByteOffset: 64, as: SIMD16<Float>.self)
        let c7 = UnsafeMutableRawPointer(c + 7 &* ldc)
        if accumulate { c70 += c7.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c7.storeBytes(of: c70, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c71 += c7.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        c7.storeBytes(of: c71, toByteOffset: 64, as: SIMD16<Float>.self)
    }

    /// C[6×16] (+)= A[6×kc] · B[kc×16] for AVX2 (each SIMD16 is two ymm): 6 SIMD16 accumulators.
    @inline(__always)
    static func kernel6x16(
        _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
    ) {
        let a0 = a
        let a1 = a + 1 &* lda
        let a2 = a + 2 &* lda
        let a3 = a + 3 &* lda
        let a4 = a + 4 &* lda
        let a5 = a + 5 &* lda
        var c00 = SIMD16<Float>()
        var c10 = SIMD16<Float>()
        var c20 = SIMD16<Float>()
        var c30 = SIMD16<Float>()
        var c40 = SIMD16<Float>()
        var c50 = SIMD16<Float>()
        let braw = UnsafeRawPointer(b)
        var p = 0
        while p < kc {
            let b0 = braw.load(fromByteOffset: (p &* 16 &+ 0) &* 4, as: SIMD16<Float>.self)
            let s0 = a0[p]
            c00 = multiplyAdd(c00, s0, b0)
            let s1 = a1[p]
            c10 = multiplyAdd(c10, s1, b0)
            let s2 = a2[p]
            c20 = multiplyAdd(c20, s2, b0)
            let s3 = a3[p]
            c30 = multiplyAdd(c30, s3, b0)
            let s4 = a4[p]
            c40 = multiplyAdd(c40, s4, b0)
            let s5 = a5[p]
            c50 = multiplyAdd(c50, s5, b0)
            p &+= 1
        }
        let c0 = UnsafeMutableRawPointer(c + 0 &* ldc)
        if accumulate { c00 += c0.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c0.storeBytes(of: c00, toByteOffset: 0, as: SIMD16<Float>.self)
        let c1 = UnsafeMutableRawPointer(c + 1 &* ldc)
        if accumulate { c10 += c1.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c1.storeBytes(of: c10, toByteOffset: 0, as: SIMD16<Float>.self)
        let c2 = UnsafeMutableRawPointer(c + 2 &* ldc)
        if accumulate { c20 += c2.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c2.storeBytes(of: c20, toByteOffset: 0, as: SIMD16<Float>.self)
        let c3 = UnsafeMutableRawPointer(c + 3 &* ldc)
        if accumulate { c30 += c3.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c3.storeBytes(of: c30, toByteOffset: 0, as: SIMD16<Float>.self)
        let c4 = UnsafeMutableRawPointer(c + 4 &* ldc)
        if accumulate { c40 += c4.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c4.storeBytes(of: c40, toByteOffset: 0, as: SIMD16<Float>.self)
        let c5 = UnsafeMutableRawPointer(c + 5 &* ldc)
        if accumulate { c50 += c5.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c5.storeBytes(of: c50, toByteOffset: 0, as: SIMD16<Float>.self)
    }

    /// C[4×16] (+)= A[4×kc] · B[kc×16] for SSE2 baseline and NEON: 4 SIMD16 accumulators.
    @inline(__always)
    static func kernel4x16(
        _ kc: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
    ) {
        let a0 = a
        let a1 = a + 1 &* lda
        let a2 = a + 2 &* lda
        let a3 = a + 3 &* lda
        var c00 = SIMD16<Float>()
        var c10 = SIMD16<Float>()
        var c20 = SIMD16<Float>()
        var c30 = SIMD16<Float>()
        let braw = UnsafeRawPointer(b)
        var p = 0
        while p < kc {
            let b0 = braw.load(fromByteOffset: (p &* 16 &+ 0) &* 4, as: SIMD16<Float>.self)
            let s0 = a0[p]
            c00 = multiplyAdd(c00, s0, b0)
            let s1 = a1[p]
            c10 = multiplyAdd(c10, s1, b0)
            let s2 = a2[p]
            c20 = multiplyAdd(c20, s2, b0)
            let s3 = a3[p]
            c30 = multiplyAdd(c30, s3, b0)
            p &+= 1
        }
        let c0 = UnsafeMutableRawPointer(c + 0 &* ldc)
        if accumulate { c00 += c0.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c0.storeBytes(of: c00, toByteOffset: 0, as: SIMD16<Float>.self)
        let c1 = UnsafeMutableRawPointer(c + 1 &* ldc)
        if accumulate { c10 += c1.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c1.storeBytes(of: c10, toByteOffset: 0, as: SIMD16<Float>.self)
        let c2 = UnsafeMutableRawPointer(c + 2 &* ldc)
        if accumulate { c20 += c2.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c2.storeBytes(of: c20, toByteOffset: 0, as: SIMD16<Float>.self)
        let c3 = UnsafeMutableRawPointer(c + 3 &* ldc)
        if accumulate { c30 += c3.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        c3.storeBytes(of: c30, toByteOffset: 0, as: SIMD16<Float>.self)
    }
}
