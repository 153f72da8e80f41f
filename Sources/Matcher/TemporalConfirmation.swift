/// k-of-n confirmation for tracked faces: a track is reported as a subject only once that subject was the
/// decision in at least `required` of its last `window` frames.
///
/// Keeps per track only the last `window` decisions (subject ids or nil), never a descriptor. Defaults:
/// 3 of the last 5 frames. Not thread-safe; one per camera pipeline.
public struct TemporalConfirmation: Sendable {
    /// Matches needed within the window.
    public let required: Int
    /// Frames remembered per track.
    public let window: Int
    private var history: [UInt64: [String?]] = [:]
    private var confirmed: [UInt64: String] = [:]

    public init(required: Int = 3, window: Int = 5) {
        precondition(required >= 1 && window >= required, "need 1 ≤ required ≤ window")
        self.required = required
        self.window = window
    }

    /// Records this frame's decision for `track`; returns the subject when the track becomes confirmed for it
    /// on this frame (once per subject, until the track is forgotten or confirms another subject).
    public mutating func observe(track: UInt64, subject: String?) -> String? {
        var recent = history[track, default: []]
        recent.append(subject)
        if recent.count > window { recent.removeFirst(recent.count - window) }
        history[track] = recent
        guard let subject, recent.lazy.filter({ $0 == subject }).count >= required,
              confirmed[track] != subject
        else { return nil }
        confirmed[track] = subject
        return subject
    }

    /// The subject a track is confirmed as, if any.
    public func confirmedSubject(of track: UInt64) -> String? { confirmed[track] }

    /// Forgets a track that ended.
    public mutating func forget(track: UInt64) {
        history[track] = nil
        confirmed[track] = nil
    }

    /// Tracks currently remembered.
    public var trackCount: Int { history.count }
}
