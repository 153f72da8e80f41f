import Foundation
import SightlineCore
import Testing
@testable import Traffic
import TrafficScenes

/// The bench's suite (`Benchmarks/traffic/bench` at its defaults: the same seeds, kinds, layouts and 60-s
/// scenes) rendered in memory and run through `TrafficStage`, scored per nuisance as the bench scores it.
/// Slow (32 mixed and 4 lawful scenes, 32 400 frames), so it runs only with `SIGHTLINE_TRAFFIC_SUITE=1`;
/// `SIGHTLINE_TRAFFIC_SUITE_SEEDS` (comma-separated) runs some scenes only, `SIGHTLINE_TRAFFIC_SUITE_VERBOSE=1`
/// prints every false and missed crossing. It guards against regressions: the totals may not fall behind those
/// recorded in Sources/Traffic/README.md.
@Suite struct SuiteReportTests {
    struct Entry {
        var name: String
        var spec: SceneSpec
    }

    /// The bench's scenes, in its order.
    static var suite: [Entry] {
        func spec(_ seed: Int, _ kind: SceneSpec.Kind, _ layout: SceneSpec.Layout, _ with: [String]) -> SceneSpec {
            var nuisances = SceneSpec.Nuisances()
            for name in with { _ = nuisances.feature(name) }
            return SceneSpec(seed: UInt64(seed), seconds: 60, kind: kind, nuisances: nuisances, layout: layout)
        }
        let all = SceneSpec.Nuisances.featuredNames
        var entries: [Entry] = []
        var seed = 5000
        for name in ["side-by-side", "close-following", "night", "rain", "snow", "cloud-shadows", "exposure-jumps",
                     "cyclists"] {
            for i in 0..<3 {
                entries.append(Entry(name: "mixed-\(name)-\(i)", spec: spec(seed, .mixed, i % 2 == 1 ? .lanes : .single,
                                                                          [name])))
                seed += 1
            }
        }
        for i in 0..<3 {
            entries.append(Entry(name: "mixed-lanes-\(i)", spec: spec(seed, .mixed, .lanes, [])))
            seed += 1
        }
        for i in 0..<3 {
            entries.append(Entry(name: "mixed-all-\(i)", spec: spec(seed, .mixed, .lanes, all)))
            seed += 1
        }
        for i in 0..<2 {
            entries.append(Entry(name: "mixed-plain-\(i)", spec: spec(seed, .mixed, .single, []))); seed += 1
        }
        entries.append(Entry(name: "quiet-green-lanes", spec: spec(6000, .allGreen, .lanes, all)))
        entries.append(Entry(name: "quiet-stop-lanes", spec: spec(6001, .allStop, .lanes, all)))
        entries.append(Entry(name: "quiet-green-single", spec: spec(6002, .allGreen, .single, all)))
        entries.append(Entry(name: "quiet-stop-single", spec: spec(6003, .allStop, .single, all)))
        return entries
    }

    struct Outcome {
        var score: TrafficScore
        var reported: Int
        var categories: [String]
        var lawful: Bool
        var frames: Int
        var stageNanos: UInt64
        var details: [String]
    }

