import Foundation
import GRDB
import Logging

/// The durable head of a device's log, as committed with the latest event.
public struct SpoolState: Sendable, Equatable {
    /// Device id of the key that writes this spool (empty before the first event).
    public var device: String = ""
    /// Seq of the latest event, 0 before the first.
    public var lastSeq: UInt64 = 0
    /// Hex SHA-256 of the latest event's canonical bytes (the next `prev`).
    public var lastHash: String = Event.genesisPrev
    /// The Merkle tree over all events so far.
    public var frontier = MerkleFrontier()
    /// Seq of the latest checkpoint event (0: none yet) and the wall time it was made.
    public var lastCheckpointSeq: UInt64 = 0
    public var lastCheckpointNanos: Int64 = 0
}

/// One event as kept in the spool.
public struct SpooledEvent: Sendable, Equatable {
    public var seq: UInt64
    /// RFC 8785 bytes of the full envelope (with `sig`): what is sent and exported.
    public var line: [UInt8]
    /// Evidence blobs the event references, in envelope order.
    public var evidence: [String]
    public var acknowledged: Bool
}

/// An evidence blob to store with an event.
public struct EvidenceBlob: Sendable, Equatable {
    public var data: [UInt8]
    public var mediaType: String
    public init(data: [UInt8], mediaType: String = "image/jpeg") {
        self.data = data
        self.mediaType = mediaType
    }
}

/// The device's SQLite spool (GRDB; WAL, `synchronous=FULL`): events, evidence blobs and the
/// log head, each event committed in one transaction with its blobs and the new head.
///
/// Thread-safe: GRDB serializes access to the one connection.
public final class EventSpool: Sendable {
    /// File name inside the state directory.
    public static let fileName = "events.sqlite"

    let db: DatabaseQueue
    let logger: Logger

