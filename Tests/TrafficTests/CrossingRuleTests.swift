import Testing
import Traffic

/// The segment-crossing rule: the segment, not its infinite line; the configured direction only.
@Suite struct CrossingRuleTests {
    let rule = CrossingRule(stopLine: TrafficSegment(TrafficPoint(100, 200), TrafficPoint(300, 190)),
                            direction: TrafficPoint(0, -1))

    @Test func aMotionThroughTheSegmentInTheDirectionCrosses() {
        let fraction = rule.crossing(from: TrafficPoint(200, 205), to: TrafficPoint(200, 185))
        #expect(fraction != nil)
        #expect(abs((fraction ?? 0) - 0.5) < 1e-9)
    }

    @Test func crossingTheInfiniteLineOutsideTheSegmentDoesNotCount() {
        // Beyond the right end (x 300) and the left end (x 100), the line is crossed, the segment is not.
        #expect(rule.crossing(from: TrafficPoint(350, 200), to: TrafficPoint(350, 170)) == nil)
        #expect(rule.crossing(from: TrafficPoint(60, 215), to: TrafficPoint(60, 190)) == nil)
        // The same motion shifted inside the segment counts.
        #expect(rule.crossing(from: TrafficPoint(290, 200), to: TrafficPoint(290, 170)) != nil)
    }

    @Test func theOppositeDirectionDoesNotCount() {
        #expect(rule.crossing(from: TrafficPoint(200, 185), to: TrafficPoint(200, 205)) == nil)
    }

    @Test func stayingOnOneSideOrTouchingFromBehindDoesNotCount() {
        #expect(rule.crossing(from: TrafficPoint(200, 240), to: TrafficPoint(200, 220)) == nil)
        #expect(rule.crossing(from: TrafficPoint(200, 180), to: TrafficPoint(200, 150)) == nil)
        // Ending exactly on the line counts as having crossed (the first frame on or past it).
        #expect(rule.crossing(from: TrafficPoint(200, 210), to: TrafficPoint(200, 195)) != nil)
    }

    @Test func aDiagonalMotionEndingPastTheEndOfTheSegmentIsJudgedWhereItMeetsTheLine() {
        // Meets the line at x = 290 (inside), ends at x = 320 (outside): counts.
        #expect(rule.crossing(from: TrafficPoint(280, 201), to: TrafficPoint(320, 171)) != nil)
        // Meets the line at x ≈ 310 (outside) though it starts inside: does not count.
        #expect(rule.crossing(from: TrafficPoint(295, 200), to: TrafficPoint(325, 180)) == nil)
    }

    @Test func lanesRestrictWhereACrossingCounts() {
        let lane = TrafficPolygon([TrafficPoint(100, 0), TrafficPoint(200, 0), TrafficPoint(200, 400),
                                   TrafficPoint(100, 400)])
        let laned = CrossingRule(stopLine: rule.stopLine, direction: rule.direction, lanes: [lane])
        #expect(laned.crossing(from: TrafficPoint(150, 210), to: TrafficPoint(150, 180)) != nil)
        #expect(laned.crossing(from: TrafficPoint(250, 210), to: TrafficPoint(250, 180)) == nil)
    }
}
