import EventLog
import Foundation
import Logging
import SightlineTestKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP on the real `sightlined`: looped footage with signed events on; one reload that removes a camera,
/// adds one and sets `process_fps` on a third; then a file with an error and a change that needs a restart,
/// both refused while the daemon keeps running. Afterwards the spool must hold every event, gapless and
/// chained, with the old camera's events all before the new camera's.
@Suite(.serialized) struct DaemonReloadTests {
    /// The daemon under test, its notify socket and its accumulated standard error.
    final class Running {
        let process = Process()
        let notify: NotifySocket
        let stderr = Pipe()
        var log = ""

        init(config: URL, directory: URL) throws {
            notify = try NotifySocket(path: directory.appendingPathComponent("notify").path)
            process.executableURL = DaemonProcessTests.daemon
            process.arguments = ["--config", config.path,
                                 "--summary", directory.appendingPathComponent("summary.json").path]
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = notify.path
            process.environment = environment
            process.standardError = stderr
            try process.run()
        }

        /// Standard error so far (read without blocking, so the daemon never stalls on a full pipe).
        func readLog() -> String {
            log += String(decoding: stderr.fileHandleForReading.availableDataNonBlocking(), as: UTF8.self)
            return log
        }

        /// Sends SIGHUP and returns the two notifications that must follow: RELOADING=1, then READY=1.
        func reload() -> (reloading: String?, ready: String?) {
            kill(process.processIdentifier, SIGHUP)
            let reloading = notify.receive(timeoutSeconds: 20)
            let ready = notify.receive(timeoutSeconds: 20)
            return (reloading, ready)
        }

        /// Reads the metrics port from the "metrics listening" line.
        func metricsPort() -> Int? {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let range = readLog().range(of: #"127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression) {
                    return Int(log[range].split(separator: ":")[1].split(separator: "/")[0])
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return nil
        }
    }

    static func camera(_ id: String, clip: URL, extra: String = "") -> String {
        """
          - id: \(id)
            source: mjpeg:\(clip.path)
            fps: 100
            loop: true\(extra)
        """
    }

    static func config(state: String, cameras: [String]) -> String {
        """
        state_dir: \(state)
        log_level: info
        metrics:
          listen: 127.0.0.1:0
        events:
          checkpoint_every: 10
        cameras:
        \(cameras.joined(separator: "\n"))
        """
    }

    /// `sightline_frames_captured_total{camera="ID"}` from a scrape.
    static func captured(_ metrics: String, camera: String) -> Double? {
        let prefix = "sightline_frames_captured_total{camera=\"\(camera)\"} "
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    @Test func sighupAppliesCamerasRefusesBadFilesAndKeepsTheChain() throws {
        let dir = try DaemonProcessTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("clip.mjpeg")
        try Data(SyntheticFootage.jpegFrames(count: 10, width: 160, height: 120).joined()).write(to: clip)
        let state = dir.appendingPathComponent("state").path
        let config = dir.appendingPathComponent("sightlined.yaml")
        try Self.config(state: state, cameras: [Self.camera("a", clip: clip), Self.camera("b", clip: clip)])
            .write(to: config, atomically: true, encoding: .utf8)

        let daemon = try Running(config: config, directory: dir)
        defer { if daemon.process.isRunning { daemon.process.terminate() } }
        let ready = daemon.notify.receive(timeoutSeconds: 30)
        #expect(ready?.hasPrefix("READY=1") == true, "got \(ready ?? "nothing")")
        let port = try #require(daemon.metricsPort(), "no metrics address in the log:\n\(daemon.log)")
        Thread.sleep(forTimeInterval: 1.5)

        // Reload 1: b goes, c comes, a processes at most 20 of its 100 frames per second.
        try Self.config(state: state, cameras: [Self.camera("a", clip: clip, extra: "\n    process_fps: 20"),
                                                Self.camera("c", clip: clip)])
            .write(to: config, atomically: true, encoding: .utf8)
        let applied = daemon.reload()
        #expect(applied.reloading?.contains("RELOADING=1") == true, "got \(applied.reloading ?? "nothing")")
        #expect(applied.reloading?.range(of: #"MONOTONIC_USEC=\d+"#, options: .regularExpression) != nil)
        #expect(applied.ready?.contains("READY=1") == true && applied.ready?.contains("applied") == true,
                "got \(applied.ready ?? "nothing")")
        Thread.sleep(forTimeInterval: 1.5)

        // Reload 2: a misspelt key on line 16. Refused with its line; c keeps capturing.
        try (Self.config(state: state, cameras: [Self.camera("a", clip: clip), Self.camera("c", clip: clip)])
            + "\n    fpz: 10\n").write(to: config, atomically: true, encoding: .utf8)
        let invalid = daemon.reload()
        #expect(invalid.ready?.contains("READY=1") == true && invalid.ready?.contains("invalid") == true,
                "got \(invalid.ready ?? "nothing")")
        // Reload 3: a new state directory cannot be taken live.
        try Self.config(state: state + "-elsewhere", cameras: [Self.camera("a", clip: clip)])
            .write(to: config, atomically: true, encoding: .utf8)
        let restart = daemon.reload()
        #expect(restart.ready?.contains("restart_required") == true, "got \(restart.ready ?? "nothing")")

