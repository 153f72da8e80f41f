/// Scalar reference: C (M×N) = A (M×K) · B (K×N), row-major, accumulated in Double.
public func sgemmReference(m: Int, n: Int, k: Int, a: [Float], b: [Float]) -> [Float] {
    precondition(a.count >= m * k && b.count >= k * n, "GEMM operands too small")
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
            c[i * n + j] = Float(sum)
        }
    }
    return c
}
