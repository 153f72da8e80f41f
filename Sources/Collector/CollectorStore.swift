import EventLog

/// A registered device.
public struct DeviceRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Raw 32-byte Ed25519 public key, base64.
    public var publicKey: String
    public var addedNanos: Int64
    /// When the device was revoked: events it submits from then on are refused (`revoked_device`).
    public var revokedNanos: Int64? = nil
}

/// One stored event: the verified envelope line and the columns queries need.
public struct StoredEvent: Sendable, Equatable {
    public var device: String
    public var seq: UInt64
    /// Hex SHA-256 of the canonical bytes (what the next event's `prev` names).
    public var hash: String
    /// RFC 6962 leaf hash of the canonical bytes.
    public var leafHash: [UInt8]
    public var timeNanos: Int64
    public var camera: String
    public var type: String
    /// RFC 8785 bytes of the full envelope.
    public var line: [UInt8]
    public var receivedNanos: Int64
    /// SHA-256 (hex) of the evidence blobs the event names, so a role's access to a blob follows its events.
    public var evidence: [String] = []
}

/// Filter of `GET /v1/events`.
public struct EventQuery: Sendable, Equatable {
    public var device: String?
    public var camera: String?
    public var type: String?
    /// Only events whose type starts with one of these (a role's view); nil for all.
    public var typePrefixes: [String]?
    public var sinceNanos: Int64?
    public var untilNanos: Int64?
    /// Return rows after this position (an opaque cursor from a previous page).
    public var after: Int64 = 0
    public var limit: Int = 100

    public init(
        device: String? = nil, camera: String? = nil, type: String? = nil, typePrefixes: [String]? = nil,
        sinceNanos: Int64? = nil, untilNanos: Int64? = nil, after: Int64 = 0, limit: Int = 100
    ) {
        self.typePrefixes = typePrefixes
        self.device = device
        self.camera = camera
        self.type = type
        self.sinceNanos = sinceNanos
        self.untilNanos = untilNanos
        self.after = after
        self.limit = limit
    }
}

/// A refused or suspicious submission, kept for operators.
public struct Incident: Sendable, Equatable {
    /// The most incident records kept of refusals only the device's key could cause (a gap, a broken chain,
    /// a bad checkpoint, ...); older ones are dropped.
    public static let maxStored = 10_000
    /// The most incident records kept of refusals anyone can cause without a device's key (malformed events,
    /// unknown or revoked devices, forged signatures): a bound of their own, so a flood of junk from the
    /// network evicts only other junk, never a registered device's incidents.
    public static let maxStoredUnauthenticated = 1_000
    /// The codes of refusals decided before a signature verified.
    public static let unauthenticatedCodes: [String] = [
        RefusalCode.malformedEvent, .unknownDevice, .revokedDevice, .forgedSignature,
    ].map(\.rawValue)

    /// Whether anyone could have caused this refusal without the device's key.
    public var isUnauthenticated: Bool { Self.unauthenticatedCodes.contains(code) }
    /// The bound of the class this incident belongs to.
    var classBound: Int { isUnauthenticated ? Self.maxStoredUnauthenticated : Self.maxStored }
    /// Longest device id kept in an incident (a longer one is cut, marked with `…`).
    public static let maxDeviceLength = 80

    public var device: String
    public var seq: UInt64?
    public var code: String
    public var message: String
    /// When the latest of the counted refusals arrived.
    public var receivedNanos: Int64
    /// How many refusals of this code for this device were folded into this record.
    public var count: Int64 = 1

    /// `device` and `message` are cut (`truncated(device:)`, `truncated(message:)`): both can carry what a peer
    /// sent.
    public init(device: String, seq: UInt64?, code: String, message: String, receivedNanos: Int64, count: Int64 = 1) {
        self.device = Self.truncated(device: device)
        self.seq = seq
        self.code = code
        self.message = Self.truncated(message: message)
        self.receivedNanos = receivedNanos
        self.count = count
    }
}

