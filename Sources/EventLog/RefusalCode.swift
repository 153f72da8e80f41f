/// Why a collector refused a request, or what it recorded about an accepted one: the wire vocabulary shared by
/// the collector (which maps each code to an HTTP status) and the forwarder (which acts on some of them).
///
/// A refusal body is `{"error": {"code": CODE, "message": TEXT, ...}}`; `sequence_gap` adds `next_seq`.
/// Sources/Collector/README.md lists each code with its status.
public enum RefusalCode: String, Sendable, CaseIterable {
    // Event ingest: each is also recorded as an incident.
    /// Not JSON, not a valid envelope, or not canonicalizable.
    case malformedEvent = "malformed_event"
    /// The device is not registered.
    case unknownDevice = "unknown_device"
    /// The device was revoked: events it signs from then on are refused (earlier ones stay stored).
    case revokedDevice = "revoked_device"
    /// The signature does not verify with the registered key.
    case forgedSignature = "forged_signature"
    /// seq - 1 is not stored: events were dropped or arrive out of order (with `next_seq`).
    case sequenceGap = "sequence_gap"
    /// `prev` differs from the hash of the stored seq - 1.
    case brokenChain = "broken_chain"
    /// (device, seq) is stored with different bytes.
    case conflictingDuplicate = "conflicting_duplicate"
    /// A checkpoint's note does not verify or its root differs from the stored events.
    case badCheckpoint = "bad_checkpoint"
    /// Uploaded evidence bytes do not hash to the name they were sent under.
    case evidenceMismatch = "evidence_mismatch"
    /// Uploaded evidence is not a JPEG image.
    case badEvidence = "bad_evidence"
    /// Incident only: an accepted event names evidence that was never uploaded.
    case evidenceMissing = "evidence_missing"

    // Requests.
    /// No credential, or one the collector does not know.
    case unauthorized
    /// The credential is valid but its role may not do this.
    case forbidden
    /// The admin API is off (no admin token configured).
    case adminDisabled = "admin_disabled"
    /// A query parameter is missing or out of range.
    case badQuery = "bad_query"
    /// A request body is not what the endpoint takes.
    case badRequest = "bad_request"
    /// A device public key is not a raw Ed25519 key in base64.
    case badPublicKey = "bad_public_key"
    /// The device (or token name) is registered already.
    case duplicateDevice = "duplicate_device"
    /// Nothing by that name.
    case notFound = "not_found"
    /// The request body is larger than the endpoint accepts.
    case bodyTooLarge = "body_too_large"
    /// Too many requests from this address or device; retry after `Retry-After` seconds.
    case rateLimited = "rate_limited"
    /// The collector holds as many request bodies as its memory bound allows; retry after `Retry-After`.
    case overloaded
    /// The collector failed; nothing about the request is known to be wrong.
    case internalError = "internal_error"

    /// The codes an event submission can be refused with (one metric each).
    public static let ingestRefusals: [RefusalCode] = [
        .malformedEvent, .unknownDevice, .revokedDevice, .forgedSignature, .sequenceGap, .brokenChain,
        .conflictingDuplicate, .badCheckpoint, .evidenceMismatch, .badEvidence,
    ]
}
