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
/// (group commit). Thread-safe. An emit goes through three steps, so that several cores work at once:
/// 1. outside any lock, the parts of the envelope that do not depend on the head are encoded and the evidence
///    hashed (`EnvelopeParts`);
/// 2. under the short `sequencer` lock, it takes the next seq and `prev`, its canonical bytes are assembled,
///    hashed and added to the Merkle frontier (and a checkpoint that falls due after it is made there too);
/// 3. outside any lock it is signed, then it joins the group commit: whichever caller finds the oldest
///    uncommitted event ready commits every ready event from there on, in seq order, in one transaction.
/// A failed transaction fails every event sequenced after it too (their `prev` named an event that is not in
/// the spool), and the next emit starts again from the spool's head.
public final class EventLog: @unchecked Sendable {
    public let configuration: EventLogConfiguration
    public let key: DeviceKey
    public let spool: EventSpool
    let logger: Logger
    /// The head after every event given a seq (durable or not yet).
    private let sequencer: Mutex<Sequencer>
    /// Signed events waiting for their commit, and who commits.
    private let queue: Mutex<CommitQueue>
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
    public let device: String

    /// Opens the log in `configuration.stateDirectory` with `key` (see `DeviceKey.loadOrCreate`).
    public init(configuration: EventLogConfiguration, key: DeviceKey, logger: Logger) throws(SpoolError) {
        self.configuration = configuration
        self.key = key
        device = key.deviceID
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
            throw .deviceMismatch(spool: head.device, key: device)
        }
        sequencer = Mutex(Sequencer(head: head))
        queue = Mutex(CommitQueue(next: head.lastSeq + 1))
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
        do throws(SpoolError) {
            let draft = try Draft(
                device: device, camera: camera, type: type, body: body, evidence: evidence, wallNanos: wallNanos)
            let every = UInt64(configuration.checkpointEvery)
            let slots = try sequence { head throws(SpoolError) -> [Slot] in
                let event = try slot(after: &head, draft)
                guard head.lastSeq - head.lastCheckpointSeq >= every else { return [event] }
                // A checkpoint right after the event that makes one due; committed with it.
                return [event, try checkpointSlot(after: &head, wallNanos: wallNanos, waiter: event)]
            }
            return try signAndCommit(slots).get()
        } catch {
            emitFailures.increment()
            logger.error("cannot commit event", metadata: ["type": "\(type)", "error": "\(error)"])
            throw error
        }
    }

    /// Signs `slots` (on the caller's thread, in parallel with other callers), joins the group commit and waits
    /// for the outcome of the first.
    private func signAndCommit(_ slots: [Slot]) -> Result<Event, SpoolError> {
        for s in slots { s.sign(key) }
        let me = slots[0]
        enum Arrival { case failed(SpoolError), waits, leads }
        let arrival = queue.withLock { q -> Arrival in
            guard me.epoch == q.epoch else { return .failed(q.failure ?? .database("an earlier event failed to commit")) }
            for s in slots { q.ready[s.seq] = s }
            guard !q.leading, q.ready[q.next] != nil else { return .waits }
            q.leading = true
            return .leads
        }
        var leads: Bool
        switch arrival {
        case .failed(let error): return .failure(error)
        case .waits: leads = false
        case .leads: leads = true
        }
        while true {
            if leads, commitReady(leader: me) { break }
            me.wake.wait()
            // Woken without an outcome: the previous committer handed this caller the lead.
            if me.result != nil { break }
            leads = true
        }
        return me.result ?? .failure(.database("the group commit left an event without an outcome"))
    }

    /// Commits every ready event from the oldest uncommitted one on in one transaction, hands the lead to the
    /// caller of the next ready one (or gives it up), and wakes the callers committed. Returns whether `leader`'s
    /// own event was among them (its outcome is then set, a success or the failure of this or an earlier commit).
    private func commitReady(leader: Slot) -> Bool {
        let batch = queue.withLock { q -> [Slot] in
            var out: [Slot] = []
            while let s = q.ready.removeValue(forKey: q.next) {
                out.append(s)
                q.next += 1
            }
            return out
        }
        var wake: [Slot] = batch
        if let last = batch.last {
            do {
                try spool.commit(
                    batch.map {
                        EventSpool.PreparedEvent(event: $0.event, line: $0.line, hash: $0.hash, blobs: $0.blobs,
                                      createdNanos: $0.createdNanos)
                    }, head: last.state)
                for s in batch {
                    s.result = .success(s.event)
                    if !s.isCheckpoint { emitted.increment() }
                }
                commitCount.add(1, ordering: .relaxed)
                batchSizes.record(Double(batch.count))
            } catch {
                for s in batch { s.result = .failure(error) }
                wake += failSequenced(after: error)
            }
        }
        let next = queue.withLock { q -> Slot? in
            if let s = q.ready[q.next] { return s.waiter ?? s }
            q.leading = false
            return nil
        }
        for s in wake where s.waiter == nil && s !== leader { s.wake.signal() }
        next?.wake.signal()
        return wake.contains { $0 === leader }
    }

    /// After a failed transaction: every event sequenced but not committed fails with `error`, and the next
    /// sequencing starts again from the spool's head. Returns the failed events waiting in the queue.
    private func failSequenced(after error: SpoolError) -> [Slot] {
        sequencer.withLock { s in
            s.epoch &+= 1
            s.stale = true
            return queue.withLock { q in
                q.epoch = s.epoch
                q.failure = error
                let dropped = Array(q.ready.values)
                q.ready = [:]
                for d in dropped { d.result = .failure(error) }
                return dropped
            }
        }
    }

    /// Runs `make` under the sequencer lock with the head (reloaded from the spool after a failed commit).
    private func sequence(_ make: (inout SpoolState) throws(SpoolError) -> [Slot]) throws(SpoolError) -> [Slot] {
        try sequencer.withLock { s throws(SpoolError) -> [Slot] in
            if s.stale {
                s.head = try spool.state()
                s.stale = false
                let next = s.head.lastSeq + 1
                queue.withLock { $0.next = next }
            }
            var head = s.head
            let slots = try make(&head)
            s.head = head
            for slot in slots { slot.epoch = s.epoch }
            return slots
        }
    }

    /// The next event after `head` from `draft`: seq, prev, canonical bytes, hash, and `head` advanced.
    private func slot(after head: inout SpoolState, _ draft: Draft, waiter: Slot? = nil) throws(SpoolError) -> Slot {
        let seq = head.lastSeq + 1
        let canonical: [UInt8]
        do { canonical = try draft.parts.canonical(prev: head.lastHash, seq: seq) } catch {
            throw .canonicalization(error)
        }
        let event = Event(
            device: draft.device, seq: seq, prev: head.lastHash, time: draft.time, camera: draft.camera,
            type: draft.type, body: draft.body, evidence: draft.refs)
        var next = head
        next.device = draft.device
        next.lastSeq = seq
        next.lastHash = Event.hash(canonical: canonical)
        next.frontier.append(leafHash: MerkleTree.leafHash(canonical))
        if draft.isCheckpoint {
            next.lastCheckpointSeq = seq
            next.lastCheckpointNanos = draft.wallNanos
        }
        head = next
        return Slot(
            event: event, parts: draft.parts, canonical: canonical, blobs: draft.blobs, createdNanos: draft.wallNanos,
            state: next, isCheckpoint: draft.isCheckpoint, waiter: waiter)
    }

    /// A checkpoint over every event up to `head`, as the next event.
    private func checkpointSlot(after head: inout SpoolState, wallNanos: Int64, waiter: Slot? = nil) throws(SpoolError)
        -> Slot
    {
        let cp = Checkpoint(origin: Checkpoint.origin(device: device), size: head.frontier.size, root: head.frontier.root)
        let draft = try Draft(
            device: device, camera: "", type: Checkpoint.eventType, body: cp.eventBody(note: cp.signedNote(key: key)),
            evidence: [], wallNanos: wallNanos, isCheckpoint: true)
        return try slot(after: &head, draft, waiter: waiter)
    }

    /// Signs a checkpoint if the interval passed and events were emitted since the last one.
    /// - Returns: the checkpoint event, or nil when none was due.
    @discardableResult
    public func checkpointIfDue(wallNanos: Int64 = Clocks.wallNanos()) throws(SpoolError) -> Event? {
        let due = Int64(configuration.checkpointIntervalSeconds * 1e9)
        let slots = try sequence { head throws(SpoolError) -> [Slot] in
            guard head.lastSeq > head.lastCheckpointSeq, wallNanos - head.lastCheckpointNanos >= due else { return [] }
            return [try checkpointSlot(after: &head, wallNanos: wallNanos)]
        }
        guard !slots.isEmpty else { return nil }
        return try signAndCommit(slots).get()
    }

    /// Signs a checkpoint now over every event so far (used on shutdown and by tests).
    @discardableResult
    public func checkpoint(wallNanos: Int64 = Clocks.wallNanos()) throws(SpoolError) -> Event {
        let slots = try sequence { head throws(SpoolError) -> [Slot] in
            [try checkpointSlot(after: &head, wallNanos: wallNanos)]
        }
        return try signAndCommit(slots).get()
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

}

