import Testing
import Traffic
import TrafficScenes

/// The evaluation of `make bench` on a small suite: synthetic scenes with every nuisance on, rendered in
/// memory, scored against their truth (same vehicle, ±3 frames).
@Suite struct SceneEvaluationTests {
    /// Runs the stage configured as `scenes synth` writes it over a scene; returns the reported crossings.
    static func evaluate(_ spec: SceneSpec) throws -> (score: TrafficScore, truth: SceneTruth, reported: Int) {
        var scene = SyntheticScene(spec: spec)
        let configuration = SceneLayout.configuration(for: spec)
        let stage = TrafficStage(configuration: configuration)
        var reported: [TrafficScore.Reported] = []
        while let rendered = scene.next() {
            for detection in try stage.process(rendered.frame()) where detection.type == .trafficRedLightCrossing {
                guard case .int(let frame) = detection.body["frame"], case .array(let point) = detection.body["point"],
                      case .double(let x) = point[0], case .double(let y) = point[1] else { continue }
                reported.append(.init(frame: Int(frame), x: x, y: y))
            }
        }
        return (TrafficScore.score(reported, truth: scene.truth).score, scene.truth, reported.count)
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func mixedScenesMeetTheTargets(seed: UInt64) throws {
        let (score, truth, _) = try Self.evaluate(SceneSpec(seed: seed, seconds: 24))
        #expect(!truth.violations.isEmpty, "the scene should contain red-light runners")
        #expect(score.falsePositives == 0, "\(score)")
        #expect(score.falseNegatives == 0, "\(score)")
    }

    /// Featured nuisances in combination (the bench scores each alone): per-lane signals with a turn arrow and
    /// cars side by side following closely; night with rain (one crossing in the scene's last frame cannot be
    /// reported); snow, cloud shadows and exposure jumps together (seed 33 missed a crossing until a lamp had to
    /// gain its own colour over its unlit one to count as lit).
    @Test(arguments: [
        (31, "lanes", ["side-by-side", "close-following"], 0),
        (32, "single", ["night", "rain"], 1),
        (33, "lanes", ["snow", "cloud-shadows", "exposure-jumps"], 0),
    ] as [(UInt64, String, [String], Int)])
    func featuredNuisancesMeetTheTargets(seed: UInt64, layout: String, featured: [String], misses: Int) throws {
        let (score, truth) = try Self.evaluate(featured: featured, seed: seed, layout: layout)
        #expect(!truth.violations.isEmpty)
        #expect(score.falsePositives == 0, "\(score)")
        #expect(score.falseNegatives <= misses, "\(score)")
    }

    /// What still fails (Sources/Traffic/README.md): a cyclist riding past a stopped queue joins its blob and
    /// drags the vehicle's box over the line. When this passes, the known issue is no longer recorded and this test
    /// fails: move the case up.
    @Test(arguments: [
        (34, "single", ["cyclists"]),
    ] as [(UInt64, String, [String])])
    func nuisancesThatStillCostCrossings(seed: UInt64, layout: String, featured: [String]) throws {
        let (score, _) = try Self.evaluate(featured: featured, seed: seed, layout: layout)
        withKnownIssue("\(featured) still give false and missed crossings") {
            #expect(score.falsePositives == 0 && score.falseNegatives == 0, "\(score)")
        }
    }

    static func evaluate(featured: [String], seed: UInt64, layout: String) throws
        -> (score: TrafficScore, truth: SceneTruth)
    {
        var nuisances = SceneSpec.Nuisances()
        for name in featured {
            let known = nuisances.feature(name)
            #expect(known)
        }
        let spec = SceneSpec(seed: seed, seconds: 24, nuisances: nuisances,
                             layout: SceneSpec.Layout(rawValue: layout)!)
        let (score, truth, _) = try evaluate(spec)
        #expect(truth.nuisances == featured)
        return (score, truth)
    }

    /// The lanes layout's truth: the turn lane never holds a violation, the left lane follows its arrow, and
    /// side by side gives pairs of crossings in adjacent lanes a few frames apart.
    @Test func theLanesLayoutsTruthFollowsEachLanesSignal() throws {
        var nuisances = SceneSpec.Nuisances()
        _ = nuisances.feature("side-by-side")
        var scene = SyntheticScene(spec: SceneSpec(seed: 41, seconds: 40, nuisances: nuisances, layout: .lanes))
        while scene.next() != nil {}
        let truth = scene.truth
        let arrow = try #require(truth.arrowPhases)
        #expect(Set(arrow.map(\.state)) == ["red", "green"])
        #expect(truth.crossings.contains { $0.lane == 2 && $0.signal == "red" }, "right turns on red happen")
        #expect(truth.crossings.allSatisfy { $0.lane != 2 || !$0.violation })
        for crossing in truth.crossings where crossing.lane == 0 {
            let phase = arrow.last { $0.frame <= crossing.frame }
            #expect(phase?.state == crossing.signal)
        }
        let pairs = truth.crossings.filter { a in
            truth.crossings.contains { b in abs(a.lane - b.lane) == 1 && abs(a.frame - b.frame) <= 8 }
        }
        #expect(pairs.count >= 4)
    }

    /// A lawful lanes scene (signal always green) with every featured nuisance but cyclists gives nothing; so does
    /// one with the signal cycling and everyone stopping (queues under snow, clouds and cyclists gave a false crossing
    /// until a rear had to be advancing steadily before it crosses).
    @Test(arguments: [SceneSpec.Kind.allGreen, .allStop])
    func lawfulLanesScenesWithEveryNuisanceGiveNoDetection(kind: SceneSpec.Kind) throws {
        var nuisances = SceneSpec.Nuisances()
        for name in SceneSpec.Nuisances.featuredNames where kind == .allStop || name != "cyclists" {
            _ = nuisances.feature(name)
        }
        let (_, truth, reported) = try Self.evaluate(SceneSpec(seed: 22, seconds: 24, kind: kind,
                                                               nuisances: nuisances, layout: .lanes))
        #expect(truth.violations.isEmpty && !truth.crossings.isEmpty)
        #expect(reported == 0)
    }

    /// A crossing is a violation only for a vehicle that entered on red (its front reached the line after the red came
    /// on). The bench's second all-stop lanes scene (seed 6101, every nuisance) has a long vehicle that entered on the
    /// turn arrow's green (it has no amber) and whose rear crossed 1.49 s into its red: lawful, and the scene holds no
    /// violation. Its truth had one, so the lawful scene asked the stage to miss it.
    @Test func aVehicleThatEnteredBeforeTheRedIsNoViolationInTheTruth() {
        var nuisances = SceneSpec.Nuisances()
        for name in SceneSpec.Nuisances.featuredNames { _ = nuisances.feature(name) }
        let spec = SceneSpec(seed: 6101, seconds: 60, kind: .allStop, nuisances: nuisances, layout: .lanes)
        var simulator = SceneSimulator(spec: spec)
        for _ in 0..<spec.frameCount { simulator.step() }
        let crossings = simulator.truth.crossings
        #expect(crossings.allSatisfy { !$0.violation })
        let enteredBefore = crossings.filter { ($0.redFor ?? 0) >= spec.graceSeconds && $0.entered != "red" }
        #expect(enteredBefore.map(\.vehicle) == [31])
        #expect(enteredBefore.allSatisfy { $0.entered == "green" && $0.lane == 0 })
    }

    @Test(arguments: [SceneSpec.Kind.allGreen, .allStop])
    func scenesWithoutViolationsGiveNoDetection(kind: SceneSpec.Kind) throws {
        let (_, truth, reported) = try Self.evaluate(SceneSpec(seed: 21, seconds: 24, kind: kind))
        #expect(truth.violations.isEmpty && truth.crossings.allSatisfy { !$0.violation })
        #expect(!truth.crossings.isEmpty, "vehicles should cross")
        #expect(reported == 0)
    }
}
