import Foundation
import SightlineConfig
import Testing
import Traffic
import TrafficScenes

/// The generator's perspective camera and occlusion scenes (`scenes synth --camera perspective --with occlusion`),
/// and the stage's results on them, rendered in memory as `SceneEvaluationTests` does.
@Suite struct PerspectiveSceneTests {
    static func spec(seed: UInt64, seconds: Double = 24, kind: SceneSpec.Kind = .mixed, featured: [String] = [],
                     layout: SceneSpec.Layout = .single) -> SceneSpec {
        var nuisances = SceneSpec.Nuisances()
        for name in featured { precondition(nuisances.feature(name), name) }
        return SceneSpec(seed: seed, seconds: seconds, kind: kind, nuisances: nuisances, layout: layout,
                         camera: SceneCamera())
    }

    /// Ground points go to the picture and back; a vehicle's width and a metre of its travel span more picture
    /// pixels near the camera than at the stop line.
    @Test func theCameraShrinksWhatIsFarAndProjectsConsistently() throws {
        let camera = SceneCamera()
        #expect(camera.isValid)
        for (x, y) in [(200.0, 230.0), (430, 500), (320, 150)] {
            let p = try #require(camera.project(x, y))
            let g = try #require(camera.ground(p.u, p.v))
            #expect(abs(g.x - x) < 1e-6 && abs(g.y - y) < 1e-6, "(\(x), \(y)) came back as \(g)")
        }
        // The stop line is at the picture's centre row; the near edge is at the bottom.
        let line = try #require(camera.project(320, SceneLayout.stopLineY(at: 320)))
        #expect(abs(line.v - 180) < 1e-6)
        let width = { (y: Double) throws -> Double in
            try #require(camera.project(350, y)).u - (try #require(camera.project(290, y))).u
        }
        let travel = { (y: Double) throws -> Double in
            try #require(camera.project(320, y)).v - (try #require(camera.project(320, y - 30))).v
        }
        let near = camera.nearGroundY - 10, far = SceneLayout.stopLineY(at: 320)
        #expect(try width(near) > 1.5 * width(far))
        #expect(try travel(near) > 2 * travel(far))
        #expect(!SceneCamera(height: 40).isValid && !SceneCamera(tilt: 1).isValid && !SceneCamera(focal: .nan).isValid)
    }

    /// Perspective scenes are deterministic by seed, and differ between seeds.
    @Test func perspectiveScenesAreDeterministic() {
        func frames(_ seed: UInt64) -> [[UInt8]] {
            var scene = SyntheticScene(spec: Self.spec(seed: seed, seconds: 2, featured: ["occlusion", "night"]))
            var out: [[UInt8]] = []
            while let frame = scene.next() { out.append(frame.rgb) }
            return out
        }
        let a = frames(70), b = frames(70), c = frames(71)
        #expect(a.count == 30)
        let (same, different) = (a == b, a != c)   // (a whole failing array would flood the log)
        #expect(same)
        #expect(different)
    }

    /// The truth of an occlusion scene comes from the simulation: buses in the middle lane with runners beside
    /// them on the far side, some crossing on red largely hidden; the turn lane never holds a violation; picture
    /// boxes lie around the projected stop line.
    @Test func occlusionScenesHideRunnersBehindBuses() throws {
        var scene = SyntheticScene(spec: Self.spec(seed: 7001, seconds: 60, featured: ["occlusion"], layout: .lanes))
        while scene.next() != nil {}
        let truth = scene.truth
        #expect(truth.camera == SceneCamera())
        #expect(truth.categories == ["occlusion", "lanes", "perspective"])
        let hidden = truth.violations.filter { ($0.occluded ?? 0) >= 0.3 }
        #expect(!hidden.isEmpty, "\(truth.violations.map { ($0.lane, $0.occluded ?? -1) })")
        #expect(hidden.contains { $0.lane == 0 }, "a runner beside a bus in the middle lane")
        #expect(truth.crossings.allSatisfy { $0.lane != 2 || !$0.violation })
        for crossing in truth.crossings {
            #expect(crossing.occluded != nil)
            #expect(crossing.box[1] < 180 && crossing.box[3] > 150, "\(crossing.box)")
        }
    }

