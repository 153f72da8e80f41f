import Collector
import EventLog
import Foundation
import Logging
import SightlineCore
import Testing

@testable import Forwarder

/// A collector that lost events it had acknowledged (its database restored from an older backup, or replaced):
/// the forwarder resends them while the spool still holds them, and reports delivery as blocked when retention
/// has purged them — it never skips ahead or loses what is still pending.
@Suite(.serialized) struct ForwarderGapTests {
    static func freshCollector(for key: DeviceKey) async throws -> LiveCollector {
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        _ = try await CollectorRouter.register(store: collector.store, name: "restored", publicKey: key.publicKeyBase64)
        return collector
    }

    @Test func eventsAcknowledgedByALostCollectorAreSentAgain() async throws {
        let first = try await LiveCollector(backend: .sqlite)
        try await first.start()
        let key = try await first.registerDevice()
        let log = try makeLog(key: key, checkpointEvery: 10)
        for i in 0..<25 {
            _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))],
                             evidence: i % 10 == 0 ? [EvidenceBlob(data: fakeJPEG("frame \(i)"))] : [])
        }
        let toFirst = try ForwarderTests.forwarder(first.url, log, batch: 10)
        try await toFirst.drainThenShutdown(timeoutSeconds: ForwarderTests.drainSeconds)
        #expect(try log.spool.pendingCount() == 0)
        await first.stop()

        // The same device now talks to a collector that has none of its events.
        let second = try await Self.freshCollector(for: key)
        for i in 25..<30 { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        let toSecond = try ForwarderTests.forwarder(second.url, log, batch: 10)
        var failure: ForwarderError?
        do { try await toSecond.drain(timeoutSeconds: ForwarderTests.drainSeconds) } catch { failure = error }
        await toSecond.shutdown()  // before any expectation: a client not shut down traps on release
        #expect(failure == nil)
        let export = try await second.request(.GET, "/v1/export?device=\(key.deviceID)&evidence=true")
        let summary = try ExportVerifier.verify(export: export.body, publicKey: key.privateKey.publicKey)
        // 30 events and checkpoints after every 10 (seq 11, 22, 33): everything the spool holds.
        #expect(try log.spool.allEvents().count == 33)
        #expect(summary.events == 33 && summary.lastSeq == 33 && summary.checkpoints == 3)
        #expect(summary.evidenceVerified == 3 && summary.evidenceMissing == 0)
        #expect(try log.spool.pendingCount() == 0)
        await second.stop()
    }

    @Test func purgedEventsBlockDeliveryWithoutLosingWhatIsPending() async throws {
        let first = try await LiveCollector(backend: .sqlite)
        try await first.start()
        let key = try await first.registerDevice()
        let log = try makeLog(key: key)
        for i in 0..<20 { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }
        let toFirst = try ForwarderTests.forwarder(first.url, log, batch: 50)
        try await toFirst.drainThenShutdown(timeoutSeconds: ForwarderTests.drainSeconds)
        await first.stop()
        // Retention purges the delivered events (all but the newest, which keeps the head visible).
        let purge = try log.spool.enforceRetention(nowNanos: Clocks.wallNanos() + 1_000_000_000,
                                                   retainNanos: 0, budgetBytes: 1 << 30)
        #expect(purge.eventsPurged == 19)
        for i in 20..<25 { _ = try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))]) }

        let second = try await Self.freshCollector(for: key)
        let toSecond = try ForwarderTests.forwarder(second.url, log, batch: 50)
        var refusal: ForwarderError?
        do { try await toSecond.drain(timeoutSeconds: 1) } catch { refusal = error }
        await toSecond.shutdown()
        guard case .collector(let status, let code, _, _)? = refusal else {
            Issue.record("expected the collector's refusal, got \(String(describing: refusal))")
            return
        }
        #expect(status == 409 && code == "sequence_gap")
        // Nothing pending was acknowledged, skipped or lost; the purged events were not resurrected.
        #expect(try log.spool.pendingCount() == 5)
        #expect(try log.spool.oldestSeq() == 20)
        let export = try await second.request(.GET, "/v1/export?device=\(key.deviceID)")
        #expect(export.body.isEmpty || String(decoding: export.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        await second.stop()
    }
}
