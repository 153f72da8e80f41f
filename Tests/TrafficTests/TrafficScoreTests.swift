import Foundation
import SightlineCore
import Testing
@testable import Traffic
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

    /// A 16 × 9 mask at 8 source pixels a cell, motion in cells x 2…3, y 2…3 (source x 16…31, y 16…31).
    static func inspection(tracks: [Track] = []) -> TrafficInspection {
        var mask = Image(width: 16, height: 9, channels: 1)
        for y in 2...3 { for x in 2...3 { mask.pixels[y * 16 + x] = 1 } }
        return TrafficInspection(frame: 100, picture: Image(width: 128, height: 72, channels: 1), pictureScale: 1,
                                 mask: mask, maskScale: 8, stopLines: [], blobs: [], tracks: tracks, reported: [])
    }

    static func track(_ id: Int, _ box: TrafficBox, measured: Bool = true) -> Track {
        Track(id: id, box: box, velocity: TrafficPoint(0, -4), size: (box.width, box.height), hits: 5, misses: 0,
              confirmed: true, lastReference: nil, measuredThisFrame: measured)
    }

    @Test func aMissSaysHowMuchOfTheVehicleWasMotionAndWhichTrackHeldIt() {
        // Cells whose centre is in the box count: x 2…5 (centres 20, 28, 36, 44), y 2…3, half of them motion.
        let box: [Double] = [16, 16, 48, 32]
        #expect(TrafficScore.sight(of: box, in: Self.inspection()) == TrafficScore.Sight(motion: 0.5))
        #expect(TrafficScore.sight(of: [16, 16, 32, 32], in: Self.inspection()).motion == 1)
        #expect(TrafficScore.sight(of: [60, 50, 90, 70], in: Self.inspection()).motion == 0)
        // The track covering most of the box holds it; a quarter is too little to say so.
        let half = Self.track(3, TrafficBox(left: 16, top: 16, right: 32, bottom: 40))
        let quarter = Self.track(4, TrafficBox(left: 40, top: 16, right: 48, bottom: 32))
        let sight = TrafficScore.sight(of: box, in: Self.inspection(tracks: [quarter, half]))
        #expect(sight.track == 3 && sight.trackBox == half.box && !sight.coasting)
        #expect(TrafficScore.sight(of: box, in: Self.inspection(tracks: [quarter])).track == nil)
        let coasting = Self.track(7, TrafficBox(left: 10, top: 10, right: 50, bottom: 40), measured: false)
        let held = TrafficScore.sight(of: box, in: Self.inspection(tracks: [half, coasting]))
        #expect(held.track == 7 && held.coasting)
        let missed = TrafficScore.score([], truth: Self.truth).missed[0]
        #expect(TrafficScore.explain(missed: missed, reported: [], sight: sight)
            == "no detection there within 30 frames; motion on 50 % of its box, held by track #3 [16,16,32,40]")
        #expect(TrafficScore.explain(missed: missed, reported: [], sight: held).hasSuffix(
            "held by coasting track #7 [10,10,50,40]"))
        #expect(TrafficScore.explain(missed: missed, reported: [], sight: TrafficScore.Sight(motion: 0.123))
            == "no detection there within 30 frames; motion on 12 % of its box, no track on it")
        // With a perspective camera the truth says how much of its box a nearer vehicle's covered: a tenth or more is
        // told (the bench counts the misses 80 % or more under one).
        var hidden = missed
        hidden.occluded = 0.834
        #expect(TrafficScore.explain(missed: hidden, reported: [], sight: TrafficScore.Sight(motion: 0.123))
            == "no detection there within 30 frames; motion on 12 % of its box, no track on it; "
                + "a nearer vehicle's box covers 83 % of its box")
        hidden.occluded = 1.5
        #expect(TrafficScore.explain(missed: hidden, reported: [])
            .hasSuffix("a nearer vehicle's box covers 100 % of its box"))
        hidden.occluded = 0.05
        #expect(!TrafficScore.explain(missed: hidden, reported: []).contains("nearer"))
        hidden.occluded = .nan
        #expect(!TrafficScore.explain(missed: hidden, reported: []).contains("nearer"))
    }

    @Test func aBoxThatIsNotFourFiniteNumbersShowsNothing() {
        let everywhere = Self.track(1, TrafficBox(left: 0, top: 0, right: 128, bottom: 72))
        for box: [Double] in [[], [16, 16, 48], [16, .nan, 48, 32], [16, 16, .infinity, 32], [48, 16, 16, 32],
                              [-1e300, -1e300, 1e300, 1e300]] {
            let sight = TrafficScore.sight(of: box, in: Self.inspection(tracks: [everywhere]))
            #expect(sight.motion >= 0 && sight.motion <= 1, "\(box)")
            if box.count != 4 || !box.allSatisfy(\.isFinite) || box[2] <= box[0] { #expect(sight == TrafficScore.Sight(motion: 0)) }
        }
    }

    /// A vehicle whose box runs off the picture's top (from the review): a track holding all of it that is in the
    /// picture (tracks stop at its edge) holds it.
    @Test func aTrackHoldingAllOfAVehicleInThePictureHoldsItThoughItsBoxRunsOffThePicture() {
        let inPicture = Self.track(1, TrafficBox(left: 16, top: 0, right: 48, bottom: 32))
        let sight = TrafficScore.sight(of: [16, -100, 48, 32], in: Self.inspection(tracks: [inPicture]))
        #expect(sight.track == 1, "\(sight.description)")
        // Wholly outside the picture: nothing of it to hold.
        #expect(TrafficScore.sight(of: [200, 100, 240, 140], in: Self.inspection(tracks: [inPicture])).track == nil)
    }

    /// A truth file whose crossing box is not [left, top, right, bottom] of finite, sane numbers is refused with a
    /// message naming the vehicle (the scoring indexes and converts boxes; a box of 9.3e18 trapped `eval --verbose`).
    @Test func aTruthFileWithABadBoxIsRefusedClearly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sightline-truth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(box: String, occluded: String = "0.5") throws {
            let json = """
                {"seed": 1, "kind": "mixed", "width": 640, "height": 360, "fps": 15, "frames": 900, "grace_seconds": 0.5,
                 "vehicles": 1, "pedestrians": 0, "phases": [],
                 "crossings": [{"vehicle": 7, "frame": 100, "pts": 6.67, "signal": "red", "red_for": 4, "violation": true,
                                "ambiguous": false, "box": \(box), "lane": 0, "occluded": \(occluded)}]}
                """
            try Data(json.utf8).write(to: dir.appendingPathComponent(SceneFiles.truth))
        }
        try write(box: "[100, 50, 150, 120]")
        #expect(try SceneFiles.readTruth(in: dir.path).crossings.count == 1)
        for bad in ["[9.3e18, 50, 150, 120]", "[100, 50, 150]", "[150, 50, 100, 120]", "[100, 50, 150, 50]", "[]"] {
            try write(box: bad)
            #expect(throws: SceneFileError.self, "\(bad)") { try SceneFiles.readTruth(in: dir.path) }
        }
        // A share of the box that nearer vehicles cover is 0…1: 5 or -1 would be told as a vehicle hidden or not.
        for bad in ["5", "-1", "1e300"] {
            try write(box: "[100, 50, 150, 120]", occluded: bad)
            #expect(throws: SceneFileError.self, "\(bad)") { try SceneFiles.readTruth(in: dir.path) }
        }
        try write(box: "[100, 50, 150, 120]", occluded: "null")
        #expect(try SceneFiles.readTruth(in: dir.path).crossings[0].occluded == nil)
        try write(box: "[100, 50, 150]")
        do {
            _ = try SceneFiles.readTruth(in: dir.path)
            Issue.record("a box of three numbers was read")
        } catch let error as SceneFileError {
            #expect(error.description.contains("vehicle 7") && error.description.contains("frame 100"))
        }
    }
}