    /// Opens (creating when needed) the spool at `path`.
    public init(path: String, logger: Logger) throws(SpoolError) {
        self.logger = logger
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(10)
        config.label = "sightline.spool"
        do {
            db = try DatabaseQueue(path: path, configuration: config)
            // GRDB sets synchronous=NORMAL with WAL; an event must survive a power cut once committed.
            try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try db.write { try Self.migrate($0) }
        } catch { throw .database("\(error)") }
    }

    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS events (
                    seq INTEGER PRIMARY KEY, line BLOB NOT NULL, hash TEXT NOT NULL, type TEXT NOT NULL,
                    camera TEXT NOT NULL, created_ns INTEGER NOT NULL, acked_ns INTEGER);
                CREATE TABLE IF NOT EXISTS blobs (
                    sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL, size INTEGER NOT NULL, data BLOB,
                    created_ns INTEGER NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE IF NOT EXISTS event_evidence (
                    seq INTEGER NOT NULL, position INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (seq, position));
                CREATE INDEX IF NOT EXISTS event_evidence_sha ON event_evidence(sha256);
                CREATE TABLE IF NOT EXISTS head (
                    id INTEGER PRIMARY KEY CHECK (id = 1), device TEXT NOT NULL, last_seq INTEGER NOT NULL,
                    last_hash TEXT NOT NULL, frontier BLOB NOT NULL, checkpoint_seq INTEGER NOT NULL,
                    checkpoint_ns INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS readers (
                    name TEXT PRIMARY KEY, seq INTEGER NOT NULL, state BLOB);
                """)
    }

    /// The journal mode and synchronous level in force (for tests and `device show`).
    public func pragmas() throws(SpoolError) -> (journal: String, synchronous: Int) {
        do {
            return try db.read { d in
                (
                    try String.fetchOne(d, sql: "PRAGMA journal_mode") ?? "",
                    try Int.fetchOne(d, sql: "PRAGMA synchronous") ?? -1
                )
            }
        } catch { throw .database("\(error)") }
    }

    /// The committed head.
    public func state() throws(SpoolError) -> SpoolState {
        do { return try db.read { try Self.readState($0) } } catch { throw .database("\(error)") }
    }

    static func readState(_ d: Database) throws -> SpoolState {
        guard let row = try Row.fetchOne(d, sql: "SELECT * FROM head WHERE id = 1") else { return SpoolState() }
        let frontierBytes: Data = row["frontier"]
        guard let frontier = MerkleFrontier(serialized: [UInt8](frontierBytes)) else {
            throw SpoolError.corrupt("head frontier unreadable")
        }
        return SpoolState(
            device: row["device"], lastSeq: UInt64(row["last_seq"] as Int64), lastHash: row["last_hash"],
            frontier: frontier, lastCheckpointSeq: UInt64(row["checkpoint_seq"] as Int64),
            lastCheckpointNanos: row["checkpoint_ns"])
    }

    /// One signed event ready to be written: what `commit` stores.
    public struct PreparedEvent: Sendable {
        public var event: Event
        public var line: [UInt8]
        public var hash: String
        public var blobs: [EvidenceBlob]
        public var createdNanos: Int64

        public init(event: Event, line: [UInt8], hash: String, blobs: [EvidenceBlob], createdNanos: Int64) {
            self.event = event
            self.line = line
            self.hash = hash
            self.blobs = blobs
            self.createdNanos = createdNanos
        }
    }

    /// Writes `events` (consecutive seqs continuing the committed head) and the head after them (`head`) in one
    /// transaction and one sync. Throws, writing nothing, when the committed head is not the event before the
    /// first (another writer moved it).
    public func commit(_ events: [PreparedEvent], head: SpoolState) throws(SpoolError) {
        guard let first = events.first else { return }
        precondition(head.lastSeq == events[events.count - 1].event.seq, "the head must follow the last event")
        do {
            try db.write { d in
                let committed = try Int64.fetchOne(
                    d.cachedStatement(sql: "SELECT last_seq FROM head WHERE id = 1")) ?? 0
                guard UInt64(clamping: committed) + 1 == first.event.seq else {
                    throw SpoolError.database(
                        "the spool's head is at seq \(committed), not \(first.event.seq - 1): written by another path")
                }
                var seq = first.event.seq
                for e in events {
                    precondition(e.event.seq == seq && e.blobs.count == e.event.evidence.count, "consecutive events")
                    try Self.insert(d, event: e.event, line: e.line, hash: e.hash, blobs: e.blobs,
                                    createdNanos: e.createdNanos)
                    seq += 1
                }
                try Self.writeHead(d, head)
            }
        } catch let e as SpoolError {
            throw e
        } catch { throw .database("\(error)") }
    }

    private static func writeHead(_ d: Database, _ head: SpoolState) throws {
        try d.cachedStatement(
            sql: """
                INSERT INTO head (id, device, last_seq, last_hash, frontier, checkpoint_seq, checkpoint_ns)
                VALUES (1, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET device = excluded.device, last_seq = excluded.last_seq,
                    last_hash = excluded.last_hash, frontier = excluded.frontier,
                    checkpoint_seq = excluded.checkpoint_seq, checkpoint_ns = excluded.checkpoint_ns
                """
        ).execute(arguments: [
            head.device, Int64(head.lastSeq), head.lastHash, Data(head.frontier.serialized),
            Int64(head.lastCheckpointSeq), head.lastCheckpointNanos,
        ])
    }

    /// Inserts one event with its blobs and evidence links (statements prepared once per connection).
    private static func insert(
        _ d: Database, event: Event, line: [UInt8], hash: String, blobs: [EvidenceBlob], createdNanos: Int64
    ) throws {
        for (k, ref) in event.evidence.enumerated() {
            try d.cachedStatement(
                sql: """
                    INSERT INTO blobs (sha256, media_type, size, data, created_ns) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(sha256) DO UPDATE SET data = excluded.data WHERE blobs.data IS NULL
                    """
            ).execute(arguments: [ref.sha256, ref.mediaType, ref.size, Data(blobs[k].data), createdNanos])
            try d.cachedStatement(sql: "INSERT INTO event_evidence (seq, position, sha256) VALUES (?, ?, ?)")
                .execute(arguments: [Int64(event.seq), k, ref.sha256])
        }
        try d.cachedStatement(
            sql: "INSERT INTO events (seq, line, hash, type, camera, created_ns) VALUES (?, ?, ?, ?, ?, ?)"
        ).execute(arguments: [Int64(event.seq), Data(line), hash, event.type, event.camera, createdNanos])
    }

    /// Unacknowledged events after `seq`, in seq order.
    public func pending(after seq: UInt64 = 0, limit: Int) throws(SpoolError) -> [SpooledEvent] {
        try events(
            sql: "SELECT seq, line, acked_ns FROM events WHERE acked_ns IS NULL AND seq > ? ORDER BY seq LIMIT ?",
            arguments: [Int64(seq), limit])
    }

    /// Every event still in the spool, in seq order.
    public func allEvents() throws(SpoolError) -> [SpooledEvent] {
        try events(sql: "SELECT seq, line, acked_ns FROM events ORDER BY seq", arguments: [])
    }

    func events(sql: String, arguments: StatementArguments) throws(SpoolError) -> [SpooledEvent] {
        do {
            return try db.read { d in
                let rows = try Row.fetchAll(d, sql: sql, arguments: arguments)
                return try rows.map { row in
                    let seq: Int64 = row["seq"]
                    let shas = try String.fetchAll(
                        d, sql: "SELECT sha256 FROM event_evidence WHERE seq = ? ORDER BY position",
                        arguments: [seq])
                    let line: Data = row["line"]
                    return SpooledEvent(
                        seq: UInt64(seq), line: [UInt8](line), evidence: shas,
                        acknowledged: (row["acked_ns"] as Int64?) != nil)
                }
            }
        } catch { throw .database("\(error)") }
    }

    /// A blob's bytes and media type; `data` is nil when retention purged it, the whole result nil
    /// when the spool never held it.
    public func blob(sha256: String) throws(SpoolError) -> (data: [UInt8]?, mediaType: String, uploaded: Bool)? {
        do {
            return try db.read { d in
                guard
                    let row = try Row.fetchOne(
                        d, sql: "SELECT data, media_type, uploaded FROM blobs WHERE sha256 = ?",
                        arguments: [sha256])
                else { return nil }
                let data: Data? = row["data"]
                return (data.map { [UInt8]($0) }, row["media_type"], (row["uploaded"] as Int64) != 0)
            }
        } catch { throw .database("\(error)") }
    }

    /// Records that the collector holds a blob.
    public func markUploaded(sha256: String) throws(SpoolError) {
        do {
            try db.write { try $0.execute(sql: "UPDATE blobs SET uploaded = 1 WHERE sha256 = ?", arguments: [sha256]) }
        } catch { throw .database("\(error)") }
    }

    /// Records the collector's acknowledgement of events up to and including `seq`.
    public func acknowledge(through seq: UInt64, nowNanos: Int64) throws(SpoolError) {
        do {
            try db.write {
                try $0.execute(
                    sql: "UPDATE events SET acked_ns = ? WHERE seq <= ? AND acked_ns IS NULL",
                    arguments: [nowNanos, Int64(seq)])
            }
        } catch { throw .database("\(error)") }
    }

    /// Marks events from `seq` on as undelivered again (and their evidence, where its bytes are still held, as not
    /// uploaded), for a collector that lost them — restored from an older backup, say. Returns false, changing
    /// nothing, when event `seq` is no longer in the spool (purged by retention after its acknowledgement).
    public func rewind(toSeq seq: UInt64) throws(SpoolError) -> Bool {
        do {
            return try db.write { d in
                guard try Int.fetchOne(d, sql: "SELECT 1 FROM events WHERE seq = ?", arguments: [Int64(seq)]) != nil
                else { return false }
                try d.execute(sql: "UPDATE events SET acked_ns = NULL WHERE seq >= ?", arguments: [Int64(seq)])
                try d.execute(
                    sql: """
                        UPDATE blobs SET uploaded = 0 WHERE data IS NOT NULL AND sha256 IN
                        (SELECT sha256 FROM event_evidence WHERE seq >= ?)
                        """,
                    arguments: [Int64(seq)])
                return true
            }
        } catch { throw .database("\(error)") }
    }

    /// The lowest seq still in the spool (nil when empty).
    public func oldestSeq() throws(SpoolError) -> UInt64? {
        do {
            return try db.read { try Int64.fetchOne($0, sql: "SELECT min(seq) FROM events") }.map { UInt64($0) }
        } catch { throw .database("\(error)") }
    }

    /// Number of events not yet acknowledged.
    public func pendingCount() throws(SpoolError) -> Int {
        do {
            return try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events WHERE acked_ns IS NULL") ?? 0 }
        } catch { throw .database("\(error)") }
    }
}
