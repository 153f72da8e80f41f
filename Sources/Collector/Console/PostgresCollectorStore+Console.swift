import EventLog
import Foundation
import Logging
import PostgresNIO

/// The console's queries over PostgreSQL: the same indexes as SQLite with the id spelled out
/// (`(camera, time_ns, id)`, `(type, time_ns, id)`, `(time_ns, id)`, `(device, type, seq)`), and `console_counts`
/// kept by an insert trigger.
extension PostgresCollectorStore: ConsoleStore {
    private var consoleLogger: Logger { Logger(label: "sightline.collector.console") }

    public func migrateConsole() async throws {
        let logger = consoleLogger
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(8471)", logger: logger)
            for statement in [
                """
                CREATE TABLE IF NOT EXISTS console_sessions (
                    id_digest TEXT PRIMARY KEY, token_digest TEXT NOT NULL, csrf TEXT NOT NULL, expires_ns BIGINT NOT NULL)
                """,
                "CREATE INDEX IF NOT EXISTS console_sessions_expiry ON console_sessions(expires_ns)",
                "CREATE INDEX IF NOT EXISTS console_events_time ON events(time_ns, id)",
                "CREATE INDEX IF NOT EXISTS console_events_camera ON events(camera, time_ns, id)",
                "CREATE INDEX IF NOT EXISTS console_events_type ON events(type, time_ns, id)",
                "CREATE INDEX IF NOT EXISTS console_events_device_type ON events(device, type, seq)",
                """
                CREATE TABLE IF NOT EXISTS console_merkle_nodes (
                    device TEXT NOT NULL, level BIGINT NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL,
                    PRIMARY KEY (device, level, idx))
                """,
            ] {
                try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            var exists = false
            for try await _ in try await c.query(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'console_count_insert'", logger: logger)
            {
                exists = true
            }
            guard !exists else { return }
            // With its backfill in the same transaction (and the lock): nothing counted twice or missed.
            for statement in [
                """
                CREATE TABLE IF NOT EXISTS console_counts (
                    camera TEXT NOT NULL, type TEXT NOT NULL, hour BIGINT NOT NULL, n BIGINT NOT NULL,
                    PRIMARY KEY (camera, type, hour))
                """,
                "LOCK TABLE events IN SHARE MODE",
                "DELETE FROM console_counts",
                """
                INSERT INTO console_counts (camera, type, hour, n)
                SELECT camera, type, time_ns / 3600000000000, count(*) FROM events
                GROUP BY camera, type, time_ns / 3600000000000
                """,
                """
                CREATE OR REPLACE FUNCTION console_count() RETURNS trigger AS $$
                BEGIN
                    INSERT INTO console_counts (camera, type, hour, n)
                    VALUES (NEW.camera, NEW.type, NEW.time_ns / 3600000000000, 1)
                    ON CONFLICT (camera, type, hour) DO UPDATE SET n = console_counts.n + 1;
                    RETURN NULL;
                END $$ LANGUAGE plpgsql
                """,
                """
                CREATE TRIGGER console_count_insert AFTER INSERT ON events
                FOR EACH ROW EXECUTE FUNCTION console_count()
                """,
            ] {
                try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    public func addSession(_ s: ConsoleSession) async throws {
        try await client.query(
            """
            INSERT INTO console_sessions (id_digest, token_digest, csrf, expires_ns)
            VALUES (\(s.idDigest), \(s.tokenDigest), \(s.csrf), \(s.expiresNanos))
            """, logger: consoleLogger)
    }

    public func session(idDigest: String, nowNanos: Int64) async throws -> ConsoleSession? {
        let rows = try await client.query(
            """
            SELECT id_digest, token_digest, csrf, expires_ns FROM console_sessions
            WHERE id_digest = \(idDigest) AND expires_ns > \(nowNanos)
            """, logger: consoleLogger)
        for try await (id, token, csrf, expires) in rows.decode((String, String, String, Int64).self) {
            return ConsoleSession(idDigest: id, tokenDigest: token, csrf: csrf, expiresNanos: expires)
        }
        return nil
    }

    public func deleteSession(idDigest: String) async throws {
        try await client.query("DELETE FROM console_sessions WHERE id_digest = \(idDigest)", logger: consoleLogger)
    }

    public func purgeSessions(nowNanos: Int64) async throws {
        try await client.query("DELETE FROM console_sessions WHERE expires_ns <= \(nowNanos)", logger: consoleLogger)
    }

    private static let rowColumns = "id, device, seq, time_ns, camera, type, received_ns"

    private func decodeRows(_ rows: PostgresRowSequence) async throws -> [ConsoleEventRow] {
        var out: [ConsoleEventRow] = []
        for try await (id, device, seq, time, camera, type, received) in rows.decode(
            (Int64, String, Int64, Int64, String, String, Int64).self)
        {
            out.append(
                ConsoleEventRow(
                    id: id, device: device, seq: UInt64(clamping: seq), timeNanos: time, camera: camera, type: type,
                    receivedNanos: received))
        }
        return out
    }

    private static func clauses(_ f: ConsoleEventFilter, _ binds: inout PostgresBindings) -> String {
        var sql = ""
        if let v = f.camera {
            binds.append(v)
            sql += " AND camera = $\(binds.count)"
        }
        if let v = f.type {
            binds.append(v)
            sql += " AND type = $\(binds.count)"
        }
        if let prefixes = f.typePrefixes {
            guard !prefixes.isEmpty else { return sql + " AND FALSE" }
            var parts: [String] = []
            for p in prefixes {
                binds.append(Int32(clamping: p.count))
                binds.append(p)
                parts.append("substr(type, 1, $\(binds.count - 1)) = $\(binds.count)")
            }
            sql += " AND (" + parts.joined(separator: " OR ") + ")"
        }
        return sql
    }

    public func consoleEvents(_ f: ConsoleEventFilter) async throws -> [ConsoleEventRow] {
        var binds = PostgresBindings()
        var sql = "SELECT \(Self.rowColumns) FROM events WHERE TRUE" + Self.clauses(f, &binds)
        if let v = f.sinceNanos {
            binds.append(v)
            sql += " AND time_ns >= $\(binds.count)"
        }
        if let v = f.untilNanos {
            binds.append(v)
            sql += " AND time_ns < $\(binds.count)"
        }
        if let c = f.before {
            binds.append(c.timeNanos)
            binds.append(c.id)
            sql += " AND (time_ns, id) < ($\(binds.count - 1), $\(binds.count))"
        }
        binds.append(Int64(f.limit))
        sql += " ORDER BY time_ns DESC, id DESC LIMIT $\(binds.count)"
        return try await decodeRows(
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: consoleLogger))
    }

    public func maxEventID() async throws -> Int64 {
        let rows = try await client.query("SELECT coalesce(max(id), 0)::BIGINT FROM events", logger: consoleLogger)
        for try await v in rows.decode(Int64.self) { return v }
        return 0
    }

    public func consoleEvents(after: Int64, filter f: ConsoleEventFilter) async throws -> [ConsoleEventRow] {
        var binds = PostgresBindings()
        binds.append(after)
        var sql = "SELECT \(Self.rowColumns) FROM events WHERE id > $1" + Self.clauses(f, &binds)
        binds.append(Int64(f.limit))
        sql += " ORDER BY id LIMIT $\(binds.count)"
        return try await decodeRows(
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: consoleLogger))
    }

    public func consoleCounts(fromHour: Int64, throughHour: Int64, bucketHours: Int64, typePrefixes: [String]?)
        async throws -> [ConsoleCount]
    {
        var binds = PostgresBindings()
        binds.append(fromHour)
        binds.append(max(1, bucketHours))
        binds.append(throughHour)
        let sql = "SELECT camera, (hour - $1) / $2 AS bucket, sum(n)::BIGINT FROM console_counts "
            + "WHERE hour >= $1 AND hour <= $3" + Self.clauses(ConsoleEventFilter(typePrefixes: typePrefixes), &binds)
            + " GROUP BY camera, bucket"
        var out: [ConsoleCount] = []
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: consoleLogger)
        for try await (camera, bucket, n) in rows.decode((String, Int64, Int64).self) {
            out.append(ConsoleCount(camera: camera, bucket: bucket, count: n))
        }
        return out
    }

    public func consoleCameraTypes() async throws -> [(camera: String, type: String)] {
        var out: [(camera: String, type: String)] = []
        let rows = try await client.query(
            "SELECT DISTINCT camera, type FROM console_counts ORDER BY camera, type", logger: consoleLogger)
        for try await (camera, type) in rows.decode((String, String).self) { out.append((camera, type)) }
        return out
    }

    public func consoleDeviceState(device: String) async throws -> ConsoleDeviceState {
        var s = ConsoleDeviceState()
        let last = try await client.query(
            "SELECT seq, time_ns, received_ns FROM events WHERE device = \(device) ORDER BY seq DESC LIMIT 1",
            logger: consoleLogger)
        for try await (seq, time, received) in last.decode((Int64, Int64, Int64).self) {
            s.lastSeq = UInt64(clamping: seq)
            s.lastTimeNanos = time
            s.lastReceivedNanos = received
        }
        if let cp = try await checkpoint(device: device, after: nil) {
            s.checkpointSeq = cp.seq
            s.checkpointLine = cp.line
        }
        return s
    }

    /// The newest checkpoint (`after` nil) or the first one after `after`.
    private func checkpoint(device: String, after: UInt64?) async throws -> (seq: UInt64, line: [UInt8])? {
        let type = Checkpoint.eventType
        let rows: PostgresRowSequence
        if let after {
            rows = try await client.query(
                """
                SELECT seq, line FROM events WHERE device = \(device) AND type = \(type)
                AND seq > \(Int64(clamping: after)) ORDER BY seq LIMIT 1
                """, logger: consoleLogger)
        } else {
            rows = try await client.query(
                "SELECT seq, line FROM events WHERE device = \(device) AND type = \(type) ORDER BY seq DESC LIMIT 1",
                logger: consoleLogger)
        }
        for try await (seq, line) in rows.decode((Int64, ByteBuffer).self) {
            return (UInt64(clamping: seq), Array(line.readableBytesView))
        }
        return nil
    }

    public func consoleCheckpoint(device: String, after seq: UInt64) async throws -> (seq: UInt64, line: [UInt8])? {
        try await checkpoint(device: device, after: seq)
    }

    public func consoleEvent(device: String, seq: UInt64) async throws -> StoredEvent? {
        try await events(device: device, seqFrom: seq, limit: 1).first { $0.seq == seq }
    }

    public func merkleNodes(device: String, _ nodes: [MerkleNodeID]) async throws -> [MerkleNodeID: [UInt8]] {
        guard !nodes.isEmpty else { return [:] }
        let levels = nodes.map { Int64($0.level) }, indices = nodes.map { Int64(clamping: $0.index) }
        let rows = try await client.query(
            """
            SELECT level, idx, hash FROM console_merkle_nodes WHERE device = \(device)
            AND (level, idx) IN (SELECT * FROM unnest(\(levels)::bigint[], \(indices)::bigint[]))
            """, logger: consoleLogger)
        var out: [MerkleNodeID: [UInt8]] = [:]
        for try await (level, index, hash) in rows.decode((Int64, Int64, ByteBuffer).self) {
            guard let level = Int(exactly: level), index >= 0 else { continue }
            out[MerkleNodeID(level: level, index: UInt64(index))] = Array(hash.readableBytesView)
        }
        return out
    }

    public func merkleNodes(device: String, level: Int, indices: ClosedRange<UInt64>) async throws
        -> [UInt64: [UInt8]]
    {
        let rows = try await client.query(
            """
            SELECT idx, hash FROM console_merkle_nodes WHERE device = \(device) AND level = \(Int64(level))
            AND idx BETWEEN \(Int64(clamping: indices.lowerBound)) AND \(Int64(clamping: indices.upperBound))
            """, logger: consoleLogger)
        var out: [UInt64: [UInt8]] = [:]
        for try await (index, hash) in rows.decode((Int64, ByteBuffer).self) where index >= 0 {
            out[UInt64(index)] = Array(hash.readableBytesView)
        }
        return out
    }

    public func saveMerkleNodes(device: String, _ nodes: [MerkleNodeID: [UInt8]]) async throws {
        guard !nodes.isEmpty else { return }
        let levels = nodes.keys.map { Int64($0.level) }, indices = nodes.keys.map { Int64(clamping: $0.index) }
        let hashes = nodes.keys.map { Encoding.hex(nodes[$0]!) }
        try await client.query(
            """
            INSERT INTO console_merkle_nodes (device, level, idx, hash)
            SELECT \(device), l, i, decode(h, 'hex')
            FROM unnest(\(levels)::bigint[], \(indices)::bigint[], \(hashes)::text[]) AS t(l, i, h)
            ON CONFLICT (device, level, idx) DO NOTHING
            """, logger: consoleLogger)
    }
}
