import Foundation
import Testing
import TrafficScenes

/// The score's matching, and what `sightline eval traffic --verbose` says each error is.
struct TrafficScoreTests {
    /// A scene's truth: vehicle 1 runs the red at frame 100, vehicle 2 crosses on green at frame 200.
    static let truth: SceneTruth = {
        let json = """
            {"seed": 1, "kind": "mixed", "width": 640, "height": 360, "fps": 15, "frames": 900, "grace_seconds": 0.5,
             "vehicles": 2, "pedestrians": 0, "phases": [],
             "crossings": [
               {"vehicle": 1, "frame": 100, "pts": 6.67, "signal": "red", "red_for": 4, "violation": true,
                "ambiguous": false, "box": [100, 50, 150, 120], "lane": 0},
               {"vehicle": 2, "frame": 200, "pts": 13.3, "signal": "green", "violation": false,
                "ambiguous": false, "box": [300, 50, 350, 120], "lane": 1}]}
            """
        return try! JSONDecoder().decode(SceneTruth.self, from: Data(json.utf8))
    }()

    @Test func aViolationReportedLateIsOneFalseAndOneMissedAndSaysSo() {
        let late = TrafficScore.Reported(frame: 106, x: 125, y: 120)
        let (score, unmatched, missed) = TrafficScore.score([late], truth: Self.truth)
        #expect(score.truePositives == 0 && score.falsePositives == 1 && score.falseNegatives == 1)
        #expect(TrafficScore.explain(unmatched: unmatched[0], truth: Self.truth) == "6 frames after vehicle 1's violation")
        #expect(TrafficScore.explain(missed: missed[0], reported: [late]) == "a detection 6 frames after it")
        #expect(TrafficScore.explain(missed: missed[0], reported: []) == "no detection there within 30 frames")
    }

    @Test func aDetectionIsExplainedByTheNearestCrossingWhateverItsSignal() {
        let onGreen = TrafficScore.Reported(frame: 199, x: 320, y: 120)
        #expect(TrafficScore.explain(unmatched: onGreen, truth: Self.truth)
            == "1 frame before vehicle 2's lawful crossing (green)")
        let nowhere = TrafficScore.Reported(frame: 500, x: 125, y: 120)
        #expect(TrafficScore.explain(unmatched: nowhere, truth: Self.truth)
            == "no vehicle crossed there within 30 frames")
        // Beside the vehicle's box (beyond the 12-px slack) is not that vehicle.
        let beside = TrafficScore.Reported(frame: 100, x: 170, y: 120)
        #expect(TrafficScore.explain(unmatched: beside, truth: Self.truth) == "no vehicle crossed there within 30 frames")
        let onTime = TrafficScore.Reported(frame: 102, x: 160, y: 120)
        #expect(TrafficScore.score([onTime], truth: Self.truth).score.truePositives == 1)
    }
}
