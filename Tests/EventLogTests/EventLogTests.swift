import Crypto
import EventLog
import Foundation
import SightlineTestKit
import Logging
import SightlineCore
import Synchronization
import Testing

@Suite struct EventLogTests {
    static func openLog(_ dir: String, every: Int = 1000) throws -> EventLog {
        let key = try DeviceKey.loadOrCreate(stateDirectory: dir).key
        return try EventLog(
            configuration: EventLogConfiguration(stateDirectory: dir, checkpointEvery: every),
            key: key, logger: Logger(label: "test"))
    }

    @Test func keyFileIsPrivateAndStable() throws {
        let dir = temporaryDirectory()
        let (key, created) = try DeviceKey.loadOrCreate(stateDirectory: dir)
        #expect(created)
        let path = dir + "/" + DeviceKey.fileName
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
        #expect(mode == 0o600)
        let again = try DeviceKey.loadOrCreate(stateDirectory: dir)
        #expect(!again.created && again.key.deviceID == key.deviceID)
        #expect(key.deviceID == "sl-" + Encoding.hex(SHA256.hash(data: key.publicKeyBytes).prefix(16)))
        chmod(path, 0o644)
        #expect(throws: DeviceKeyError.insecurePermissions(path: path, mode: 0o644)) { try DeviceKey.load(path: path) }
    }

    @Test func spoolIsWALWithFullSync() throws {
        let log = try Self.openLog(temporaryDirectory())
        let p = try log.spool.pragmas()
        #expect(p.journal == "wal")
        #expect(p.synchronous == 2)  // FULL
    }

