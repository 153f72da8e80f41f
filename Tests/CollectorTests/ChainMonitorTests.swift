import EventLog
import Logging
import SightlineCore
import SightlineTestKit
import Testing

@testable import Collector

/// The console's background chain check.
struct ChainMonitorTests {
    /// One device's stored rows, in memory. The first read of events can be held: it takes its rows as they are
    /// when asked, then waits until `release` before answering (a database answering slowly).
    actor HeldStore: ChainMonitorStore {
        let device: DeviceRecord
        var rows: [StoredEvent]
        private var holdNext = true
        private var held: CheckedContinuation<Void, Never>?
        private var arrived: CheckedContinuation<Void, Never>?
        private var heldArrived = false

        init(device: DeviceRecord, rows: [StoredEvent]) {
            self.device = device
            self.rows = rows
        }

        func devices() async throws -> [DeviceRecord] { [device] }

        func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent] {
            let answer = Array(rows.filter { $0.seq >= seqFrom }.prefix(limit))
            if holdNext {
                holdNext = false
                heldArrived = true
                arrived?.resume()
                arrived = nil
                await withCheckedContinuation { held = $0 }
            }
            return answer
        }

        func saveMerkleNodes(device: String, _ nodes: [MerkleNodeID: [UInt8]]) async throws {}

        /// Returns once the held read is waiting.
        func waitForHeldRead() async {
            if heldArrived { return }
            await withCheckedContinuation { arrived = $0 }
        }

        func release() {
            held?.resume()
            held = nil
        }

        /// Alters the stored hash column of `seq` (a row changed in the database).
        func tamper(seq: UInt64) {
            guard let i = rows.firstIndex(where: { $0.seq == seq }) else { return }
            rows[i].hash = String(repeating: "0", count: 64)
        }
    }

    /// A monitor of one device's chain of five events, over a store whose first read is held.
    static func fiveEvents() throws -> (device: String, store: HeldStore, monitor: ChainMonitor) {
        let (events, _, key) = try ChainAppendTests.chain(5)
        let id = events[0].row.device
        let store = HeldStore(
            device: DeviceRecord(id: id, name: "door", publicKey: Encoding.base64(key.key.rawRepresentation),
                                 addedNanos: 0),
            rows: events.map(\.row))
        return (id, store, ChainMonitor(store: store, logger: Logger(label: "test")))
    }

    /// Without the start at the collector's start, the check runs from the overview's first status; it ends when its
    /// task is cancelled (the collector's shutdown), so the collector can wait for it before closing the store.
    @Test func aCheckStartedByTheOverviewEndsWhenCancelled() async throws {
        let (id, store, monitor) = try Self.fiveEvents()
        let run = Task { await monitor.run(immediately: false) }
        #expect(await monitor.status(device: id) == nil)
        await store.waitForHeldRead()
        await store.release()
        var checked: UInt64 = 0
        for _ in 0..<300 where checked < 5 {
            checked = await monitor.status(device: id)?.checkedThrough ?? 0
            if checked < 5 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(checked == 5)
        run.cancel()
        await run.value
    }

    /// A store that answers reads and, as GRDB and PostgresNIO do, refuses writes from a cancelled task.
    struct CancellingStore: ChainMonitorStore {
        let device: DeviceRecord
        let rows: [StoredEvent]
        func devices() async throws -> [DeviceRecord] { [device] }
        func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent] {
            Array(rows.filter { $0.seq >= seqFrom }.prefix(limit))
        }
        func saveMerkleNodes(device: String, _ nodes: [MerkleNodeID: [UInt8]]) async throws {
            try Task.checkCancellation()
        }
    }

    /// Found by an attack run: stopping the collector while its check was in a batch logged "caching subtree roots
    /// failed: CancellationError" once for every checkpoint left in the batch (seven at a stop of a 2500-event
    /// chain), on every stop.
    @Test func aCheckCancelledByTheStopLogsNoFailures() async throws {
        let (events, _, key) = try ChainAppendTests.chain(20, checkpointEvery: 2)
        let store = CancellingStore(
            device: DeviceRecord(id: events[0].row.device, name: "door",
                                 publicKey: Encoding.base64(key.key.rawRepresentation), addedNanos: 0),
            rows: events.map(\.row))
        let capture = LogCapture()
        let monitor = ChainMonitor(store: store, logger: capture.logger())
        let step = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await monitor.step()
        }
        #expect(await step.value == false)
        #expect(capture.all.filter { $0.contains("chain check") } == [])
    }

    /// Seen by the browser test under load: an admin's re-check, asked while a check step waited on the store, was
    /// undone by that step writing its old progress back, so the re-check never reached a row altered since.
    @Test func aRecheckDuringAStepReachesARowAlteredMeanwhile() async throws {
        let (id, store, monitor) = try Self.fiveEvents()

        // A step reads all five rows as they are, and waits for the store's answer.
        async let first = monitor.step()
        await store.waitForHeldRead()
        // Meanwhile a row is altered and the admin asks for the chains to be checked again.
        await store.tamper(seq: 3)
        await monitor.restart()
        await store.release()
        _ = await first

        var problem: String?
        for _ in 0..<20 {
            _ = await monitor.step()
            problem = await monitor.status(device: id)?.problem
            if problem != nil { break }
        }
        #expect(problem == "seq 3: the stored hash differs from the event's bytes")
    }
}
