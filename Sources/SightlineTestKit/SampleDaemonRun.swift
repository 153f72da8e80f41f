import Foundation

/// The real `sightlined` on both bundled samples, forwarding to a collector: the synthetic intersection
/// (Samples/intersection.mjpeg) and the clip with real faces (Samples/faces.mjpeg: two people walk past while
/// vehicles cross on red), faces detected and blurred in every kept evidence frame, and recognition of one enrolled
/// subject (Obama, enrolled from Tests/FaceKitTests/Golden/faces/obama3.jpg, not the photo in the clip) with match
/// evidence — the demo's configuration (Tools/demo.sh), for tests that need a collector filled by the real daemon.
///
/// `prepare` makes the device key and the gallery with the `sightline` binary; the caller registers
/// `publicKey` with its collector, then `run` starts `sightlined` and waits for it to reach the end of both clips.
/// Blocking: call it from a thread of its own, not from Swift's cooperative pool when an in-process collector
/// answers on that pool.
public struct SampleDaemonRun: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The directory of `sightlined`, `sightline` and `sightline-collector` (beside the test bundle).
    public let binDirectory: URL
    public let repository: URL
    /// Scratch directory of the run: `state/` (key, spool), `gallery.sealed`, `sightlined.yaml`, `sightlined.log`.
    public let directory: String
    public let device: String
    public let publicKey: String
    /// The subject enrolled in the gallery, whom the daemon reports in `face.match` events.
    public static let subject = "obama"

    public var stateDirectory: String { directory + "/state" }
    public var models: String { repository.appendingPathComponent("Models/files").path }
    public var logPath: String { directory + "/sightlined.log" }

    /// The build products' directory: the test bundle's own, or the one `/proc/self/exe` sits in.
    public static var defaultBinDirectory: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if FileManager.default.isExecutableFile(atPath: bundle.appendingPathComponent("sightlined").path) {
            return bundle
        }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// Makes the device key (`sightline keygen`) and the gallery with Obama enrolled (`sightline gallery enroll`)
    /// in `directory`.
    public static func prepare(repository: URL, directory: String, binDirectory: URL = defaultBinDirectory) throws
        -> SampleDaemonRun
    {
        let state = directory + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        func tool(_ arguments: [String]) throws -> String {
            let (status, output) = try run(binDirectory.appendingPathComponent("sightline"), arguments)
            guard status == 0 else {
                throw Failure(description: "sightline \(arguments.joined(separator: " ")) exited \(status): \(output)")
            }
            return output
        }
        _ = try tool(["keygen", "--state-dir", state])
        let shown = try tool(["device", "show", "--state-dir", state, "--json"])
        guard let identity = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any],
            let device = identity["device"] as? String, let publicKey = identity["public_key"] as? String
        else { throw Failure(description: "sightline device show --json printed \(shown)") }
        let made = SampleDaemonRun(
            binDirectory: binDirectory, repository: repository, directory: directory, device: device,
            publicKey: publicKey)
        _ = try tool([
            "gallery", "enroll", subject, "--image",
            repository.appendingPathComponent("Tests/FaceKitTests/Golden/faces/obama3.jpg").path,
            "--purpose", "Sightline console test", "--gallery", directory + "/gallery.sealed", "--models", made.models,
        ])
        return made
    }

    /// The daemon's configuration: both samples, forwarding to `collectorURL`, a checkpoint every
    /// `checkpointEvery` events. Face detection runs on every other frame (the tracker carries the boxes between),
    /// which halves a debug build's time.
    public func configuration(collectorURL: String, checkpointEvery: Int = 20) throws -> String {
        func trafficSection(_ sample: String) throws -> String {
            let text = try String(
                contentsOf: repository.appendingPathComponent("Samples/\(sample).camera.yaml"), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            guard let start = lines.firstIndex(where: { $0.hasPrefix("traffic:") }) else {
                throw Failure(description: "Samples/\(sample).camera.yaml has no traffic section")
            }
            return lines[start...].map { "    " + $0 }.joined(separator: "\n")
        }
        let samples = repository.appendingPathComponent("Samples").path
        return """
            state_dir: \(stateDirectory)
            log_level: info
            metrics: {enabled: false}
            events:
              checkpoint_every: \(checkpointEvery)
            collector:
              url: \(collectorURL)
              batch: 50
            cameras:
              - id: intersection
                source: mjpeg:\(samples)/intersection.mjpeg
                fps: 15
                replay: fast
                processing_width: 640
                faces: {detect: true, blur_evidence: true, models: \(models), every_n_frames: 2}
            \(try trafficSection("intersection"))
              - id: faces
                source: mjpeg:\(samples)/faces.mjpeg
                fps: 10
                replay: fast
                processing_width: 640
                faces:
                  detect: true
                  blur_evidence: true
                  models: \(models)
                  every_n_frames: 2
                  recognize:
                    enabled: true
                    gallery: \(directory)/gallery.sealed
                    evidence: true
            \(try trafficSection("faces"))
            """
    }

    /// Runs `sightlined` on both samples until it exits at their end (it drains its forwarder for up to 10 s
    /// first); returns its exit status. Its output goes to `logPath`.
    public func run(collectorURL: String, checkpointEvery: Int = 20) throws -> Int32 {
        let config = directory + "/sightlined.yaml"
        try configuration(collectorURL: collectorURL, checkpointEvery: checkpointEvery)
            .write(toFile: config, atomically: true, encoding: .utf8)
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw Failure(description: "cannot create \(logPath)")
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        let process = Process()
        process.executableURL = binDirectory.appendingPathComponent("sightlined")
        process.arguments = ["--config", config, "--summary", directory + "/summary.json"]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The last `lines` lines of the daemon's log.
    public func logTail(_ lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Runs `executable` to completion; its exit status and combined output.
    public static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
