// Raw-pointer SIMD kernels over the blocked layout (see `BlockedBuffer`): a block holds 64 vectors,
// dimension-major, so component j of the whole block is one contiguous run of 64 elements and a scan reads
// memory strictly in order (one stream the hardware prefetcher follows across pages; four interleaved
// 16-vector blocks cost a quarter of the bandwidth at 10⁶ vectors). Each kernel returns one lane per vector,
// as four `SIMD16` groups: no horizontal reductions. Scalar references: `ScanKernels+Reference.swift`.

/// Four groups of 16 lanes: the 64 results of one block, group `g` holding vectors `16g ..< 16g + 16`.
typealias BlockLanes = (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)

/// SIMD block kernels. `query` points at `dimension` floats; a block pointer at `dimension · 64` elements.
enum ScanKernels {
    /// Canonical squared L2 of the 64 vectors of one float32 block: per lane `acc = fma(q_j − x_j, q_j − x_j,
    /// acc)` for `j = 0 ..< d` in order, from 0. `Reference.canonicalL2` computes the same bits.
    @inline(__always)
    static func l2(query: UnsafePointer<Float>, block: UnsafePointer<Float>, dimension: Int) -> BlockLanes {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var x = UnsafeRawPointer(block)
        for j in 0..<dimension {
            let q = SIMD16<Float>(repeating: query[j])
            let d0 = q - x.loadUnaligned(as: SIMD16<Float>.self)
            let d1 = q - x.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let d2 = q - x.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
            let d3 = q - x.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
            a0 = a0.addingProduct(d0, d0)
            a1 = a1.addingProduct(d1, d1)
            a2 = a2.addingProduct(d2, d2)
            a3 = a3.addingProduct(d3, d3)
            x += 256
        }
        return (a0, a1, a2, a3)
    }

    /// Widens 16 halves to floats; a lane loop so LLVM emits one `vcvtph2ps` (the stdlib initializer is a call).
    @inline(__always)
    static func widen(_ h: SIMD16<Float16>) -> SIMD16<Float> {
        var f = SIMD16<Float>()
        for l in 0..<16 { f[l] = Float(h[l]) }
        return f
    }

    /// Dot products `q · x̂` of the 64 float16 vectors of one block. Even and odd components go to separate
    /// accumulators (eight FMA chains), added at the end; the error bound allows any summation order.
    @inline(__always)
    static func dotF16(query: UnsafePointer<Float>, block: UnsafePointer<Float16>, dimension: Int) -> BlockLanes {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var b0 = SIMD16<Float>(), b1 = SIMD16<Float>(), b2 = SIMD16<Float>(), b3 = SIMD16<Float>()
        var x = UnsafeRawPointer(block)
        var j = 0
        while j &+ 2 <= dimension {
            var q = SIMD16<Float>(repeating: query[j])
            a0 = a0.addingProduct(q, widen(x.loadUnaligned(as: SIMD16<Float16>.self)))
            a1 = a1.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 32, as: SIMD16<Float16>.self)))
            a2 = a2.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float16>.self)))
            a3 = a3.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 96, as: SIMD16<Float16>.self)))
            q = SIMD16<Float>(repeating: query[j &+ 1])
            b0 = b0.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float16>.self)))
            b1 = b1.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 160, as: SIMD16<Float16>.self)))
            b2 = b2.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float16>.self)))
            b3 = b3.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 224, as: SIMD16<Float16>.self)))
            x += 256
            j &+= 2
        }
        if j < dimension {
            let q = SIMD16<Float>(repeating: query[j])
            a0 = a0.addingProduct(q, widen(x.loadUnaligned(as: SIMD16<Float16>.self)))
            a1 = a1.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 32, as: SIMD16<Float16>.self)))
            a2 = a2.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float16>.self)))
            a3 = a3.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 96, as: SIMD16<Float16>.self)))
        }
        return (a0 + b0, a1 + b1, a2 + b2, a3 + b3)
    }
}
