/// Exponential backoff with "equal jitter": the n-th consecutive failure waits a uniformly random
/// time in [d/2, d], d = min(max, initial × 2^(n-1)); a collector's Retry-After overrides it.
public struct Backoff: Sendable {
    public let initial: Double
    public let maximum: Double
    public private(set) var failures = 0

    public init(initial: Double, maximum: Double) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Records a failure and returns the delay before the next attempt, seconds.
    public mutating func next<G: RandomNumberGenerator>(retryAfter: Double? = nil, using rng: inout G) -> Double {
        failures += 1
        if let retryAfter, retryAfter >= 0 { return min(retryAfter, maximum * 10) }
        let d = min(maximum, initial * Double(1 << min(failures - 1, 30)))
        return Double.random(in: (d / 2)...d, using: &rng)
    }

    public mutating func next(retryAfter: Double? = nil) -> Double {
        var g = SystemRandomNumberGenerator()
        return next(retryAfter: retryAfter, using: &g)
    }

    /// Records a success.
    public mutating func reset() { failures = 0 }
}
