import Testing
@testable import Traffic

/// The signal debouncer: lock after N agreeing frames, hysteresis, unknown on conflicting or missing evidence.
@Suite struct SignalDebouncerTests {
    /// Feeds observations one per frame at 10 fps; returns the changes with their frame of arrival.
    func run(_ observations: [SignalObservation], lock: Int = 3, dark: Double = 1.0)
        -> [(at: Int, change: SignalDebouncer.Change)]
    {
        var debouncer = SignalDebouncer(lockFrames: lock, darkSeconds: dark)
        var changes: [(Int, SignalDebouncer.Change)] = []
        for (i, o) in observations.enumerated() {
            if let c = debouncer.observe(o, frame: i, pts: Double(i) / 10) { changes.append((i, c)) }
        }
        return changes
    }

    @Test func locksAfterNAgreeingFramesAndBackdatesTheOnset() {
        let changes = run([.lit(.green), .lit(.green), .lit(.green), .lit(.green)])
        #expect(changes.count == 1)
        #expect(changes.first?.at == 2)
        #expect(changes.first?.change == .init(state: .green, previous: .unknown, onsetFrame: 0, onsetPTS: 0))
    }

    @Test func shortDisagreementsDoNotChangeTheLockedState() {
        let observations: [SignalObservation] = Array(repeating: .lit(.red), count: 5)
            + [.lit(.green), .lit(.green), .lit(.red), .conflict, .conflict, .lit(.red), .dark, .lit(.red)]
        let changes = run(observations)
        #expect(changes.map(\.change.state) == [.red])
    }

    @Test func aNewColourNeedsItsOwnRunThenTakesOverWithItsOnset() {
        let observations: [SignalObservation] = Array(repeating: .lit(.amber), count: 4)
            + [.lit(.red), .lit(.amber), .lit(.red), .lit(.red), .lit(.red)]
        let changes = run(observations)
        #expect(changes.map(\.change.state) == [.amber, .red])
        #expect(changes.last?.change.onsetFrame == 6)
        #expect(changes.last?.change.previous == .amber)
    }

    /// While another colour's run is too short to lock, the debouncer says which colour and since when; once it
    /// locks, it is the state.
    @Test func aColourNotYetLockedIsShownAsChangingUntilItLocks() {
        var debouncer = SignalDebouncer(lockFrames: 3, darkSeconds: 1)
        let observations: [SignalObservation] = [.lit(.red), .lit(.red), .lit(.red), .lit(.green), .lit(.green),
                                                 .lit(.green), .lit(.green)]
        var changing: [String] = []
        for (i, o) in observations.enumerated() {
            _ = debouncer.observe(o, frame: i, pts: Double(i) / 10)
            changing.append(debouncer.changing.map { "\($0.colour.rawValue)@\($0.since)" } ?? "-")
        }
        #expect(changing == ["red@0", "red@0", "-", "green@3", "green@3", "-", "-"])
        #expect(debouncer.state == .green)
    }

    @Test func twoLampsLitBecomeUnknown() {
        let changes = run(Array(repeating: .lit(.red), count: 3) + Array(repeating: .conflict, count: 3))
        #expect(changes.map(\.change.state) == [.red, .unknown])
    }

    @Test func noLampLitForLongBecomesUnknownButABriefGapDoesNot() {
        let brief = run(Array(repeating: .lit(.red), count: 3) + Array(repeating: .dark, count: 5)
            + [.lit(.red)])
        #expect(brief.map(\.change.state) == [.red])
        let long = run(Array(repeating: .lit(.red), count: 3) + Array(repeating: .dark, count: 12))
        #expect(long.map(\.change.state) == [.red, .unknown])
        #expect(long.last?.at == 13)
    }

    @Test func durationCountsFromTheOnset() {
        var debouncer = SignalDebouncer(lockFrames: 2, darkSeconds: 1)
        _ = debouncer.observe(.lit(.red), frame: 0, pts: 5.0)
        _ = debouncer.observe(.lit(.red), frame: 1, pts: 5.1)
        #expect(debouncer.state == .red)
        #expect(abs((debouncer.duration(at: 6.0) ?? 0) - 1.0) < 1e-9)
    }
}
