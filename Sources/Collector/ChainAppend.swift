import Crypto
import EventLog
import SightlineCore

/// A device's chain as the store keeps it beside the device: the last stored seq, its hash (what the next
/// event's `prev` must name) and the Merkle frontier over seq 1...seq. It is read and written under the device's
/// lock, so every collector over one database sees the same head.
public struct ChainHead: Sendable, Equatable {
    public var seq: UInt64
    public var hash: String
    public var frontier: MerkleFrontier

    public init(seq: UInt64, hash: String, frontier: MerkleFrontier) {
        self.seq = seq
        self.hash = hash
        self.frontier = frontier
    }

    /// The head of a device with no events.
    public static let genesis = ChainHead(seq: 0, hash: Event.genesisPrev, frontier: MerkleFrontier())

    /// The head after the leaves `leaves` (seq 1...n in order) with `hash` the hash of seq n: how a store
    /// derives it from events stored before heads were kept.
    static func rebuilt(leaves: [[UInt8]], lastHash: String?) -> ChainHead {
        var frontier = MerkleFrontier()
        for leaf in leaves { frontier.append(leafHash: leaf) }
        return ChainHead(seq: frontier.size, hash: lastHash ?? Event.genesisPrev, frontier: frontier)
    }
}

/// A device's public key shared by the verifying tasks: an immutable value, which this swift-crypto release does
/// not mark `Sendable`.
struct DevicePublicKey: @unchecked Sendable {
    let key: Curve25519.Signing.PublicKey
}

/// An event whose envelope parsed and whose signature verified: the row it becomes and what the chain checks
/// need. Made before any lock is taken.
struct VerifiedEvent: Sendable {
    let event: Event
    let row: StoredEvent
}

/// What one run of a device's events does to its chain, decided under the device's lock from the head: the rows
/// to insert (in seq order, continuing the head), the head after them, an outcome per event up to the first
/// refusal, and the frontier of the last checkpoint among the rows.
public struct ChainAppend: Sendable {
    public internal(set) var head: ChainHead
    public internal(set) var rows: [StoredEvent] = []
    public internal(set) var outcomes: [(seq: UInt64, outcome: Ingest.Outcome)] = []
    public internal(set) var refusal: IngestError?
    public internal(set) var checkpoint: MerkleFrontier?

    /// Checks `events` in order against `head`: an event at or below the head is a `conflicting_duplicate` when
    /// its hash differs from the stored one (`stored`, by seq) and a `duplicate` otherwise (also when retention
    /// dropped the stored row: nothing is left to compare with); the next seq must name the
    /// head's hash as `prev` (`broken_chain`), a later one is a `sequence_gap`; a checkpoint's signed root must be
    /// the frontier's root at its size. Stops at the first refusal.
    static func decide(
        head start: ChainHead, stored: [UInt64: String], events: [VerifiedEvent],
        key: DevicePublicKey
    ) -> ChainAppend {
        var plan = ChainAppend(head: start)
        var appended: [UInt64: String] = [:]
        for v in events {
            let seq = v.event.seq
            if seq <= plan.head.seq {
                // An event below the head whose row is gone was dropped by retention (a PostgreSQL month): the
                // head still covers it, so it is a resend of what was stored (its signature verified), answered
                // `duplicate` and not stored again. Only a stored row can show different content.
                if let hash = appended[seq] ?? stored[seq], hash != v.row.hash {
                    plan.refusal = IngestError(.conflictingDuplicate, "seq \(seq) is stored with different content", seq: seq)
                    return plan
                }
                plan.outcomes.append((seq, .duplicate))
                continue
            }
            guard seq == plan.head.seq + 1 else {
                let next = plan.head.seq + 1
                plan.refusal = IngestError(
                    .sequenceGap, "seq \(seq) submitted, expected \(next)", seq: seq, nextSeq: next)
                return plan
            }
            guard v.event.prev == plan.head.hash else {
                plan.refusal = IngestError(
                    .brokenChain,
                    seq == 1 ? "seq 1 must have zero prev" : "prev of seq \(seq) does not match the stored seq \(seq - 1)",
                    seq: seq)
                return plan
            }
            if v.event.type == Checkpoint.eventType {
                guard checkpointHolds(v.event, frontier: plan.head.frontier, key: key.key) else {
                    plan.refusal = IngestError(
                        .badCheckpoint, "checkpoint note does not verify, or its root differs from the stored events",
                        seq: seq)
                    return plan
                }
                plan.checkpoint = plan.head.frontier
            }
            plan.head.frontier.append(leafHash: v.row.leafHash)
            plan.head.seq = seq
            plan.head.hash = v.row.hash
            appended[seq] = v.row.hash
            plan.rows.append(v.row)
            plan.outcomes.append((seq, .stored))
        }
        return plan
    }

    /// Whether the checkpoint event's note verifies with the device's key, names this device and the size before
    /// it, repeats the note's fields in its body, and signs the root of the stored events (`frontier`).
    private static func checkpointHolds(_ event: Event, frontier: MerkleFrontier, key: Curve25519.Signing.PublicKey) -> Bool {
        guard case .string(let note)? = event.body["note"], let cp = Checkpoint.verify(note: note, publicKey: key),
            cp.origin == Checkpoint.origin(device: event.device), cp.size == event.seq - 1,
            event.body == cp.eventBody(note: note)
        else { return false }
        return frontier.size == cp.size && frontier.root == cp.root
    }
}
