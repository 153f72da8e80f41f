import Collector
import EventLog
import Foundation
import Logging
import SightlineCore
import SightlineTestKit
import Testing

/// PostgreSQL keeps events in monthly partitions by arrival; retention drops a month whole, and a device's chain
/// continues after its first events are gone. Runs only with `SIGHTLINE_TEST_POSTGRES` (as the other PostgreSQL
/// tests); the months used lie in 2001, apart from what the other tests store.
@Suite(.serialized) struct PartitionRetentionTests {
    static func nanos(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return Int64(c.date(from: DateComponents(year: year, month: month, day: day))!.timeIntervalSince1970) * 1_000_000_000
    }

    @Test(.enabled(if: Backend.postgresURL != nil))
    func droppingAMonthKeepsTheChainGoing() async throws {
        let store = try #require(try Backend.postgres.makeStore() as? PostgresCollectorStore)
        try await store.migrate()
        let january = Self.nanos(2001, 1, 15)
        try await store.ensureEventPartitions(nowNanos: january)
        var device = SimulatedDevice(checkpointEvery: 5)
        let record = try await CollectorRouter.register(store: store, name: "old-box", publicKey: device.key.publicKeyBase64)
        var logger = Logger(label: "test.retention")
        logger.logLevel = .critical
        let ingest = Ingest(store: store, metrics: CollectorMetrics(), logger: logger)
        var lines: [JSONValue] = []
        for i in 0..<9 {
            let evidence = i == 0 ? [SimulatedDevice.jpeg("old frame")] : []
            for e in try device.emit(body: ["i": .int(Int64(i))], evidence: evidence, wallNanos: january) {
                lines.append(try JSONParser.parse(e.line))
            }
        }
        let first = try await ingest.submit(batch: lines, nowNanos: january)
        #expect(first.refusal == nil && first.outcomes.count == 10)

        // February is after the cutoff: only January goes (never this month's partition or the default one).
        let dropped = try await store.dropEventPartitions(receivedBefore: Self.nanos(2001, 2, 1))
        #expect(dropped == ["events_y2001m01"])
        #expect(try await store.events(device: record.id, seqFrom: 1, limit: 100).isEmpty)
        #expect(try await store.lastSeq(device: record.id) == 0)

        // The head outlived its events: the next event (and a checkpoint over all 15) continues the chain.
        var next: [JSONValue] = []
        for i in 9..<10 {
            for e in try device.emit(body: ["i": .int(Int64(i))], wallNanos: Clocks.wallNanos()) {
                next.append(try JSONParser.parse(e.line))
            }
        }
        #expect(next.count == 2)  // the 10th event and the checkpoint after it
        let later = try await ingest.submit(batch: next, nowNanos: Clocks.wallNanos())
        #expect(later.refusal == nil)
        #expect(later.outcomes.map(\.outcome) == [.stored, .stored])
        #expect(try await store.events(device: record.id, seqFrom: 1, limit: 100).map(\.seq) == [11, 12])
        // An old event sent again (a device that lost the acknowledgement) is a duplicate, not tampering, even
        // though its row went with January; it is not stored again.
        let replay = try await ingest.submit(batch: Array(lines[0..<3]), nowNanos: Clocks.wallNanos())
        #expect(replay.refusal == nil)
        #expect(replay.outcomes.map(\.outcome) == [.duplicate, .duplicate, .duplicate])
        #expect(try await store.events(device: record.id, seqFrom: 1, limit: 100).map(\.seq) == [11, 12])
        // ...and no refusal is recorded against the device for it (its first event's missing evidence is).
        let refusals = try await store.incidents(limit: 100).filter {
            $0.device == record.id && $0.code != RefusalCode.evidenceMissing.rawValue
        }
        #expect(refusals.isEmpty, "\(refusals)")
        try await store.close()
    }
}
