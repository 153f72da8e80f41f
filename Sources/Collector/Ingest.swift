import Crypto
import EventLog
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

    /// Verifies and stores one envelope. Refusals are recorded as incidents and thrown.
    public func submit(_ value: JSONValue, nowNanos: Int64) async throws -> (seq: UInt64, outcome: Outcome) {
        do {
            let r = try await check(value, nowNanos: nowNanos)
            metrics.ingested(r.outcome)
            return (r.seq, r.outcome)
        } catch let e as IngestError {
            metrics.refused(e.code)
            var device = "?"
            if case .object(let o) = value, case .string(let d)? = o["device"] { device = Incident.truncated(device: d) }
            logger.warning(
                "event refused",
                metadata: [
                    "code": "\(e.code.rawValue)", "device": "\(LogText.escaped(device))",
                    "seq": "\(e.seq.map(String.init) ?? "-")",
                ])
            try await store.recordIncident(
                Incident(
                    device: device, seq: e.seq, code: e.code.rawValue,
                    message: e.message, receivedNanos: nowNanos))
            throw e
        }
    }

    private func check(_ value: JSONValue, nowNanos: Int64) async throws -> (seq: UInt64, outcome: Outcome) {
        let event: Event
        do { event = try Event(json: value) } catch { throw IngestError(.malformedEvent, error.reason) }
        let seq = event.seq
        let named = Incident.truncated(device: event.device)
        guard let device = try await store.device(id: event.device) else {
            throw IngestError(.unknownDevice, "device \(named) is not registered", seq: seq)
        }
        if device.revokedNanos != nil {
            throw IngestError(.revokedDevice, "device \(named) was revoked; register a new key to send again", seq: seq)
        }
        guard let key = try? DeviceKey.publicKey(base64: device.publicKey) else {
            throw IngestError(.unknownDevice, "device \(event.device) has an unusable key", seq: seq)
        }
        let canonical: [UInt8]
        do { canonical = try event.canonicalBytes() } catch {
            throw IngestError(.malformedEvent, "no canonical form: \(error)", seq: seq)
        }
        guard event.verifySignature(canonical: canonical, publicKey: key) else {
            throw IngestError(.forgedSignature, "signature does not verify with the key of \(event.device)", seq: seq)
        }
        let hash = Event.hash(canonical: canonical)
        if let stored = try await store.eventHash(device: event.device, seq: seq) {
            return (seq, try duplicate(stored: stored, hash: hash, seq: seq))
        }
        if seq == 1 {
            guard event.prev == Event.genesisPrev else {
                throw IngestError(.brokenChain, "seq 1 must have zero prev", seq: 1)
            }
        } else {
            guard let previous = try await store.eventHash(device: event.device, seq: seq - 1) else {
                let next = try await store.lastSeq(device: event.device) + 1
                throw IngestError(.sequenceGap, "seq \(seq) submitted, expected \(next)", seq: seq, nextSeq: next)
            }
            guard previous == event.prev else {
                throw IngestError(.brokenChain, "prev of seq \(seq) does not match the stored seq \(seq - 1)", seq: seq)
            }
        }
        if event.type == Checkpoint.eventType { try await checkCheckpoint(event, key: key) }
        for ref in event.evidence where !(try await store.hasEvidence(sha256: ref.sha256)) {
            // Accepted (the device may have dropped it under its disk budget) but flagged.
            try await store.recordIncident(
                Incident(
                    device: event.device, seq: seq, code: RefusalCode.evidenceMissing.rawValue,
                    message: "evidence \(ref.sha256) was not uploaded",
                    receivedNanos: nowNanos))
        }
        let stored = StoredEvent(
            device: event.device, seq: seq, hash: hash, leafHash: MerkleTree.leafHash(canonical),
            timeNanos: Timestamp.nanos(rfc3339: event.time) ?? 0, camera: event.camera,
            type: event.type, line: try event.line(), receivedNanos: nowNanos, evidence: event.evidence.map(\.sha256))
        switch try await store.insert(stored) {
        case .inserted: return (seq, .stored)
        case .exists(let other): return (seq, try duplicate(stored: other, hash: hash, seq: seq))
        }
    }

    private func duplicate(stored: String, hash: String, seq: UInt64) throws -> Outcome {
        guard stored == hash else {
            throw IngestError(.conflictingDuplicate, "seq \(seq) is stored with different content", seq: seq)
        }
        return .duplicate
    }

    private func checkCheckpoint(_ event: Event, key: Curve25519.Signing.PublicKey) async throws {
        guard case .string(let note)? = event.body["note"], let cp = Checkpoint.verify(note: note, publicKey: key),
            cp.origin == Checkpoint.origin(device: event.device), cp.size == event.seq - 1,
            event.body == cp.eventBody(note: note)
        else {
            throw IngestError(.badCheckpoint, "checkpoint note does not verify", seq: event.seq)
        }
        // The tree grows from the frontier the previous verified checkpoint left, so each checkpoint reads only
        // the leaves since then (not the whole log). A frontier past this checkpoint (a resubmitted old one)
        // cannot be rewound: the tree is then rebuilt from the first leaf.
        var frontier = try await store.checkpointFrontier(device: event.device)
            .flatMap(MerkleFrontier.init(serialized:)) ?? MerkleFrontier()
        if frontier.size > cp.size { frontier = MerkleFrontier() }
        let leaves = try await store.leafHashes(device: event.device, after: frontier.size, through: cp.size)
        for leaf in leaves { frontier.append(leafHash: leaf) }
        guard frontier.size == cp.size, frontier.root == cp.root else {
            throw IngestError(.badCheckpoint, "checkpoint root differs from the stored events", seq: event.seq)
        }
        try await store.saveCheckpointFrontier(device: event.device, size: frontier.size, frontier: frontier.serialized)
    }
}