    static func run(_ entry: Entry, trace: ClosedRange<Int>? = nil) throws -> Outcome {
        var scene = SyntheticScene(spec: entry.spec)
        let stage = TrafficStage(configuration: SceneLayout.configuration(for: entry.spec))
        if let trace {
            stage.trace = { line in
                let frame = Int(line.split(separator: " ")[1]) ?? -1
                if trace.contains(frame) { print(line) }
            }
        }
        var reported: [TrafficScore.Reported] = []
        var nanos: UInt64 = 0
        var frames = 0
        while let rendered = scene.next() {
            let frame = rendered.frame()
            let start = Clocks.threadCPUNanos()
            let detections = try stage.process(frame)
            nanos += Clocks.threadCPUNanos() - start
            frames += 1
            for detection in detections where detection.type == .trafficRedLightCrossing {
                guard case .int(let frame) = detection.body["frame"], case .array(let point) = detection.body["point"],
                      case .double(let x) = point[0], case .double(let y) = point[1] else { continue }
                reported.append(.init(frame: Int(frame), x: x, y: y))
            }
        }
        let truth = scene.truth
        let (score, unmatched, missed) = TrafficScore.score(reported, truth: truth)
        var details = unmatched.map { "    false  frame \($0.frame) at (\(Int($0.x)), \(Int($0.y)))" }
        details += missed.map { "    missed frame \($0.frame) lane \($0.lane) box \($0.box.map { Int($0) })" }
        return Outcome(score: score, reported: reported.count, categories: truth.categories,
                       lawful: entry.spec.kind != .mixed, frames: frames, stageNanos: nanos, details: details)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SIGHTLINE_TRAFFIC_SUITE"] == "1"))
    func benchSuitePerNuisance() throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds = environment["SIGHTLINE_TRAFFIC_SUITE_SEEDS"].map { Set($0.split(separator: ",").compactMap {
            UInt64($0)
        }) }
        let verbose = environment["SIGHTLINE_TRAFFIC_SUITE_VERBOSE"] == "1"
        // `SIGHTLINE_TRAFFIC_SUITE_TRACE=FROM-TO` prints the stage's trace of those frames.
        let trace = environment["SIGHTLINE_TRAFFIC_SUITE_TRACE"].flatMap { text -> ClosedRange<Int>? in
            let ends = text.split(separator: "-").compactMap { Int($0) }
            return ends.count == 2 && ends[0] <= ends[1] ? ends[0]...ends[1] : nil
        }
        let entries = Self.suite.filter { seeds?.contains($0.spec.seed) ?? true }
        var total = TrafficScore()
        var by: [String: (score: TrafficScore, scenes: Int)] = [:]
        var quiet = 0
        var frames = 0
        var nanos: UInt64 = 0
        for entry in entries {
            let outcome = try Self.run(entry, trace: trace)
            frames += outcome.frames
            nanos += outcome.stageNanos
            let s = outcome.score
            print("\(entry.name) seed \(entry.spec.seed): tp \(s.truePositives) fp \(s.falsePositives) "
                + "fn \(s.falseNegatives)\(outcome.lawful ? " reported \(outcome.reported)" : "")")
            if verbose { outcome.details.forEach { print($0) } }
            if outcome.lawful {
                quiet += outcome.reported
                continue
            }
            total += s
            var names = outcome.categories
            let alone = names.filter { $0 != "lanes" }
            if alone.count > 1 { names = ["all"] + (names.contains("lanes") ? ["lanes"] : []) }
            for name in names {
                by[name, default: (TrafficScore(), 0)].score += s
                by[name, default: (TrafficScore(), 0)].scenes += 1
            }
        }
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        print("overall precision \(f(total.precision)) recall \(f(total.recall)) (tp \(total.truePositives) "
            + "fp \(total.falsePositives) fn \(total.falseNegatives))")
        for (name, entry) in by.sorted(by: { $0.key < $1.key }) {
            let s = entry.score
            print("  \(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(entry.scenes) scenes  "
                + "precision \(f(s.precision)) recall \(f(s.recall)) (tp \(s.truePositives) fp \(s.falsePositives) "
                + "fn \(s.falseNegatives))")
        }
        print("detections on lawful scenes: \(quiet)")
        print("stage \(Int(Double(frames) / (Double(nanos) / 1e9))) frames/s (thread CPU time) over \(frames) frames")
        if seeds == nil {
            // The totals recorded in Sources/Traffic/README.md: a change may not make them worse.
            #expect(total.falsePositives <= Self.recorded.fp && total.falseNegatives <= Self.recorded.fn, "\(total)")
            #expect(quiet <= Self.recorded.lawful)
        }
    }

    /// After the fourth pass (signal glare, dark-scene hysteresis, the lane split past the far end, the rear half a
    /// model pixel in, a crossing within one lane, a vehicle's front not crossing for it): tp 137, fp 6, fn 12,
    /// 1 detection on lawful scenes. After the tracker's edge rule and duplicate tracks (branch `tracks`): tp 139,
    /// fp 6, fn 10, 1. After the lane-width limit (sixth pass): tp 138, fp 6, fn 11, 0 — one miss more here and a
    /// lawful detection less, and over the bench's whole suite at three thresholds 129 errors against 131: inside the
    /// noise the fifth pass measured, kept for the lawful scenes. After the tenth pass (a rear slice joins its front,
    /// one fallen-back measurement does not make a rear a standing one): tp 137, fp 4, fn 12, 0; with crossings
    /// judged on the signal as it settles: fp 3. After the twelfth pass (the vehicles being tracked are held out of the
    /// background model's estimate of the light): tp 139, fp 2, fn 10, 0. After the thirteenth pass (a short front and
    /// the track behind it are one vehicle only when together no longer than a vehicle): tp 140, fp 2, fn 9, 0. After
    /// the fourteenth (a rear held back that catches up with a steady front crosses when the rear its front implies
    /// did): tp 141, fp 2, fn 8, 0. After the fifteenth (a rear that lost its last rows crosses at its pace): tp 142,
    /// fp 1, fn 7, 0.
    static let recorded = (fp: 1, fn: 5, lawful: 0)
}

