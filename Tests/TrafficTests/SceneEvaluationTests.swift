import Testing
import Traffic
import TrafficScenes

/// The evaluation of `make bench` on a small suite: synthetic scenes with every nuisance on, rendered in
/// memory, scored against their truth (same vehicle, ±3 frames).
@Suite struct SceneEvaluationTests {
    /// Runs the stage configured as `scenes synth` writes it over a scene; returns the reported crossings.
    static func evaluate(_ spec: SceneSpec) throws -> (score: TrafficScore, truth: SceneTruth, reported: Int) {
        var scene = SyntheticScene(spec: spec)
        var configuration = TrafficConfiguration(
            signal: SignalLamps(red: SceneLayout.lampPolygon(0), amber: SceneLayout.lampPolygon(1),
                                green: SceneLayout.lampPolygon(2)),
            stopLine: SceneLayout.stopLine, direction: TrafficPoint(0, -1), graceSeconds: spec.graceSeconds)
        configuration.lanes = SceneLayout.lanePolygons
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

    @Test(arguments: [SceneSpec.Kind.allGreen, .allStop])
    func scenesWithoutViolationsGiveNoDetection(kind: SceneSpec.Kind) throws {
        let (_, truth, reported) = try Self.evaluate(SceneSpec(seed: 21, seconds: 24, kind: kind))
        #expect(truth.violations.isEmpty && truth.crossings.allSatisfy { !$0.violation })
        #expect(!truth.crossings.isEmpty, "vehicles should cross")
        #expect(reported == 0)
    }
}
