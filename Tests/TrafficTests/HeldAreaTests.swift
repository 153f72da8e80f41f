import Testing
@testable import Traffic

/// Which tracks the traffic stage asks the background model to keep out of its regional light factor.
@Suite struct HeldAreaTests {
    static func track(_ box: TrafficBox, velocity: TrafficPoint = TrafficPoint(0, 0), confirmed: Bool = true) -> Track {
        Track(id: 1, box: box, velocity: velocity, size: (box.width, box.height), hits: 5, misses: 0,
              confirmed: confirmed, lastReference: nil, measuredThisFrame: true)
    }

    /// A car 40 × 60 (source pixels) at 4 source pixels per model pixel, moving up 6 a frame: its box, reached up by
    /// one frame of its motion, in model pixels, with one around.
    @Test func aConfirmedCarIsHeldWhereItIsAndWhereItIsGoing() {
        let car = Self.track(TrafficBox(left: 100, top: 40, right: 140, bottom: 100), velocity: TrafficPoint(0, -6))
        var asked: [TrafficPoint] = []
        let areas = TrafficStage.heldAreas(of: [car], scale: 4, widest: { asked.append($0); return 80 })
        // The lanes' width is asked for at the rear, where the vehicle stands.
        #expect(asked == [TrafficPoint(120, 100)])
        // Top: (40 - 6) / 4 = 8.5, down to 8, one more: 7. Bottom: 100 / 4 = 25, one more: 26 (half-open).
        #expect(areas == [BackgroundModel.Area(left: 24, top: 7, right: 36, bottom: 26)])
    }

    /// Not held: a tentative track, one longer than a vehicle is for its width (a shadow's edge, or a vehicle and
    /// the beam ahead of it), one wider than the lanes allow.
    @Test func onlyConfirmedTracksShapedLikeAVehicleAreHeld() {
        let tentative = Self.track(TrafficBox(left: 100, top: 40, right: 140, bottom: 100), confirmed: false)
        let long = Self.track(TrafficBox(left: 100, top: 0, right: 140, bottom: 89))   // 2.225 × its width
        let wide = Self.track(TrafficBox(left: 0, top: 40, right: 81, bottom: 100))
        #expect(TrafficStage.heldAreas(of: [tentative, long, wide], scale: 4, widest: { _ in 80 }).isEmpty)
        let longest = Self.track(TrafficBox(left: 100, top: 0, right: 140, bottom: 88))  // 2.2 × its width
        #expect(TrafficStage.heldAreas(of: [longest], scale: 4, widest: { _ in 80 }).count == 1)
    }

    /// A box the tracker predicted out of all range (it cannot, but nothing here may trap on it) is skipped; -2⁶³
    /// converts to Int exactly, and one model pixel around it would overflow.
    @Test func aBoxOutOfRangeIsSkipped() {
        let far = Self.track(TrafficBox(left: 1e300, top: 0, right: 1e300 + 1, bottom: 1))
        let nan = Self.track(TrafficBox(left: .nan, top: 0, right: 10, bottom: 10))
        let lowest = Self.track(TrafficBox(left: -9_223_372_036_854_775_808.0, top: 0, right: 10, bottom: 10))
        #expect(TrafficStage.heldAreas(of: [far, nan, lowest], scale: 1, widest: { _ in .infinity }).isEmpty)
    }
}

/// The frame in which a rear that leapt over a line would have crossed at the pace it kept.
@Suite struct ForeseenFrameTests {
    /// 10 px before the line on frame 100, closing 4 a frame: over it in 3 frames, on frame 103. Seen from frame 101 it
    /// is foreseen; from frame 103 or later, the step's own crossing stands; more than `foresight` frames ahead, the
    /// vehicle may yet stop.
    @Test func aRearCrossesAtThePaceItKept() {
        #expect(TrafficStage.foreseenFrame(from: 100, distance: 10, closing: 4, now: 101) == 103)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: 10, closing: 4, now: 103) == nil)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: 0, closing: 4, now: 100) == 101)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: 36, closing: 4, now: 101) == 109)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: 37, closing: 4, now: 101) == nil)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: 10, closing: 0, now: 101) == nil)
    }

    /// A road all but parallel to its line closes on it by almost nothing a frame: the quotient is out of `Int`'s
    /// range, or not a number at all. None of these may trap.
    @Test func aQuotientOutOfRangeIsNoFrame() {
        #expect(TrafficStage.foreseenFrame(from: 100, distance: 10, closing: 1e-300, now: 101) == nil)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: -1e300, closing: 1e-300, now: 101) == nil)
        // A rear already far past the line: at least one frame on.
        #expect(TrafficStage.foreseenFrame(from: 100, distance: -1e300, closing: 1, now: 100) == 101)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: .infinity, closing: 1, now: 101) == nil)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: .nan, closing: 1, now: 101) == nil)
        #expect(TrafficStage.foreseenFrame(from: 100, distance: 10, closing: .nan, now: 101) == nil)
        #expect(TrafficStage.foreseenFrame(from: Int.max - 1, distance: 10, closing: 4, now: Int.max) == nil)
        // A quotient of 2⁶³ is not below `Int.max` as a Double; one of 2⁶² added to a frame of 2⁶² overflows.
        #expect(TrafficStage.foreseenFrame(from: 0, distance: 0x1p63, closing: 1, now: Int.max - 8) == nil)
        #expect(TrafficStage.foreseenFrame(from: 1 << 62, distance: 0x1p62, closing: 1, now: Int.max - 8) == nil)
        #expect(TrafficStage.foreseenFrame(from: 1 << 62, distance: 0x1p62, closing: 1, now: Int.max - 1) == nil)
        // Frames beyond 2⁵³ are compared exactly: 64 frames ahead is too far.
        #expect(TrafficStage.foreseenFrame(from: 0, distance: 0x1p60 + 256, closing: 1, now: (1 << 60) + 192) == nil)
        let far = 1 << 60
        #expect(TrafficStage.foreseenFrame(from: 0, distance: 0x1p60 + 256, closing: 1, now: far + 250) == far + 256)
        // A rear past the line crosses on the next frame, however far past (an infinite quotient too).
        #expect(TrafficStage.foreseenFrame(from: 100, distance: -.infinity, closing: 1, now: 100) == 101)
    }
}
