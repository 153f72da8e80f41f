import Testing
import Traffic

/// A track must not swallow what merely joins its blob: a confirmed track's box stays its own size when its blob
/// runs down to the picture's edge, and one object is not tracked twice.
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
}
