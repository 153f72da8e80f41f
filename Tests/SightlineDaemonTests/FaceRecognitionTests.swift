import Crypto
import EventLog
import FaceKit
import Foundation
import Imaging
import Logging
import Matcher
import MetricsTestKit
@testable import SightlineConfig
import SightlineCore
@testable import SightlineRuntime
import SightlineTestKit
import Synchronization
import Testing

/// Recognition in the daemon on a replayed clip made of real photos: Obama (enrolled from one photo) and Biden
/// (not enrolled) side by side, in every frame.
@Suite(.serialized, .enabled(if: RecognitionFixtures.available, "Models/fetch has not been run"))
struct FaceRecognitionTests {
    /// The clip: obama3.jpg beside biden.jpg, `count` identical JPEG frames.
    static func clip(count: Int) throws -> (frames: [[UInt8]], picture: Image) {
        let picture = RecognitionFixtures.sideBySide(try RecognitionFixtures.photo("obama3.jpg"),
                                                     try RecognitionFixtures.photo("biden.jpg"))
        let jpeg = try JPEGEncoder.encode(picture, quality: 95)
        return (Array(repeating: jpeg, count: count), try JPEGDecoder().decode(jpeg, scale: 1, gray: false).image)
    }

    struct Run {
        var detections: [Detection]
        /// The evidence images the matches carried, with their SHA-256.
        var evidence: [(jpeg: [UInt8], sha256: String)]
        var logs: [String]
        var sinkFile: String
        var metrics: TestMetrics
    }

    /// Runs the real pipeline (decode → face stage with recognition) over the clip, with a capturing debug
    /// logger everywhere and the daemon's `DetectionSink` writing a detections file.
    static func run(frames: [[UInt8]], gallery: String, evidence: Bool = false, confirmK: Int = 3,
                    confirmN: Int = 5, in directory: String) async throws -> Run {
        let logs = LogCapture()
        let logger = logs.logger()
        let metrics = TestMetrics()
        let resources = RecognitionResources(logger: logger, metrics: metrics)
        var camera = CameraConfiguration(id: "door", source: .mjpeg(path: "clip.mjpeg"))
        camera.faces = FaceConfiguration(models: RecognitionFixtures.models, recognize: RecognitionConfiguration(
            enabled: true, gallery: gallery, confirmK: confirmK, confirmN: confirmN, evidence: evidence))
        let built = try FaceStageFactory.make(for: camera, recognition: resources)
        #expect(built.stages.first?.needsColor == true)
        let sinkFile = directory + "/detections.jsonl"
        let sink = try DetectionSink(path: sinkFile, logger: logger)
        let collected = Mutex<[Detection]>([])
        let pipeline = CameraPipeline(
            settings: .init(camera: "door", queueDepth: 64, overflow: .wait, decode: .init(minWidth: 0)),
            source: ReplaySource(payloads: frames.map { .jpeg($0) }), stages: built.stages, logger: logger,
            sink: { d in
                sink.write(d)
                collected.withLock { $0.append(d) }
            })
        await pipeline.run()
        sink.close()
        let detections = collected.withLock { $0 }
        let evidence = detections.flatMap(\.evidence.images).map { ($0, Encoding.hex(SHA256.hash(data: $0))) }
        return Run(detections: detections, evidence: evidence, logs: logs.all, sinkFile: sinkFile, metrics: metrics)
    }

    /// The descriptors of both faces in the clip, as the stage computes them (for looking for leaks).
    static func clipDescriptors(_ picture: Image) throws -> [[Float]] {
        try RecognitionFixtures.withDescriber { describer in
            let boxes = describer.detector.detect(picture, upsample: 0).map(\.box)
            return try describer.descriptors(of: boxes, in: picture)
        }
    }

    /// Ways a descriptor component could be written into text.
    static func renderings(_ descriptors: [[Float]]) -> [String] {
        descriptors.flatMap { $0.prefix(32) }.flatMap { value in
            ["\(value)", "\(Double(value))", String(format: "%.6f", value), String(format: "%.5f", value)]
        }
    }

