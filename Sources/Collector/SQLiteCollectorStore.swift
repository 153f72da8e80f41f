import EventLog
import Foundation
import GRDB
import SightlineCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Why the collector's storage failed.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    case badDatabaseURL(String)
    /// A parameter of a PostgreSQL URL is wrong (the message says which and why).
    case badDatabaseOption(String)
    case database(String)
    case duplicateDevice(String)
    case duplicateToken(String)
    /// The PostgreSQL server did not answer in time (the message names the address, never the password).
    case unreachable(String)
    /// `appendChain` found the device revoked when it came to write (after ingest had read it as usable): a
    /// revocation that commits while a batch is in flight stops that batch.
    case deviceRevoked(String)

    public var description: String {
        switch self {
        case .badDatabaseURL(let u):
            "unsupported --database '\(CredentialRedaction.redact(u))': use sqlite:PATH or postgres://USER@HOST:PORT/DB"
        case .badDatabaseOption(let m): "--database: \(m)"
        case .database(let m): "database error: \(m)"
        case .duplicateDevice(let d): "device \(d) is already registered"
        case .duplicateToken(let n): "a token named \(n) exists already"
        case .unreachable(let m): m
        case .deviceRevoked(let d): "device \(d) was revoked"
        }
    }
}

/// The embedded store: one SQLite file through GRDB (WAL, synchronous=FULL).
public final class SQLiteCollectorStore: CollectorStore {
    let db: DatabasePool
    /// Appends waiting for the next transaction, and whether a task is writing them.
    private let appends = Mutex<(waiting: [PendingAppend], leading: Bool)>(([], false))

    /// One `appendChain` call waiting for its transaction.
    private struct PendingAppend: Sendable {
        let device: String
        let seqs: [UInt64]
        let decide: @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
        let done: CheckedContinuation<Result<ChainAppend, StoreError>, Never>
    }

