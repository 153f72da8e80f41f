import EventLog
import Foundation
import SightlineCore

/// A device's log kept in memory: real key, signed and chained events, a signed checkpoint after every
/// `checkpointEvery` events, small evidence blobs. What `EventLog` would spool, without a disk or a sync, so a
/// test or a load generator can make thousands of devices' events quickly.
public struct SimulatedDevice: Sendable {
    public let key: DeviceKey
    public let checkpointEvery: Int
    public private(set) var seq: UInt64 = 0
    public private(set) var lastHash = Event.genesisPrev
    public private(set) var frontier = MerkleFrontier()
    private var sinceCheckpoint = 0

    /// One event as the forwarder sends it: its envelope line and the evidence it names.
    public struct Emitted: Sendable {
        public var seq: UInt64
        public var line: [UInt8]
        /// (sha256 hex, bytes) of each evidence blob the event names.
        public var evidence: [(sha256: String, data: [UInt8])]
    }

    public init(key: DeviceKey = .generate(), checkpointEvery: Int = 100) {
        precondition(checkpointEvery > 0, "checkpointEvery must be positive")
        self.key = key
        self.checkpointEvery = checkpointEvery
    }

    /// A minimal JPEG (SOI, a comment segment holding `text`, EOI), the kind of blob the collector accepts.
    public static func jpeg(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8.prefix(60000))
        let length = payload.count + 2
        return [0xFF, 0xD8, 0xFF, 0xFE, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + [0xFF, 0xD9]
    }

    /// The next event (with `evidence` as its blobs), followed by a checkpoint when one falls due.
    public mutating func emit(
        camera: String = "gate", type: String = "frame.stats", body: [String: JSONValue] = [:],
        evidence: [[UInt8]] = [], wallNanos: Int64 = Clocks.wallNanos()
    ) throws -> [Emitted] {
        let refs = evidence.map {
            EvidenceRef(sha256: RequestSignature.sha256($0), mediaType: "image/jpeg", size: $0.count)
        }
        var out = [try append(camera: camera, type: type, body: body, refs: refs, wallNanos: wallNanos)]
        out[0].evidence = zip(refs, evidence).map { ($0.sha256, $1) }
        sinceCheckpoint += 1
        if sinceCheckpoint >= checkpointEvery {
            sinceCheckpoint = 0
            let cp = Checkpoint(origin: Checkpoint.origin(device: key.deviceID), size: frontier.size, root: frontier.root)
            out.append(
                try append(
                    camera: "", type: Checkpoint.eventType, body: cp.eventBody(note: cp.signedNote(key: key)), refs: [],
                    wallNanos: wallNanos))
        }
        return out
    }

    private mutating func append(
        camera: String, type: String, body: [String: JSONValue], refs: [EvidenceRef], wallNanos: Int64
    ) throws -> Emitted {
        var event = Event(
            device: key.deviceID, seq: seq + 1, prev: lastHash, time: Timestamp.rfc3339(wallNanos: wallNanos),
            camera: camera, type: type, body: body, evidence: refs)
        let canonical = try event.canonicalBytes()
        event.sig = key.sign(canonical)
        seq = event.seq
        lastHash = Event.hash(canonical: canonical)
        frontier.append(leafHash: MerkleTree.leafHash(canonical))
        return Emitted(seq: seq, line: try event.line(), evidence: [])
    }
}