        let before = try #require(httpGet(port: port, path: "/metrics"))
        Thread.sleep(forTimeInterval: 1.0)
        let after = try #require(httpGet(port: port, path: "/metrics"))
        #expect(daemon.process.isRunning)
        #expect((Self.captured(after, camera: "c") ?? 0) > (Self.captured(before, camera: "c") ?? .infinity),
                "camera c stopped after a refused reload")
        #expect(after.contains("sightline_config_reloads_total{result=\"invalid\"} 1"))
        #expect(after.contains("sightline_config_reloads_total{result=\"restart_required\"} 1"))
        #expect(after.contains("sightline_camera_online{camera=\"b\"} 0"))

        kill(daemon.process.processIdentifier, SIGTERM)
        daemon.process.waitUntilExit()
        #expect(daemon.process.terminationReason == .exit && daemon.process.terminationStatus == 0)
        let log = daemon.readLog()
        #expect(log.contains("sightlined.yaml:16:"), "the refusal lacks the line:\n\(log)")
        #expect(log.contains("fpz"))
        #expect(log.contains("a restart is needed to change state_dir"), "no restart notice:\n\(log)")
        #expect(!log.contains("change state_dir, events"), "state_dir reported twice:\n\(log)")

        // The summary: a and b under the first configuration, a (thinned) and c under the second, nothing after.
        let summaryData = try Data(contentsOf: dir.appendingPathComponent("summary.json"))
        let summary = try JSONSerialization.jsonObject(with: summaryData)
        let cameras = try #require((summary as? [String: Any])?["cameras"] as? [[String: Any]])
        let runs = cameras.map { "\($0["camera"] as? String ?? "?")/\($0["generation"] as? Int ?? 0)" }
        #expect(runs.sorted() == ["a/1", "a/2", "b/1", "c/2"])
        func entry(_ camera: String, _ generation: Int) -> [String: Any]? {
            cameras.first { $0["camera"] as? String == camera && $0["generation"] as? Int == generation }
        }
        #expect(entry("a", 1)?["skipped"] as? Int == 0)
        #expect((entry("a", 2)?["skipped"] as? Int ?? 0) > 0, "process_fps did not apply")
        #expect((entry("c", 2)?["decoded"] as? Int ?? 0) > 0)
        // Every frame captured is accounted for: decoded, dropped or skipped (nothing vanishes in a reload).
        for camera in cameras {
            let total = ["decoded", "dropped", "skipped", "corrupt"].map { camera[$0] as? Int ?? 0 }.reduce(0, +)
            #expect(camera["captured"] as? Int == total, "\(camera)")
        }

        // The spool: every event verifies (signatures, gapless seq, chain, checkpoints) across the reloads.
        let key = try DeviceKey.load(path: state + "/" + DeviceKey.fileName)
        let spool = try EventSpool(path: state + "/" + EventSpool.fileName, logger: Logger(label: "test"))
        let check = try spool.verify(publicKey: key.privateKey.publicKey)
        let events = try spool.allEvents().compactMap {
            try JSONSerialization.jsonObject(with: Data($0.line)) as? [String: Any]
        }
        #expect(check.firstSeq == 1 && check.lastSeq == UInt64(events.count) && check.events == events.count)
        #expect(events.last?["type"] as? String == "log.checkpoint")
        func seqs(_ camera: String) -> [Int] {
            events.filter { $0["camera"] as? String == camera && $0["type"] as? String == "frame.stats" }
                .compactMap { ($0["seq"] as? NSNumber)?.intValue }
        }
        let (a, b, c) = (seqs("a"), seqs("b"), seqs("c"))
        #expect(!b.isEmpty && !c.isEmpty)
        #expect((b.max() ?? .max) < (c.min() ?? 0), "camera b emitted after camera c started")
        #expect((a.min() ?? .max) < (c.min() ?? 0) && (a.max() ?? 0) > (b.max() ?? .max),
                "camera a should have events on both sides of the reload")
    }
}
