import NeuralKernels
import Testing

@Suite struct SGEMMTests {
    @Test func matchesReferenceOnEdgeShapes() {
        let workspace = Workspace()
        var rng = SeededGenerator(seed: 1)
        // Tails in every dimension, K across the K-block boundary, single rows and columns.
        let shapes = [(1, 1, 1), (1, 33, 7), (9, 1, 5), (8, 32, 320), (7, 31, 321), (13, 47, 643), (6, 16, 16),
                      (17, 65, 3), (25, 100, 1)]
        for (m, n, k) in shapes {
            let a = randomFloats(m * k, &rng)
            let b = randomFloats(k * n, &rng)
            var c: [Float] = []
            SGEMM.multiply(m: m, n: n, k: k, a: a, b: b, into: &c, workspace: workspace)
            expectClose(c, sgemmReference(m: m, n: n, k: k, a: a, b: b), k: k, "sgemm m=\(m) n=\(n) k=\(k)")
        }
    }

    @Test func matchesReferenceOnRandomShapes() {
        let workspace = Workspace()
        var rng = SeededGenerator(seed: 2)
        for _ in 0..<12 {
            let m = Int.random(in: 1...40, using: &rng)
            let n = Int.random(in: 1...80, using: &rng)
            let k = Int.random(in: 1...700, using: &rng)
            let a = randomFloats(m * k, &rng)
            let b = randomFloats(k * n, &rng)
            var c = [Float](repeating: .nan, count: m * n)
            SGEMM.multiply(m: m, n: n, k: k, a: a, b: b, into: &c, workspace: workspace)
            expectClose(c, sgemmReference(m: m, n: n, k: k, a: a, b: b), k: k, "sgemm m=\(m) n=\(n) k=\(k)")
        }
    }

    @Test func respectsLeadingDimensions() {
        var rng = SeededGenerator(seed: 3)
        let (m, n, k, lda, ldb, ldc) = (5, 19, 23, 30, 21, 40)
        let a = randomFloats(m * lda, &rng)
        let b = randomFloats(k * ldb, &rng)
        var c = [Float](repeating: 42, count: m * ldc)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    SGEMM.multiply(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                   c: cp.baseAddress!, ldc: ldc, workspace: Workspace())
                }
            }
        }
        let denseA = (0..<m * k).map { a[($0 / k) * lda + $0 % k] }
        let denseB = (0..<k * n).map { b[($0 / n) * ldb + $0 % n] }
        let expected = sgemmReference(m: m, n: n, k: k, a: denseA, b: denseB)
        expectClose((0..<m * n).map { c[($0 / n) * ldc + $0 % n] }, expected, k: k, "strided sgemm")
        #expect(c[n] == 42 && c[ldc - 1] == 42, "columns past N must stay untouched")
    }
}