    /// Opens (creating it 0600, with its WAL and shared-memory files) the database at `path`.
    public init(path: String) throws {
        // Created owner-only: it holds every event and evidence image. SQLite gives its -wal and -shm files the
        // main file's mode.
        if !FileManager.default.fileExists(atPath: path) {
            let fd = Glibc.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd < 0, errno != EEXIST { throw StoreError.database("cannot create \(path): errno \(errno)") }
            if fd >= 0 { _ = Glibc.close(fd) }
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.label = "sightline.collector"
        do {
            db = try DatabasePool(path: path, configuration: config)
            try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        } catch { throw StoreError.database("\(error)") }
    }

    private func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await db.write(body) } catch let e as StoreError { throw e } catch {
            throw StoreError.database("\(error)")
        }
    }

    private func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await db.read(body) } catch { throw StoreError.database("\(error)") }
    }

    public func migrate() async throws {
        try await write { d in
            try d.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS devices (
                        id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key TEXT NOT NULL, added_ns INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, device TEXT NOT NULL, seq INTEGER NOT NULL,
                        hash TEXT NOT NULL, leaf_hash BLOB NOT NULL, time_ns INTEGER NOT NULL, camera TEXT NOT NULL,
                        type TEXT NOT NULL, line BLOB NOT NULL, received_ns INTEGER NOT NULL, UNIQUE (device, seq));
                    CREATE INDEX IF NOT EXISTS events_time ON events(time_ns);
                    CREATE INDEX IF NOT EXISTS events_type ON events(type, id);
                    CREATE TABLE IF NOT EXISTS evidence (
                        sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL, data BLOB NOT NULL,
                        received_ns INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS checkpoint_frontiers (
                        device TEXT PRIMARY KEY, size INTEGER NOT NULL, frontier BLOB NOT NULL);
                    CREATE TABLE IF NOT EXISTS incidents (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, device TEXT NOT NULL, seq INTEGER, code TEXT NOT NULL,
                        message TEXT NOT NULL, received_ns INTEGER NOT NULL);
                    CREATE INDEX IF NOT EXISTS incidents_device_code ON incidents(device, code, id);
                    CREATE TABLE IF NOT EXISTS event_evidence (
                        sha256 TEXT NOT NULL, device TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
                        PRIMARY KEY (sha256, device, seq));
                    CREATE TABLE IF NOT EXISTS tokens (
                        name TEXT PRIMARY KEY, role TEXT NOT NULL, digest TEXT NOT NULL UNIQUE,
                        added_ns INTEGER NOT NULL, revoked_ns INTEGER);
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                    """)
            // Since when event_evidence is kept: older blobs are never purged (their references are unknown).
            try d.execute(
                sql: "INSERT INTO meta (key, value) VALUES ('evidence_refs_since_ns', ?) ON CONFLICT (key) DO NOTHING",
                arguments: [Clocks.wallNanos()])
            // Columns added after the first release.
            for (table, column, type) in [
                ("devices", "revoked_ns", "INTEGER"), ("incidents", "count", "INTEGER NOT NULL DEFAULT 1"),
                // The chain head each append reads and advances inside its write transaction (NULL: derive it from
                // the events, as for devices from before heads were kept).
                ("devices", "head_seq", "INTEGER"), ("devices", "head_hash", "TEXT"), ("devices", "head_frontier", "BLOB"),
            ] where !(try d.columns(in: table).contains { $0.name == column }) {
                try d.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column) \(type)")
            }
        }
    }

    public func addDevice(_ device: DeviceRecord) async throws {
        try await write { d in
            if try Row.fetchOne(d, sql: "SELECT 1 FROM devices WHERE id = ?", arguments: [device.id]) != nil {
                throw StoreError.duplicateDevice(device.id)
            }
            try d.execute(
                sql: "INSERT INTO devices (id, name, public_key, added_ns) VALUES (?, ?, ?, ?)",
                arguments: [device.id, device.name, device.publicKey, device.addedNanos])
        }
    }

    private static func deviceRecord(_ r: Row) -> DeviceRecord {
        DeviceRecord(
            id: r["id"], name: r["name"], publicKey: r["public_key"], addedNanos: r["added_ns"],
            revokedNanos: r["revoked_ns"])
    }

    public func revokeDevice(_ idOrName: String, nowNanos: Int64) async throws -> DeviceRecord? {
        try await write { d in
            guard
                let row = try Row.fetchOne(
                    d, sql: "SELECT * FROM devices WHERE (id = ? OR name = ?) AND revoked_ns IS NULL ORDER BY id LIMIT 1",
                    arguments: [idOrName, idOrName])
            else { return nil }
            var record = Self.deviceRecord(row)
            try d.execute(sql: "UPDATE devices SET revoked_ns = ? WHERE id = ?", arguments: [nowNanos, record.id])
            record.revokedNanos = nowNanos
            return record
        }
    }

    public func purgeUnreferencedEvidence(receivedBefore: Int64) async throws -> Int {
        try await write { d in
            try d.execute(
                sql: """
                    DELETE FROM evidence WHERE received_ns < ?
                    AND received_ns > (SELECT value FROM meta WHERE key = 'evidence_refs_since_ns')
                    AND NOT EXISTS (SELECT 1 FROM event_evidence e WHERE e.sha256 = evidence.sha256)
                    """, arguments: [receivedBefore])
            return d.changesCount
        }
    }

    public func evidenceReferencedOutside(sha256: String, typePrefixes: [String]) async throws -> Bool {
        var args: [(any DatabaseValueConvertible)?] = [sha256]
        let clause = typePrefixes.isEmpty ? "0" : typePrefixes.map { _ in "substr(type, 1, ?) = ?" }
            .joined(separator: " OR ")
        for p in typePrefixes {
            args.append(p.count)
            args.append(p)
        }
        let statement = "SELECT 1 FROM event_evidence WHERE sha256 = ? AND NOT (\(clause)) LIMIT 1"
        let arguments = StatementArguments(args)
        return try await read { try Row.fetchOne($0, sql: statement, arguments: arguments) != nil }
    }

    public func evidenceReferenced(sha256: String, typePrefixes: [String]?) async throws -> Bool {
        var sql = "SELECT 1 FROM event_evidence WHERE sha256 = ?"
        var args: [(any DatabaseValueConvertible)?] = [sha256]
        if let prefixes = typePrefixes {
            sql += " AND (" + (prefixes.isEmpty ? "0" : prefixes.map { _ in "substr(type, 1, ?) = ?" }
                .joined(separator: " OR ")) + ")"
            for p in prefixes {
                args.append(p.count)
                args.append(p)
            }
        }
        let statement = sql + " LIMIT 1"
        let arguments = StatementArguments(args)
        return try await read { try Row.fetchOne($0, sql: statement, arguments: arguments) != nil }
    }

    private static func tokenRecord(_ r: Row) -> TokenRecord? {
        guard let role = Role(rawValue: r["role"]) else { return nil }
        return TokenRecord(
            name: r["name"], role: role, digest: r["digest"], addedNanos: r["added_ns"], revokedNanos: r["revoked_ns"])
    }

    public func addToken(_ t: TokenRecord) async throws {
        try await write { d in
            if try Row.fetchOne(d, sql: "SELECT 1 FROM tokens WHERE name = ?", arguments: [t.name]) != nil {
                throw StoreError.duplicateToken(t.name)
            }
            try d.execute(
                sql: "INSERT INTO tokens (name, role, digest, added_ns) VALUES (?, ?, ?, ?)",
                arguments: [t.name, t.role.rawValue, t.digest, t.addedNanos])
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await read { try Row.fetchAll($0, sql: "SELECT * FROM tokens ORDER BY name").compactMap(Self.tokenRecord) }
    }

    public func token(digest: String) async throws -> TokenRecord? {
        try await read {
            try Row.fetchOne($0, sql: "SELECT * FROM tokens WHERE digest = ? AND revoked_ns IS NULL", arguments: [digest])
                .flatMap(Self.tokenRecord)
        }
    }

    public func revokeToken(name: String, nowNanos: Int64) async throws -> Bool {
        try await write { d in
            try d.execute(
                sql: "UPDATE tokens SET revoked_ns = ? WHERE name = ? AND revoked_ns IS NULL", arguments: [nowNanos, name])
            return d.changesCount == 1
        }
    }

    public func devices() async throws -> [DeviceRecord] {
        try await read { try Row.fetchAll($0, sql: "SELECT * FROM devices ORDER BY name, id").map(Self.deviceRecord) }
    }

    public func device(id: String) async throws -> DeviceRecord? {
        try await read {
            try Row.fetchOne($0, sql: "SELECT * FROM devices WHERE id = ?", arguments: [id]).map(Self.deviceRecord)
        }
    }

    public func eventHash(device: String, seq: UInt64) async throws -> String? {
        try await read {
            try String.fetchOne(
                $0, sql: "SELECT hash FROM events WHERE device = ? AND seq = ?",
                arguments: [device, Int64(clamping: seq)])
        }
    }

    public func lastSeq(device: String) async throws -> UInt64 {
        try await read {
            UInt64(clamping:
                try Int64.fetchOne(
                    $0, sql: "SELECT coalesce(max(seq), 0) FROM events WHERE device = ?",
                    arguments: [device]) ?? 0)
        }
    }

    /// Group commit of appends: the appends that arrive while one transaction is being written wait, and the next
    /// transaction writes all of them (one sync for many devices' batches), each in its own savepoint so that
    /// one that fails is undone alone.
    public func appendChain(
        device: String, seqs: [UInt64], _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend {
        let outcome = await withCheckedContinuation { (done: CheckedContinuation<Result<ChainAppend, StoreError>, Never>) in
            let leads = appends.withLock { q -> Bool in
                q.waiting.append(PendingAppend(device: device, seqs: seqs, decide: decide, done: done))
                if q.leading { return false }
                q.leading = true
                return true
            }
            if leads { Task { await self.writeAppends() } }
        }
        return try outcome.get()
    }

    /// Writes waiting appends, a transaction at a time, until none waits.
    private func writeAppends() async {
        while true {
            let batch = appends.withLock { q -> [PendingAppend] in
                let batch = q.waiting
                q.waiting = []
                if batch.isEmpty { q.leading = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                // BEGIN IMMEDIATE: the write lock is taken before any head is read, so a second process on the same
                // file (or this pool's other writers) waits rather than deciding from a stale head.
                let outcomes = try await db.writeWithoutTransaction { d -> [Result<ChainAppend, StoreError>] in
                    var outcomes: [Result<ChainAppend, StoreError>] = []
                    try d.inTransaction(.immediate) {
                        for p in batch {
                            do {
                                var plan: ChainAppend?
                                try d.inSavepoint {
                                    plan = try Self.append(d, device: p.device, seqs: p.seqs, p.decide)
                                    return .commit
                                }
                                outcomes.append(plan.map { .success($0) } ?? .failure(.database("no plan")))
                            } catch let e as StoreError {
                                outcomes.append(.failure(e))
                            } catch {
                                outcomes.append(.failure(.database("\(error)")))
                            }
                        }
                        return .commit
                    }
                    return outcomes
                }
                for (p, outcome) in zip(batch, outcomes) { p.done.resume(returning: outcome) }
            } catch {
                let failure = error as? StoreError ?? .database("\(error)")
                for p in batch { p.done.resume(returning: .failure(failure)) }
            }
        }
    }

    private static func append(
        _ d: Database, device: String, seqs: [UInt64], _ decide: (ChainHead, [UInt64: String]) -> ChainAppend
    ) throws -> ChainAppend {
        guard
            let row = try Row.fetchOne(
                d, sql: "SELECT head_seq, head_hash, head_frontier, revoked_ns FROM devices WHERE id = ?",
                arguments: [device])
        else { throw StoreError.database("device \(Incident.truncated(device: device)) is not registered") }
        // Read under the write lock: a revocation committed since ingest read the device stops this batch.
        if (row["revoked_ns"] as Int64?) != nil { throw StoreError.deviceRevoked(Incident.truncated(device: device)) }
        var start: ChainHead?
        if let seq = row["head_seq"] as Int64?, let hash = row["head_hash"] as String?,
            let data = row["head_frontier"] as Data?, let f = MerkleFrontier(serialized: [UInt8](data)),
            f.size == UInt64(clamping: seq)
        {
            start = ChainHead(seq: f.size, hash: hash, frontier: f)
        }
        let rebuilt = start == nil
        let head = try start ?? rebuildHead(d, device: device)
        var stored: [UInt64: String] = [:]
        let lookup = try d.cachedStatement(sql: "SELECT hash FROM events WHERE device = ? AND seq = ?")
        for seq in Set(seqs) where seq <= head.seq {
            if let h = try String.fetchOne(lookup, arguments: [device, Int64(clamping: seq)]) { stored[seq] = h }
        }
        let plan = decide(head, stored)
        // A head derived from the events is stored even when nothing is appended.
        guard !plan.rows.isEmpty || rebuilt else { return plan }
        let insert = try d.cachedStatement(
            sql: """
                INSERT INTO events (device, seq, hash, leaf_hash, time_ns, camera, type, line, received_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let reference = try d.cachedStatement(
            sql: "INSERT OR IGNORE INTO event_evidence (sha256, device, seq, type) VALUES (?, ?, ?, ?)")
        for e in plan.rows {
            try insert.execute(arguments: [
                e.device, Int64(clamping: e.seq), e.hash, Data(e.leafHash), e.timeNanos, e.camera, e.type,
                Data(e.line), e.receivedNanos,
            ])
            for sha in Set(e.evidence) {
                try reference.execute(arguments: [sha, e.device, Int64(clamping: e.seq), e.type])
            }
        }
        try d.execute(
            sql: "UPDATE devices SET head_seq = ?, head_hash = ?, head_frontier = ? WHERE id = ?",
            arguments: [Int64(clamping: plan.head.seq), plan.head.hash, Data(plan.head.frontier.serialized), device])
        if let cp = plan.checkpoint {
            try d.execute(
                sql: """
                    INSERT INTO checkpoint_frontiers (device, size, frontier) VALUES (?, ?, ?)
                    ON CONFLICT (device) DO UPDATE SET size = excluded.size, frontier = excluded.frontier
                    WHERE excluded.size > checkpoint_frontiers.size
                    """, arguments: [device, Int64(clamping: cp.size), Data(cp.serialized)])
        }
        return plan
    }

    /// The head of a device whose head was never stored, from its stored events.
    private static func rebuildHead(_ d: Database, device: String) throws -> ChainHead {
        var leaves: [[UInt8]] = []
        var last: String?
        let rows = try Row.fetchCursor(
            d, sql: "SELECT seq, hash, leaf_hash FROM events WHERE device = ? ORDER BY seq", arguments: [device])
        while let r = try rows.next() {
            let seq = r["seq"] as Int64
            guard seq == Int64(leaves.count) + 1 else {
                throw StoreError.database("stored events of \(Incident.truncated(device: device)) have a gap before \(seq)")
            }
            leaves.append([UInt8](r["leaf_hash"] as Data))
            last = r["hash"]
        }
        return ChainHead.rebuilt(leaves: leaves, lastHash: last)
    }

    public func presentEvidence(_ shas: [String]) async throws -> Set<String> {
        try await read { d in
            var out: Set<String> = []
            let statement = try d.cachedStatement(sql: "SELECT 1 FROM evidence WHERE sha256 = ?")
            for sha in shas where try Row.fetchOne(statement, arguments: [sha]) != nil { out.insert(sha) }
            return out
        }
    }

    public func putEvidence(sha256: String, mediaType: String, data: [UInt8], receivedNanos: Int64) async throws {
        try await write {
            try $0.execute(
                sql: """
                    INSERT INTO evidence (sha256, media_type, data, received_ns) VALUES (?, ?, ?, ?)
                    ON CONFLICT (sha256) DO NOTHING
                    """, arguments: [sha256, mediaType, Data(data), receivedNanos])
        }
    }

    public func evidence(sha256: String) async throws -> (mediaType: String, data: [UInt8])? {
        try await read { d in
            guard
                let r = try Row.fetchOne(
                    d, sql: "SELECT media_type, data FROM evidence WHERE sha256 = ?",
                    arguments: [sha256])
            else { return nil }
            return (r["media_type"], [UInt8](r["data"] as Data))
        }
    }

    public func hasEvidence(sha256: String) async throws -> Bool {
        try await read {
            try Row.fetchOne($0, sql: "SELECT 1 FROM evidence WHERE sha256 = ?", arguments: [sha256]) != nil
        }
    }

    private static func storedEvent(_ r: Row) -> StoredEvent {
        StoredEvent(
            device: r["device"], seq: UInt64(clamping: r["seq"] as Int64), hash: r["hash"],
            leafHash: [UInt8](r["leaf_hash"] as Data), timeNanos: r["time_ns"], camera: r["camera"],
            type: r["type"], line: [UInt8](r["line"] as Data), receivedNanos: r["received_ns"])
    }

    public func events(_ q: EventQuery) async throws -> [(position: Int64, event: StoredEvent)] {
        var sql = "SELECT * FROM events WHERE id > ?"
        var args: [(any DatabaseValueConvertible)?] = [q.after]
        if let v = q.device {
            sql += " AND device = ?"
            args.append(v)
        }
        if let v = q.camera {
            sql += " AND camera = ?"
            args.append(v)
        }
        if let v = q.type {
            sql += " AND type = ?"
            args.append(v)
        }
        if let prefixes = q.typePrefixes {
            sql += " AND (" + (prefixes.isEmpty ? "0" : prefixes.map { _ in "substr(type, 1, ?) = ?" }
                .joined(separator: " OR ")) + ")"
            for p in prefixes {
                args.append(p.count)
                args.append(p)
            }
        }
        if let v = q.sinceNanos {
            sql += " AND time_ns >= ?"
            args.append(v)
        }
        if let v = q.untilNanos {
            sql += " AND time_ns < ?"
            args.append(v)
        }
        sql += " ORDER BY id LIMIT ?"
        args.append(q.limit)
        let arguments = StatementArguments(args)
        let statement = sql
        return try await read { d in
            try Row.fetchAll(d, sql: statement, arguments: arguments).map {
                (($0["id"] as Int64), Self.storedEvent($0))
            }
        }
    }

    public func leafHashes(device: String, after: UInt64, through size: UInt64) async throws -> [[UInt8]] {
        try await read {
            try Data.fetchAll(
                $0, sql: "SELECT leaf_hash FROM events WHERE device = ? AND seq > ? AND seq <= ? ORDER BY seq",
                arguments: [device, Int64(clamping: after), Int64(clamping: size)]
            ).map { [UInt8]($0) }
        }
    }

    public func checkpointFrontier(device: String) async throws -> [UInt8]? {
        try await read {
            try Data.fetchOne($0, sql: "SELECT frontier FROM checkpoint_frontiers WHERE device = ?",
                              arguments: [device]).map { [UInt8]($0) }
        }
    }

    public func saveCheckpointFrontier(device: String, size: UInt64, frontier: [UInt8]) async throws {
        try await write { d in
            try d.execute(
                sql: """
                    INSERT INTO checkpoint_frontiers (device, size, frontier) VALUES (?, ?, ?)
                    ON CONFLICT (device) DO UPDATE SET size = excluded.size, frontier = excluded.frontier
                    WHERE excluded.size > checkpoint_frontiers.size
                    """,
                arguments: [device, Int64(clamping: size), Data(frontier)])
        }
    }

    public func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent] {
        try await read {
            try Row.fetchAll(
                $0, sql: "SELECT * FROM events WHERE device = ? AND seq >= ? ORDER BY seq LIMIT ?",
                arguments: [device, Int64(clamping: seqFrom), limit]
            ).map(Self.storedEvent)
        }
    }

    public func recordIncident(_ i: Incident) async throws {
        let seq = i.seq.flatMap { Int64(exactly: $0) }
        try await write { d in
            try d.execute(
                sql: """
                    UPDATE incidents SET count = count + 1, seq = ?, message = ?, received_ns = ?
                    WHERE id = (SELECT max(id) FROM incidents WHERE device = ? AND code = ?)
                    """,
                arguments: [seq, i.message, i.receivedNanos, i.device, i.code])
            guard d.changesCount == 0 else { return }
            try d.execute(
                sql: "INSERT INTO incidents (device, seq, code, message, received_ns) VALUES (?, ?, ?, ?, ?)",
                arguments: [i.device, seq, i.code, i.message, i.receivedNanos])
            // Each class keeps its newest records: junk from the network evicts only junk.
            let codes = Incident.unauthenticatedCodes
            let inClass = (i.isUnauthenticated ? "code IN " : "code NOT IN ")
                + "(" + codes.map { _ in "?" }.joined(separator: ",") + ")"
            try d.execute(
                sql: """
                    DELETE FROM incidents WHERE \(inClass) AND id < (
                      SELECT id FROM incidents WHERE \(inClass) ORDER BY id DESC LIMIT 1 OFFSET ?)
                    """,
                arguments: StatementArguments(codes + codes) + [i.classBound - 1])
        }
    }

    public func incidents(limit: Int, unauthenticated: Bool?) async throws -> [Incident] {
        let codes = Incident.unauthenticatedCodes
        let marks = codes.map { _ in "?" }.joined(separator: ",")
        let filter: String
        var arguments = StatementArguments()
        switch unauthenticated {
        case nil: filter = ""
        case true?: filter = "WHERE code IN (\(marks))"; arguments = StatementArguments(codes)
        case false?: filter = "WHERE code NOT IN (\(marks))"; arguments = StatementArguments(codes)
        }
        arguments += [limit]
        return try await read { [arguments] in
            try Row.fetchAll($0, sql: "SELECT * FROM incidents \(filter) ORDER BY id DESC LIMIT ?", arguments: arguments).map {
                Incident(
                    device: $0["device"], seq: ($0["seq"] as Int64?).flatMap { UInt64(exactly: $0) }, code: $0["code"],
                    message: $0["message"], receivedNanos: $0["received_ns"], count: $0["count"])
            }
        }
    }

    /// Closes the database once the reads in flight have finished.
    ///
    /// GRDB's `close()` blocks its thread until every reader connection is back in its pool, and an async read
    /// gives its connection back only after it resumes on the Swift concurrency pool. Called there (two threads
    /// on two cores), it waited for a read that needed the very thread it held, and the suite hung: so the
    /// blocking close runs on a thread of its own, and this task waits without holding one.
    public func close() async throws {
        let db = db
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                do {
                    try db.close()
                    done.resume()
                } catch { done.resume(throwing: StoreError.database("\(error)")) }
            }
        }
    }
}
