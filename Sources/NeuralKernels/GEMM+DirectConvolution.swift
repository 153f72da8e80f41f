// Convolution without im2col packing, for micro-panels of output pixels whose windows lie wholly inside the
// image: each pixel's im2col row is then `kernelHeight` runs of `kernelWidth·channels` contiguous floats of the
// HWC input, one image row apart, and the microkernel reads them in place. Packing costs as much as the
// multiply-adds when a packed panel meets only one or two 32-column weight panels (the face ResNet's 3-channel
// stem and its 32- and 64-channel layers). AVX-512 (8×32) builds only; other targets always pack.

/// Where eight output pixels' im2col rows start in the input (`row[r] + s·segmentStride` is run `s` of row r).
struct DirectRows {
    var r0, r1, r2, r3, r4, r5, r6, r7: UnsafePointer<Float>
    /// Floats per run: kernel width × input channels.
    var segmentLength: Int
    /// Floats between runs: input width × input channels (one image row).
    var segmentStride: Int
}

extension Packing {
    /// The eight rows `m0..<m0+8` of a convolution's A as `DirectRows` when every one of those pixels has its
    /// whole window inside the image (no padding taps), the build has the 8×32 kernel and N fills whole panels.
    @inline(__always)
    static func directRows(_ source: GEMMSource, m0: Int, rows: Int, n: Int) -> DirectRows? {
        guard KernelTarget.vectorBits == 512, rows == 8, n % KernelTarget.nr == 0,
              case .convolution(let input, let g) = source else { return nil }
        let outPixels = g.outHeight * g.outWidth
        let imageFloats = g.inHeight * g.inWidth * g.inChannels
        func start(_ r: Int) -> UnsafePointer<Float>? {
            var pixel = m0 + r
            let image = pixel / outPixels
            pixel -= image * outPixels
            let oy = pixel / g.outWidth
            let ox = pixel - oy * g.outWidth
            let iy = oy * g.strideY - g.paddingY
            let ix = ox * g.strideX - g.paddingX
            guard iy >= 0, ix >= 0, iy + g.kernelHeight <= g.inHeight, ix + g.kernelWidth <= g.inWidth else {
                return nil
            }
            return input + image * imageFloats + (iy * g.inWidth + ix) * g.inChannels
        }
        guard let r0 = start(0), let r7 = start(7), let r1 = start(1), let r2 = start(2), let r3 = start(3),
              let r4 = start(4), let r5 = start(5), let r6 = start(6) else { return nil }
        return DirectRows(r0: r0, r1: r1, r2: r2, r3: r3, r4: r4, r5: r5, r6: r6, r7: r7,
                          segmentLength: g.kernelWidth * g.inChannels, segmentStride: g.inWidth * g.inChannels)
    }
}

extension Microkernel {
    /// C[8×32] (+)= A[8×kc] · B[kc×32] with A's entries `p0..<p0+kc` read in place through `rows`.
    @inline(__always)
    static func kernel8x32Direct(
        _ rows: DirectRows, p0: Int, kc: Int, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
        _ ldc: Int, accumulate: Bool
    ) {
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
        var segment = p0 / rows.segmentLength
        var offset = p0 &- segment &* rows.segmentLength
        var p = 0
        while p < kc {
            let n = min(rows.segmentLength &- offset, kc &- p)
            let base = segment &* rows.segmentStride &+ offset
            let a0 = rows.r0 + base
            let a1 = rows.r1 + base
            let a2 = rows.r2 + base
            let a3 = rows.r3 + base
            let a4 = rows.r4 + base
            let a5 = rows.r5 + base
            let a6 = rows.r6 + base
            let a7 = rows.r7 + base
            let braw = UnsafeRawPointer(b + p &* 32)
            var q = 0
            while q < n {
                let b0 = braw.load(fromByteOffset: (q &* 32 &+ 0) &* 4, as: SIMD16<Float>.self)
                let b1 = braw.load(fromByteOffset: (q &* 32 &+ 16) &* 4, as: SIMD16<Float>.self)
                let s0 = a0[q]
                c00 = multiplyAdd(c00, s0, b0)
                c01 = multiplyAdd(c01, s0, b1)
                let s1 = a1[q]
                c10 = multiplyAdd(c10, s1, b0)
                c11 = multiplyAdd(c11, s1, b1)
                let s2 = a2[q]
                c20 = multiplyAdd(c20, s2, b0)
                c21 = multiplyAdd(c21, s2, b1)
                let s3 = a3[q]
                c30 = multiplyAdd(c30, s3, b0)
                c31 = multiplyAdd(c31, s3, b1)
                let s4 = a4[q]
                c40 = multiplyAdd(c40, s4, b0)
                c41 = multiplyAdd(c41, s4, b1)
                let s5 = a5[q]
                c50 = multiplyAdd(c50, s5, b0)
                c51 = multiplyAdd(c51, s5, b1)
                let s6 = a6[q]
                c60 = multiplyAdd(c60, s6, b0)
                c61 = multiplyAdd(c61, s6, b1)
                let s7 = a7[q]
                c70 = multiplyAdd(c70, s7, b0)
                c71 = multiplyAdd(c71, s7, b1)
                q &+= 1
            }
            p &+= n
            segment &+= 1
            offset = 0
        }
        let row0 = UnsafeMutableRawPointer(c + 0 &* ldc)
        if accumulate { c00 += row0.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        row0.storeBytes(of: c00, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c01 += row0.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        row0.storeBytes(of: c01, toByteOffset: 64, as: SIMD16<Float>.self)
        let row1 = UnsafeMutableRawPointer(c + 1 &* ldc)
        if accumulate { c10 += row1.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        row1.storeBytes(of: c10, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c11 += row1.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        row1.storeBytes(of: c11, toByteOffset: 64, as: SIMD16<Float>.self)
        let row2 = UnsafeMutableRawPointer(c + 2 &* ldc)
        if accumulate { c20 += row2.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        row2.storeBytes(of: c20, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c21 += row2.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        row2.storeBytes(of: c21, toByteOffset: 64, as: SIMD16<Float>.self)
        let row3 = UnsafeMutableRawPointer(c + 3 &* ldc)
        if accumulate { c30 += row3.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        row3.storeBytes(of: c30, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c31 += row3.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        row3.storeBytes(of: c31, toByteOffset: 64, as: SIMD16<Float>.self)
        let row4 = UnsafeMutableRawPointer(c + 4 &* ldc)
        if accumulate { c40 += row4.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        row4.storeBytes(of: c40, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c41 += row4.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        row4.storeBytes(of: c41, toByteOffset: 64, as: SIMD16<Float>.self)
        let row5 = UnsafeMutableRawPointer(c + 5 &* ldc)
        if accumulate { c50 += row5.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        row5.storeBytes(of: c50, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c51 += row5.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        row5.storeBytes(of: c51, toByteOffset: 64, as: SIMD16<Float>.self)
        let row6 = UnsafeMutableRawPointer(c + 6 &* ldc)
        if accumulate { c60 += row6.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        row6.storeBytes(of: c60, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c61 += row6.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        row6.storeBytes(of: c61, toByteOffset: 64, as: SIMD16<Float>.self)
        let row7 = UnsafeMutableRawPointer(c + 7 &* ldc)
        if accumulate { c70 += row7.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self) }
        row7.storeBytes(of: c70, toByteOffset: 0, as: SIMD16<Float>.self)
        if accumulate { c71 += row7.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) }
        row7.storeBytes(of: c71, toByteOffset: 64, as: SIMD16<Float>.self)
    }
}
