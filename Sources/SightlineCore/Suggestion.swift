/// "Did you mean …?" for misspelt keys and values, by edit distance.
public enum Suggestion {
    /// The candidate closest to `word`, or nil when none is plausibly what was meant.
    ///
    /// Case and `-` versus `_` are forgiven first (`Process-FPS` → `process_fps`); then the
    /// candidate at the smallest Levenshtein distance wins if that distance is at most a third of
    /// the word (at least 1, at most 3); then a candidate containing the word, or contained in it.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let normalized = String(word.lowercased().map { $0 == "-" ? "_" : $0 })
        if let exact = candidates.first(where: { $0.lowercased() == normalized }) {
            return exact
        }
        let limit = min(3, max(1, normalized.count / 3))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(normalized, candidate.lowercased())
            if distance <= limit, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        if let best {
            return best.candidate
        }
        guard normalized.count >= 3 else { return nil }
        return candidates.first { $0.contains(normalized) || ($0.count >= 3 && normalized.contains($0)) }
    }

    /// Levenshtein distance over Unicode scalars (insert, delete, substitute each cost 1).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
