import Testing
@testable import Traffic

/// One vehicle's crossing reported by two tracks (its own, and one following its tail lamps from behind: the first
/// set's night-0, vehicle 18, frames 695 and 696) is reported once (`TrafficStage.sameCrossing`).
@Suite struct SameCrossingTests {
    /// A violation at 15 frames/s; `followed`: its track was judged by lamps it followed (`byFollowedLamps`).
    static func violation(lane: Int = 0, frame: Int, x: Double, width: Double = 60, followed: Bool = true)
        -> TrafficStage.Violation
    {
        TrafficStage.Violation(track: 1, lane: lane, frame: frame, pts: Double(frame) / 15,
                               point: TrafficPoint(x, 220), redFor: 5, box: TrafficBox(left: x - width / 2, top: 150,
                                                                                      right: x + width / 2, bottom: 220),
                               byFollowedLamps: followed)
    }

    /// Within 0.21 s (3 frames at 15 frames/s, not 4), either of them by lamps followed.
    @Test func aCrossingOfTheSameLaneWithinAFifthOfASecondAndHalfAWidthIsTheSame() {
        let first = Self.violation(frame: 695, x: 430, followed: false)
        #expect(TrafficStage.sameCrossing(first, Self.violation(frame: 696, x: 436)))
        #expect(TrafficStage.sameCrossing(first, Self.violation(frame: 692, x: 401)))
        #expect(TrafficStage.sameCrossing(Self.violation(frame: 698, x: 459), first))
    }

    /// Another lane (side by side), four frames apart (the next vehicle in the lane), or half a width across (a
    /// vehicle overlapping it by half) are other crossings; and two crossings neither of them by lamps followed (a
    /// motorbike close behind a car, two tracks each on its own vehicle) are always two.
    @Test func anotherLaneAnotherMomentOrBesideIsAnotherCrossing() {
        let first = Self.violation(frame: 695, x: 430)
        #expect(!TrafficStage.sameCrossing(Self.violation(frame: 695, x: 430, followed: false),
                                           Self.violation(frame: 696, x: 432, followed: false)))
        #expect(!TrafficStage.sameCrossing(first, Self.violation(lane: 1, frame: 695, x: 430)))
        #expect(!TrafficStage.sameCrossing(first, Self.violation(frame: 699, x: 430)))
        #expect(!TrafficStage.sameCrossing(first, Self.violation(frame: 691, x: 430)))
        #expect(!TrafficStage.sameCrossing(first, Self.violation(frame: 695, x: 460)))
        #expect(TrafficStage.sameCrossing(first, Self.violation(frame: 695, x: 460, width: 70)), "half the wider box")
    }
}