    @Test func onlyTheEnrolledSubjectIsReportedAfterConfirmation() async throws {
        let scratch = try ScratchDirectory()
        let gallery = try RecognitionFixtures.gallery(in: scratch.path, subject: "obama", photo: "obama.jpg")
        let (frames, picture) = try Self.clip(count: 6)
        let run = try await Self.run(frames: frames, gallery: gallery.path, in: scratch.path)

        let detected = run.detections.filter { $0.type == .faceDetected }
        #expect(detected.count == 6 && detected.allSatisfy { $0.body["count"] == .int(2) })
        let matches = run.detections.filter { $0.type == .faceMatch }
        #expect(Set(run.detections.map(\.type)) == [.faceDetected, .faceMatch])
        // One track, confirmed once: on the third frame (3 of the last 5), not before and not again.
        #expect(matches.count == 1)
        let match = try #require(matches.first)
        #expect(match.frameSeq == 3)
        #expect(match.camera == "door")
        #expect(Set(match.body.keys) == ["subject", "distance", "box"])
        #expect(match.body["subject"] == .string("obama"))
        guard case .double(let distance)? = match.body["distance"] else {
            Issue.record("no distance in \(match.body)")
            return
        }
        #expect(distance > 0 && distance < 0.6)
        // The matched box is Obama's, on the left half of the canvas.
        guard case .array(let box)? = match.body["box"], box.count == 4, case .int(let right) = box[2] else {
            Issue.record("no box in \(match.body)")
            return
        }
        #expect(right < 393)
        #expect(run.evidence.isEmpty)
        // Metrics: one match, labelled by camera only.
        let counters = run.metrics.counters(label: "sightline_face_matches_total")
        #expect(counters.count == 1)
        #expect(counters.first.map { $0.dimensions.map(\.0) } == ["camera"])
        #expect(counters.first?.totalValue == 1)

        // Nothing anywhere carries a descriptor: no long number list in a body, no component in a body, the
        // detections file or the debug log.
        let descriptors = try Self.clipDescriptors(picture)
        #expect(descriptors.count == 2)
        let components = Set(descriptors.flatMap { $0 }.map(Double.init))
        for detection in run.detections {
            for value in detection.body.values {
                if case .array(let items) = value { #expect(items.count <= 4) }
                if case .double(let number) = value { #expect(!components.contains(number)) }
            }
        }
        let file = try String(contentsOfFile: run.sinkFile, encoding: .utf8)
        #expect(file.contains("\"face.match\""))
        #expect(!run.logs.isEmpty && run.logs.contains { $0.hasPrefix("debug") })
        for text in Self.renderings(descriptors) {
            #expect(!file.contains(text), "detections file holds \(text)")
            #expect(!run.logs.contains { $0.contains(text) }, "a log line holds \(text)")
        }
        // The subject is named in the detection, never in the logs.
        #expect(!run.logs.contains { $0.contains("obama") })
    }

    @Test func evidenceBlursEveryFaceButTheMatchedOne() async throws {
        let scratch = try ScratchDirectory()
        let gallery = try RecognitionFixtures.gallery(in: scratch.path, subject: "obama", photo: "obama.jpg")
        let (frames, picture) = try Self.clip(count: 4)
        let run = try await Self.run(frames: frames, gallery: gallery.path, evidence: true, confirmK: 2,
                                     confirmN: 3, in: scratch.path)
        let matches = run.detections.filter { $0.type == .faceMatch }
        #expect(matches.count == 1 && matches.first?.frameSeq == 2)
        #expect(run.evidence.count == 1)
        let evidence = try #require(run.evidence.first)
        #expect(matches.first?.body["evidence_sha256"] == .string(evidence.sha256))
        let image = try JPEGDecoder().decode(evidence.jpeg, scale: 1, gray: false).image
        #expect(image.width == picture.width && image.height == picture.height)
        // Obama's face (left) is as it was; Biden's (right, offset by obama3's width) is blurred away.
        let obama = FaceBox(left: 181, top: 85, right: 253, bottom: 157)
        let biden = FaceBox(left: 393 + 123, top: 54, right: 393 + 227, bottom: 158)
        #expect(Self.meanDifference(image, picture, obama) < 4)
        #expect(Self.meanDifference(image, picture, biden) > 12)
        // The daemon keeps it beside the detections file, named by its SHA-256.
        let keptPath = run.sinkFile + ".evidence/\(evidence.sha256).jpg"
        let kept = try Data(contentsOf: URL(fileURLWithPath: keptPath))
        #expect([UInt8](kept) == evidence.jpeg)
    }

    @Test func nobodyEnrolledMeansNoMatchAndNoEmbedding() async throws {
        let scratch = try ScratchDirectory()
        let gallery = try RecognitionFixtures.gallery(in: scratch.path, subject: "obama", photo: "obama.jpg")
        try gallery.erase(subject: "obama")
        let (frames, _) = try Self.clip(count: 4)
        let run = try await Self.run(frames: frames, gallery: gallery.path, in: scratch.path)
        #expect(run.detections.filter { $0.type == .faceDetected }.count == 4)
        #expect(!run.detections.contains { $0.type == .faceMatch })
        // The recognition timer records only frames where faces were embedded: none.
        #expect(run.metrics.timers.filter { $0.label == "sightline_face_recognition_seconds" }
            .allSatisfy { $0.values.isEmpty })
    }

    @Test func galleryOfAnotherModelOrMissingIsRefusedAtStart() throws {
        let scratch = try ScratchDirectory()
        let other = try Gallery(path: scratch.path + "/other.sealed")
        try other.enroll(subject: "x", templates: [[Float](repeating: 0.1, count: 128)],
                         modelSHA256: String(repeating: "ab", count: 32),
                         consent: Consent(purpose: "test", grantedBy: "x", grantedAt: Date()))
        for (path, expected) in [(other.path, "holds templates of model abababababab"),
                                 (scratch.path + "/none.sealed", "no gallery at")] {
            var camera = CameraConfiguration(id: "door", source: .y4m(path: "-"))
            camera.faces = FaceConfiguration(models: RecognitionFixtures.models,
                                             recognize: RecognitionConfiguration(enabled: true, gallery: path))
            do {
                _ = try FaceStageFactory.make(for: camera, recognition: RecognitionResources())
                Issue.record("expected \(path) to be refused")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    /// Mean absolute difference of two RGB images inside `box`.
    static func meanDifference(_ a: Image, _ b: Image, _ box: FaceBox) -> Double {
        var sum = 0, count = 0
        for y in box.top...box.bottom {
            for x in box.left...box.right {
                for c in 0..<3 {
                    let i = (y * a.width + x) * 3 + c
                    sum += abs(Int(a.pixels[i]) - Int(b.pixels[i]))
                    count += 1
                }
            }
        }
        return Double(sum) / Double(count)
    }
}
