import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SightlineTestKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The whole path with the real binaries: `sightline-collector serve` on loopback with SQLite, the device
/// registered from `sightline device show --json`, `sightlined` with traffic and events on the bundled
/// intersection clip, then the collector's export checked by `sightline verify` and read back.
@Suite(.serialized) struct DaemonEventsEndToEndTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func binary(_ name: String) -> URL {
        DaemonProcessTests.daemon.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Runs a binary to completion; returns its exit status and standard output.
    @discardableResult
    static func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = binary(name)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The traffic section of the sample's camera file, indented to sit under a camera entry.
    static func sampleTrafficSection() throws -> String {
        let text = try String(contentsOf: repository.appendingPathComponent("Samples/intersection.camera.yaml"),
                              encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("traffic:") })
        return lines[start...].map { "    " + $0 }.joined(separator: "\n")
    }

    @Test func redLightCrossingsArriveSignedAndChained() async throws {
        let dir = try DaemonProcessTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("state").path
        let database = "sqlite:" + dir.appendingPathComponent("collector.sqlite").path

        // The device key first (the daemon would create it too), so it can be registered before delivery.
        #expect(try Self.run("sightline", ["keygen", "--state-dir", state]).status == 0)
        let shown = try Self.run("sightline", ["device", "show", "--state-dir", state, "--json"])
        let identity = try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: String])
        let device = try #require(identity["device"]), publicKey = try #require(identity["public_key"])
        #expect(try Self.run("sightline-collector", ["devices", "add", "edge-1", publicKey, "--database", database])
            .status == 0)

        let collector = try LoopbackCollector(binary: Self.binary("sightline-collector"), database: database)
        defer { collector.stop() }
        let collectorPort = collector.port

        let config = dir.appendingPathComponent("sightlined.yaml")
        try """
        state_dir: \(state)
        metrics: {enabled: false}
        events:
          checkpoint_every: 10
        collector:
          url: http://127.0.0.1:\(collectorPort)
          batch: 20
        cameras:
          - id: intersection
            source: mjpeg:\(Self.repository.appendingPathComponent("Samples/intersection.mjpeg").path)
            fps: 15
            replay: fast
            processing_width: 640
            events:
              types: [frame.stats, traffic.signal_state, traffic.red_light_crossing]
        \(try Self.sampleTrafficSection())
        """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = Process()
        daemon.executableURL = DaemonProcessTests.daemon
        daemon.arguments = ["--config", config.path]
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)

        // Hummingbird keeps the connection open, so not the tests' HTTP/1.0 helper but Foundation's client.
        // Reads need a token: the admin token the collector was started with.
        let (exported, _) = try await URLSession.shared.data(for: collector.request(path: "/v1/export?device=\(device)"))
        let body = String(decoding: exported, as: UTF8.self)
        let export = dir.appendingPathComponent("export.jsonl")
        try body.write(to: export, atomically: true, encoding: .utf8)
        let verified = try Self.run("sightline", ["verify", export.path, "--pubkey", publicKey])
        #expect(verified.status == 0, "verify: \(verified.output)")

        let events = body.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let types = events.compactMap { $0["type"] as? String }
        // The clip's truth (Samples/intersection.truth.json, from its renderer): two crossings on red.
        #expect(types.filter { $0 == "traffic.red_light_crossing" }.count == 2)
        #expect(types.contains("frame.stats"))
        #expect(types.contains("traffic.signal_state"))
        // Checkpoints every 10 events, and a last one over the tail at shutdown.
        #expect(types.contains("log.checkpoint"))
        #expect(types.last == "log.checkpoint")
        let seqs = events.compactMap { ($0["seq"] as? NSNumber)?.intValue }
        #expect(seqs == Array(1...seqs.count), "seq must start at 1 without gaps")
        #expect(events.allSatisfy { ($0["device"] as? String) == device && $0["sig"] != nil })
        let identityFields: Set<String> = ["subject", "subject_id", "name", "face", "faces", "identity", "person",
                                           "plate", "embedding", "descriptor"]
        for event in events where (event["type"] as? String)?.hasPrefix("traffic.") == true {
            let keys = Set((event["body"] as? [String: Any] ?? [:]).keys)
            #expect(keys.isDisjoint(with: identityFields), "identity in \(keys)")
        }
    }
}
