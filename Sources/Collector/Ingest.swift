import Crypto
import EventLog
import Foundation
import Logging
import SightlineCore

/// Verifies and stores submitted events: device, signature, `(device, seq)` idempotence, gapless
/// chain, checkpoints. Stateless apart from the store, so several collectors can share one.
public struct Ingest: Sendable {
    public enum Outcome: String, Sendable {
        case stored, duplicate
    }

    let store: any CollectorStore
    let metrics: CollectorMetrics
    let logger: Logger

    public init(store: any CollectorStore, metrics: CollectorMetrics, logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// What a batch came to: an outcome per event acknowledged, in order, and the refusal that stopped it.
    public struct BatchResult: Sendable {
        public var outcomes: [(seq: UInt64, outcome: Outcome)] = []
        public var refusal: IngestError?
    }

    /// Verifies and stores one envelope. Refusals are recorded as incidents and thrown.
    public func submit(_ value: JSONValue, nowNanos: Int64) async throws -> (seq: UInt64, outcome: Outcome) {
        let r = try await submit(batch: [value], nowNanos: nowNanos)
        if let refusal = r.refusal { throw refusal }
        guard let first = r.outcomes.first else { throw IngestError(.internalError, "no outcome") }
        return first
    }

    /// Verifies and stores envelopes in order, stopping at the first refusal (recorded as an incident). Each
    /// device is read once (`ingestLookup`: record, chain head, which named blobs are stored); the signatures are
    /// checked in parallel before anything is written; then each run of one device's events is appended
    /// (`CollectorStore.appendChain`: against the head just read where the store can, else under the device's
    /// lock).
    public func submit(batch values: [JSONValue], nowNanos: Int64) async throws -> BatchResult {
        var result = BatchResult()
        let (verified, lookups, refusal) = try await verify(values, nowNanos: nowNanos)
        var stop = refusal
        var heads: [String: ChainHead] = [:]
        for (device, lookup) in lookups { heads[device] = lookup.head }
        var start = 0
        while start < verified.count {
            let (key, device) = (verified[start].key, verified[start].event.event.device)
            var end = start + 1
            while end < verified.count, verified[end].event.event.device == device { end += 1 }
            let run = verified[start..<end].map(\.event)
            let plan: ChainAppend
            do {
                plan = try await store.appendChain(
                    device: device, seqs: run.map(\.event.seq), knownHead: heads[device]
                ) { head, stored in
                    ChainAppend.decide(head: head, stored: stored, events: run, key: key)
                }
            } catch StoreError.deviceRevoked(let named) {
                // Revoked while this batch was verified: nothing of this run was written.
                stop = Refusal(
                    error: .revoked(named, seq: run.first?.event.seq),
                    device: device)
                break
            }
            heads[device] = plan.head
            for o in plan.outcomes { metrics.ingested(o.outcome) }
            result.outcomes += plan.outcomes
            try await flagMissingEvidence(plan.rows, present: lookups[device]?.presentEvidence ?? [], nowNanos: nowNanos)
            if let r = plan.refusal {
                stop = Refusal(error: r, device: device)
                break
            }
            start = end
        }
        if let stop {
            try await refuse(stop.error, device: stop.device ?? "?", nowNanos: nowNanos)
            result.refusal = stop.error
        }
        return result
    }

    /// A refusal with the device it names (as sent, before truncation).
    private struct Refusal: Error {
        var error: IngestError
        var device: String?
    }

    /// The events of `values` up to the first that does not parse, names no usable device, or does not verify,
    /// what was read about each device, and that refusal. Signatures are checked on all cores.
    private func verify(
        _ values: [JSONValue], nowNanos: Int64
    ) async throws -> ([(event: VerifiedEvent, key: DevicePublicKey)], [String: IngestLookup], Refusal?) {
        // The envelopes up to the first malformed one; its refusal stands after those of earlier events.
        var events: [Event] = []
        var malformed: Refusal?
        for value in values {
            do { events.append(try Event(json: value)) } catch {
                var sender: String?
                if case .object(let o) = value, case .string(let d)? = o["device"] { sender = d }
                malformed = Refusal(error: IngestError(.malformedEvent, error.reason), device: sender)
                break
            }
        }
        // Each device once, with the blobs its events name.
        var named: [String: Set<String>] = [:]
        for e in events where !e.evidence.isEmpty { named[e.device, default: []].formUnion(e.evidence.map(\.sha256)) }
        var lookups: [String: IngestLookup] = [:]
        var keys: [String: DevicePublicKey] = [:]
        var parsed: [(event: Event, key: DevicePublicKey)] = []
        var refusal: Refusal?
        for event in events {
            do {
                parsed.append((event, try await key(of: event, lookups: &lookups, keys: &keys, evidence: named)))
            } catch let r as Refusal {
                refusal = r
                break
            }
        }
        if refusal == nil { refusal = malformed }
        let checked = await Self.verifySignatures(parsed, receivedNanos: nowNanos)
        var out: [(event: VerifiedEvent, key: DevicePublicKey)] = []
        out.reserveCapacity(checked.count)
        for (k, c) in checked.enumerated() {
            switch c {
            case .success(let v): out.append((v, parsed[k].key))
            case .failure(let e): return (out, lookups, Refusal(error: e, device: parsed[k].event.device))
            }
        }
        return (out, lookups, refusal)
    }

    /// The key of the event's device, read once per device (with its head and the stored blobs among
    /// `evidence[device]`), or the refusal (unknown, revoked, unusable key).
    private func key(
        of event: Event, lookups: inout [String: IngestLookup], keys: inout [String: DevicePublicKey],
        evidence: [String: Set<String>]
    ) async throws -> DevicePublicKey {
        if let key = keys[event.device] { return key }
        let seq = event.seq
        let named = Incident.truncated(device: event.device)
        let lookup: IngestLookup
        if let cached = lookups[event.device] {
            lookup = cached
        } else {
            lookup = try await store.ingestLookup(
                device: event.device, evidence: (evidence[event.device] ?? []).sorted())
            lookups[event.device] = lookup
        }
        guard let device = lookup.device else {
            throw Refusal(
                error: IngestError(.unknownDevice, "device \(named) is not registered", seq: seq), device: event.device)
        }
        if device.revokedNanos != nil {
            throw Refusal(
                error: .revoked(named, seq: seq),
                device: event.device)
        }
        guard let raw = try? DeviceKey.publicKey(base64: device.publicKey) else {
            throw Refusal(
                error: IngestError(.unknownDevice, "device \(named) has an unusable key", seq: seq), device: event.device)
        }
        let key = DevicePublicKey(key: raw)
        keys[event.device] = key
        return key
    }

    /// Canonical bytes, signature, hashes and stored line of each event, on all cores (a bounded group of tasks,
    /// one slice each); a failure stands in its event's place.
    static func verifySignatures(
        _ events: [(event: Event, key: DevicePublicKey)], receivedNanos: Int64
    ) async -> [Result<VerifiedEvent, IngestError>] {
        let lanes = max(1, min(ProcessInfo.processInfo.activeProcessorCount, events.count / 8))
        if lanes == 1 { return events.map { verifyOne($0.event, key: $0.key, receivedNanos: receivedNanos) } }
        return await withTaskGroup(of: (Int, [Result<VerifiedEvent, IngestError>]).self) { group in
            for lane in 0..<lanes {
                let slice = events.count * lane / lanes..<events.count * (lane + 1) / lanes
                group.addTask {
                    (lane, events[slice].map { verifyOne($0.event, key: $0.key, receivedNanos: receivedNanos) })
                }
            }
            var parts = [[Result<VerifiedEvent, IngestError>]](repeating: [], count: lanes)
            for await (lane, part) in group { parts[lane] = part }
            return parts.flatMap { $0 }
        }
    }

    private static func verifyOne(
        _ event: Event, key: DevicePublicKey, receivedNanos: Int64
    ) -> Result<VerifiedEvent, IngestError> {
        let seq = event.seq
        let canonical: [UInt8]
        let line: [UInt8]
        do {
            (canonical, line) = try event.canonicalBytesAndLine()
        } catch {
            return .failure(IngestError(.malformedEvent, "no canonical form: \(error)", seq: seq))
        }
        guard event.verifySignature(canonical: canonical, publicKey: key.key) else {
            return .failure(
                IngestError(.forgedSignature, "signature does not verify with the key of \(event.device)", seq: seq))
        }
        let row = StoredEvent(
            device: event.device, seq: seq, hash: Event.hash(canonical: canonical),
            leafHash: MerkleTree.leafHash(canonical), timeNanos: Timestamp.nanos(rfc3339: event.time) ?? 0,
            camera: event.camera, type: event.type, line: line, receivedNanos: receivedNanos,
            evidence: event.evidence.map(\.sha256))
        return .success(VerifiedEvent(event: event, row: row))
    }

    /// Records an `evidence_missing` incident for each stored event naming a blob that was not uploaded (not
    /// among `present`, read with the device before the append): the event is accepted (the device may have
    /// dropped the blob under its disk budget) but flagged.
    /// One incident per run of events however many blobs it lacks (one per blob cost a database round trip each:
    /// a hostile batch naming 16,000 blobs held a collector for a minute).
    private func flagMissingEvidence(_ rows: [StoredEvent], present: Set<String>, nowNanos: Int64) async throws {
        var missing: [(seq: UInt64, sha: String)] = []
        for row in rows {
            for sha in row.evidence where !present.contains(sha) { missing.append((row.seq, sha)) }
        }
        guard let first = missing.first, let last = missing.last, let device = rows.first?.device else { return }
        let message =
            missing.count == 1
            ? "evidence \(first.sha) was not uploaded"
            : "\(missing.count) evidence blobs named by seq \(first.seq)–\(last.seq) were not uploaded (first: \(first.sha))"
        try await store.recordIncident(
            Incident(
                device: device, seq: first.seq, code: RefusalCode.evidenceMissing.rawValue, message: message,
                receivedNanos: nowNanos))
    }

    /// Counts, logs and records a refusal as an incident.
    private func refuse(_ e: IngestError, device sent: String, nowNanos: Int64) async throws {
        metrics.refused(e.code)
        let device = Incident.truncated(device: sent)
        logger.warning(
            "event refused",
            metadata: [
                "code": "\(e.code.rawValue)", "device": "\(LogText.escaped(device))",
                "seq": "\(e.seq.map(String.init) ?? "-")",
            ])
        try await store.recordIncident(
            Incident(device: device, seq: e.seq, code: e.code.rawValue, message: e.message, receivedNanos: nowNanos))
    }
}
