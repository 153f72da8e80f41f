import Synchronization

/// Token buckets per key (an address, a device): `rate` requests per second with bursts of `burst`.
/// The table is bounded: when it holds `maxKeys`, buckets that refilled completely are dropped, and if
/// none did, the table is cleared (a flood of fresh keys is what the address limit exists for).
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var lastNanos: UInt64
    }

    let rate: Double
    let burst: Double
    let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(rate: Double, burst: Double, maxKeys: Int = 100_000) {
        self.rate = rate
        self.burst = max(1, burst)
        self.maxKeys = maxKeys
    }

    /// Takes one token for `key`: nil when allowed, else the seconds until one is available (`Retry-After`).
    func take(_ key: String, nowNanos: UInt64) -> Int? {
        guard rate > 0, rate.isFinite else { return nil }
        return buckets.withLock { table in
            var b = table[key] ?? Bucket(tokens: burst, lastNanos: nowNanos)
            let elapsed = Double(nowNanos &- b.lastNanos) / 1e9
            if nowNanos > b.lastNanos { b.tokens = min(burst, b.tokens + elapsed * rate) }
            b.lastNanos = max(b.lastNanos, nowNanos)
            if table[key] == nil && table.count >= maxKeys {
                table = table.filter { $0.value.tokens + Double(nowNanos &- $0.value.lastNanos) / 1e9 * rate < burst }
                if table.count >= maxKeys { table.removeAll(keepingCapacity: true) }
            }
            guard b.tokens >= 1 else {
                table[key] = b
                return max(1, Int(((1 - b.tokens) / rate).rounded(.up)))
            }
            b.tokens -= 1
            table[key] = b
            return nil
        }
    }
}
