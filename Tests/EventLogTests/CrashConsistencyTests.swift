import EventLog
import Foundation
import SightlineTestKit
import Logging
import Testing

/// Kills `sightline events emit-test` with SIGKILL at random points, ≥ 50 times, on one state
/// directory; after each kill the spool must verify (no gap, no duplicate, chain intact) and hold
/// every event the process reported as committed.
@Suite struct CrashConsistencyTests {
    /// The `sightline` executable beside the test bundle (built by `swift build --build-tests`).
    static var sightline: String? {
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("sightline").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    @Test func sigkillAtRandomPointsNeverBreaksTheSpool() throws {
        guard let sightline = Self.sightline else {
            Issue.record("sightline executable not found beside the tests; build with `swift build --build-tests`")
            return
        }
        let dir = temporaryDirectory("crash")
        var generator = SystemRandomNumberGenerator()
        var lastSeq: UInt64 = 0
        var kills = 0
        for round in 0..<55 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: sightline)
            p.arguments = [
                "events", "emit-test", "--state-dir", dir, "--count", "1000000", "--evidence-every", "3",
                "--checkpoint-every", "7",
            ]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = FileHandle.nullDevice
            try p.run()
            // The first rounds kill during start-up (key creation, schema), later ones mid-stream: once the
            // emitter has reported its first event (so a loaded machine's slow start-up cannot turn every round
            // into a start-up kill), after a random further delay.
            var output = Data()
            if round < 5 {
                usleep(UInt32.random(in: 0..<15_000, using: &generator))
            } else {
                output = pipe.fileHandleForReading.availableData
                usleep(UInt32.random(in: 0..<50_000, using: &generator))
            }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
            output += pipe.fileHandleForReading.readDataToEndOfFile()
            let reported = String(decoding: output, as: UTF8.self)
                .split(separator: "\n").compactMap { UInt64($0) }
            guard FileManager.default.fileExists(atPath: dir + "/" + EventSpool.fileName) else { continue }
            let key = try DeviceKey.load(path: dir + "/" + DeviceKey.fileName)
            let spool = try EventSpool(path: dir + "/" + EventSpool.fileName, logger: Logger(label: "test"))
            let check = try spool.verify(publicKey: key.privateKey.publicKey)
            #expect(check.firstSeq <= 1, "round \(round)")
            #expect(
                check.events == Int(check.lastSeq), "round \(round): \(check.events) events up to seq \(check.lastSeq)")
            #expect(check.lastSeq >= (reported.max() ?? 0), "round \(round): a reported event is missing")
            #expect(check.lastSeq >= lastSeq, "round \(round): the spool went backwards")
            // Reported seqs continue the spool without duplicates.
            #expect(reported == reported.sorted() && Set(reported).count == reported.count)
            if let first = reported.first { #expect(first > lastSeq, "round \(round): seq \(first) reused") }
            lastSeq = check.lastSeq
        }
        #expect(kills >= 50)
        #expect(lastSeq > 50, "the emitter made progress between kills")
    }
}