/// An API token: only its SHA-256 is stored.
public struct TokenRecord: Sendable, Equatable {
    public var name: String
    public var role: Role
    /// Lowercase hex SHA-256 of the token.
    public var digest: String
    public var addedNanos: Int64
    public var revokedNanos: Int64?

    public init(name: String, role: Role, digest: String, addedNanos: Int64, revokedNanos: Int64? = nil) {
        self.name = name
        self.role = role
        self.digest = digest
        self.addedNanos = addedNanos
        self.revokedNanos = revokedNanos
    }
}

/// The collector's storage: SQLite (embedded, default) or PostgreSQL. Rows are immutable once
/// written. Events are appended only through `appendChain`, which holds the device's lock (a row lock on the
/// device in PostgreSQL, the single writer in SQLite) from reading its chain head to committing: that is what
/// keeps several collectors over one PostgreSQL from breaking a chain or storing an event twice.
public protocol CollectorStore: Sendable {
    func migrate() async throws
    func addDevice(_ device: DeviceRecord) async throws
    func devices() async throws -> [DeviceRecord]
    func device(id: String) async throws -> DeviceRecord?
    /// Hash of the stored event (device, seq), nil when absent.
    func eventHash(device: String, seq: UInt64) async throws -> String?
    /// Highest stored seq of a device (0 when none).
    func lastSeq(device: String) async throws -> UInt64
    /// In one transaction holding the device's lock: reads its chain head (deriving it from the stored events
    /// the first time), reads the stored hashes of those `seqs` at or below the head, lets `decide` plan the
    /// append, inserts the plan's rows (with their evidence references), stores its head and checkpoint frontier,
    /// and commits. Returns the plan. Another collector appending to the same device waits for the lock. (SQLite
    /// commits the appends that wait for its single writer together, each in its own savepoint.) Throws
    /// `StoreError.deviceRevoked`, writing nothing, when the device is revoked by then.
    func appendChain(
        device: String, seqs: [UInt64], _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend
    /// The same append, given the head `ingestLookup` read a moment ago without a lock: a store may first try
    /// the plan `decide` makes from it as one statement that applies only while the stored head is still that one,
    /// and falls back to `appendChain(device:seqs:_:)` when it is not, when a seq is
    /// at or below it (a resend: the stored hashes are needed), or when the plan appends nothing.
    func appendChain(
        device: String, seqs: [UInt64], knownHead: ChainHead?,
        _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend
    /// What ingest reads about a device before verifying its events, in one round trip where the store can: the
    /// device (nil when unknown), its chain head when one is kept (a hint for `appendChain(…knownHead:…)`, stale
    /// as soon as it is read), and which of `evidence` name stored blobs (empty when the device is unknown).
    func ingestLookup(device: String, evidence: [String]) async throws -> IngestLookup
    /// Which of `shas` name a stored evidence blob.
    func presentEvidence(_ shas: [String]) async throws -> Set<String>
    func putEvidence(sha256: String, mediaType: String, data: [UInt8], receivedNanos: Int64) async throws
    func evidence(sha256: String) async throws -> (mediaType: String, data: [UInt8])?
    func hasEvidence(sha256: String) async throws -> Bool
    /// Events matching `query` in storage order, with each row's cursor position.
    func events(_ query: EventQuery) async throws -> [(position: Int64, event: StoredEvent)]
    /// Leaf hashes of seq `after + 1 ... size`, in order.
    func leafHashes(device: String, after: UInt64, through size: UInt64) async throws -> [[UInt8]]
    /// The Merkle frontier (`MerkleFrontier.serialized`) of the device's latest verified checkpoint, if any.
    func checkpointFrontier(device: String) async throws -> [UInt8]?
    /// Stores the frontier of a verified checkpoint covering `size` events, unless one covering more is stored.
    func saveCheckpointFrontier(device: String, size: UInt64, frontier: [UInt8]) async throws
    /// Events of one device with seq in the range, in seq order.
    func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent]
    /// Records a refusal: a repeat of the newest incident with the same device and code is counted on it, and
    /// only the newest `Incident.maxStored` records are kept.
    func recordIncident(_ incident: Incident) async throws
    /// The newest incidents first: only those anyone could cause (`unauthenticated: true`), only those a
    /// device's key caused (`false`), or both (nil).
    func incidents(limit: Int, unauthenticated: Bool?) async throws -> [Incident]
    /// Marks the device (by id or name) revoked; false when no unrevoked device matches.
    func revokeDevice(_ idOrName: String, nowNanos: Int64) async throws -> DeviceRecord?
    /// Deletes evidence blobs received before `receivedBefore` that no stored event names (uploads nothing
    /// claimed); blobs from before reference tracking began are kept. Returns how many were deleted.
    func purgeUnreferencedEvidence(receivedBefore: Int64) async throws -> Int
    /// Whether an event whose type starts with one of `typePrefixes` (any event when nil) names the blob.
    func evidenceReferenced(sha256: String, typePrefixes: [String]?) async throws -> Bool
    /// Whether an event whose type starts with none of `typePrefixes` names the blob: a blob that any such event
    /// names stays hidden from a role limited to those prefixes, whoever else names it.
    func evidenceReferencedOutside(sha256: String, typePrefixes: [String]) async throws -> Bool
    func addToken(_ token: TokenRecord) async throws
    func tokens() async throws -> [TokenRecord]
    /// The unrevoked token with this digest.
    func token(digest: String) async throws -> TokenRecord?
    /// Revokes the named token; false when no unrevoked token has that name.
    func revokeToken(name: String, nowNanos: Int64) async throws -> Bool
    func close() async throws
}

/// What `CollectorStore.ingestLookup` read about one device.
public struct IngestLookup: Sendable {
    public var device: DeviceRecord?
    public var head: ChainHead?
    public var presentEvidence: Set<String>