    @Test func eventsChainSignAndCarryEvidence() throws {
        let dir = temporaryDirectory()
        let log = try Self.openLog(dir)
        let jpeg: [UInt8] = [0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9]
        let e1 = try log.emit(
            camera: "gate", type: "frame.stats", body: ["luma_mean": .double(12.5)],
            wallNanos: 1_700_000_000_123_456_789)
        let e2 = try log.emit(
            camera: "gate", type: "frame.stats", body: ["n": .int(2)],
            evidence: [EvidenceBlob(data: jpeg)], wallNanos: 1_700_000_001_000_000_000)
        #expect(e1.seq == 1 && e1.prev == Event.genesisPrev)
        #expect(e1.time == "2023-11-14T22:13:20.123456Z")
        #expect(try e2.seq == 2 && e2.prev == Event.hash(canonical: e1.canonicalBytes()))
        #expect(
            e2.evidence == [
                EvidenceRef(sha256: Encoding.hex(SHA256.hash(data: jpeg)), mediaType: "image/jpeg", size: 7)
            ])
        #expect(e2.verifySignature(canonical: try e2.canonicalBytes(), publicKey: log.key.privateKey.publicKey))
        #expect(try log.spool.blob(sha256: e2.evidence[0].sha256)?.data == jpeg)
        // The stored line is the canonical full envelope and parses back to the same event.
        let lines = try log.spool.allEvents()
        #expect(lines.count == 2)
        #expect(try Event(json: try JSONParser.parse(lines[1].line)) == e2)
        #expect(try log.spool.verify(publicKey: log.key.privateKey.publicKey).lastSeq == 2)
        // Reopening continues the same chain.
        let reopened = try Self.openLog(dir)
        let e3 = try reopened.emit(camera: "gate", type: "frame.stats", body: [:])
        #expect(try e3.seq == 3 && e3.prev == Event.hash(canonical: e2.canonicalBytes()))
    }

    @Test func checkpointsEveryNEventsCoverTheEventsBeforeThem() throws {
        let log = try Self.openLog(temporaryDirectory(), every: 4)
        var canonicals: [[UInt8]] = []
        for i in 0..<10 {
            _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))])
        }
        let all = try log.spool.allEvents().map { try Event(json: try JSONParser.parse($0.line)) }
        for e in all { canonicals.append(try e.canonicalBytes()) }
        let checkpoints = all.filter { $0.type == Checkpoint.eventType }
        #expect(checkpoints.map(\.seq) == [5, 10])
        for cp in checkpoints {
            guard case .string(let note)? = cp.body["note"],
                let parsed = Checkpoint.verify(note: note, publicKey: log.key.privateKey.publicKey)
            else {
                Issue.record("checkpoint \(cp.seq) does not verify")
                continue
            }
            #expect(parsed.size == cp.seq - 1)
            #expect(parsed.root == MerkleTree.root(canonicals[0..<Int(parsed.size)].map(MerkleTree.leafHash)))
        }
        #expect(try log.spool.verify(publicKey: log.key.privateKey.publicKey).checkpointsVerified == 2)
        #expect(try log.checkpointIfDue(wallNanos: Clocks.wallNanos()) == nil)  // nothing new since seq 10
    }

    /// Group commit: eight threads emitting at once share transactions (fewer commits than events), every
    /// caller gets its own event back durable, the chain verifies, and checkpoints fall exactly where one
    /// commit per event would have put them (after every 7th event).
    @Test func concurrentEmittersShareCommitsAndKeepTheChain() throws {
        let dir = temporaryDirectory()
        let log = try Self.openLog(dir, every: 7)
        let threads = 8, perThread = 60
        final class Outcomes: Sendable {
            let returned = Mutex<[UInt64: String]>([:])
            let failures = Mutex<[String]>([])
        }
        let outcomes = Outcomes()
        let finished = DispatchSemaphore(value: 0)
        for t in 0..<threads {  // threads of their own, like the cameras' pipelines
            Thread {
                defer { finished.signal() }
                for i in 0..<perThread {
                    do {
                        let e = try log.emit(camera: "cam\(t)", type: "frame.stats", body: ["i": .int(Int64(i))])
                        outcomes.returned.withLock { $0[e.seq] = "cam\(t)/\(i)" }
                    } catch {
                        outcomes.failures.withLock { $0.append("\(error)") }
                    }
                }
            }.start()
        }
        for _ in 0..<threads { finished.wait() }
        #expect(outcomes.failures.withLock { $0 }.isEmpty)
        let total = threads * perThread
        #expect(outcomes.returned.withLock { $0.count } == total, "every caller got a distinct seq")
        #expect(log.commits < total, "\(log.commits) commits for \(total) events: nothing was grouped")
        let all = try log.spool.allEvents()
        var verifier = ChainVerifier(publicKey: log.key.privateKey.publicKey)
        var sinceCheckpoint = 0
        for (n, spooled) in all.enumerated() {
            let event = try verifier.check(line: spooled.line, lineNumber: n + 1)
            if event.type == Checkpoint.eventType {
                #expect(sinceCheckpoint == 7, "a checkpoint after \(sinceCheckpoint) events at seq \(event.seq)")
                sinceCheckpoint = 0
            } else {
                sinceCheckpoint += 1
                // The event a caller got back is the one stored under its seq.
                var index: Int64 = -1
                if case .int(let i)? = event.body["i"] { index = i }
                #expect(outcomes.returned.withLock { $0[event.seq] } == "\(event.camera)/\(index)")
            }
        }
        #expect(all.count == total + total / 7)
        // Reopened, the log continues the same chain.
        let reopened = try Self.openLog(dir, every: 7)
        let next = try reopened.emit(camera: "c", type: "frame.stats", body: [:])
        #expect(next.seq == UInt64(all.count + 1))
    }

    @Test func verifierNamesTamperingOfEveryKind() throws {
        let log = try Self.openLog(temporaryDirectory(), every: 3)
        let blob: [UInt8] = Array(repeating: 9, count: 100)
        for i in 0..<6 {
            _ = try log.emit(
                camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))],
                evidence: i == 1 ? [EvidenceBlob(data: blob)] : [])
        }
        let lines = try log.spool.allEvents().map(\.line)
        let pub = log.key.privateKey.publicKey
        func firstProblem(_ ls: [[UInt8]], blobs: [String: [UInt8]] = [:]) -> ChainProblem.Kind? {
            var v = ChainVerifier(publicKey: pub)
            for (n, l) in ls.enumerated() {
                do { _ = try v.check(line: l, lineNumber: n + 1) { blobs[$0] } } catch { return error.kind }
            }
            return nil
        }
        let sha = Encoding.hex(SHA256.hash(data: blob))
        #expect(firstProblem(lines, blobs: [sha: blob]) == nil)
        var flipped = lines
        let text = String(decoding: lines[2], as: UTF8.self).replacingOccurrences(of: "\"i\":2", with: "\"i\":3")
        flipped[2] = Array(text.utf8)
        #expect(firstProblem(flipped) == .badSignature)
        var sigFlip = lines
        let s = String(decoding: lines[3], as: UTF8.self)
        let sigRange = s.range(of: "\"sig\":\"")!
        var chars = Array(s)
        let at = s.distance(from: s.startIndex, to: sigRange.upperBound) + 5
        chars[at] = chars[at] == "A" ? "B" : "A"
        sigFlip[3] = Array(String(chars).utf8)
        #expect(firstProblem(sigFlip) == .badSignature)
        #expect(firstProblem(lines, blobs: [sha: blob.dropLast() + [8]]) == .evidenceMismatch)
        #expect(firstProblem(Array(lines[0..<2] + lines[3...])) == .gap)
        #expect(firstProblem([lines[0], lines[2], lines[1]] + lines[3...]) == .gap)
        #expect(firstProblem([lines[0], lines[1], lines[1]] + lines[2...]) == .replayed)
        #expect(firstProblem(Array(lines[1...])) == .gap)
        #expect(firstProblem([Array("{\"v\":1}".utf8)]) == .malformed)
        var other = ChainVerifier(publicKey: DeviceKey.generate().privateKey.publicKey)
        #expect(throws: ChainProblem.self) { try other.check(line: lines[0]) }
    }

    @Test func retentionDropsEvidenceFirstAndNeverEvents() throws {
        let dir = temporaryDirectory()
        let key = try DeviceKey.loadOrCreate(stateDirectory: dir).key
        let config = EventLogConfiguration(stateDirectory: dir, retentionSeconds: 10, diskBudgetBytes: 6000)
        let log = try EventLog(configuration: config, key: key, logger: Logger(label: "test"))
        for i in 0..<4 {
            _ = try log.emit(
                camera: "c", type: "frame.stats", body: [:],
                evidence: [EvidenceBlob(data: Array(repeating: UInt8(i), count: 2000))], wallNanos: 1_000)
        }
        // Over budget (4 × 2000 bytes of evidence): the oldest blobs go until it fits; no event goes.
        let first = try log.enforceRetention(nowNanos: 2_000)
        #expect(first.undeliveredBlobsPurged >= 1 && !first.overBudget && first.bytesAfter <= 6000)
        #expect(try log.spool.allEvents().count == 4)
        let e1 = try log.spool.allEvents()[0]
        #expect(try log.spool.blob(sha256: e1.evidence[0])?.data == nil)
        // Delivered and old: purged, except the newest event which keeps the head visible.
        try log.spool.acknowledge(through: 3, nowNanos: 5_000)
        let later = try log.enforceRetention(nowNanos: 5_000 + 11_000_000_000)
        #expect(later.eventsPurged == 3)
        #expect(try log.spool.allEvents().map(\.seq) == [4])
        #expect(try log.spool.verify(publicKey: key.privateKey.publicKey).firstSeq == 4)
        // With a budget smaller than the events alone, the alarm is raised and the events stay.
        let tight = try EventLog(
            configuration: EventLogConfiguration(stateDirectory: dir, diskBudgetBytes: 10),
            key: key, logger: Logger(label: "test"))
        let alarm = try tight.enforceRetention(nowNanos: 6_000)
        #expect(alarm.overBudget)
        #expect(try log.spool.allEvents().count == 1)
        #expect(try tight.emit(camera: "c", type: "frame.stats", body: [:]).seq == 5)
    }

    @Test func aSpoolRefusesAnotherDevicesKey() throws {
        let dir = temporaryDirectory()
        let log = try Self.openLog(dir)
        _ = try log.emit(camera: "c", type: "t", body: [:])
        #expect(throws: SpoolError.self) {
            try EventLog(
                configuration: EventLogConfiguration(stateDirectory: dir), key: .generate(),
                logger: Logger(label: "test"))
        }
    }

    @Test func timestampsRoundTrip() {
        for ns: Int64 in [0, 1_700_000_000_123_456_000, 951_782_400_000_000_000, 4_102_444_799_999_999_000] {
            #expect(Timestamp.nanos(rfc3339: Timestamp.rfc3339(wallNanos: ns)) == ns)
        }
        #expect(Timestamp.rfc3339(wallNanos: 951_782_400_000_000_000) == "2000-02-29T00:00:00.000000Z")
        #expect(Timestamp.nanos(rfc3339: "2000-02-29T01:00:00+01:00") == 951_782_400_000_000_000)
        #expect(Timestamp.nanos(rfc3339: "2000-02-29") == nil)
    }
}

