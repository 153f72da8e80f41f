import Testing
import Traffic

/// A vehicle is no wider than its lane allows: a track does not claim the pieces of the vehicle beside it.
@Suite struct LaneWidthTests {
    func box(_ l: Double, _ t: Double, _ r: Double, _ b: Double) -> TrafficBox {
        TrafficBox(left: l, top: t, right: r, bottom: b)
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
