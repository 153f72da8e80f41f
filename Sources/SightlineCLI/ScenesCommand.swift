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
                sensor noise; shadows; camera shake. --layout lanes gives three lanes with their own signals (a \
                left lane under a turn arrow without amber, straight on, a right-turn lane where turning on red \
                is lawful) and writes the lanes form of the camera file. --with adds featured nuisances: \
                side-by-side, close-following, night, rain, snow, cloud-shadows, exposure-jumps, cyclists (or \
                all: those eight), occlusion (buses, some with a red-light runner beside them on the far side \
                from the camera) and overcast (no sun: nothing casts a hard shadow; not with cloud-shadows). \
                Queues form at red and clear on green, some vehicles enter on amber (lawful), \
                and the camera shakes by up to 2 px in every scene. --camera perspective looks down the road from \
                behind the approach (--camera-height metres, --camera-tilt degrees below the horizon, --focal \
                pixels): vehicles are boxes that grow and speed up as they approach and hide what is behind them; \
                the truth's boxes are then picture boxes and each crossing says how much nearer vehicles cover \
                it. Deterministic for a seed. With --count N, scenes seed, seed+1, … go into OUTDIR/scene-SEED.
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

        @Option(name: .customLong("with"), help: "Featured nuisances to add, comma-separated, or all.")
        var with = ""

        @Option(help: "single (one signal head) or lanes (per-lane signals with a turn arrow).")
        var layout = "single"

        @Option(help: "top-down or perspective.")
        var camera = "top-down"

        @Option(help: "Perspective camera: height above the road, metres (2-30).")
        var cameraHeight = SceneCamera().height

        @Option(help: "Perspective camera: tilt below the horizon, degrees (3-60).")
        var cameraTilt = SceneCamera().tilt

        @Option(help: "Perspective camera: focal length, pixels of the 640x360 picture (150-3000).")
        var focal = SceneCamera().focal

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
            for name in with.split(separator: ",") {
                if name == "all" {
                    for featured in SceneSpec.Nuisances.featuredNames { _ = nuisances.feature(featured) }
                } else if !nuisances.feature(String(name)) {
                    throw ValidationError("unknown nuisance '\(name)'; known: "
                        + SceneSpec.Nuisances.everyName.joined(separator: ", ") + ", all")
                }
            }
            if nuisances.overcast && nuisances.cloudShadows {
                throw ValidationError("overcast and cloud-shadows (or all) contradict each other: an overcast sky casts "
                    + "no cloud shadows")
            }
            guard let layout = SceneSpec.Layout(rawValue: layout) else {
                throw ValidationError("--layout must be single or lanes")
            }
            var perspective: SceneCamera?
            switch camera {
            case "top-down": break
            case "perspective":
                let chosen = SceneCamera(height: cameraHeight, tilt: cameraTilt, focal: focal)
                guard chosen.isValid else {
                    throw ValidationError("--camera-height must be in 2…30 m, --camera-tilt in 3…60°, --focal in "
                        + "150…3000 px")
                }
                perspective = chosen
            default: throw ValidationError("--camera must be top-down or perspective")
            }
            guard seconds > 0, seconds <= 3600, count >= 1, count <= 10_000 else {
                throw ValidationError("--seconds must be in (0, 3600] and --count in 1…10000")
            }
            for n in 0..<count {
                let spec = SceneSpec(seed: seed &+ UInt64(n), seconds: seconds, kind: kind, nuisances: nuisances,
                                     layout: layout, camera: perspective)
                let dir = count == 1 ? outdir : "\(outdir)/scene-\(spec.seed)"
                let truth = try SceneFiles.write(spec, to: dir)
                print("\(dir): \(truth.frames) frames, \(truth.vehicles) vehicles, \(truth.crossings.count) crossings, "
                    + "\(truth.violations.count) on red")
            }
        }
    }
}
