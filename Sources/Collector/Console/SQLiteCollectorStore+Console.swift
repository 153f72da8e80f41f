import EventLog
import Foundation
import GRDB

/// The console's queries over SQLite. Indexes: `(camera, time_ns)` and `(type, time_ns)` for the filtered
/// newest-first list (SQLite appends the row id, so `ORDER BY time_ns DESC, id DESC` reads the index in order),
/// `(device, type, seq)` for a device's checkpoints; `console_counts` is kept by an insert trigger.
extension SQLiteCollectorStore: ConsoleStore {
    private func consoleRead<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await db.read(body) } catch { throw StoreError.database("\(error)") }
    }

    private func consoleWrite<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await db.write(body) } catch { throw StoreError.database("\(error)") }
    }

    public func migrateConsole() async throws {
        try await consoleWrite { d in
            try d.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS console_sessions (
                        id_digest TEXT PRIMARY KEY, token_digest TEXT NOT NULL, csrf TEXT NOT NULL,
                        expires_ns INTEGER NOT NULL);
                    CREATE INDEX IF NOT EXISTS console_sessions_expiry ON console_sessions(expires_ns);
                    CREATE INDEX IF NOT EXISTS console_events_camera ON events(camera, time_ns);
                    CREATE INDEX IF NOT EXISTS console_events_type ON events(type, time_ns);
                    CREATE INDEX IF NOT EXISTS console_events_device_type ON events(device, type, seq);
                    CREATE TABLE IF NOT EXISTS console_merkle_nodes (
                        device TEXT NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
                        PRIMARY KEY (device, level, idx)) WITHOUT ROWID;
                    """)
            let hasTrigger = try Row.fetchOne(
                d, sql: "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'console_count_insert'") != nil
            guard !hasTrigger else { return }
            // Created with its backfill in one transaction: no insert is counted twice or missed.
            try d.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS console_counts (
                        camera TEXT NOT NULL, type TEXT NOT NULL, hour INTEGER NOT NULL, n INTEGER NOT NULL,
                        PRIMARY KEY (camera, type, hour));
                    DELETE FROM console_counts;
                    INSERT INTO console_counts (camera, type, hour, n)
                        SELECT camera, type, time_ns / 3600000000000, count(*) FROM events
                        GROUP BY camera, type, time_ns / 3600000000000;
                    CREATE TRIGGER console_count_insert AFTER INSERT ON events BEGIN
                        INSERT INTO console_counts (camera, type, hour, n)
                        VALUES (NEW.camera, NEW.type, NEW.time_ns / 3600000000000, 1)
                        ON CONFLICT (camera, type, hour) DO UPDATE SET n = n + 1;
                    END;
                    """)
        }
    }

    public func addSession(_ s: ConsoleSession) async throws {
        try await consoleWrite {
            try $0.execute(
                sql: "INSERT INTO console_sessions (id_digest, token_digest, csrf, expires_ns) VALUES (?, ?, ?, ?)",
                arguments: [s.idDigest, s.tokenDigest, s.csrf, s.expiresNanos])
        }
    }

    public func session(idDigest: String, nowNanos: Int64) async throws -> ConsoleSession? {
        try await consoleRead { d in
            try Row.fetchOne(
                d, sql: "SELECT * FROM console_sessions WHERE id_digest = ? AND expires_ns > ?",
                arguments: [idDigest, nowNanos]
            ).map {
                ConsoleSession(
                    idDigest: $0["id_digest"], tokenDigest: $0["token_digest"], csrf: $0["csrf"],
                    expiresNanos: $0["expires_ns"])
            }
        }
    }

    public func deleteSession(idDigest: String) async throws {
        try await consoleWrite {
            try $0.execute(sql: "DELETE FROM console_sessions WHERE id_digest = ?", arguments: [idDigest])
        }
    }

    public func purgeSessions(nowNanos: Int64) async throws {
        try await consoleWrite {
            try $0.execute(sql: "DELETE FROM console_sessions WHERE expires_ns <= ?", arguments: [nowNanos])
        }
    }

    private static let rowColumns = "id, device, seq, time_ns, camera, type, received_ns"

    private static func row(_ r: Row) -> ConsoleEventRow {
        ConsoleEventRow(
            id: r["id"], device: r["device"], seq: UInt64(clamping: r["seq"] as Int64), timeNanos: r["time_ns"],
            camera: r["camera"], type: r["type"], receivedNanos: r["received_ns"])
    }

    /// The WHERE clauses of a filter's camera, type and prefixes.
    private static func clauses(_ f: ConsoleEventFilter, _ args: inout [(any DatabaseValueConvertible)?]) -> String {
        var sql = ""
        if let v = f.camera {
            sql += " AND camera = ?"
            args.append(v)
        }
        if let v = f.type {
            sql += " AND type = ?"
            args.append(v)
        }
        if let prefixes = f.typePrefixes {
            sql += " AND (" + (prefixes.isEmpty ? "0" : prefixes.map { _ in "substr(type, 1, ?) = ?" }
                .joined(separator: " OR ")) + ")"
            for p in prefixes {
                args.append(p.count)
                args.append(p)
            }
        }
        return sql
    }

    public func consoleEvents(_ f: ConsoleEventFilter) async throws -> [ConsoleEventRow] {
        var args: [(any DatabaseValueConvertible)?] = []
        var sql = "SELECT \(Self.rowColumns) FROM events WHERE 1" + Self.clauses(f, &args)
        if let v = f.sinceNanos {
            sql += " AND time_ns >= ?"
            args.append(v)
        }
        if let v = f.untilNanos {
            sql += " AND time_ns < ?"
            args.append(v)
        }
        if let c = f.before {
            sql += " AND time_ns <= ? AND (time_ns < ? OR id < ?)"
            args += [c.timeNanos, c.timeNanos, c.id]
        }
        sql += " ORDER BY time_ns DESC, id DESC LIMIT ?"
        args.append(f.limit)
        let statement = sql
        let arguments = StatementArguments(args)
        return try await consoleRead { try Row.fetchAll($0, sql: statement, arguments: arguments).map(Self.row) }
    }

    public func maxEventID() async throws -> Int64 {
        try await consoleRead { try Int64.fetchOne($0, sql: "SELECT coalesce(max(id), 0) FROM events") ?? 0 }
    }

    public func consoleEvents(after: Int64, filter f: ConsoleEventFilter) async throws -> [ConsoleEventRow] {
        var args: [(any DatabaseValueConvertible)?] = [after]
        var sql = "SELECT \(Self.rowColumns) FROM events WHERE id > ?" + Self.clauses(f, &args)
        sql += " ORDER BY id LIMIT ?"
        args.append(f.limit)
        let statement = sql
        let arguments = StatementArguments(args)
        return try await consoleRead { try Row.fetchAll($0, sql: statement, arguments: arguments).map(Self.row) }
    }

    public func consoleCounts(fromHour: Int64, throughHour: Int64, bucketHours: Int64, typePrefixes: [String]?)
        async throws -> [ConsoleCount]
    {
        var args: [(any DatabaseValueConvertible)?] = [fromHour, max(1, bucketHours), fromHour, throughHour]
        var sql = "SELECT camera, (hour - ?) / ? AS bucket, sum(n) AS n FROM console_counts WHERE hour >= ? AND hour <= ?"
        sql += Self.clauses(ConsoleEventFilter(typePrefixes: typePrefixes), &args) + " GROUP BY camera, bucket"
        let statement = sql
        let arguments = StatementArguments(args)
        return try await consoleRead {
            try Row.fetchAll($0, sql: statement, arguments: arguments).map {
                ConsoleCount(camera: $0["camera"], bucket: $0["bucket"], count: $0["n"])
            }
        }
    }

    public func consoleCameraTypes() async throws -> [(camera: String, type: String)] {
        try await consoleRead { d in
            try Row.fetchAll(d, sql: "SELECT DISTINCT camera, type FROM console_counts ORDER BY camera, type")
                .map { (camera: $0["camera"] as String, type: $0["type"] as String) }
        }
    }

    public func consoleDeviceState(device: String) async throws -> ConsoleDeviceState {
        try await consoleRead { d in
            var s = ConsoleDeviceState()
            if let r = try Row.fetchOne(
                d, sql: "SELECT seq, time_ns, received_ns FROM events WHERE device = ? ORDER BY seq DESC LIMIT 1",
                arguments: [device])
            {
                s.lastSeq = UInt64(clamping: r["seq"] as Int64)
                s.lastTimeNanos = r["time_ns"]
                s.lastReceivedNanos = r["received_ns"]
            }
            if let r = try Row.fetchOne(
                d, sql: "SELECT seq, line FROM events WHERE device = ? AND type = ? ORDER BY seq DESC LIMIT 1",
                arguments: [device, Checkpoint.eventType])
            {
                s.checkpointSeq = UInt64(clamping: r["seq"] as Int64)
                s.checkpointLine = [UInt8](r["line"] as Data)
            }
            return s
        }
    }

    public func consoleCheckpoint(device: String, after seq: UInt64) async throws -> (seq: UInt64, line: [UInt8])? {
        try await consoleRead { d in
            try Row.fetchOne(
                d, sql: "SELECT seq, line FROM events WHERE device = ? AND type = ? AND seq > ? ORDER BY seq LIMIT 1",
                arguments: [device, Checkpoint.eventType, Int64(clamping: seq)]
            ).map { (UInt64(clamping: $0["seq"] as Int64), [UInt8]($0["line"] as Data)) }
        }
    }

    public func consoleEvent(device: String, seq: UInt64) async throws -> StoredEvent? {
        try await events(device: device, seqFrom: seq, limit: 1).first { $0.seq == seq }
    }

    public func merkleNodes(device: String, _ nodes: [MerkleNodeID]) async throws -> [MerkleNodeID: [UInt8]] {
        guard !nodes.isEmpty else { return [:] }
        var out: [MerkleNodeID: [UInt8]] = [:]
        // At most 100 pairs a statement: far below SQLite's limit on arguments.
        for chunk in stride(from: 0, to: nodes.count, by: 100).map({ nodes[$0..<min($0 + 100, nodes.count)] }) {
            var args: [(any DatabaseValueConvertible)?] = [device]
            for n in chunk { args += [n.level, Int64(clamping: n.index)] }
            let statement = "SELECT level, idx, hash FROM console_merkle_nodes WHERE device = ? AND ("
                + chunk.map { _ in "(level = ? AND idx = ?)" }.joined(separator: " OR ") + ")"
            let arguments = StatementArguments(args)
            let found = try await consoleRead { d in
                try Row.fetchAll(d, sql: statement, arguments: arguments).compactMap { r -> (MerkleNodeID, [UInt8])? in
                    let index = r["idx"] as Int64
                    guard index >= 0 else { return nil }
                    return (MerkleNodeID(level: r["level"], index: UInt64(index)), [UInt8](r["hash"] as Data))
                }
            }
            for (id, hash) in found { out[id] = hash }
        }
        return out
    }

    public func merkleNodes(device: String, level: Int, indices: ClosedRange<UInt64>) async throws
        -> [UInt64: [UInt8]]
    {
        let arguments: StatementArguments = [
            device, level, Int64(clamping: indices.lowerBound), Int64(clamping: indices.upperBound),
        ]
        return try await consoleRead { d in
            var out: [UInt64: [UInt8]] = [:]
            for r in try Row.fetchAll(
                d,
                sql: "SELECT idx, hash FROM console_merkle_nodes WHERE device = ? AND level = ? AND idx BETWEEN ? AND ?",
                arguments: arguments)
            where (r["idx"] as Int64) >= 0 {
                out[UInt64(r["idx"] as Int64)] = [UInt8](r["hash"] as Data)
            }
            return out
        }
    }

    public func saveMerkleNodes(device: String, _ nodes: [MerkleNodeID: [UInt8]]) async throws {
        guard !nodes.isEmpty else { return }
        let rows = nodes.map { ($0.key.level, Int64(clamping: $0.key.index), Data($0.value)) }
        try await consoleWrite { d in
            let insert = try d.makeStatement(
                sql: "INSERT INTO console_merkle_nodes (device, level, idx, hash) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (device, level, idx) DO NOTHING")
            for (level, index, hash) in rows { try insert.execute(arguments: [device, level, index, hash]) }
        }
    }
}
