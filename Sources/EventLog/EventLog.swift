import Crypto
import Foundation
import Logging
import Metrics
import SightlineCore
import Synchronization

/// The device's signed, chained event log: turns observations into envelopes, signs them with
/// the device key, chains them, adds them to the Merkle tree, commits each to the spool with its
/// evidence, and signs a checkpoint every `checkpointEvery` events or `checkpointIntervalSeconds`.
///
/// `emit` returns only after the event is durable; events emitted together share a transaction and a sync
/// (group commit). Thread-safe (one lock around each commit and checkpoint).
public final class EventLog: @unchecked Sendable {
    public let configuration: EventLogConfiguration
    public let key: DeviceKey
    public let spool: EventSpool
    let logger: Logger
    private let lock = NSLock()
    /// Callers waiting for the next group commit, and whether one of them is committing.
    private let group = Mutex<(waiting: [PendingEmit], leading: Bool)>(([], false))
    private let batchSizes = Recorder(label: "sightline_events_commit_batch")
    private let commitCount = Atomic<Int>(0)

    /// Transactions that committed events so far (each one sync): fewer than the events when callers emitted
    /// together.
    public var commits: Int { commitCount.load(ordering: .relaxed) }
    private let emitted = Counter(label: "sightline_events_emitted_total")
    private let emitFailures = Counter(label: "sightline_events_emit_failures_total")
    private let overBudget = Gauge(label: "sightline_spool_over_budget")
    private let spoolBytes = Gauge(label: "sightline_spool_bytes")

    /// The device id of the key.
    public var device: String { key.deviceID }

    /// Opens the log in `configuration.stateDirectory` with `key` (see `DeviceKey.loadOrCreate`).
    public init(configuration: EventLogConfiguration, key: DeviceKey, logger: Logger) throws(SpoolError) {
        self.configuration = configuration
        self.key = key
        self.logger = logger
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.stateDirectory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch { throw .database("cannot create \(configuration.stateDirectory): \(error)") }
        let path = (configuration.stateDirectory as NSString).appendingPathComponent(EventSpool.fileName)
        spool = try EventSpool(path: path, logger: logger)
        let head = try spool.state()
        guard head.device.isEmpty || head.device == key.deviceID else {
            throw .deviceMismatch(spool: head.device, key: key.deviceID)
        }
    }

    /// Signs and commits one event; returns it once durable. Evidence bytes are stored as blobs
    /// named by their SHA-256. May also commit a checkpoint after it when one is due.
    ///
    /// Group commit: callers that emit while a commit is under way wait for the next one, and that one
    /// commits all of them in one transaction and one sync. A caller alone is never held back; each returns
    /// only once the transaction holding its event is durable.
    @discardableResult
    public func emit(
        camera: String, type: String, body: [String: JSONValue], evidence: [EvidenceBlob] = [],
        wallNanos: Int64 = Clocks.wallNanos()
    ) throws(SpoolError) -> Event {
        let me = PendingEmit(camera: camera, type: type, body: body, evidence: evidence, wallNanos: wallNanos)
        let leads = group.withLock { g in
            g.waiting.append(me)
            if g.leading { return false }
            g.leading = true
            return true
        }
        if !leads { me.wake.wait() }
        // Woken without a result: the previous commit handed this caller the lead.
        if me.result == nil { commitWaiting(leader: me) }
        guard let result = me.result else { throw .database("the group commit left an event without an outcome") }
        return try result.get()
    }

    /// Commits every waiting event in one transaction, wakes their callers, and hands the lead to the first
    /// caller that arrived meanwhile (or gives it up).
    private func commitWaiting(leader: PendingEmit) {
        let batch = group.withLock { g in
            defer { g.waiting = [] }
            return g.waiting
        }
        lock.lock()
        commit(batch)
        lock.unlock()
        let next = group.withLock { g -> PendingEmit? in
            if let first = g.waiting.first { return first }
            g.leading = false
            return nil
        }
        for p in batch where p !== leader { p.wake.signal() }
        next?.wake.signal()
    }

    /// One transaction for `batch`, with a checkpoint wherever one falls due; each entry gets its outcome.
    private func commit(_ batch: [PendingEmit]) {
        var cursor = 0
        var owners: [PendingEmit?] = []  // per committed event; nil for a checkpoint
        var latestWall = batch.first?.wallNanos ?? 0
        var lastWasEvent = false
        let every = UInt64(configuration.checkpointEvery)
        let created = batch.map(\.wallNanos).max() ?? 0
        do {
            let events = try spool.appendBatch(createdNanos: created) { head -> EventSpool.Built? in
                // A checkpoint right after the event that makes one due, as when each event had its own commit.
                if lastWasEvent, head.lastSeq - head.lastCheckpointSeq >= every {
                    lastWasEvent = false
                    owners.append(nil)
                    return try build(head, camera: "", type: Checkpoint.eventType, body: [:], evidence: [],
                                     wallNanos: latestWall, checkpoint: true)
                }
                while cursor < batch.count {
                    let p = batch[cursor]
                    cursor += 1
                    do {
                        let built = try build(head, camera: p.camera, type: p.type, body: p.body,
                                              evidence: p.evidence, wallNanos: p.wallNanos)
                        owners.append(p)
                        lastWasEvent = true
                        latestWall = p.wallNanos
                        return built
                    } catch let e as CanonicalJSONError {
                        p.result = .failure(.canonicalization(e))
                    } catch {
                        p.result = .failure(.database("\(error)"))
                    }
                }
                return nil
            }
            for (owner, event) in zip(owners, events) {
                guard let owner else { continue }
                owner.result = .success(event)
                emitted.increment()
            }
            if !events.isEmpty { commitCount.add(1, ordering: .relaxed) }
            batchSizes.record(Double(events.count))
        } catch {
            for p in batch where p.result == nil { p.result = .failure(error) }
        }
        for p in batch {
            if case .failure(let error) = p.result {
                emitFailures.increment()
                logger.error("cannot commit event", metadata: ["type": "\(p.type)", "error": "\(error)"])
            }
        }
    }

