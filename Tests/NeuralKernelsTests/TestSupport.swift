import NeuralKernels
import Testing

/// SplitMix64: a seeded generator so every failing shape can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomFloats(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in Float.random(in: -1...1, using: &rng) }
}

func randomTensor(_ shape: TensorShape, _ rng: inout SeededGenerator) -> Tensor {
    Tensor(shape: shape, storage: randomFloats(shape.count, &rng))
}

/// Largest absolute difference allowed for a sum of `k` products: 1e-5·√K relative to the result's magnitude.
func tolerance(k: Int, reference: [Float]) -> Float {
    let magnitude = reference.reduce(Float(1)) { max($0, abs($1)) }
    return 1e-5 * Float(max(1, k)).squareRoot() * magnitude
}

/// Expects equal counts and element-wise closeness, naming `context` (the shape) and the first bad index.
func expectClose(
    _ actual: [Float], _ expected: [Float], k: Int, _ context: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "count \(actual.count) vs \(expected.count) for \(context)",
            sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    let tol = tolerance(k: k, reference: expected)
    var worst: Float = 0
    var worstIndex = -1
    for i in 0..<actual.count {
        let d = abs(actual[i] - expected[i])
        if !(d <= worst) { worst = d; worstIndex = i }
    }
    #expect(worst <= tol, "max |diff| \(worst) > \(tol) at \(worstIndex) for \(context)", sourceLocation: sourceLocation)
}
