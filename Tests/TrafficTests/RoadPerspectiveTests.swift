import Foundation
import Testing
@testable import Traffic
import TrafficScenes

/// Sizes along a road seen in perspective: the horizon read from the lane areas, heights scaled to where a
/// vehicle is, and a leader whose rear a follower hides keeping its rear where it is.
@Suite struct RoadPerspectiveTests {
    /// The lane areas of the generator's perspective camera (6 m up, 15° down, focal 600 px, 640 × 360) meet at
    /// its horizon, which the pinhole gives as the centre row less f·tan(tilt).
    @Test func theHorizonIsWhereTheLanesOfAPerspectiveCameraMeet() throws {
        let camera = SceneCamera()
        let spec = SceneSpec(seed: 1, seconds: 1, camera: camera)
        let lanes = SceneLayout.configuration(for: spec).lanes
        #expect(lanes.count == 3)
        let perspective = try #require(RoadPerspective(lanes: lanes, direction: TrafficPoint(0, -1)))
        let horizon = 180 - camera.focal * tan(camera.tilt * .pi / 180)
        #expect(abs(perspective.horizon - horizon) < 2, "\(perspective.horizon) against \(horizon)")
    }

    /// Lanes that keep their width (a camera looking straight down), no lane areas, or a road across the picture:
    /// no perspective.
    @Test func parallelLanesOrNoneShowNoPerspective() {
        let rectangle = TrafficPolygon([TrafficPoint(100, 0), TrafficPoint(200, 0), TrafficPoint(200, 360),
                                        TrafficPoint(100, 360)])
        #expect(RoadPerspective(lanes: [rectangle], direction: TrafficPoint(0, -1)) == nil)
        #expect(RoadPerspective(lanes: [], direction: TrafficPoint(0, -1)) == nil)
        let converging = TrafficPolygon([TrafficPoint(0, 360), TrafficPoint(140, 160), TrafficPoint(200, 160),
                                         TrafficPoint(340, 360)])
        #expect(RoadPerspective(lanes: [converging], direction: TrafficPoint(1, 0)) == nil)
        #expect(RoadPerspective(lanes: [converging], direction: TrafficPoint(0, -1)) != nil)
    }

    /// Heights scale with the rear's distance below the horizon, and a top plus a height seen further back gives
    /// back the rear.
    @Test func heightsScaleWithTheDistanceBelowTheHorizon() throws {
        let p = RoadPerspective(horizon: 20)
        #expect(abs(p.scale(from: 300, to: 160) - 0.5) < 1e-9)
        let height = 100 * p.scale(from: 300, to: 200)
        let rear = try #require(p.bottom(top: 200 - height, height: 100, measuredAt: 300))
        #expect(abs(rear - 200) < 1e-9)
        #expect(p.bottom(top: 100, height: 400, measuredAt: 300) == nil, "taller than its distance to the horizon")
    }

    /// A leader followed so closely that one blob holds both (a camera 6 m up cannot see the ground between them):
    /// its rear, the blob's top plus its own height scaled to where it now is, stays within a few pixels of the
    /// truth up to the stop line. Without the perspective its height as last seen alone (larger: nearer the camera)
    /// puts the rear far behind it.
    @Test(arguments: [true, false])
    func aLeaderHiddenByItsFollowerKeepsItsRear(perspective: Bool) {
        let horizon = 20.0
        var tracker = BlobTracker(confirmHits: 2, coastFrames: 10,
                                  perspective: perspective ? RoadPerspective(horizon: horizon) : nil)
        // Both 0.4 × their distance below the horizon tall; the leader's rear moves up from row 320, the follower's
        // 20 px of picture behind, both slowing as they recede (constant speed on the ground).
        func box(rear: Double) -> TrafficBox {
            TrafficBox(left: 200, top: rear - 0.4 * (rear - horizon), right: 260, bottom: rear)
        }
        func rear(_ frame: Int) -> Double { horizon + 300 / (1 + 0.03 * Double(frame)) }
        var worst = 0.0
        for frame in 0..<30 {
            let leader = box(rear: rear(frame))
            // Alone for 8 frames, then the follower's top reaches over the leader's rear.
            let boxes = frame < 8 ? [leader, box(rear: rear(frame) + 160)]
                : [leader.union(box(rear: rear(frame) + 0.2 * (rear(frame) - horizon)))]
            tracker.update(boxes: boxes, frame: frame, pictureBottom: 400)
            let leaderTrack = tracker.tracks.min { $0.box.top < $1.box.top }
            if frame >= 8, let leaderTrack { worst = max(worst, abs(leaderTrack.box.bottom - rear(frame))) }
        }
        if perspective {
            #expect(worst < 4, "the leader's rear was up to \(worst) px off")
        } else {
            #expect(worst > 10, "without the perspective the rear should drift (\(worst) px)")
        }
    }

    /// The blob split goes on past a lane area's far end along the direction of travel (a tall body rises above
    /// its footprint); an area already reaching the picture's edge keeps its shape within the picture.
    @Test func laneAreasAreSweptOnPastTheirFarEnd() {
        let area = TrafficPolygon([TrafficPoint(100, 360), TrafficPoint(150, 170), TrafficPoint(210, 170),
                                   TrafficPoint(260, 360)])
        let swept = TrafficStage.sweptOn(area, TrafficPoint(0, -1))
        #expect(swept.contains(TrafficPoint(180, 100)) && swept.contains(TrafficPoint(180, 0)))
        #expect(!area.contains(TrafficPoint(180, 100)))
        #expect(swept.contains(TrafficPoint(120, 340)) && !swept.contains(TrafficPoint(90, 340)))
        #expect(!swept.contains(TrafficPoint(140, 100)), "beyond the far end the split keeps the far end's width")
        let rectangle = TrafficPolygon([TrafficPoint(100, 0), TrafficPoint(200, 0), TrafficPoint(200, 360),
                                        TrafficPoint(100, 360)])
        let same = TrafficStage.sweptOn(rectangle, TrafficPoint(0, -1))
        for (x, y) in [(99.0, 50.0), (101, 50), (199, 359), (201, 359), (150, 1)] {
            #expect(same.contains(TrafficPoint(x, y)) == rectangle.contains(TrafficPoint(x, y)), "(\(x), \(y))")
        }
    }
}
