import ArgumentParser
import Foundation
import TrafficScenes

/// `sightline scenes synth OUTDIR`: synthetic intersection footage with its truth and camera file.
struct ScenesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenes", abstract: "Synthetic test footage.", subcommands: [Synth.self])

    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render a synthetic intersection (Y4M) with truth.json and camera.yaml into OUTDIR.",
            discussion: """
                Vehicles of varied size, speed and colour in three lanes; some stop at red, some run it, some \
                cross on amber or green; queues; pedestrians; cross traffic; light drift and passing clouds; \
                sensor noise; shadows; camera shake. Deterministic for a seed. With --count N, scenes \
                seed, seed+1, … go into OUTDIR/scene-SEED.
                """)

        @Argument(help: "Output directory.")
        var outdir: String

        @Option(help: "Random seed.")
        var seed: UInt64 = 1

        @Option(help: "Length in seconds.")
        var seconds = 60.0

        @Option(help: "Scenes to render (each in its own subdirectory when more than one).")
        var count = 1

        @Option(help: "mixed, all-green or all-stop.")
        var kind = "mixed"

        @Option(help: "Nuisances to switch off, comma-separated: noise, light, shadows, shake, pedestrians, cross.")
        var without = ""

        func run() throws {
            guard let kind = SceneSpec.Kind(rawValue: kind) else {
                throw ValidationError("--kind must be mixed, all-green or all-stop")
            }
            var nuisances = SceneSpec.Nuisances()
            for name in without.split(separator: ",") {
                switch name {
                case "noise": nuisances.noise = false
                case "light": nuisances.lightDrift = false
                case "shadows": nuisances.shadows = false
                case "shake": nuisances.shake = false
                case "pedestrians": nuisances.pedestrians = false
                case "cross": nuisances.crossTraffic = false
                default: throw ValidationError("unknown nuisance '\(name)'")
                }
            }
            for n in 0..<count {
                let spec = SceneSpec(seed: seed + UInt64(n), seconds: seconds, kind: kind, nuisances: nuisances)
                let dir = count == 1 ? outdir : "\(outdir)/scene-\(spec.seed)"
                let truth = try SceneFiles.write(spec, to: dir)
                print("\(dir): \(truth.frames) frames, \(truth.vehicles) vehicles, \(truth.crossings.count) crossings, "
                    + "\(truth.violations.count) on red")
            }
        }
    }
}
