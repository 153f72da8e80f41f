import Collector
import EventLog
import Foundation
import SightlineCore
import SightlineTestKit
import Testing

@testable import Collector

/// The console in a real headless browser: Debian's `chromium` and `chromium-driver`, driven by
/// Tools/browser-test.py (Selenium from PyPI, in the project's virtualenv via Tools/python-env). `make test`
/// installs both (TEST_PACKAGES) and sets SIGHTLINE_REQUIRE_MODELS=1, under which a missing browser fails this
/// test instead of skipping it. Screenshots go to $SIGHTLINE_TEST_OUTPUT/console (default .build/test-output).
@Suite struct ConsoleBrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var browserPresent: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
    }
    static var outputDirectory: String {
        (ProcessInfo.processInfo.environment["SIGHTLINE_TEST_OUTPUT"] ?? repository + "/.build/test-output")
            + "/console"
    }

    /// `runBlocking` on a thread of its own: waiting for the browser on Swift's cooperative pool (two threads on
    /// two cores) would starve the collector under test, whose handlers run on that pool.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { done in
            Thread { done.resume(with: Result { try runBlocking(executable, arguments) }) }.start()
        }
    }

    /// Runs `executable` with `arguments`; its exit status and combined output.
    static func runBlocking(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: RequiredFixtures.models(browserPresent), "chromium and chromium-driver are not installed"))
    func theConsoleWorksInAHeadlessBrowser() async throws {
        #expect(Self.browserPresent, "install chromium and chromium-driver (make test does)")
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        defer { Task { await collector.stop() } }
        _ = try await ConsoleTests.populated(collector, crossings: 3)
        let store = try #require(collector.store as? SQLiteCollectorStore)
        let env = try await Self.run(Self.repository + "/Tools/python-env", ["selenium"])
        try #require(env.status == 0, "Tools/python-env selenium: \(env.output)")
        let python = env.output.split(separator: "\n").last.map(String.init) ?? ""
        let out = Self.outputDirectory
        try? FileManager.default.removeItem(atPath: out)
        let result = try await Self.run(python, [
            Self.repository + "/Tools/browser-test.py", "--url", collector.url,
            "--admin-token", LiveCollector.adminToken, "--reviewer-token", collector.reviewerToken,
            "--traffic-token", collector.trafficToken, "--db", store.db.path, "--out", out,
        ])
        #expect(result.status == 0, "Tools/browser-test.py:\n\(result.output)")
        for page in ["signin", "overview", "events-crossings", "event", "event-tampered", "overview-chain-problem",
                     "events-traffic"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(out)/\(page).png")[.size] as? Int) ?? 0
            #expect(size > 1000, "screenshot \(page).png")
        }
        try await collector.store.close()
    }
}
