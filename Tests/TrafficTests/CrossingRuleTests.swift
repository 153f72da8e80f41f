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

    /// From the second review: a motion that starts and ends inside the same lane area crosses, however the area is
    /// shaped — one running along a slanted edge (the computed meeting point rounds just outside it), one over a notch
    /// in a concave area (an island at the line). Only a motion that ends outside the areas is asked where it met the
    /// line.
    @Test func aMotionStartingAndEndingInsideOneLaneAreaCrossesWhateverItsShape() {
        let slanted = TrafficPolygon([TrafficPoint(100, 240), TrafficPoint(130, 60), TrafficPoint(260, 60),
                                      TrafficPoint(260, 240)])
        let alongEdge = CrossingRule(stopLine: TrafficSegment(TrafficPoint(60, 100), TrafficPoint(300, 110)),
                                     direction: TrafficPoint(0, -1), lanes: [slanted])
        let (from, to) = (TrafficPoint(119.01666666666667, 125.9), TrafficPoint(128.51666666666665, 68.9))
        #expect(slanted.contains(from) && slanted.contains(to))
        #expect(alongEdge.crossing(from: from, to: to) != nil)
        let notched = TrafficPolygon([TrafficPoint(100, 60), TrafficPoint(180, 60), TrafficPoint(180, 240),
                                      TrafficPoint(100, 240), TrafficPoint(100, 110), TrafficPoint(140, 110),
                                      TrafficPoint(140, 90), TrafficPoint(100, 90)])
        let overNotch = CrossingRule(stopLine: TrafficSegment(TrafficPoint(60, 100), TrafficPoint(220, 100)),
                                     direction: TrafficPoint(0, -1), lanes: [notched])
        #expect(overNotch.crossing(from: TrafficPoint(110, 130), to: TrafficPoint(150, 70)) != nil)
    }

    /// A motion may end past its lane area's far end only when asked (a rear that lost its rows), having met the line
    /// inside the area — and not when it leaves the area through its side, short of the far end (from the second
    /// review), nor when it ends in another lane's area.
    @Test func aMotionMayEndPastItsLaneAreasFarEndButNotOutThroughItsSide() {
        let area = TrafficPolygon([TrafficPoint(100, 240), TrafficPoint(100, 90), TrafficPoint(180, 90),
                                   TrafficPoint(180, 240)])
        let next = TrafficPolygon([TrafficPoint(190, 240), TrafficPoint(190, 40), TrafficPoint(260, 40),
                                   TrafficPoint(260, 240)])
        let laned = CrossingRule(stopLine: TrafficSegment(TrafficPoint(60, 100), TrafficPoint(250, 100)),
                                 direction: TrafficPoint(0, -1), lanes: [area, next])
        let past = (TrafficPoint(150, 110), TrafficPoint(150, 72))
        #expect(laned.crossing(from: past.0, to: past.1) == nil)
        #expect(laned.crossing(from: past.0, to: past.1, pastTheAreas: true) != nil)
        // Meeting the line inside, then out through the side at y 92 (short of the far end, y 90): no.
        #expect(laned.crossing(from: TrafficPoint(170, 110), to: TrafficPoint(186, 92), pastTheAreas: true) == nil)
        // Meeting the line inside, ending in the next lane's area: no.
        #expect(laned.crossing(from: TrafficPoint(160, 104), to: TrafficPoint(200, 80), pastTheAreas: true) == nil)
        // Meeting the line beside the area (it started inside it and slid out before the line): no.
        #expect(laned.crossing(from: TrafficPoint(178, 120), to: TrafficPoint(186, 80), pastTheAreas: true) == nil)
    }
}
