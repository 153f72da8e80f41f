@testable import Matcher

/// Seeded test data (SplitMix64), independent of the code under test.
struct SeededGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(Double(next() >> 11) / 4_503_599_627_370_496 - 1) }

    mutating func vectors(_ count: Int, _ dimension: Int, scale: Float = 1) -> [[Float]] {
        (0..<count).map { _ in (0..<dimension).map { _ in uniform() * scale } }
    }
}

/// The plain scalar reference: distances in Double, sorted by (distance, id).
func referenceSearch(_ vectors: [UInt64: [Float]], _ query: [Float], k: Int, metric: DistanceMetric) -> [(UInt64, Double)] {
    func normalised(_ v: [Float]) -> [Double] {
        let d = v.map(Double.init)
        guard metric == .cosine else { return d }
        let n = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return d.map { $0 / n }
    }
    let q = normalised(query)
    let all = vectors.map { id, v -> (UInt64, Double) in
        let x = normalised(v)
        var s = 0.0
        for j in 0..<q.count { s += (q[j] - x[j]) * (q[j] - x[j]) }
        return (id, metric == .cosine ? s / 2 : s)
    }
    return Array(all.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(k))
}

/// The canonical scalar scan (`Reference.canonicalL2` over every vector), which the SIMD paths must equal bit
/// for bit.
func canonicalSearch(_ vectors: [UInt64: [Float]], _ query: [Float], k: Int, metric: DistanceMetric) -> [Neighbor] {
    func normalised(_ v: [Float]) -> [Float] {
        guard metric == .cosine else { return v }
        var s: Double = 0
        for x in v { s += Double(x) * Double(x) }
        let inverse = 1 / s.squareRoot()
        return v.map { Float(Double($0) * inverse) }
    }
    let q = normalised(query)
    let all = vectors.map { id, v -> Neighbor in
        let x = normalised(v)
        let d = q.withUnsafeBufferPointer { qp in
            x.withUnsafeBufferPointer { Reference.canonicalL2(qp.baseAddress!, $0.baseAddress!, dimension: q.count) }
        }
        return Neighbor(id: id, distance: metric == .cosine ? d / 2 : d)
    }
    return Array(all.sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }.prefix(k))
}
