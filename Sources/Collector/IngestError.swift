import Hummingbird

/// Why the collector refused an event; each has its own code and HTTP status, documented in
/// Sources/Collector/README.md, and is recorded as an incident.
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// Not JSON, not a valid envelope, or not canonicalizable. 400.
        case malformedEvent = "malformed_event"
        /// The device is not registered. 403.
        case unknownDevice = "unknown_device"
        /// The signature does not verify with the registered key. 422.
        case forgedSignature = "forged_signature"
        /// seq - 1 is not stored: events were dropped or arrive out of order. 409, with `next_seq`.
        case sequenceGap = "sequence_gap"
        /// `prev` differs from the hash of the stored seq - 1. 409.
        case brokenChain = "broken_chain"
        /// (device, seq) is stored with different bytes. 409.
        case conflictingDuplicate = "conflicting_duplicate"
        /// A checkpoint's note does not verify or its root differs from the stored events. 422.
        case badCheckpoint = "bad_checkpoint"
        /// Uploaded evidence bytes do not hash to the name they were sent under. 422.
        case evidenceMismatch = "evidence_mismatch"
    }

    public var code: Code
    public var message: String
    public var seq: UInt64?
    /// For `sequence_gap`: the seq the collector expects next.
    public var nextSeq: UInt64?

    public init(_ code: Code, _ message: String, seq: UInt64? = nil, nextSeq: UInt64? = nil) {
        self.code = code
        self.message = message
        self.seq = seq
        self.nextSeq = nextSeq
    }

    public var status: HTTPResponse.Status {
        switch code {
        case .malformedEvent: .badRequest
        case .unknownDevice: .forbidden
        case .forgedSignature, .badCheckpoint, .evidenceMismatch: .unprocessableContent
        case .sequenceGap, .brokenChain, .conflictingDuplicate: .conflict
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
