import Crypto
import SightlineCore

/// The first thing found wrong in a device's log.
public struct ChainProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case malformed
        case wrongDevice = "wrong_device"
        case badSignature = "bad_signature"
        case gap, reordered, replayed
        case brokenChain = "broken_chain"
        case badCheckpoint = "bad_checkpoint"
        case evidenceMismatch = "evidence_mismatch"
        case empty
    }
    public var kind: Kind
    /// 1-based line of the export (0 when not from a file).
    public var line: Int
    /// The event's seq when it could be read.
    public var seq: UInt64?
    public var message: String

    public var description: String {
        var where_ = line > 0 ? "line \(line)" : ""
        if let seq { where_ += (where_.isEmpty ? "" : ", ") + "seq \(seq)" }
        return "\(where_): \(kind.rawValue): \(message)"
    }
}

/// Checks a device's events one by one, in order: format, device, signature, gapless seq, `prev`
/// chain, checkpoints (signature, size, root recomputed from the events), and evidence bytes.
///
/// Feed lines in the order they appear; the first problem is returned and later ones are not
/// looked for. When the first event is not seq 1 (a purged spool), the chain and checkpoints are
/// checked from there on and earlier checkpoints' roots cannot be recomputed (`uncheckedCheckpoints`).
public struct ChainVerifier {
    public let publicKey: Curve25519.Signing.PublicKey
    public let device: String
    /// Whether the first event must be seq 1.
    public var requireGenesis: Bool
    public private(set) var lastSeq: UInt64 = 0
    public private(set) var lastHash: String?
    public private(set) var events = 0
    public private(set) var checkpointsVerified = 0
    public private(set) var uncheckedCheckpoints = 0
    public private(set) var evidenceVerified = 0
    private var frontier: MerkleFrontier? = MerkleFrontier()
    private var seenLastCanonical: [UInt8] = []

    public init(publicKey: Curve25519.Signing.PublicKey, requireGenesis: Bool = true) {
        self.publicKey = publicKey
        self.device = DeviceKey.deviceID(publicKey: [UInt8](publicKey.rawRepresentation))
        self.requireGenesis = requireGenesis
    }

    /// Checks the next event line; `blob` returns an evidence blob's bytes when available.
    /// - Returns: the event when it holds.
    public mutating func check(
        line bytes: [UInt8], lineNumber: Int = 0,
        blob: (String) -> [UInt8]? = { _ in nil }
    ) throws(ChainProblem) -> Event {
        func problem(_ k: ChainProblem.Kind, _ seq: UInt64?, _ m: String) -> ChainProblem {
            ChainProblem(kind: k, line: lineNumber, seq: seq, message: m)
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw problem(.malformed, nil, "\(error)") }
        let event: Event
        do { event = try Event(json: value) } catch { throw problem(.malformed, nil, error.reason) }
        let seq = event.seq
        guard event.device == device else {
            throw problem(.wrongDevice, seq, "event of \(event.device), key is \(device)")
        }
        let canonical: [UInt8]
        do { canonical = try event.canonicalBytes() } catch { throw problem(.malformed, seq, "\(error)") }
        guard event.verifySignature(canonical: canonical, publicKey: publicKey) else {
            throw problem(.badSignature, seq, "signature does not verify")
        }
        if canonical == seenLastCanonical || (lastHash != nil && seq <= lastSeq) {
            let kind: ChainProblem.Kind = seq == lastSeq || canonical == seenLastCanonical ? .replayed : .reordered
            throw problem(kind, seq, "seq \(seq) after seq \(lastSeq)")
        }
        if let lastHash {
            guard seq == lastSeq + 1 else {
                throw problem(.gap, seq, "seq jumps from \(lastSeq) to \(seq): \(seq - lastSeq - 1) event(s) missing")
            }
            guard event.prev == lastHash else { throw problem(.brokenChain, seq, "prev does not match seq \(lastSeq)") }
        } else if seq == 1 {
            guard event.prev == Event.genesisPrev else { throw problem(.brokenChain, seq, "seq 1 must have zero prev") }
        } else if requireGenesis {
            throw problem(.gap, seq, "log starts at seq \(seq), not 1: \(seq - 1) event(s) missing")
        } else {
            frontier = nil
        }
        if event.type == Checkpoint.eventType { try checkCheckpoint(event, problem) }
        for ref in event.evidence {
            guard let data = blob(ref.sha256) else { continue }
            guard Encoding.hex(SHA256.hash(data: data)) == ref.sha256, data.count == ref.size else {
                throw problem(.evidenceMismatch, seq, "evidence \(ref.sha256) does not match its bytes")
            }
            evidenceVerified += 1
        }
        frontier?.append(leafHash: MerkleTree.leafHash(canonical))
        lastSeq = seq
        lastHash = Event.hash(canonical: canonical)
        seenLastCanonical = canonical
        events += 1
        return event
    }

    private mutating func checkCheckpoint(
        _ event: Event, _ problem: (ChainProblem.Kind, UInt64?, String) -> ChainProblem
    )
        throws(ChainProblem)
    {
        guard case .string(let note)? = event.body["note"],
            let cp = Checkpoint.verify(note: note, publicKey: publicKey)
        else {
            throw problem(.badCheckpoint, event.seq, "checkpoint note does not verify")
        }
        guard cp.origin == Checkpoint.origin(device: device), cp.size == event.seq - 1,
            event.body == cp.eventBody(note: note)
        else {
            throw problem(.badCheckpoint, event.seq, "checkpoint fields disagree with its note")
        }
        guard let frontier else {
            uncheckedCheckpoints += 1
            return
        }
        guard frontier.size == cp.size, frontier.root == cp.root else {
            throw problem(.badCheckpoint, event.seq, "checkpoint root differs from the events before it")
        }
        checkpointsVerified += 1
    }
}