extension SuiteReportTests {
    /// `SIGHTLINE_TRAFFIC_DUMP=SEED:FRAME` writes that frame's luma and the model's raw mask as PGM to /tmp;
    /// `SEED:FROM-TO` writes, per frame of that range, one montage `/tmp/dump-SEED-FRAME.pgm` at model size:
    /// the frame box-reduced, the background, the raw mask, the cleaned mask and the light's gain (× 128).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SIGHTLINE_TRAFFIC_DUMP"] != nil))
    func dumpMask() throws {
        let parts = ProcessInfo.processInfo.environment["SIGHTLINE_TRAFFIC_DUMP"]!.split(separator: ":")
        let seed = UInt64(parts[0])!
        let ends = parts[1].split(separator: "-").compactMap { Int($0) }
        let range = ends[0]...(ends.count > 1 ? ends[1] : ends[0])
        let entry = try #require(Self.suite.first { $0.spec.seed == seed })
        var scene = SyntheticScene(spec: entry.spec)
        let tuning = TrafficTuning()
        // `SIGHTLINE_TRAFFIC_DUMP_FILE=PATH.y4m` reads the frames from a rendered 4:2:0 file instead (its own size).
        let file = ProcessInfo.processInfo.environment["SIGHTLINE_TRAFFIC_DUMP_FILE"]
            .flatMap { FileManager.default.contents(atPath: $0) }
        let header = file.map { String(decoding: $0.prefix(while: { $0 != 10 }), as: UTF8.self).split(separator: " ") }
        let W = header?.first { $0.hasPrefix("W") }.flatMap { Int($0.dropFirst()) } ?? 640
        let H = header?.first { $0.hasPrefix("H") }.flatMap { Int($0.dropFirst()) } ?? 360
        var model = BackgroundModel(imageWidth: W, imageHeight: H, modelWidth: tuning.modelWidth,
                                    threshold: tuning.threshold, learningRate: tuning.learningRate)
        let configuration = SceneLayout.configuration(for: entry.spec)
        let scale = Double(model.factor)
        let areas = configuration.lanes.isEmpty ? TrafficStage.laneBands(configuration) : configuration.lanes
        var extractor = BlobExtractor(width: model.width, height: model.height,
                                      lanes: areas.map { $0.scaled(by: 1 / scale) }, region: nil)
        func write(_ name: String, _ w: Int, _ h: Int, _ pixels: [UInt8]) {
            let data = Data("P5\n\(w) \(h)\n255\n".utf8) + Data(pixels)
            if !FileManager.default.createFile(atPath: "/tmp/\(name).pgm", contents: data) {
                Issue.record("could not write /tmp/\(name).pgm")
            }
        }
        var offset = file.map { ($0.firstIndex(of: 10) ?? $0.endIndex - 1) + 1 } ?? 0
        var index = -1
        func next() -> (index: Int, luma: [UInt8])? {
            guard let file else { return scene.next().map { ($0.index, $0.luma) } }
            guard offset + 6 + W * H <= file.count else { return nil }
            index += 1
            defer { offset += 6 + W * H * 3 / 2 }
            return (index, [UInt8](file[(offset + 6)..<(offset + 6 + W * H)]))
        }
        while let rendered = next() {
            let mask = model.update(gray: rendered.luma, imageWidth: W)
            let blobs = extractor.extract(mask, minArea: Int((configuration.minArea / (scale * scale)).rounded(.up)))
            guard range.contains(rendered.index) else { continue }
            let (w, h, f) = (model.width, model.height, model.factor)
            if range.count == 1 {
                write("luma", W, H, rendered.luma)
                write("mask", w, h, mask.map { $0 * 255 })
                write("bg", w, h, model.background.map { UInt8(clamping: Int($0)) })
            }
            var montage = [UInt8](repeating: 0, count: 5 * w * h)
            for y in 0..<h {
                for x in 0..<w {
                    var sum = 0
                    for dy in 0..<f { for dx in 0..<f { sum += Int(rendered.luma[(y * f + dy) * W + x * f + dx]) } }
                    let i = y * w + x, row = y * 5 * w
                    montage[row + x] = UInt8(clamping: sum / (f * f))
                    montage[row + w + x] = UInt8(clamping: Int(model.background[i]))
                    montage[row + 2 * w + x] = mask[i] * 255
                    montage[row + 3 * w + x] = extractor.cleanedMask[i] * 255
                    montage[row + 4 * w + x] = UInt8(clamping: Int(model.localGain[i] * 128))
                }
            }
            write("dump-\(seed)-\(rendered.index)", 5 * w, h, montage)
            print("frame \(rendered.index) gain \(model.gain) offset \(model.offset) blobs "
                + blobs.map { "[\($0.minX * f),\($0.minY * f),\(($0.maxX + 1) * f),\(($0.maxY + 1) * f)]" }
                .joined(separator: " "))
            if rendered.index == range.upperBound { break }
        }
    }
}