    /// Signs a checkpoint if the interval passed and events were emitted since the last one.
    /// - Returns: the checkpoint event, or nil when none was due.
    @discardableResult
    public func checkpointIfDue(wallNanos: Int64 = Clocks.wallNanos()) throws(SpoolError) -> Event? {
        lock.lock()
        defer { lock.unlock() }
        let head = try spool.state()
        let due = Int64(configuration.checkpointIntervalSeconds * 1e9)
        guard head.lastSeq > head.lastCheckpointSeq, wallNanos - head.lastCheckpointNanos >= due else { return nil }
        return try appendCheckpoint(wallNanos: wallNanos)
    }

    /// Signs a checkpoint now over every event so far (used on shutdown and by tests).
    @discardableResult
    public func checkpoint(wallNanos: Int64 = Clocks.wallNanos()) throws(SpoolError) -> Event {
        lock.lock()
        defer { lock.unlock() }
        return try appendCheckpoint(wallNanos: wallNanos)
    }

    /// Runs retention and the disk budget; raises the alarm gauge and logs when over budget.
    @discardableResult
    public func enforceRetention(nowNanos: Int64 = Clocks.wallNanos()) throws(SpoolError) -> RetentionReport {
        let report = try spool.enforceRetention(
            nowNanos: nowNanos,
            retainNanos: Int64(configuration.retentionSeconds * 1e9),
            budgetBytes: configuration.diskBudgetBytes)
        spoolBytes.record(report.bytesAfter)
        overBudget.record(report.overBudget ? 1 : 0)
        if report.undeliveredBlobsPurged > 0 {
            logger.warning(
                "disk budget: dropped undelivered evidence",
                metadata: ["blobs": "\(report.undeliveredBlobsPurged)"])
        }
        if report.overBudget {
            logger.error(
                "event spool over its disk budget with no evidence left to drop; events are kept",
                metadata: ["bytes": "\(report.bytesAfter)", "budget": "\(configuration.diskBudgetBytes)"])
        }
        return report
    }

    @discardableResult
    private func appendCheckpoint(wallNanos: Int64) throws(SpoolError) -> Event {
        try spool.append(createdNanos: wallNanos) { head in
            try build(head, camera: "", type: Checkpoint.eventType, body: [:], evidence: [], wallNanos: wallNanos,
                      checkpoint: true)
        }
    }

    /// The next event after `head`, signed and chained, with the head after it.
    private func build(
        _ head: SpoolState, camera: String, type: String, body: [String: JSONValue], evidence: [EvidenceBlob],
        wallNanos: Int64, checkpoint: Bool = false
    ) throws(CanonicalJSONError) -> EventSpool.Built {
        let refs = evidence.map {
            EvidenceRef(sha256: Encoding.hex(SHA256.hash(data: $0.data)), mediaType: $0.mediaType, size: $0.data.count)
        }
        let device = key.deviceID
        var body = body
        if checkpoint {
            let cp = Checkpoint(origin: Checkpoint.origin(device: device), size: head.frontier.size, root: head.frontier.root)
            body = cp.eventBody(note: cp.signedNote(key: key))
        }
        var event = Event(
            device: device, seq: head.lastSeq + 1, prev: head.lastHash,
            time: Timestamp.rfc3339(wallNanos: wallNanos), camera: camera, type: type, body: body, evidence: refs)
        let canonical = try event.canonicalBytes()
        event.sig = key.sign(canonical)
        var next = head
        next.device = device
        next.lastSeq = event.seq
        next.lastHash = Event.hash(canonical: canonical)
        next.frontier.append(leafHash: MerkleTree.leafHash(canonical))
        if checkpoint {
            next.lastCheckpointSeq = event.seq
            next.lastCheckpointNanos = wallNanos
        }
        return (event, try event.line(), next.lastHash, evidence, next)
    }
}

/// One caller's event waiting for a group commit; `result` is written by the committing thread before
/// `wake` is signalled (or by the caller itself when it leads), and read by the caller after.
private final class PendingEmit: @unchecked Sendable {
    let camera: String
    let type: String
    let body: [String: JSONValue]
    let evidence: [EvidenceBlob]
    let wallNanos: Int64
    var result: Result<Event, SpoolError>?
    let wake = DispatchSemaphore(value: 0)

    init(camera: String, type: String, body: [String: JSONValue], evidence: [EvidenceBlob], wallNanos: Int64) {
        self.camera = camera
        self.type = type
        self.body = body
        self.evidence = evidence
        self.wallNanos = wallNanos
    }
}
