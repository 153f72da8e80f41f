import Crypto
import Foundation

/// Verifies an export (`GET /v1/export?device=`): JSON lines, each either a full event envelope or
/// an evidence record `{"blob": "<sha256>", "media_type": "...", "data": "<base64>"}` placed
/// before the event that references it. The whole log must be present from seq 1.
///
/// A chain that verifies can still be short: cut at the end, or stripped of its evidence. What the export alone
/// proves is reported (`coveredSize`: events anchored by its last signed checkpoint; `trailing`: events after
/// them), and what the operator knows from elsewhere is checked as `Requirements`: the size the log had reached,
/// a signed checkpoint kept from earlier, and that every referenced blob is present. Unmet requirements are
/// `Shortfall`s in the summary (the chain itself held; the export is incomplete).
public enum ExportVerifier {
    /// What the operator expects of the export, from outside it.
    public struct Requirements: Sendable, Equatable {
        /// The export must reach at least this seq.
        public var expectSize: UInt64?
        /// A signed checkpoint (already verified with the device key) that the export must reach and agree with.
        public var checkpoint: Checkpoint?
        /// Every evidence blob an event references must be in the export or the evidence directory.
        public var requireEvidence: Bool

        public init(expectSize: UInt64? = nil, checkpoint: Checkpoint? = nil, requireEvidence: Bool = false) {
            self.expectSize = expectSize
            self.checkpoint = checkpoint
            self.requireEvidence = requireEvidence
        }
    }

    /// A requirement the export does not meet.
    public enum Shortfall: Sendable, Equatable, CustomStringConvertible {
        /// The export ends before the size the operator expected.
        case shorterThanExpected(expected: UInt64, lastSeq: UInt64)
        /// The export ends before the operator's checkpoint.
        case checkpointNotReached(size: UInt64, lastSeq: UInt64)
        /// The export's first `size` events do not have the operator's checkpoint root: the log was rewritten.
        case checkpointContradicted(size: UInt64)
        /// The operator's checkpoint is of another log.
        case checkpointOfAnotherLog(origin: String, expected: String)
        /// Referenced evidence blobs that are nowhere (SHA-256, hex).
        case evidenceMissing([String])

        /// A stable code for scripts.
        public var code: String {
            switch self {
            case .shorterThanExpected: "shorter_than_expected"
            case .checkpointNotReached: "checkpoint_not_reached"
            case .checkpointContradicted: "checkpoint_contradicted"
            case .checkpointOfAnotherLog: "checkpoint_of_another_log"
            case .evidenceMissing: "evidence_missing"
            }
        }

        public var description: String {
            switch self {
            case .shorterThanExpected(let expected, let lastSeq):
                "the export ends at seq \(lastSeq), but the log had reached seq \(expected): "
                    + "\(expected &- lastSeq) event(s) missing at the end"
            case .checkpointNotReached(let size, let lastSeq):
                "the export ends at seq \(lastSeq), before the checkpoint of size \(size): "
                    + "\(size &- lastSeq) event(s) missing at the end"
            case .checkpointContradicted(let size):
                "the first \(size) events do not match the signed checkpoint of size \(size): the log was rewritten"
            case .checkpointOfAnotherLog(let origin, let expected):
                "the checkpoint is of \(origin), the export of \(expected)"
            case .evidenceMissing(let blobs):
                "\(blobs.count) referenced evidence blob(s) missing: \(blobs.prefix(3).joined(separator: ", "))"
                    + (blobs.count > 3 ? ", …" : "")
            }
        }
    }

    /// What a successful check covered.
    public struct Summary: Sendable, Equatable {
        public var events: Int
        public var lastSeq: UInt64
        public var checkpoints: Int
        public var evidenceVerified: Int
        /// Evidence references whose bytes were neither in the export nor in the evidence directory.
        public var evidenceMissing: Int
        /// Events 1…`coveredSize` are anchored by the last signed checkpoint in the export (0: none).
        public var coveredSize: UInt64
        /// Events after those (the checkpoint event itself included): normal between checkpoints, but nothing
        /// in the export proves that none were cut off after them.
        public var trailing: UInt64
        /// The missing blobs (SHA-256, hex), sorted.
        public var missingBlobs: [String]
        /// Requirements not met; empty when the export is complete as far as the requirements tell.
        public var shortfalls: [Shortfall]
    }

