import Testing
@testable import Matcher

@Suite struct OpenSetTests {
    func subject(_ id: String, _ templates: [[Float]]) -> EnrolledSubject {
        EnrolledSubject(id: id, consent: Consent(purpose: "p", grantedBy: "g", grantedAt: .init()), templates: templates)
    }

    @Test func thresholdAndMarginDecide() {
        let policy = OpenSetPolicy(threshold: 0.6, margin: 0.05)
        // Index distances are squared: 0.25 → 0.5 Euclidean.
        #expect(policy.decide(subject: "a", distance: 0.25, nextDistance: 0.49) == .match(subject: "a", distance: 0.5))
        #expect(policy.decide(subject: "a", distance: 0.25, nextDistance: nil) == .match(subject: "a", distance: 0.5))
        #expect(policy.decide(subject: "a", distance: 0.25, nextDistance: 0.2601) == .unknown(nearest: 0.5))
        #expect(policy.decide(subject: "a", distance: 0.4, nextDistance: 4) == .unknown(nearest: Float(0.4).squareRoot()))
    }

    @Test func identifyFindsTheNearestSubjectAndItsRival() throws {
        let matcher = try GalleryMatcher(subjects: [
            subject("a", [[0, 0], [0.1, 0], [0.2, 0]]),
            subject("b", [[1, 0]]),
            subject("c", [[0, 0.62]]),
        ], dimension: 2)
        #expect(try matcher.identify([0.05, 0]) == .match(subject: "a", distance: 0.05))
        guard case .match("a", let distance) = try matcher.identify([0.5, 0]) else {
            Issue.record("expected a match with a")
            return
        }
        #expect(abs(distance - 0.3) < 1e-6)
        // a's nearest template and b are equally far: no margin, nobody.
        guard case .unknown(let nearest?) = try matcher.identify([0.6, 0.31]) else {
            Issue.record("expected unknown")
            return
        }
        #expect(abs(nearest - 0.50606) < 1e-4)
        guard case .unknown(let far?) = try matcher.identify([5, 5]) else {
            Issue.record("expected unknown")
            return
        }
        #expect(abs(far - Float(41).squareRoot()) < 1e-5)  // b is the nearest, at √41
    }

    @Test func identifyRejectsBadDescriptors() throws {
        let matcher = try GalleryMatcher(subjects: [subject("a", [[0, 0]])], dimension: 2)
        #expect(throws: MatcherError.dimensionMismatch(expected: 2, got: 3)) { try matcher.identify([0, 0, 0]) }
        #expect(throws: MatcherError.nonFiniteValue(index: 0)) { try matcher.identify([.nan, 0]) }
        let empty = try GalleryMatcher(subjects: [], dimension: 2)
        #expect(try empty.identify([0, 0]) == .unknown(nearest: nil))
    }

    @Test func temporalConfirmationNeedsKOfN() {
        var confirmation = TemporalConfirmation(required: 3, window: 5)
        let frames: [String?] = ["a", nil, "a", "b", nil, nil, "a", "a", "a", "a"]
        var emitted: [Int] = []
        for (i, s) in frames.enumerated() where confirmation.observe(track: 7, subject: s) != nil { emitted.append(i) }
        #expect(emitted == [8])  // frames 0 and 2 fall out of the window before a third "a" arrives
        #expect(confirmation.confirmedSubject(of: 7) == "a")
        #expect(confirmation.observe(track: 8, subject: "a") == nil)
        confirmation.forget(track: 7)
        #expect(confirmation.trackCount == 1 && confirmation.confirmedSubject(of: 7) == nil)
    }
}