    /// The camera file written beside a perspective scene reads (through the daemon's loader) as the
    /// configuration the in-memory evaluation uses.
    @Test(arguments: [SceneSpec.Layout.single, .lanes])
    func theCameraFileMatchesTheConfiguration(layout: SceneSpec.Layout) throws {
        let spec = Self.spec(seed: 3, layout: layout)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("perspective-\(layout).yaml").path
        try Data(SceneLayout.cameraYAML(for: spec, source: "y4m:scene.y4m").utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let read = try #require(try ConfigLoader.loadCamera(path: file).traffic)
        let want = SceneLayout.configuration(for: spec)
        #expect(read.laneRules.map(\.name) == want.laneRules.map(\.name))
        #expect(read.laneRules.map(\.turnOnRed) == want.laneRules.map(\.turnOnRed))
        #expect(read.laneRules.map(\.stopLine) == want.laneRules.map(\.stopLine))
        #expect(read.lanes == want.lanes && read.lanes.count == 3)
        #expect(read.signalGroups.map(\.name) == want.signalGroups.map(\.name))
    }

    /// Clouds cast no shadow at night (the street lights are under them): a night scene with cloud shadows renders
    /// the same pixels as the night scene without them.
    @Test func nightScenesCastNoCloudShadows() {
        func frames(_ featured: [String], camera: SceneCamera?) -> [[UInt8]] {
            var nuisances = SceneSpec.Nuisances()
            for name in featured { _ = nuisances.feature(name) }
            var scene = SyntheticScene(spec: SceneSpec(seed: 9, seconds: 3, nuisances: nuisances, camera: camera))
            var out: [[UInt8]] = []
            while let frame = scene.next() { out.append(frame.rgb) }
            return out
        }
        for camera in [nil, SceneCamera()] {
            let nightAlike = frames(["night", "cloud-shadows"], camera: camera) == frames(["night"], camera: camera)
            let dayDiffers = frames(["cloud-shadows"], camera: camera) != frames([], camera: camera)
            #expect(nightAlike, "camera \(String(describing: camera))")
            #expect(dayDiffers, "clouds shade by day")
        }
    }

    /// An overcast scene is the sunny one without hard shadows: other pixels than the sunny default, no tree shadow on
    /// the asphalt (the ellipse over the left lanes is as bright as the asphalt below it, where the sunny scene has it
    /// at 0.7), and its truth names it for the per-nuisance scores.
    @Test func overcastScenesCastNoHardShadows() {
        func frames(_ nuisances: SceneSpec.Nuisances, camera: SceneCamera?) -> [[UInt8]] {
            var scene = SyntheticScene(spec: SceneSpec(seed: 9, seconds: 3, nuisances: nuisances, camera: camera))
            var out: [[UInt8]] = []
            while let frame = scene.next() { out.append(frame.rgb) }
            return out
        }
        var overcast = SceneSpec.Nuisances()
        let known = overcast.feature("overcast")
        #expect(known)
        for camera in [nil, SceneCamera()] {
            let sunnyDiffers = frames(overcast, camera: camera) != frames(SceneSpec.Nuisances(), camera: camera)
            #expect(sunnyDiffers, "the sun casts shadows; camera \(String(describing: camera))")
        }
        // The tree's shadow (centre 215, 300 on the top-down street, radii 70 × 32), in a still scene.
        func treeRatio(_ nuisances: SceneSpec.Nuisances) -> Double {
            var scene = SyntheticScene(spec: SceneSpec(seed: 9, seconds: 1, nuisances: nuisances))
            let frame = scene.next()!.frame()
            func mean(_ y0: Int, _ y1: Int) -> Double {
                var sum = 0, n = 0
                for y in y0..<y1 { for x in 230..<250 { sum += Int(frame.gray.pixels[y * frame.gray.width + x]); n += 1 } }
                return Double(sum) / Double(n)
            }
            return mean(295, 305) / mean(340, 350)
        }
        var stillOvercast = SceneSpec.Nuisances.none
        _ = stillOvercast.feature("overcast")
        #expect(treeRatio(stillOvercast) > 0.9, "no tree shadow under an overcast sky")
        #expect(treeRatio(SceneSpec.Nuisances.none) < 0.8, "the sunny street has the tree's shadow")
        #expect(overcast.featured == ["overcast"])
        #expect(!SceneSpec.Nuisances.featuredNames.contains("overcast"), "`all` renders the scenes it always did")
    }

    /// What the stage (tuned on the top-down view) still gets wrong in perspective, seen from the scenes' truth
    /// (Sources/TrafficScenes/README.md has the bench's rows): a vehicle following close behind hides the rear of
    /// the one crossing (seed 7000: a truck on red in the right lane, its rear behind the truck after it, is
    /// missed; the stage's reference point is the bottom of a blob that is the pair's); two runners in the left
    /// lane beside a bus in the middle lane (seed 7101, 62 % and 81 % covered) are hidden as they cross and missed
    /// (the stage does not carry a track through the occlusion to the line). When these pass, the known issue is no
    /// longer recorded and this test fails: make them plain expectations.
    @Test(arguments: [
        (7000, .single, []),
        (7101, .single, ["occlusion"]),
    ] as [(UInt64, SceneSpec.Layout, [String])])
    func whatTheStageStillMissesInPerspective(seed: UInt64, layout: SceneSpec.Layout, featured: [String]) throws {
        let spec = Self.spec(seed: seed, featured: featured, layout: layout)
        let (score, truth, _) = try SceneEvaluationTests.evaluate(spec)
        #expect(!truth.violations.isEmpty)
        withKnownIssue("perspective \(featured): crossings hidden behind the vehicle after or beside them") {
            #expect(score.falsePositives == 0 && score.falseNegatives == 0, "\(score)")
        }
    }

    /// A lawful perspective scene (the signal stays green; buses, runners that never meet red) gives nothing.
    @Test func aLawfulPerspectiveSceneGivesNoDetection() throws {
        let (_, truth, reported) = try SceneEvaluationTests.evaluate(
            Self.spec(seed: 6004, kind: .allGreen, featured: ["occlusion"], layout: .lanes))
        #expect(truth.violations.isEmpty && !truth.crossings.isEmpty)
        #expect(reported == 0)
    }

    /// The bench's lawful perspective scene where everyone stops (seed 6005, 60 s, buses) gives nothing. The stage
    /// reported a crossing on red in the middle lane (frame 220) that no vehicle made: queued bodies leaning into
    /// each other near the line, one track claiming the pieces of vehicles in two lanes; a track no longer claims
    /// pieces that would make it wider than 1.5 lanes.
    @Test func aPerspectiveQueueAtRedGivesNoCrossing() throws {
        let (_, truth, reported) = try SceneEvaluationTests.evaluate(
            Self.spec(seed: 6005, seconds: 60, kind: .allStop, featured: ["occlusion"]))
        #expect(truth.violations.isEmpty && !truth.crossings.isEmpty)
        #expect(reported == 0)
    }

    /// Per-nuisance precision and recall on the bench's perspective scenes (seeds 7000…, 60 s), in memory:
    /// `SIGHTLINE_SCENE_REPORT=1 swift test --skip-build --filter PerspectiveSceneTests/report`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SIGHTLINE_SCENE_REPORT"] != nil))
    func report() throws {
        let count = Int(ProcessInfo.processInfo.environment["SIGHTLINE_SCENE_REPORT"] ?? "") ?? 3
        var rows: [String: TrafficScore] = [:]
        var seed: UInt64 = 7000
        for i in 0..<count {
            let layout: SceneSpec.Layout = i % 2 == 1 ? .lanes : .single
            for featured in [[], ["occlusion"]] as [[String]] {
                let spec = Self.spec(seed: seed, seconds: 60, featured: featured, layout: layout)
                seed += 1
                let (score, truth, _) = try SceneEvaluationTests.evaluate(spec)
                print("seed \(spec.seed) \(truth.categories): \(score)")
                rows[featured.first ?? "perspective", default: TrafficScore()] += score
            }
        }
        for (name, s) in rows.sorted(by: { $0.key < $1.key }) {
            print("\(name): precision \(s.precision) recall \(s.recall) (tp \(s.truePositives) fp \(s.falsePositives) "
                + "fn \(s.falseNegatives))")
        }
    }
}
