import FaceKit
import Foundation
import Imaging
import SightlineCore
import Testing

/// The privacy lines of DESIGN.md, end to end: the real `sightlined` on footage with real faces (`PrivacyRun`:
/// traffic, face blurring, recognition with Obama enrolled and Biden not, events spooled, debug logs, metrics).
///
/// (a) no kept evidence image shows a face the detector can find, but the enrolled subject's own face in his
/// match image; (b) traffic events carry no identity; (c) the only identity events are `face.match`es of the
/// enrolled subject; (d) nothing about the face that matches nobody — descriptor, distance, its box, an
/// "unknown" record — is in the spool, the logs, the metrics or any file the daemon wrote.
@Suite(.serialized, .enabled(if: RecognitionFixtures.available, "Models/fetch has not been run"))
struct PrivacyEndToEndTests {
    static let detector: FaceDetector? = try? FaceDetector(
        model: FHOGDetectorModel(contentsOfFile: RecognitionFixtures.models + "/" + FaceDescriber.FileName.detector))

    static func decode(_ jpeg: [UInt8]) throws -> Image {
        try JPEGDecoder().decode(jpeg, scale: 1, gray: false).image
    }

    static func box(_ value: Any?) -> FaceBox? {
        guard let b = integers(value), b.count == 4 else { return nil }
        return FaceBox(left: b[0], top: b[1], right: b[2], bottom: b[3])
    }

    @Test func theRunProducedWhatTheChecksLookAt() throws {
        let run = try PrivacyRun.shared.get()
        let truth = try FacesClipTruth()
        #expect(run.exitStatus == 0, "\(run.log.suffix(20).joined(separator: "\n"))")
        #expect(run.events("traffic.red_light_crossing").count == truth.crossingsOnRed)
        #expect(!run.events("face.match").isEmpty)
        #expect(run.events("face.detected").contains { ($0.body["count"] as? NSNumber)?.intValue == 2 })
        #expect(run.log.contains { $0.contains("debug") && $0.contains("face matches confirmed") })
        #expect(run.scrapes.contains { $0.contains("sightline_face_matches_total{camera=\"street\"} 1") })
        let cameras = run.summary["cameras"] as? [[String: Any]] ?? []
        #expect((cameras.first?["faces_blurred"] as? NSNumber)?.intValue ?? 0 >= 2 * 3 * truth.crossingsOnRed + 1)
    }

