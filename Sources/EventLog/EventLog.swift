import Crypto
import Foundation
import Logging
import Metrics
import SightlineCore

/// The device's signed, chained event log: turns observations into envelopes, signs them with
/// the device key, chains them, adds them to the Merkle tree, commits each to the spool with its
/// evidence, and signs a checkpoint every `checkpointEvery` events or `checkpointIntervalSeconds`.
///
/// `emit` returns only after the event is durable. Thread-safe (one lock around emission).
public final class EventLog: @unchecked Sendable {
    public let configuration: EventLogConfiguration
    public let key: DeviceKey
    public let spool: EventSpool
    let logger: Logger
    private let lock = NSLock()
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
    @discardableResult
    public func emit(
        camera: String, type: String, body: [String: JSONValue], evidence: [EvidenceBlob] = [],
        wallNanos: Int64 = Clocks.wallNanos()
    ) throws(SpoolError) -> Event {
        lock.lock()
        defer { lock.unlock() }
        do {
            let (event, head) = try append(
                camera: camera, type: type, body: body, evidence: evidence,
                wallNanos: wallNanos)
            emitted.increment()
            if head.lastSeq - head.lastCheckpointSeq >= UInt64(configuration.checkpointEvery) {
                try appendCheckpoint(wallNanos: wallNanos)
            }
            return event
        } catch {
            emitFailures.increment()
            logger.error("cannot commit event", metadata: ["type": "\(type)", "error": "\(error)"])
            throw error
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
        try append(
            camera: "", type: Checkpoint.eventType, body: [:], evidence: [], wallNanos: wallNanos,
            checkpoint: true
        ).event
    }

    private func append(
        camera: String, type: String, body: [String: JSONValue], evidence: [EvidenceBlob],
        wallNanos: Int64, checkpoint: Bool = false
    )
        throws(SpoolError) -> (event: Event, head: SpoolState)
    {
        let refs = evidence.map {
            EvidenceRef(sha256: Encoding.hex(SHA256.hash(data: $0.data)), mediaType: $0.mediaType, size: $0.data.count)
        }
        let key = self.key
        let device = key.deviceID
        var committed = SpoolState()
        let event = try spool.append(createdNanos: wallNanos) { head in
            var body = body
            if checkpoint {
                let cp = Checkpoint(
                    origin: Checkpoint.origin(device: device), size: head.frontier.size,
                    root: head.frontier.root)
                body = cp.eventBody(note: cp.signedNote(key: key))
            }
            var event = Event(
                device: device, seq: head.lastSeq + 1, prev: head.lastHash,
                time: Timestamp.rfc3339(wallNanos: wallNanos), camera: camera, type: type, body: body,
                evidence: refs)
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
            committed = next
            return (event, try event.line(), next.lastHash, evidence, next)
        }
        return (event, committed)
    }
}
