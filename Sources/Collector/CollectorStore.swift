import EventLog

/// A registered device.
public struct DeviceRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Raw 32-byte Ed25519 public key, base64.
    public var publicKey: String
    public var addedNanos: Int64
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
}

/// Filter of `GET /v1/events`.
public struct EventQuery: Sendable, Equatable {
    public var device: String?
    public var camera: String?
    public var type: String?
    public var sinceNanos: Int64?
    public var untilNanos: Int64?
    /// Return rows after this position (an opaque cursor from a previous page).
    public var after: Int64 = 0
    public var limit: Int = 100

    public init(
        device: String? = nil, camera: String? = nil, type: String? = nil, sinceNanos: Int64? = nil,
        untilNanos: Int64? = nil, after: Int64 = 0, limit: Int = 100
    ) {
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
    public var device: String
    public var seq: UInt64?
    public var code: String
    public var message: String
    public var receivedNanos: Int64
}

/// Outcome of inserting an event.
public enum InsertOutcome: Sendable, Equatable {
    case inserted
    /// A row with this (device, seq) exists; its hash.
    case exists(hash: String)
}

/// The collector's storage: SQLite (embedded, default) or PostgreSQL. Rows are immutable once
/// written; uniqueness of (device, seq) is what keeps several collectors over one PostgreSQL
/// consistent, so implementations need no other locking.
public protocol CollectorStore: Sendable {
    func migrate() async throws
    func addDevice(_ device: DeviceRecord) async throws
    func devices() async throws -> [DeviceRecord]
    func device(id: String) async throws -> DeviceRecord?
    /// Hash of the stored event (device, seq), nil when absent.
    func eventHash(device: String, seq: UInt64) async throws -> String?
    /// Highest stored seq of a device (0 when none).
    func lastSeq(device: String) async throws -> UInt64
    /// Inserts unless (device, seq) exists.
    func insert(_ event: StoredEvent) async throws -> InsertOutcome
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
    func recordIncident(_ incident: Incident) async throws
    func incidents(limit: Int) async throws -> [Incident]
    func close() async throws
}

extension CollectorStore {
    /// Leaf hashes of seq 1...size, in order.
    public func leafHashes(device: String, through size: UInt64) async throws -> [[UInt8]] {
        try await leafHashes(device: device, after: 0, through: size)
    }
}