    // (a)
    @Test func keptEvidenceShowsNoFaceButTheEnrolledSubjectsOwnInHisMatchImage() throws {
        let run = try PrivacyRun.shared.get()
        let truth = try FacesClipTruth()
        let detector = try #require(Self.detector)
        let clip = try FacesClipTruth.clipFrames()
        let crossings = run.events("traffic.red_light_crossing")
        for crossing in crossings {
            // Three stills and the clip of the seconds around the crossing, an MJPEG stream.
            #expect(crossing.evidence.count == 4)
            #expect(crossing.line.contains("\"media_type\":\"\(MotionJPEG.mediaType)\""))
            // Both people were in view: the detector finds their faces in the footage's own frame.
            #expect(truth.faces(seq: crossing.frameSeq).filter(\.whole).count == 2)
            #expect(detector.detect(try Self.decode(clip[crossing.frameSeq - 1])).count == 2)
            for sha in crossing.evidence.prefix(3) {
                let found = detector.detect(try Self.decode(try #require(run.blobs[sha])), adjustThreshold: -0.5)
                #expect(found.isEmpty, "crossing at frame \(crossing.frameSeq): face(s) at \(found.map(\.box))")
            }
            // Every other frame of the clip (both people stay in view through it): no face to find either.
            let clipBytes = try #require(run.blobs[crossing.evidence[3]])
            let frames = try #require(MotionJPEG.frames(clipBytes))
            #expect(frames.count >= 20, "a clip of \(frames.count) frames")
            for (n, frame) in frames.enumerated() where n.isMultiple(of: 2) {
                let found = detector.detect(try Self.decode(Array(frame)), adjustThreshold: -0.5)
                #expect(found.isEmpty, "clip of frame \(crossing.frameSeq), picture \(n): face(s) at \(found.map(\.box))")
            }
        }
        let matches = run.events("face.match")
        for match in matches {
            #expect(match.evidence.count == 1)
            let matched = try #require(Self.box(match.body["box"]))
            for sha in match.evidence {
                let found = detector.detect(try Self.decode(try #require(run.blobs[sha])), adjustThreshold: -0.5)
                // Obama's face is the one kept; Biden's, in view at the same time, is blurred past finding.
                #expect(found.count == 1, "match at frame \(match.frameSeq): faces at \(found.map(\.box))")
                #expect(found.allSatisfy { $0.box.intersectionOverUnion(matched) > 0.5 })
                let faces = truth.faces(seq: match.frameSeq)
                #expect(faces.contains { $0.name == "biden" })
                let obama = try #require(faces.first { $0.name == "obama" })
                #expect(found.allSatisfy { $0.box.intersectionOverUnion(obama.box) > 0.3 }, "kept: \(found.map(\.box))")
            }
        }
        // No other image is kept: every blob belongs to one of those events.
        let referenced = Set((crossings + matches).flatMap(\.evidence))
        #expect(Set(run.blobs.keys) == referenced)
        #expect(run.events.allSatisfy { $0.evidence.isEmpty || ["traffic.red_light_crossing", "face.match"]
            .contains($0.type) })
    }

    // (b)
    @Test func trafficEventsCarryNoIdentity() throws {
        let run = try PrivacyRun.shared.get()
        let allowed: [String: Set<String>] = [
            // stop_line and source_size describe the camera's picture, not anyone in it; lane and group name
            // the camera's own lanes and signal groups.
            "traffic.red_light_crossing": ["box", "frame", "frame_seq", "lane", "point", "pts", "signal",
                                           "source_size", "stop_line", "track"],
            "traffic.signal_state": ["frame", "frame_seq", "group", "previous", "pts", "state"],
        ]
        let traffic = run.events.filter { $0.type.hasPrefix("traffic.") }
        #expect(Set(traffic.map(\.type)) == Set(allowed.keys))
        for event in traffic {
            let keys = Set(event.body.keys)
            #expect(keys.isSubset(of: allowed[event.type] ?? []), "\(event.type) carries \(keys)")
            for word in ["obama", "subject", "distance", "descriptor", "embedding", "face", "identity", "person"] {
                #expect(!event.line.lowercased().contains(word), "\(event.type) mentions \(word): \(event.line)")
            }
        }
    }

    // (c)
    @Test func onlyMatchesOfTheEnrolledSubjectNameAnyone() throws {
        let run = try PrivacyRun.shared.get()
        let truth = try FacesClipTruth()
        let known: Set<String> = ["frame.stats", "face.detected", "face.match", "traffic.signal_state",
                                  "traffic.red_light_crossing", "log.checkpoint", "camera.status"]
        #expect(Set(run.events.map(\.type)).isSubset(of: known))
        // Every event that names a subject is a face.match, and every face.match names the enrolled subject.
        #expect(run.events.filter { $0.line.contains("\"subject\"") }.allSatisfy { $0.type == "face.match" })
        let matches = run.events("face.match")
        for match in matches {
            #expect(match.body["subject"] as? String == "obama")
            #expect(Set(match.body.keys) == ["subject", "distance", "box", "evidence_sha256", "frame_seq", "pts"])
            // The matched box is Obama's face in that frame, nowhere near Biden's.
            let matched = try #require(Self.box(match.body["box"]))
            let faces = truth.faces(seq: match.frameSeq)
            let obama = try #require(faces.first { $0.name == "obama" })
            #expect(matched.intersectionOverUnion(obama.box) > 0.5)
            #expect(faces.filter { $0.name != "obama" }.allSatisfy { matched.intersection($0.box).isEmpty })
        }
        // On a camera with recognition, face.detected holds the count alone: boxes beside a match of the same
        // frame would mark the other faces as ones that matched nobody.
        for detected in run.events("face.detected") {
            #expect(Set(detected.body.keys) == ["count", "frame_seq", "pts"])
        }
    }

    // (d)
    @Test func nothingAboutTheFaceThatMatchesNobodyIsWrittenAnywhere() throws {
        let run = try PrivacyRun.shared.get()
        let truth = try FacesClipTruth()
        let clip = try FacesClipTruth.clipFrames()
        // Biden's descriptor as the daemon computes it (same decoder, detector and network on the same frames),
        // and his distance to Obama's enrolled template.
        let enrolled = try RecognitionFixtures.withDescriber {
            try $0.describe(try RecognitionFixtures.photo("obama3.jpg"), upsample: 1)
        }
        let template = try #require(enrolled.first?.descriptor)
        var descriptors: [[Float]] = []
        var distances: [Float] = []
        for index in [69, 84] {
            let picture = try Self.decode(clip[index])
            let biden = try #require(truth.frames[index].first { $0.name == "biden" })
            let faces = try RecognitionFixtures.withDescriber { describer in
                let boxes = describer.detector.detect(picture, upsample: 0).map(\.box)
                    .filter { $0.intersectionOverUnion(biden.box) > 0.3 }
                return try describer.descriptors(of: boxes, in: picture)
            }
            let descriptor = try #require(faces.first, "Biden not found in frame \(index)")
            descriptors.append(descriptor)
            var squared: Float = 0
            for (a, b) in zip(descriptor, template) { squared += (a - b) * (a - b) }
            distances.append(squared.squareRoot())
        }
        #expect(distances.allSatisfy { $0 > 0.6 }, "Biden must match nobody: \(distances)")
        // Ways a number could be written as text: Swift's own renderings, and six decimals (components under
        // 0.01 are left out: six decimals of them are too short to be told from other numbers). The enrolled
        // template is looked for too: it lives in the encrypted gallery only.
        let numbers = (descriptors + [template]).flatMap { $0.prefix(32) }.filter { abs($0) >= 0.01 } + distances
        // Metric samples are printed as Swift prints a Double; six decimals are left out there (a scrape's sums
        // of seconds hold so many digits that a six-decimal string turns up in them by chance).
        let written = numbers.flatMap { ["\($0)", "\(Double($0))"] }
        let decimals = numbers.map { String(format: "%.6f", $0) }
        let texts = run.events.map { ("spool event \($0.type) of frame \($0.frameSeq)", Data($0.line.utf8)) }
            + run.files.map { ("file \($0.key)", Data($0.value)) }
        let scrapes = run.scrapes.enumerated().map { ("metrics scrape \($0.offset)", Data($0.element.utf8)) }
        let everything = texts + scrapes
        var leaks = written.flatMap { needle in everything.filter { holds($0.1, needle) }.map { "\($0.0): \(needle)" } }
        leaks += decimals.flatMap { needle in texts.filter { holds($0.1, needle) }.map { "\($0.0): \(needle)" } }
        #expect(leaks.isEmpty, "\(leaks.prefix(10))")

        // Biden's boxes as the daemon finds them (the same decoder and detector on every frame he is in): in no
        // event, file, log line or metric.
        let detector = try #require(Self.detector)
        var bidenBoxes = Set<FaceBox>()
        for (index, faces) in truth.frames.enumerated() where faces.contains(where: { $0.name == "biden" }) {
            let biden = faces.first { $0.name == "biden" }!
            for face in detector.detect(try Self.decode(clip[index]), upsample: 0)
            where face.box.intersectionOverUnion(biden.box) > 0.3 {
                bidenBoxes.insert(face.box)
            }
        }
        #expect(bidenBoxes.count > 10)
        let boxTexts = everything
        let boxNeedles = bidenBoxes.flatMap { box in
            ["\(box)", "\(box.left),\(box.top),\(box.right),\(box.bottom)", "left: \(box.left), top: \(box.top)"]
        }
        let boxLeaks = boxNeedles.flatMap { needle in
            boxTexts.filter { holds($0.1, needle) }.map { "\($0.0) holds \(needle)" }
        }
        #expect(boxLeaks.isEmpty, "\(boxLeaks.prefix(10))")
        // A distance is written only for a match, and a match is within the threshold.
        for event in run.events where event.line.contains("\"distance\"") {
            #expect(event.type == "face.match")
            #expect(((event.body["distance"] as? NSNumber)?.doubleValue ?? 1) < 0.6)
        }
        // No record of a face that matched nobody, in any words.
        let words = ["unknown", "candidate", "nobody", "unmatched", "no match", "non-match", "stranger", "distance",
                     "descriptor", "embedding", "nearest", "biden"]
        let faceLines = run.log.filter { line in
            ["face", "recogni", "match", "gallery", "subject"].contains { line.lowercased().contains($0) }
        }
        #expect(faceLines.count > 1)
        for line in faceLines {
            for word in words { #expect(!line.lowercased().contains(word), "log line: \(line)") }
        }
        for event in run.events where event.type.hasPrefix("face.") {
            for word in words where word != "distance" {
                #expect(!event.line.lowercased().contains(word), "\(event.type): \(event.line)")
            }
        }
        // Metrics: face series are labelled by camera (stage, event type) only, never by subject or outcome.
        let known: Set<String> = ["frame.stats", "face.detected", "face.match", "traffic.signal_state",
                                  "traffic.red_light_crossing"]
        for scrape in run.scrapes {
            for line in scrape.split(separator: "\n") where line.contains("face") && !line.hasPrefix("#") {
                let labels = line.split(separator: "{").dropFirst().first?.split(separator: "}").first ?? ""
                let pairs = labels.split(separator: ",").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
                for pair in pairs {
                    let (name, value) = (pair[0], pair.count > 1 ? pair[1] : "")
                    switch name {
                    case "camera": #expect(value == "\"street\"", "metric line: \(line)")
                    case "type": #expect(known.contains(String(value.dropFirst().dropLast())), "metric line: \(line)")
                    case "stage": #expect(["\"stats\"", "\"faces\"", "\"traffic\""].contains(value), "\(line)")
                    case "le": break
                    default: Issue.record("metric label \(name) in \(line)")
                    }
                }
                for word in words + ["obama", "subject"] {
                    #expect(!line.lowercased().contains(word), "metric line: \(line)")
                }
            }
        }
    }
}
