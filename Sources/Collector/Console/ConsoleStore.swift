import EventLog

/// A signed-in browser: the cookie's value is never stored, only its SHA-256.
public struct ConsoleSession: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the cookie value.
    public var idDigest: String
    /// Digest of the token the browser signed in with: the session's role is that token's role, read on every
    /// request, so revoking the token ends its sessions.
    public var tokenDigest: String
    /// The value every form of this session carries (`csrf`).
    public var csrf: String
    public var expiresNanos: Int64

    public init(idDigest: String, tokenDigest: String, csrf: String, expiresNanos: Int64) {
        self.idDigest = idDigest
        self.tokenDigest = tokenDigest
        self.csrf = csrf
        self.expiresNanos = expiresNanos
    }
}

/// The console's filter of the event list; rows come newest first (`time`, then arrival).
public struct ConsoleEventFilter: Sendable, Equatable {
    public var camera: String?
    public var type: String?
    public var typePrefixes: [String]?
    public var sinceNanos: Int64?
    public var untilNanos: Int64?
    /// Rows strictly before this (time, id) position: the keyset cursor.
    public var before: ConsoleCursor?
    public var limit: Int

    public init(
        camera: String? = nil, type: String? = nil, typePrefixes: [String]? = nil, sinceNanos: Int64? = nil,
        untilNanos: Int64? = nil, before: ConsoleCursor? = nil, limit: Int = 50
    ) {
        self.camera = camera
        self.type = type
        self.typePrefixes = typePrefixes
        self.sinceNanos = sinceNanos
        self.untilNanos = untilNanos
        self.before = before
        self.limit = limit
    }
}

/// A position in the newest-first event list: `TIME_NS.ID` in URLs.
public struct ConsoleCursor: Sendable, Equatable {
    public var timeNanos: Int64
    public var id: Int64

    public init(timeNanos: Int64, id: Int64) {
        self.timeNanos = timeNanos
        self.id = id
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let t = Int64(parts[0]), let i = Int64(parts[1]) else { return nil }
        self.init(timeNanos: t, id: i)
    }

    public var text: String { "\(timeNanos).\(id)" }
}

/// One row of the console's lists: the columns, without the envelope.
public struct ConsoleEventRow: Sendable, Equatable {
    public var id: Int64
    public var device: String
    public var seq: UInt64
    public var timeNanos: Int64
    public var camera: String
    public var type: String
    public var receivedNanos: Int64
}

/// Events of one camera in one bucket of hours (hour = time_ns / 3.6e12), summed from `console_counts`, which a
/// trigger on `events` keeps per camera, type and hour.
public struct ConsoleCount: Sendable, Equatable {
    public var camera: String
    /// The bucket's index from the first hour asked for.
    public var bucket: Int64
    public var count: Int64
}

/// The newest event and the newest checkpoint of a device.
public struct ConsoleDeviceState: Sendable, Equatable {
    public var lastSeq: UInt64?
    public var lastTimeNanos: Int64?
    public var lastReceivedNanos: Int64?
    /// seq and full line of the newest `log.checkpoint` event.
    public var checkpointSeq: UInt64?
    public var checkpointLine: [UInt8]?
}

/// What the console reads and writes beyond `CollectorStore`: sessions, the newest-first keyset list, hourly
/// counts, and per-device summaries. Every list query is backed by an index (`migrateConsole`).
public protocol ConsoleStore: Sendable {
    /// Creates the console's tables, indexes and the count trigger (counting the events stored before it).
    func migrateConsole() async throws
    func addSession(_ session: ConsoleSession) async throws
    /// The session with this id digest, unless expired at `nowNanos`.
    func session(idDigest: String, nowNanos: Int64) async throws -> ConsoleSession?
    func deleteSession(idDigest: String) async throws
    /// Deletes sessions expired before `nowNanos`.
    func purgeSessions(nowNanos: Int64) async throws
    func consoleEvents(_ filter: ConsoleEventFilter) async throws -> [ConsoleEventRow]
    /// Largest event row id (0 when none): where a live stream starts.
    func maxEventID() async throws -> Int64
    /// Rows with id > `after` matching the filter's camera, type and prefixes, oldest first.
    func consoleEvents(after: Int64, filter: ConsoleEventFilter) async throws -> [ConsoleEventRow]
    /// Counts per camera of hours `fromHour...throughHour` in buckets of `bucketHours`, of the types starting with
    /// one of `typePrefixes` (all when nil). Summed in the database: at most cameras × buckets rows.
    func consoleCounts(fromHour: Int64, throughHour: Int64, bucketHours: Int64, typePrefixes: [String]?) async throws
        -> [ConsoleCount]
    /// Distinct (camera, type) pairs that have events (from the counts), sorted.
    func consoleCameraTypes() async throws -> [(camera: String, type: String)]
    func consoleDeviceState(device: String) async throws -> ConsoleDeviceState
    /// The first `log.checkpoint` event of the device after `seq`: its seq and line.
    func consoleCheckpoint(device: String, after seq: UInt64) async throws -> (seq: UInt64, line: [UInt8])?
    /// The row id of an event (for links), nil when absent.
    func consoleEvent(device: String, seq: UInt64) async throws -> StoredEvent?
    /// Cached roots of perfect subtrees of the device's Merkle tree (`InclusionProofBuilder`): those among `nodes`.
    func merkleNodes(device: String, _ nodes: [MerkleNodeID]) async throws -> [MerkleNodeID: [UInt8]]
    /// Cached roots at `level` with an index in `indices`, by index.
    func merkleNodes(device: String, level: Int, indices: ClosedRange<UInt64>) async throws -> [UInt64: [UInt8]]
    /// Caches subtree roots (`console_merkle_nodes`); only roots that took part in a proof verified against a
    /// signed checkpoint, so a wrong value is never cached. An existing entry is kept.
    func saveMerkleNodes(device: String, _ nodes: [MerkleNodeID: [UInt8]]) async throws
}