@Suite struct EventLogDaemonTests {
    @Test func detectionsBecomeEventsWithTheirFrameAndTime() throws {
        let log = try EventLogTests.openLog(temporaryDirectory())
        let d = Detection(
            type: .frameStats, camera: "gate", frameSeq: 42, wallNanos: 1_700_000_000_000_000_000,
            body: ["luma_mean": .double(10.25)])
        let e = try log.emit(d)
        #expect(e.camera == "gate" && e.type == "frame.stats" && e.time == "2023-11-14T22:13:20.000000Z")
        #expect(e.body == ["luma_mean": .double(10.25), "frame_seq": .int(42)])
    }

    @Test func detectionsCarryTheirFramesPresentationTime() throws {
        let log = try EventLogTests.openLog(temporaryDirectory())
        func emitted(pts: Double?, body: [String: JSONValue] = [:]) throws -> [String: JSONValue] {
            try log.emit(Detection(type: .faceDetected, camera: "door", frameSeq: 7, wallNanos: 1_700_000_000_000_000_000,
                                   body: body.merging(["count": .int(1)]) { a, _ in a }, pts: pts)).body
        }
        #expect(try emitted(pts: 12.345_678)["pts"] == .double(12.346))
        #expect(try emitted(pts: 0)["pts"] == .double(0))
        // No timestamp, or one that is not a number, adds nothing; a stage's own pts is kept as it made it.
        #expect(try emitted(pts: nil)["pts"] == nil)
        #expect(try emitted(pts: .nan)["pts"] == nil)
        #expect(try emitted(pts: .infinity)["pts"] == nil)
        #expect(try emitted(pts: 5, body: ["pts": .double(4.5)])["pts"] == .double(4.5))
    }

    @Test func maintenanceSignsCheckpointsOnTime() async throws {
        let dir = temporaryDirectory()
        let key = try DeviceKey.loadOrCreate(stateDirectory: dir).key
        let log = try EventLog(
            configuration: EventLogConfiguration(stateDirectory: dir, checkpointIntervalSeconds: 0.05),
            key: key, logger: Logger(label: "test"))
        try log.emit(camera: "c", type: "frame.stats", body: [:])
        let task = Task { await log.maintain(intervalSeconds: 0.02) }
        var checkpoints = 0
        for _ in 0..<200 where checkpoints == 0 {
            try await Task.sleep(for: .milliseconds(10))
            checkpoints = try log.spool.allEvents().count - 1
        }
        task.cancel()
        await task.value
        #expect(checkpoints == 1)  // one checkpoint covering the one event, none after it without new events
        #expect(try log.spool.verify(publicKey: key.privateKey.publicKey).checkpointsVerified == 1)
    }
}
