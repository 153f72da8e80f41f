// Raw-pointer SIMD kernels over the blocked layouts (see `BlockedBuffer`). Each returns, for the 16 vectors
// of a block, one lane per vector: no horizontal reductions. Scalar references: `ScanKernels+Reference.swift`.

/// SIMD block kernels. `query` points at `dimension` floats; a block pointer at `dimension · 16` elements.
enum ScanKernels {
    /// Canonical squared L2 of the 16 vectors of one float32 block: per lane `acc = fma(q_j − x_j, q_j − x_j,
    /// acc)` for `j = 0 ..< d` in order, from 0. `Reference.canonicalL2` computes the same bits.
    @inline(__always)
    static func l2(query: UnsafePointer<Float>, block: UnsafePointer<Float>, dimension: Int) -> SIMD16<Float> {
        var acc = SIMD16<Float>()
        var x = UnsafeRawPointer(block)
        for j in 0..<dimension {
            let diff = SIMD16<Float>(repeating: query[j]) - x.loadUnaligned(as: SIMD16<Float>.self)
            acc = acc.addingProduct(diff, diff)
            x += 64
        }
        return acc
    }

    /// `l2` for four consecutive blocks at once (four independent FMA chains hide the latency).
    @inline(__always)
    static func l2x4(query: UnsafePointer<Float>, blocks: UnsafePointer<Float>, dimension: Int)
        -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)
    {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let stride = dimension &* 64
        var x = UnsafeRawPointer(blocks)
        for j in 0..<dimension {
            let q = SIMD16<Float>(repeating: query[j])
            let d0 = q - x.loadUnaligned(as: SIMD16<Float>.self)
            let d1 = q - x.loadUnaligned(fromByteOffset: stride, as: SIMD16<Float>.self)
            let d2 = q - x.loadUnaligned(fromByteOffset: 2 &* stride, as: SIMD16<Float>.self)
            let d3 = q - x.loadUnaligned(fromByteOffset: 3 &* stride, as: SIMD16<Float>.self)
            a0 = a0.addingProduct(d0, d0)
            a1 = a1.addingProduct(d1, d1)
            a2 = a2.addingProduct(d2, d2)
            a3 = a3.addingProduct(d3, d3)
            x += 64
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

    /// Widens 16 int8 to floats (`vpmovsxbd` + `vcvtdq2ps`).
    @inline(__always)
    static func widen(_ b: SIMD16<Int8>) -> SIMD16<Float> {
        var f = SIMD16<Float>()
        for l in 0..<16 { f[l] = Float(b[l]) }
        return f
    }

    /// Dot products `q · x̂` of the 16 float16 vectors in each of four consecutive blocks.
    @inline(__always)
    static func dotF16x4(query: UnsafePointer<Float>, blocks: UnsafePointer<Float16>, dimension: Int)
        -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)
    {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let stride = dimension &* 32
        var x = UnsafeRawPointer(blocks)
        for j in 0..<dimension {
            let q = SIMD16<Float>(repeating: query[j])
            a0 = a0.addingProduct(q, widen(x.loadUnaligned(as: SIMD16<Float16>.self)))
            a1 = a1.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: stride, as: SIMD16<Float16>.self)))
            a2 = a2.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 2 &* stride, as: SIMD16<Float16>.self)))
            a3 = a3.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 3 &* stride, as: SIMD16<Float16>.self)))
            x += 32
        }
        return (a0, a1, a2, a3)
    }

    /// Dot products of one float16 block.
    @inline(__always)
    static func dotF16(query: UnsafePointer<Float>, block: UnsafePointer<Float16>, dimension: Int) -> SIMD16<Float> {
        var acc = SIMD16<Float>()
        var x = UnsafeRawPointer(block)
        for j in 0..<dimension {
            acc = acc.addingProduct(SIMD16<Float>(repeating: query[j]), widen(x.loadUnaligned(as: SIMD16<Float16>.self)))
            x += 32
        }
        return acc
    }

    /// Dot products `q · n` (unscaled) of the 16 int8 vectors in each of four consecutive blocks.
    @inline(__always)
    static func dotI8x4(query: UnsafePointer<Float>, blocks: UnsafePointer<Int8>, dimension: Int)
        -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)
    {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let stride = dimension &* 16
        var x = UnsafeRawPointer(blocks)
        for j in 0..<dimension {
            let q = SIMD16<Float>(repeating: query[j])
            a0 = a0.addingProduct(q, widen(x.loadUnaligned(as: SIMD16<Int8>.self)))
            a1 = a1.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: stride, as: SIMD16<Int8>.self)))
            a2 = a2.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 2 &* stride, as: SIMD16<Int8>.self)))
            a3 = a3.addingProduct(q, widen(x.loadUnaligned(fromByteOffset: 3 &* stride, as: SIMD16<Int8>.self)))
            x += 16
        }
        return (a0, a1, a2, a3)
    }

    /// Dot products of one int8 block (unscaled).
    @inline(__always)
    static func dotI8(query: UnsafePointer<Float>, block: UnsafePointer<Int8>, dimension: Int) -> SIMD16<Float> {
        var acc = SIMD16<Float>()
        var x = UnsafeRawPointer(block)
        for j in 0..<dimension {
            acc = acc.addingProduct(SIMD16<Float>(repeating: query[j]), widen(x.loadUnaligned(as: SIMD16<Int8>.self)))
            x += 16
        }
        return acc
    }
}