/// The head as sequencing sees it, and the count of failed commits that reset it.
private struct Sequencer {
    var head: SpoolState
    var epoch: UInt64 = 0
    /// Whether `head` must be read again from the spool (a commit failed).
    var stale = false
}

/// Signed events by seq waiting for their commit; `next` is the oldest seq not committed yet.
private struct CommitQueue {
    var ready: [UInt64: Slot] = [:]
    var next: UInt64
    /// Whether a caller is committing (or was handed the lead and is about to).
    var leading = false
    /// The sequencer's epoch: an event of an older one was sequenced after a failed commit and fails.
    var epoch: UInt64 = 0
    var failure: SpoolError?
}

/// What an emit encodes before it takes a seq: everything of the envelope but `prev`, `seq` and `sig`.
private struct Draft {
    let device: String
    let camera: String
    let type: String
    let body: [String: JSONValue]
    let refs: [EvidenceRef]
    let blobs: [EvidenceBlob]
    let wallNanos: Int64
    let time: String
    let parts: EnvelopeParts
    let isCheckpoint: Bool

    init(
        device: String, camera: String, type: String, body: [String: JSONValue], evidence: [EvidenceBlob],
        wallNanos: Int64, isCheckpoint: Bool = false
    ) throws(SpoolError) {
        self.device = device
        self.camera = camera
        self.type = type
        self.body = body
        refs = evidence.map {
            EvidenceRef(sha256: Encoding.hex(SHA256.hash(data: $0.data)), mediaType: $0.mediaType, size: $0.data.count)
        }
        blobs = evidence
        self.wallNanos = wallNanos
        time = Timestamp.rfc3339(wallNanos: wallNanos)
        do {
            parts = try EnvelopeParts(body: body, camera: camera, device: device, evidence: refs, time: time, type: type)
        } catch { throw .canonicalization(error) }
        self.isCheckpoint = isCheckpoint
    }
}

