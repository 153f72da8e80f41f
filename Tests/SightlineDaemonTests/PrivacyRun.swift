import EventLog
import FaceKit
import Foundation
import Imaging
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One run of the real `sightlined` on the bundled clip with real faces (Samples/faces.mjpeg: Obama and Biden
/// walk past while two vehicles cross on red), with everything a privacy check needs read back into memory:
/// the spool's events and evidence blobs, the debug log, every metrics scrape, and every file the daemon wrote.
///
/// The camera runs the traffic stage, face detection with blurred evidence, and recognition against a gallery
/// holding only Obama (enrolled from obama3.jpg, not the photo in the clip) with match evidence on.
struct PrivacyRun: Sendable {
    struct Event: @unchecked Sendable {
        var type: String
        var frameSeq: Int
        var body: [String: Any]
        var evidence: [String]
        /// The signed envelope as stored and sent.
        var line: String
    }

    var events: [Event]
    /// Evidence bytes by SHA-256, as the spool holds them.
    var blobs: [String: [UInt8]]
    var log: [String]
    var scrapes: [String]
    /// Every file the daemon wrote (state directory, log, detections file, summary): path → bytes.
    var files: [String: [UInt8]]
    var summary: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(files["summary.json"] ?? []))) as? [String: Any] ?? [:]
    }
    var exitStatus: Int32

    func events(_ type: String) -> [Event] { events.filter { $0.type == type } }

    static let repository = FaceStagePaths.top
    static let clip = repository.appendingPathComponent("Samples/faces.mjpeg").path

    /// The one run the suite shares (the daemon takes several seconds; every test reads the same outputs).
    static let shared: Result<PrivacyRun, any Error> = Result { try PrivacyRun.make() }

    static func make() throws -> PrivacyRun {
        let scratch = try ScratchDirectory()
        let state = scratch.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let gallery = try RecognitionFixtures.gallery(in: scratch.path, subject: "obama", photo: "obama3.jpg")
        let config = scratch.path + "/sightlined.yaml"
        try """
        state_dir: \(state)
        log_level: debug
        metrics:
          listen: 127.0.0.1:0
        events:
          checkpoint_every: 20
        cameras:
          - id: street
            source: mjpeg:\(clip)
            fps: 10
            replay: fast
            processing_width: 640
            faces:
              detect: true
              blur_evidence: true
              models: \(RecognitionFixtures.models)
              every_n_frames: 2       # the tracker carries the boxes between (halves the debug build's time)
              recognize:
                enabled: true
                gallery: \(gallery.path)
                evidence: true
        \(try cameraSection("traffic:"))
        """.write(toFile: config, atomically: true, encoding: .utf8)

        let logPath = scratch.path + "/sightlined.log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: logPath])
        }
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = DaemonProcessTests.daemon
        process.arguments = ["--config", config, "--summary", scratch.path + "/summary.json",
                             "--detections", scratch.path + "/detections.jsonl"]
        process.standardError = logFile
        process.standardOutput = logFile
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        // Scrape the metrics for as long as the daemon runs (it exits at the end of the clip).
        var port: Int?
        var scrapes: [String] = []
        while process.isRunning {
            if port == nil, let log = try? String(contentsOfFile: logPath, encoding: .utf8),
               let range = log.range(of: #"127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":")[1].split(separator: "/")[0])
            }
            if let port, let scrape = httpGet(port: port, path: "/metrics") { scrapes.append(scrape) }
            Thread.sleep(forTimeInterval: 0.25)
        }
        process.waitUntilExit()
        try logFile.close()

        let spool = try EventSpool(path: state + "/" + EventSpool.fileName, logger: Logger(label: "test"))
        var events: [Event] = []
        var blobs: [String: [UInt8]] = [:]
        for spooled in try spool.allEvents() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(spooled.line)) as? [String: Any])
            let body = object["body"] as? [String: Any] ?? [:]
            let frameSeq = (body["frame_seq"] as? NSNumber)?.intValue ?? -1
            events.append(Event(type: object["type"] as? String ?? "", frameSeq: frameSeq, body: body,
                                evidence: spooled.evidence,
                                line: String(decoding: spooled.line, as: UTF8.self)))
            for sha in spooled.evidence {
                blobs[sha] = try #require(try spool.blob(sha256: sha)?.data, "blob \(sha) missing")
            }
        }
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: scratch.path) {
            let path = scratch.path + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !name.hasPrefix("gallery.sealed"), name != "sightlined.yaml"
            else { continue }
            files[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let log = String(decoding: files["sightlined.log"] ?? [], as: UTF8.self).split(separator: "\n").map(String.init)
        return PrivacyRun(events: events, blobs: blobs, log: log, scrapes: scrapes, files: files,
                          exitStatus: process.terminationStatus)
    }

    /// A section of Samples/faces.camera.yaml (from `key` to the end), indented to sit under a camera entry.
    static func cameraSection(_ key: String) throws -> String {
        let text = try String(contentsOfFile: repository.appendingPathComponent("Samples/faces.camera.yaml").path,
                              encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix(key) })
        return lines[start...].map { "    " + $0 }.joined(separator: "\n")
    }
}

/// The clip's ground truth (Tools/samples/make_faces_clip.py): which face is where in each frame, the box being
/// the one dlib found in the source photograph, moved and scaled with the cut-out.
struct FacesClipTruth {
    struct Face {
        var name: String
        var box: FaceBox
        var whole: Bool
    }

    var frames: [[Face]]
    var crossingsOnRed: Int

    init() throws {
        let url = PrivacyRun.repository.appendingPathComponent("Samples/faces.truth.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let frames = try #require(object["frames"] as? [[String: Any]])
        self.frames = frames.map { frame in
            (frame["faces"] as? [[String: Any]] ?? []).map { face in
                let b = integers(face["box"]) ?? [0, 0, -1, -1]
                return Face(name: face["name"] as? String ?? "", box: FaceBox(left: b[0], top: b[1], right: b[2],
                                                                               bottom: b[3]),
                            whole: face["whole"] as? Bool ?? false)
            }
        }
        let crossings = object["crossings"] as? [[String: Any]] ?? []
        crossingsOnRed = crossings.filter { $0["signal"] as? String == "red" }.count
    }

    /// The faces in view in the frame of daemon sequence number `seq` (the source counts from 1).
    func faces(seq: Int) -> [Face] { seq >= 1 && seq <= frames.count ? frames[seq - 1] : [] }

    /// The clip's JPEG frames (a raw MJPEG stream: SOI … EOI, one after the other).
    static func clipFrames() throws -> [[UInt8]] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: PrivacyRun.clip)))
        var frames: [[UInt8]] = []
        var start = 0
        while start + 1 < bytes.count {
            guard bytes[start] == 0xFF, bytes[start + 1] == 0xD8 else { start += 1; continue }
            var end = start + 2
            while end + 1 < bytes.count, !(bytes[end] == 0xFF && bytes[end + 1] == 0xD9) { end += 1 }
            frames.append(Array(bytes[start...min(end + 1, bytes.count - 1)]))
            start = end + 2
        }
        return frames
    }
}

/// A JSON array of integers (as JSONSerialization gives it) as `[Int]`.
func integers(_ value: Any?) -> [Int]? {
    (value as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue }
}

/// Whether `haystack` holds the UTF-8 bytes of `needle` (Foundation's search: the spool file runs to megabytes).
func holds(_ haystack: Data, _ needle: String) -> Bool {
    haystack.range(of: Data(needle.utf8)) != nil
}
