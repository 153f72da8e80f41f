import Collector
import EventLog
import Foundation
import Logging
import SightlineCore
import SightlineTestKit
import Testing

@testable import Collector

/// The console in a real headless browser (Debian's `chromium` and `chromium-driver`, driven by
/// Tools/browser-test.py through Selenium from PyPI, in the project's virtualenv via Tools/python-env), on a
/// collector filled by the real daemon: `sightlined` on both bundled samples (the intersection and the clip with
/// faces, Obama enrolled; `SampleDaemonRun`) forwarding to an in-process collector. One daemon run serves every
/// browser check. `make test` installs the browser (TEST_PACKAGES), fetches the face models and sets
/// SIGHTLINE_REQUIRE_MODELS=1, under which a missing browser or model fails this test instead of skipping it.
/// Screenshots go to $SIGHTLINE_TEST_OUTPUT/console (default .build/test-output/console).
@Suite struct ConsoleBrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var browserPresent: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
    }
    static var modelsPresent: Bool {
        ["frontal_face_detector.svm", "shape_predictor_5_face_landmarks.dat",
         "dlib_face_recognition_resnet_model_v1.dat"].allSatisfy {
            FileManager.default.fileExists(atPath: repository.appendingPathComponent("Models/files/" + $0).path)
        }
    }
    static var outputDirectory: String {
        (ProcessInfo.processInfo.environment["SIGHTLINE_TEST_OUTPUT"] ?? repository.path + "/.build/test-output")
            + "/console"
    }

    /// `body` on a thread of its own: waiting for a process on Swift's cooperative pool (two threads on two
    /// cores) would starve the collector under test, whose handlers run on that pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { done in
            Thread { done.resume(with: Result { try body() }) }.start()
        }
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await onThread { try SampleDaemonRun.run(URL(fileURLWithPath: executable), arguments) }
    }

    @Test(.enabled(
        if: RequiredFixtures.models(browserPresent && modelsPresent),
        "chromium and chromium-driver are not installed, or Models/fetch has not been run"))
    func theConsoleWorksInAHeadlessBrowserOnWhatTheRealDaemonSent() async throws {
        #expect(Self.browserPresent, "install chromium and chromium-driver (make test does)")
        #expect(Self.modelsPresent, "run Models/fetch (make test does)")
        let scratch = temporaryDirectory("console-browser")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        defer { Task { await collector.stop() } }

        // The real daemon on both samples, delivering to the collector.
        let repository = Self.repository
        let daemon = try await Self.onThread {
            try SampleDaemonRun.prepare(repository: repository, directory: scratch + "/daemon")
        }
        _ = try await CollectorRouter.register(store: collector.store, name: "edge-1", publicKey: daemon.publicKey)
        let url = collector.url
        let status = try await Self.onThread { try daemon.run(collectorURL: url) }
        try #require(status == 0, "sightlined exited \(status):\n\(daemon.logTail())")
        // The daemon drains its forwarder for 10 s at exit; on a busy machine the rest is sent here from its own
        // spool by the same forwarder (the events stay the daemon's, signed by its key).
        var logger = Logger(label: "test.device")
        logger.logLevel = .error
        let log = try EventLog(
            configuration: EventLogConfiguration(stateDirectory: daemon.stateDirectory),
            key: try DeviceKey.load(path: daemon.stateDirectory + "/" + DeviceKey.fileName), logger: logger)
        try await AccessTests.deliver(log, to: collector)
        let spooled = try log.spool.allEvents()
        let lastSeq = try #require(spooled.last?.seq)
        #expect(try await collector.store.lastSeq(device: daemon.device) == lastSeq)
        // What the browser checks look for: crossings on both cameras, face matches of the enrolled subject, each
        // with evidence.
        let types = try spooled.map { event -> (String, String) in
            let object = try JSONSerialization.jsonObject(with: Data(event.line)) as? [String: Any]
            return (object?["camera"] as? String ?? "", object?["type"] as? String ?? "")
        }
        for camera in ["intersection", "faces"] {
            #expect(types.contains { $0 == (camera, "traffic.red_light_crossing") }, "crossings on \(camera)")
        }
        #expect(types.contains { $0.1 == "face.match" }, "a face match")

        let store = try #require(collector.store as? SQLiteCollectorStore)
        let env = try await Self.run(repository.path + "/Tools/python-env", ["selenium"])
        try #require(env.status == 0, "Tools/python-env selenium: \(env.output)")
        let python = env.output.split(separator: "\n").last.map(String.init) ?? ""
        let out = Self.outputDirectory
        try? FileManager.default.removeItem(atPath: out)
        let result = try await Self.run(python, [
            repository.path + "/Tools/browser-test.py", "--url", collector.url,
            "--admin-token", LiveCollector.adminToken, "--reviewer-token", collector.reviewerToken,
            "--traffic-token", collector.trafficToken, "--db", store.db.path, "--out", out,
            "--subject", SampleDaemonRun.subject,
        ])
        #expect(result.status == 0, "Tools/browser-test.py:\n\(result.output)")
        for page in ["signin", "overview", "events-crossings", "event", "event-face-match", "csrf-refused",
                     "event-tampered", "overview-chain-problem", "devices", "tokens", "events-traffic"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(out)/\(page).png")[.size] as? Int) ?? 0
            #expect(size > 1000, "screenshot \(page).png")
        }
        try await collector.store.close()
    }
}
