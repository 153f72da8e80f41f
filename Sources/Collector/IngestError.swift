import EventLog
import Hummingbird

/// Why the collector refused an event or a request: a `RefusalCode` (the wire vocabulary, in EventLog) and a
/// human message. Event refusals are recorded as incidents.
public struct IngestError: Error, Sendable, Equatable, CustomStringConvertible {
    public typealias Code = RefusalCode

    public var code: RefusalCode
    public var message: String
    public var seq: UInt64?
    /// For `sequence_gap`: the seq the collector expects next.
    public var nextSeq: UInt64?

    public init(_ code: RefusalCode, _ message: String, seq: UInt64? = nil, nextSeq: UInt64? = nil) {
        self.code = code
        self.message = message
        self.seq = seq
        self.nextSeq = nextSeq
    }

    public var status: HTTPResponse.Status { code.httpStatus }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A revoked device's event, whether the revocation was seen before the batch or landed during it.
    static func revoked(_ device: String, seq: UInt64?) -> IngestError {
        IngestError(.revokedDevice, "device \(device) was revoked; register a new key to send again", seq: seq)
    }
}

extension RefusalCode {
    /// The HTTP status the collector answers this refusal with.
    public var httpStatus: HTTPResponse.Status {
        switch self {
        case .malformedEvent, .badQuery, .badRequest, .badPublicKey, .badEvidence: .badRequest
        case .unauthorized: .unauthorized
        case .unknownDevice, .revokedDevice, .forbidden, .adminDisabled: .forbidden
        case .forgedSignature, .badCheckpoint, .evidenceMismatch: .unprocessableContent
        case .sequenceGap, .brokenChain, .conflictingDuplicate, .duplicateDevice: .conflict
        case .notFound: .notFound
        case .bodyTooLarge: .contentTooLarge
        case .rateLimited: .tooManyRequests
        case .overloaded: .serviceUnavailable
        case .evidenceMissing, .internalError: .internalServerError
        }
    }
}