    /// Checks every line in order and throws the first problem of the chain; then checks `requirements`.
    /// - Parameter evidenceDirectory: optional directory of blobs named by their SHA-256.
    public static func verify(
        export bytes: [UInt8], publicKey: Curve25519.Signing.PublicKey,
        evidenceDirectory: String? = nil, requirements: Requirements = Requirements()
    ) throws(ChainProblem) -> Summary {
        var verifier = ChainVerifier(publicKey: publicKey, requireGenesis: true)
        var blobs: [String: [UInt8]] = [:]
        var missing = 0
        var missingBlobs: Set<String> = []
        var coveredSize: UInt64 = 0
        // The Merkle tree of the events, as far as the operator's checkpoint needs it.
        let anchorSize = requirements.checkpoint?.size
        var frontier = MerkleFrontier()
        var rootAtAnchor: [UInt8]? = anchorSize == 0 ? frontier.root : nil
        var lineNumber = 0
        var start = 0
        func lookup(_ sha: String) -> [UInt8]? {
            if let b = blobs[sha] { return b }
            if let dir = evidenceDirectory,
                let d = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(sha))
            {
                return [UInt8](d)
            }
            missing += 1
            missingBlobs.insert(sha)
            return nil
        }
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let line = Array(bytes[start..<end])
            start = end + 1
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
            if line.starts(with: Array("{\"blob\":".utf8)) {
                guard case .object(let o)? = try? JSONParser.parse(line), case .string(let sha)? = o["blob"],
                    case .string(let b64)? = o["data"], let data = Encoding.bytes(base64: b64)
                else {
                    throw ChainProblem(kind: .malformed, line: lineNumber, seq: nil, message: "bad evidence record")
                }
                guard Encoding.hex(SHA256.hash(data: data)) == sha else {
                    throw ChainProblem(
                        kind: .evidenceMismatch, line: lineNumber, seq: nil,
                        message: "evidence \(sha) does not match its bytes")
                }
                blobs[sha] = data
                continue
            }
            let event = try verifier.check(line: line, lineNumber: lineNumber, blob: lookup)
            // The chain verifier checked the note against the events before it (size = seq − 1).
            if event.type == Checkpoint.eventType, event.seq > 0 { coveredSize = event.seq - 1 }
            if let anchorSize, frontier.size < anchorSize {
                do { frontier.append(leafHash: MerkleTree.leafHash(try event.canonicalBytes())) } catch {
                    throw ChainProblem(kind: .malformed, line: lineNumber, seq: event.seq, message: "\(error)")
                }
                if frontier.size == anchorSize { rootAtAnchor = frontier.root }
            }
        }
        guard verifier.events > 0 else {
            throw ChainProblem(kind: .empty, line: 0, seq: nil, message: "the export holds no events")
        }
        let lastSeq = verifier.lastSeq
        var shortfalls: [Shortfall] = []
        if let expected = requirements.expectSize, lastSeq < expected {
            shortfalls.append(.shorterThanExpected(expected: expected, lastSeq: lastSeq))
        }
        if let checkpoint = requirements.checkpoint {
            let origin = Checkpoint.origin(device: verifier.device)
            if checkpoint.origin != origin {
                shortfalls.append(.checkpointOfAnotherLog(origin: checkpoint.origin, expected: origin))
            } else if let rootAtAnchor {
                if rootAtAnchor != checkpoint.root { shortfalls.append(.checkpointContradicted(size: checkpoint.size)) }
            } else {
                shortfalls.append(.checkpointNotReached(size: checkpoint.size, lastSeq: lastSeq))
            }
        }
        if requirements.requireEvidence && !missingBlobs.isEmpty {
            shortfalls.append(.evidenceMissing(missingBlobs.sorted()))
        }
        return Summary(
            events: verifier.events, lastSeq: lastSeq, checkpoints: verifier.checkpointsVerified,
            evidenceVerified: verifier.evidenceVerified, evidenceMissing: missing, coveredSize: coveredSize,
            trailing: lastSeq - coveredSize, missingBlobs: missingBlobs.sorted(), shortfalls: shortfalls)
    }
}
