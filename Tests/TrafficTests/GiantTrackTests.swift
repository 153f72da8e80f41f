import Testing
import Traffic

/// A track must not swallow what merely joins its blob: a confirmed track's box stays its own size when its blob
/// runs down to the picture's edge, it claims no pieces that would make it wider than a vehicle can be, and one
/// object is not tracked twice.
@Suite struct GiantTrackTests {
    func box(_ l: Double, _ t: Double, _ r: Double, _ b: Double) -> TrafficBox {
        TrafficBox(left: l, top: t, right: r, bottom: b)
    }

    /// Cross traffic (100 × 30, moving right 10 px a frame, high in the picture) whose blob joins a vehicle entering
    /// across the bottom edge: the track keeps its height at the end its prediction agrees with, instead of taking
    /// the whole blob down to the edge as an entering object would.
    @Test func aTrackAboveTheEdgeDoesNotGrowDownToIt() {
        var tracker = BlobTracker(confirmHits: 2, coastFrames: 5)
        for frame in 0..<4 {
            let x = 100 + Double(frame) * 10
            tracker.update(boxes: [box(x, 100, x + 100, 130)], frame: frame, pictureBottom: 360)
        }
        let id = tracker.tracks[0].id
        tracker.update(boxes: [box(138, 98, 240, 360)], frame: 4, pictureBottom: 360)
        let track = tracker.tracks.first { $0.id == id }
        #expect(track != nil)
        #expect((track?.box.bottom ?? 360) < 140, "\(String(describing: track?.box))")
        #expect((track?.box.height ?? 0) < 40)
    }

    /// A vehicle entering across the bottom edge still grows with its blob there (its rear comes into view).
    @Test func aTrackEnteringAcrossTheEdgeStillGrows() {
        var tracker = BlobTracker(confirmHits: 2, coastFrames: 5)
        for frame in 0..<4 {
            let top = 340 - Double(frame) * 8
            tracker.update(boxes: [box(100, top, 140, 360)], frame: frame, pictureBottom: 360)
        }
        #expect(tracker.tracks.count == 1)
        #expect(tracker.tracks[0].box.top == 316)
        #expect(tracker.tracks[0].box.bottom == 360)
    }

    /// Two blobs on nearly the same place (an object seen twice: IoU 0.82) keep one confirmed track, not two that
    /// would each report the object's crossing.
    @Test func oneObjectSeenTwiceIsOneTrack() {
        var tracker = BlobTracker(confirmHits: 2, coastFrames: 5)
        for frame in 0..<8 {
            let y = Double(frame) * 4
            tracker.update(boxes: [box(100, 100 - y, 140, 160 - y), box(100, 106 - y, 140, 166 - y)], frame: frame,
                           pictureBottom: 480)
        }
        let confirmed = tracker.tracks.filter(\.confirmed)
        #expect(confirmed.count == 1, "\(confirmed.map(\.box))")
    }

    /// Two vehicles side by side under a track whose box spans both (it held a merged blob): the track takes the
    /// piece most inside its prediction, not both, when both together are wider than a vehicle can be there; the
    /// other vehicle gets a track of its own.
    @Test func aTrackDoesNotClaimTheNextLanesVehicle() {
        var tracker = BlobTracker(confirmHits: 2, coastFrames: 5)
        for frame in 0..<4 {
            let y = 200 - Double(frame) * 4
            tracker.update(boxes: [box(100, y, 260, y + 60)], frame: frame, pictureBottom: 360,
                           widthLimit: { _ in 100 })
        }
        let id = tracker.tracks[0].id
        tracker.update(boxes: [box(100, 184, 170, 244), box(190, 184, 250, 244)], frame: 4, pictureBottom: 360,
                       widthLimit: { _ in 100 })
        let track = tracker.tracks.first { $0.id == id }
        #expect((track?.box.width ?? 0) <= 100, "\(String(describing: track?.box))")
        #expect(tracker.tracks.count == 2, "\(tracker.tracks.map(\.box))")
    }

    /// Within the limit, the pieces of one vehicle that fell apart (its middle like the road) are still joined.
    @Test func piecesOfOneVehicleAreStillJoined() {
        var tracker = BlobTracker(confirmHits: 2, coastFrames: 5)
        for frame in 0..<4 {
            let y = 200 - Double(frame) * 4
            tracker.update(boxes: [box(100, y, 160, y + 90)], frame: frame, pictureBottom: 360,
                           widthLimit: { _ in 100 })
        }
        tracker.update(boxes: [box(100, 184, 160, 214), box(100, 230, 160, 274)], frame: 4, pictureBottom: 360,
                       widthLimit: { _ in 100 })
        #expect(tracker.tracks.count == 1, "\(tracker.tracks.map(\.box))")
        #expect(tracker.tracks.first?.box.height == 90)
    }
}
