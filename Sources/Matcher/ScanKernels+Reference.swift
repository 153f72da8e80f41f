/// Scalar references of the scan kernels: plain loops over row-major vectors, used by the re-rank (the
/// canonical distance) and by the tests.
enum Reference {
    /// The canonical squared L2 distance: `acc = fma(q_j − x_j, q_j − x_j, acc)` for `j` in order from 0.
    /// Bit-identical to each lane of `ScanKernels.l2`.
    /// Component `j` of `x` is at `x[j · stride]`.
    @inline(__always)
    static func canonicalL2(
        _ query: UnsafePointer<Float>, _ x: UnsafePointer<Float>, dimension: Int, stride: Int = 1
    ) -> Float {
        var acc: Float = 0
        for j in 0..<dimension {
            let diff = query[j] - x[j &* stride]
            acc = acc.addingProduct(diff, diff)
        }
        return acc
    }

    /// Canonical distances of four vectors at once (four independent chains, same bits as `canonicalL2`).
    /// Component `j` of vector `i` is at `xi[j · stride]` (1 for row-major, 16 inside a block).
    @inline(__always)
    static func canonicalL2x4(
        _ query: UnsafePointer<Float>, _ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>,
        _ x2: UnsafePointer<Float>, _ x3: UnsafePointer<Float>, dimension: Int, stride: Int
    ) -> SIMD4<Float> {
        var acc = SIMD4<Float>()
        for j in 0..<dimension {
            let q = query[j], o = j &* stride
            let diff = SIMD4<Float>(q - x0[o], q - x1[o], q - x2[o], q - x3[o])
            acc = acc.addingProduct(diff, diff)
        }
        return acc
    }

    /// Dot product in float32, sequential.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int) -> Float {
        var acc: Float = 0
        for j in 0..<dimension { acc = acc.addingProduct(a[j], b[j]) }
        return acc
    }
}
