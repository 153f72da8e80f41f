import Collector
import EventLog
import Foundation
import SightlineCore
import SightlineTestKit
import Synchronization
import Testing

/// Several collectors over one database: one device's consecutive batches land on two collectors at once,
/// each batch delivered to both, racing; every event must end up stored exactly once, in one unbroken chain.
@Suite(.serialized) struct MultiCollectorTests {
    /// One delivery: batch `batch` to collector `collector`.
    struct Job: Sendable {
        var batch: Int
        var collector: Int
    }

    /// What the deliveries saw.
    struct Tally: Sendable {
        var next = 0
        /// How many responses said `stored` for each seq.
        var stored: [UInt64: Int] = [:]
        var duplicates = 0
        var gapsRetried = 0
        var failures: [String] = []
    }

    /// The tally, shared by the delivering tasks.
    final class Shared: Sendable {
        let tally = Mutex(Tally())
    }

    @Test(arguments: Backend.all)
    func twoCollectorsRacingOnOneDeviceStoreEachEventOnce(backend: Backend) async throws {
        let stores = try backend.makeStores(2)
        let collectors = [
            try await LiveCollector(backend: backend, store: stores[0]),
            try await LiveCollector(backend: backend, store: stores[1]),
        ]
        for c in collectors { try await c.start() }
        defer { Task { for c in collectors { await c.stop() } } }

        var device = SimulatedDevice(checkpointEvery: 100)
        _ = try await CollectorRouter.register(
            store: stores[0], name: "racing-box", publicKey: device.key.publicKeyBase64)
        var lines: [[UInt8]] = []
        var blobs: [(String, [UInt8])] = []
        for i in 0..<3000 {
            let evidence = i % 50 == 0 ? [SimulatedDevice.jpeg("frame \(i)")] : []
            for e in try device.emit(body: ["i": .int(Int64(i))], evidence: evidence) {
                lines.append(e.line)
                blobs += e.evidence.map { ($0.sha256, $0.data) }
            }
        }
        #expect(lines.count == 3030)  // a checkpoint after every 100 events
        for (k, (sha, data)) in blobs.enumerated() {
            let r = try await collectors[k % 2].putEvidence(data, key: device.key, sha: sha)
            #expect(r.status == 200)
        }

        let batchSize = 37
        let batches = stride(from: 0, to: lines.count, by: batchSize).map {
            Array(lines[$0..<min(lines.count, $0 + batchSize)])
        }
        // Each batch goes to both collectors, interleaved: the copies race each other and the next batches.
        let jobs = batches.indices.flatMap { [Job(batch: $0, collector: $0 % 2), Job(batch: $0, collector: 1 - $0 % 2)] }
        let shared = Shared()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while true {
                        let job: Job? = shared.tally.withLock { t in
                            guard t.next < jobs.count else { return nil }
                            defer { t.next += 1 }
                            return jobs[t.next]
                        }
                        guard let job else { return }
                        try await Self.deliver(batch(batches[job.batch]), to: collectors[job.collector], shared: shared)
                    }
                }
            }
            try await group.waitForAll()
        }

        let seen = shared.tally.withLock { $0 }
        #expect(seen.failures.isEmpty, "\(seen.failures.prefix(5))")
        // Each seq was answered `stored` by exactly one delivery; every other copy was a duplicate.
        #expect(seen.stored.count == lines.count)
        #expect(seen.stored.values.allSatisfy { $0 == 1 }, "stored twice: \(seen.stored.filter { $0.value > 1 }.keys.sorted().prefix(10))")
        #expect(seen.duplicates == lines.count)

        // Either collector exports the same chain: every event once, in order, checkpoints and evidence verified.
        for c in collectors {
            let export = try await c.request(.GET, "/v1/export?device=\(device.key.deviceID)&evidence=true")
            #expect(export.status == 200)
            let summary = try ExportVerifier.verify(
                export: export.body, publicKey: device.key.privateKey.publicKey,
                requirements: .init(expectSize: UInt64(lines.count), requireEvidence: true))
            #expect(summary.events == lines.count && summary.lastSeq == UInt64(lines.count))
            #expect(summary.checkpoints == 30 && summary.evidenceVerified == blobs.count)
            #expect(summary.shortfalls.isEmpty)
        }
        // And the rows themselves: a page query counts each stored row once.
        var rows = 0
        var cursor = ""
        repeat {
            let page = try await collectors[0].json(.GET, "/v1/events?device=\(device.key.deviceID)&limit=1000\(cursor)")
            rows += page.json["events"]!.array.count
            cursor = page.json["next_cursor"]?.string.map { "&cursor=\($0)" } ?? ""
        } while !cursor.isEmpty
        #expect(rows == lines.count)
        for s in stores { try await s.close() }
    }

    /// Posts `body` until it is taken whole: a `sequence_gap` means the batch before it is still on its way
    /// (to the other collector, or in another task), so the delivery waits and sends again, as the forwarder does.
    static func deliver(_ body: [UInt8], to collector: LiveCollector, shared: Shared) async throws {
        for _ in 0..<2000 {
            let r = try await collector.json(.POST, "/v1/events", body: body)
            if r.status == 409, r.json["error"]?["code"]?.string == "sequence_gap" {
                shared.tally.withLock { $0.gapsRetried += 1 }
                try await Task.sleep(for: .milliseconds(3))
                continue
            }
            shared.tally.withLock { t in
                guard r.status == 200 else {
                    t.failures.append("HTTP \(r.status): \(r.json["error"]?["message"]?.string ?? "?")")
                    return
                }
                for item in r.json["results"]?.array ?? [] {
                    guard let seq = item["seq"]?.int.map(UInt64.init) else { continue }
                    switch item["status"]?.string {
                    case "stored": t.stored[seq, default: 0] += 1
                    case "duplicate": t.duplicates += 1
                    default: t.failures.append("seq \(seq): \(item)")
                    }
                }
            }
            return
        }
        shared.tally.withLock { $0.failures.append("a batch was never taken") }
    }
}