    public init(device: DeviceRecord?, head: ChainHead? = nil, presentEvidence: Set<String> = []) {
        self.device = device
        self.head = head
        self.presentEvidence = presentEvidence
    }
}

extension CollectorStore {
    /// The device and the stored blobs among `evidence`, one query each; no head.
    public func ingestLookup(device id: String, evidence: [String]) async throws -> IngestLookup {
        guard let record = try await device(id: id) else { return IngestLookup(device: nil) }
        return IngestLookup(device: record, presentEvidence: evidence.isEmpty ? [] : try await presentEvidence(evidence))
    }

    /// The locked append; the head hint is not used.
    public func appendChain(
        device: String, seqs: [UInt64], knownHead: ChainHead?,
        _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend {
        try await appendChain(device: device, seqs: seqs, decide)
    }
}

extension CollectorStore {
    /// Leaf hashes of seq 1...size, in order.
    public func leafHashes(device: String, through size: UInt64) async throws -> [[UInt8]] {
        try await leafHashes(device: device, after: 0, through: size)
    }
}

extension CollectorStore {
    /// The newest incidents of both kinds.
    public func incidents(limit: Int) async throws -> [Incident] { try await incidents(limit: limit, unauthenticated: nil) }
}

extension Incident {
    /// Longest message kept, in Unicode scalars.
    public static let maxMessageLength = 300

    /// `device` cut to `maxDeviceLength` Unicode scalars (not characters: one character can hold any number
    /// of combining marks), so a client cannot make the store or log grow with it.
    public static func truncated(device: String) -> String { cut(device, to: maxDeviceLength) }

    /// `message` cut to `maxMessageLength` Unicode scalars.
    public static func truncated(message: String) -> String { cut(message, to: maxMessageLength) }

    static func cut(_ text: String, to limit: Int) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > limit else { return text }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars.prefix(limit))
        return String(out) + "…"
    }
}