/// One event with its seq on its way to the spool. Written by the sequencing caller, then signed by it, then
/// read by the committer; `result` is written by the committer before `wake` is signalled (or by the caller
/// itself when it commits), and read by the caller after.
private final class Slot: @unchecked Sendable {
    var event: Event
    let parts: EnvelopeParts
    let canonical: [UInt8]
    var line: [UInt8] = []
    let hash: String
    let blobs: [EvidenceBlob]
    let createdNanos: Int64
    /// The head after this event.
    let state: SpoolState
    let isCheckpoint: Bool
    /// The event whose caller waits for this one (a checkpoint made after it), nil when its own caller waits.
    let waiter: Slot?
    var epoch: UInt64 = 0
    var result: Result<Event, SpoolError>?
    let wake = DispatchSemaphore(value: 0)

    var seq: UInt64 { event.seq }

    init(
        event: Event, parts: EnvelopeParts, canonical: [UInt8], blobs: [EvidenceBlob], createdNanos: Int64,
        state: SpoolState, isCheckpoint: Bool, waiter: Slot?
    ) {
        self.event = event
        self.parts = parts
        self.canonical = canonical
        hash = state.lastHash
        self.blobs = blobs
        self.createdNanos = createdNanos
        self.state = state
        self.isCheckpoint = isCheckpoint
        self.waiter = waiter
    }

    /// Signs the canonical bytes and writes the line.
    func sign(_ key: DeviceKey) {
        let sig = key.sign(canonical)
        event.sig = sig
        // The seq was checked when `canonical` was made.
        line = parts.assemble(prev: event.prev, seq: .init(value: Int64(event.seq)), sig: sig)
    }
}
