/// File-name order in which digit runs compare as numbers: `frame2` < `frame10` < `frame010a`.
///
/// Digit runs compare by value (leading zeros ignored), ties broken by the shorter run (fewer
/// leading zeros first); everything else compares byte-wise in UTF-8. Total and deterministic,
/// so the same directory always plays in the same order.
enum NaturalOrder {
    static func areInIncreasingOrder(_ a: String, _ b: String) -> Bool {
        compare(Array(a.utf8), Array(b.utf8)) < 0
    }

    /// Negative, zero or positive as `a` sorts before, with or after `b`.
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if isDigit(a[i]) && isDigit(b[j]) {
                let ra = digitRun(a, from: i), rb = digitRun(b, from: j)
                let c = compareNumbers(a[ra.significant..<ra.end], b[rb.significant..<rb.end])
                if c != 0 { return c }
                let la = ra.end - i, lb = rb.end - j
                if la != lb { return la < lb ? -1 : 1 }
                i = ra.end
                j = rb.end
            } else {
                if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
                i += 1
                j += 1
            }
        }
        return (a.count - i) - (b.count - j) == 0 ? 0 : (a.count - i < b.count - j ? -1 : 1)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// End of the digit run starting at `from`, and where its significant digits start.
    private static func digitRun(_ s: [UInt8], from: Int) -> (significant: Int, end: Int) {
        var end = from
        while end < s.count && isDigit(s[end]) { end += 1 }
        var significant = from
        while significant < end - 1 && s[significant] == 0x30 { significant += 1 }
        return (significant, end)
    }

    /// Compares two digit strings without leading zeros by numeric value (any length).
    private static func compareNumbers(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return 0
    }
}
