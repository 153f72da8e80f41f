import ArgumentParser
import Foundation
import SightlineCore
import SightlineRuntime
import Synchronization
import TrafficScenes

/// `sightline eval traffic DIR...`: replays synthetic scenes and scores the red-light crossings.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Score detectors against ground truth.", subcommands: [Traffic.self])

    struct Traffic: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "traffic",
            abstract: "Replay scenes (scene.y4m, truth.json, camera.yaml) and print precision, recall, F1 and fps.",
            discussion: """
                A detection matches a truth crossing on red when it is the same vehicle (its point lies in the \
                vehicle's box) and its frame is within ±3 frames; crossings within 3 frames of the grace \
                boundary count neither way. Each DIR is a scene or holds scenes in subdirectories. Besides the \
                total, scores are given per nuisance (a scene counts under each nuisance it features, under \
                `lanes` for the lanes layout, or under `plain`).
                """)

        @Argument(help: "Scene directories, or directories of scene directories.")
        var directories: [String]

        @Flag(help: "One JSON object per scene and one for the total.")
        var json = false

        @Flag(help: "List unmatched detections and missed crossings, with what the stage saw of each missed vehicle.")
        var verbose = false

        @Option(help: "Exit with status 1 when precision is below this.")
        var minPrecision: Double?

        @Option(help: "Exit with status 1 when recall is below this.")
        var minRecall: Double?

        func run() throws {
            let scenes = SceneFiles.sceneDirectories(directories)
            guard !scenes.isEmpty else { throw ValidationError("no scene (a directory with truth.json) found") }
            var total = TrafficScore()
            var byCategory: [String: TrafficScore] = [:]
            var stageNanos: UInt64 = 0, totalNanos: UInt64 = 0, frames = 0
            var quietFailures: [String] = []
            for dir in scenes {
                let truth = try SceneFiles.readTruth(in: dir)
                let camera: CameraFile
                do { camera = try CameraFile.load(path: "\(dir)/\(SceneFiles.camera)") } catch {
                    throw ValidationError(error.description)
                }
                // Through the daemon's pipeline, as fast as it goes and without dropping a frame.
                var replay = FootageReplay(camera: camera.camera, footage: .y4m(path: "\(dir)/\(SceneFiles.footage)"))
                // With --verbose, what the stage saw of each violation in the frame it happened, for the misses.
                let sights = Mutex<[Int: TrafficScore.Sight]>([:])
                if verbose {
                    let due = Dictionary(grouping: truth.crossings.filter { $0.violation && !$0.ambiguous }, by: \.frame)
                    replay.inspect = { inspection in
                        guard let crossings = due[inspection.frame] else { return }
                        let seen = crossings.map { ($0.vehicle, TrafficScore.sight(of: $0.box, in: inspection)) }
                        sights.withLock { for (vehicle, sight) in seen { $0[vehicle] = sight } }
                    }
                }
                let result = try replay.run()
                let reported = result.detections.filter { $0.type == .trafficRedLightCrossing }.compactMap {
                    detection -> TrafficScore.Reported? in
                    guard case .int(let frame) = detection.body["frame"],
                          case .array(let point) = detection.body["point"],
                          point.count == 2, case .double(let x) = point[0], case .double(let y) = point[1]
                    else { return nil }
                    return TrafficScore.Reported(frame: Int(frame), x: x, y: y)
                }
                let (score, unmatched, missed) = TrafficScore.score(reported, truth: truth)
                total = total + score
                for category in truth.categories { byCategory[category, default: TrafficScore()] += score }
                stageNanos += result.stageNanos["traffic"] ?? 0
                totalNanos += result.decodeNanos + result.stageNanos.values.reduce(0, +)
                frames += result.frames
                if truth.kind != "mixed" && !reported.isEmpty { quietFailures.append(dir) }
                if json {
                    print(Self.json(["scene": .string(dir), "kind": .string(truth.kind), "score": Self.json(score),
                                     "nuisances": .array(truth.categories.map { .string($0) }),
                                     "reported": .int(Int64(reported.count)),
                                     "stage_fps": .double(result.fps(of: "traffic").rounded())]))
                } else {
                    print(String(format: "%@  %@  truth %d  reported %d  tp %d fp %d fn %d  stage %.0f fps", dir,
                                 truth.kind, truth.violations.count, reported.count, score.truePositives,
                                 score.falsePositives, score.falseNegatives, result.fps(of: "traffic")))
                }
                if verbose {
                    for r in unmatched {
                        print("    unmatched detection frame \(r.frame) point (\(r.x), \(r.y)): "
                            + TrafficScore.explain(unmatched: r, truth: truth))
                    }
                    for m in missed {
                        print("    missed vehicle \(m.vehicle) frame \(m.frame) lane \(m.lane) "
                            + "red_for \(m.redFor ?? -1) "
                            + "box \(m.box.map { Int($0) }): "
                            + TrafficScore.explain(missed: m, reported: reported,
                                                   sight: sights.withLock { $0[m.vehicle] }))
                    }
                }
            }
            let stageFPS = Double(frames) / max(Double(stageNanos) / 1e9, 1e-9)
            let totalFPS = Double(frames) / max(Double(totalNanos) / 1e9, 1e-9)
            if json {
                print(Self.json(["total": Self.json(total), "scenes": .int(Int64(scenes.count)),
                                 "by_nuisance": .object(byCategory.mapValues { Self.json($0) }),
                                 "frames": .int(Int64(frames)),
                                 "stage_fps": .double(stageFPS.rounded()), "total_fps": .double(totalFPS.rounded()),
                                 "quiet_scene_failures": .int(Int64(quietFailures.count))]))
            } else {
                print(String(format: "TOTAL %d scenes, %d frames: precision %.4f  recall %.4f  F1 %.4f  "
                    + "(tp %d fp %d fn %d, "
                    + "%d ambiguous)  traffic stage %.0f fps, decode+stage %.0f fps", scenes.count, frames,
                    total.precision, total.recall, total.f1, total.truePositives, total.falsePositives,
                    total.falseNegatives, total.ambiguous, stageFPS, totalFPS))
                for (name, score) in byCategory.sorted(by: { $0.key < $1.key }) {
                    print(String(format: "  %@ precision %.4f  recall %.4f  (tp %d fp %d fn %d)",
                                 name.padding(toLength: 16, withPad: " ", startingAt: 0),
                                 score.precision, score.recall, score.truePositives, score.falsePositives,
                                 score.falseNegatives))
                }
                if !quietFailures.isEmpty {
                    print("detections on all-green/all-stop scenes: " + quietFailures.joined(separator: ", "))
                }
            }
            if let minPrecision, total.precision < minPrecision { throw ExitCode(1) }
            if let minRecall, total.recall < minRecall { throw ExitCode(1) }
            if !quietFailures.isEmpty && (minPrecision != nil || minRecall != nil) { throw ExitCode(1) }
        }

        static func json(_ score: TrafficScore) -> JSONValue {
            .object(["tp": .int(Int64(score.truePositives)), "fp": .int(Int64(score.falsePositives)),
                     "fn": .int(Int64(score.falseNegatives)), "ambiguous": .int(Int64(score.ambiguous)),
                     "precision": .double(score.precision), "recall": .double(score.recall), "f1": .double(score.f1)])
        }

        static func json(_ object: [String: JSONValue]) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(JSONValue.object(object))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
    }
}
