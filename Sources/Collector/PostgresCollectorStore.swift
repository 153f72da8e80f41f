import EventLog
import Foundation
import Logging
import PostgresNIO

/// The store for sites that outgrow one machine: PostgreSQL through postgres-nio. Collectors are
/// stateless over it, so several can run behind a load balancer; `UNIQUE (device, seq)` settles races.
public final class PostgresCollectorStore: CollectorStore {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger

    /// Connects to `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=PEM]`; TLS as
    /// `PostgresTLS` describes (off unless `sslmode` asks for it).
    public init(url: String, logger: Logger) throws {
        guard let u = URLComponents(string: url), u.scheme == "postgres" || u.scheme == "postgresql",
            let host = u.host, let user = u.user
        else { throw StoreError.badDatabaseURL(url) }
        let database = u.path.hasPrefix("/") ? String(u.path.dropFirst()) : u.path
        let tls = try PostgresTLS.configuration(
            query: (u.queryItems ?? []).map { URLQueryItemLike(name: $0.name, value: $0.value) }, url: url)
        let config = PostgresClient.Configuration(
            host: host, port: u.port ?? 5432, username: user,
            password: u.password, database: database.isEmpty ? nil : database,
            tls: tls)
        self.logger = logger
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    public func close() async throws { runner.cancel() }

    private func bytes(_ b: ByteBuffer) -> [UInt8] { Array(b.readableBytesView) }

    public func migrate() async throws {
        for statement in [
            """
            CREATE TABLE IF NOT EXISTS devices (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key TEXT NOT NULL, added_ns BIGINT NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS events (
                id BIGSERIAL PRIMARY KEY, device TEXT NOT NULL, seq BIGINT NOT NULL, hash TEXT NOT NULL,
                leaf_hash BYTEA NOT NULL, time_ns BIGINT NOT NULL, camera TEXT NOT NULL, type TEXT NOT NULL,
                line BYTEA NOT NULL, received_ns BIGINT NOT NULL, UNIQUE (device, seq))
            """,
            "CREATE INDEX IF NOT EXISTS events_time ON events(time_ns)",
            "CREATE INDEX IF NOT EXISTS events_type ON events(type, id)",
            """
            CREATE TABLE IF NOT EXISTS evidence (
                sha256 TEXT PRIMARY KEY, media_type TEXT NOT NULL, data BYTEA NOT NULL, received_ns BIGINT NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS checkpoint_frontiers (
                device TEXT PRIMARY KEY, size BIGINT NOT NULL, frontier BYTEA NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS incidents (
                id BIGSERIAL PRIMARY KEY, device TEXT NOT NULL, seq BIGINT, code TEXT NOT NULL, message TEXT NOT NULL,
                received_ns BIGINT NOT NULL)
            """,
        ] {
            // Concurrent collectors may race on CREATE ... IF NOT EXISTS; a lock keeps start-up serial.
            try await client.withTransaction(logger: logger) { c in
                try await c.query("SELECT pg_advisory_xact_lock(8470)", logger: logger)
                try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    public func addDevice(_ d: DeviceRecord) async throws {
        let rows = try await client.query(
            """
            INSERT INTO devices (id, name, public_key, added_ns)
            VALUES (\(d.id), \(d.name), \(d.publicKey), \(d.addedNanos))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        guard inserted else { throw StoreError.duplicateDevice(d.id) }
    }

    public func devices() async throws -> [DeviceRecord] {
        var out: [DeviceRecord] = []
        let rows = try await client.query(
            "SELECT id, name, public_key, added_ns FROM devices ORDER BY name, id",
            logger: logger)
        for try await (id, name, key, added) in rows.decode((String, String, String, Int64).self) {
            out.append(DeviceRecord(id: id, name: name, publicKey: key, addedNanos: added))
        }
        return out
    }

    public func device(id: String) async throws -> DeviceRecord? {
        let rows = try await client.query(
            "SELECT id, name, public_key, added_ns FROM devices WHERE id = \(id)", logger: logger)
        for try await (id, name, key, added) in rows.decode((String, String, String, Int64).self) {
            return DeviceRecord(id: id, name: name, publicKey: key, addedNanos: added)
        }
        return nil
    }

    public func eventHash(device: String, seq: UInt64) async throws -> String? {
        let rows = try await client.query(
            "SELECT hash FROM events WHERE device = \(device) AND seq = \(Int64(seq))", logger: logger)
        for try await h in rows.decode(String.self) { return h }
        return nil
    }

    public func lastSeq(device: String) async throws -> UInt64 {
        let rows = try await client.query(
            "SELECT coalesce(max(seq), 0)::BIGINT FROM events WHERE device = \(device)", logger: logger)
        for try await v in rows.decode(Int64.self) { return UInt64(v) }
        return 0
    }

    public func insert(_ e: StoredEvent) async throws -> InsertOutcome {
        let rows = try await client.query(
            """
            INSERT INTO events (device, seq, hash, leaf_hash, time_ns, camera, type, line, received_ns)
            VALUES (\(e.device), \(Int64(e.seq)), \(e.hash), \(ByteBuffer(bytes: e.leafHash)), \(e.timeNanos),
                    \(e.camera), \(e.type), \(ByteBuffer(bytes: e.line)), \(e.receivedNanos))
            ON CONFLICT (device, seq) DO NOTHING RETURNING id
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        if inserted { return .inserted }
        return .exists(hash: try await eventHash(device: e.device, seq: e.seq) ?? "")
    }

    public func putEvidence(sha256: String, mediaType: String, data: [UInt8], receivedNanos: Int64) async throws {
        try await client.query(
            """
            INSERT INTO evidence (sha256, media_type, data, received_ns)
            VALUES (\(sha256), \(mediaType), \(ByteBuffer(bytes: data)), \(receivedNanos))
            ON CONFLICT (sha256) DO NOTHING
            """, logger: logger)
    }

    public func evidence(sha256: String) async throws -> (mediaType: String, data: [UInt8])? {
        let rows = try await client.query(
            "SELECT media_type, data FROM evidence WHERE sha256 = \(sha256)",
            logger: logger)
        for try await (mt, data) in rows.decode((String, ByteBuffer).self) { return (mt, bytes(data)) }
        return nil
    }

    public func hasEvidence(sha256: String) async throws -> Bool {
        let rows = try await client.query("SELECT 1 FROM evidence WHERE sha256 = \(sha256)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    private static let eventColumns = "id, device, seq, hash, leaf_hash, time_ns, camera, type, line, received_ns"

    private func decodeEvents(_ rows: PostgresRowSequence) async throws -> [(position: Int64, event: StoredEvent)] {
        var out: [(Int64, StoredEvent)] = []
        for try await (id, device, seq, hash, leaf, time, camera, type, line, received) in rows.decode(
            (Int64, String, Int64, String, ByteBuffer, Int64, String, String, ByteBuffer, Int64).self)
        {
            out.append(
                (
                    id,
                    StoredEvent(
                        device: device, seq: UInt64(seq), hash: hash, leafHash: bytes(leaf),
                        timeNanos: time, camera: camera, type: type, line: bytes(line),
                        receivedNanos: received)
                ))
        }
        return out
    }

    public func events(_ q: EventQuery) async throws -> [(position: Int64, event: StoredEvent)] {
        var binds = PostgresBindings()
        binds.append(q.after)
        var sql = "SELECT \(Self.eventColumns) FROM events WHERE id > $1"
        func add(_ clause: String, _ v: some PostgresNonThrowingEncodable & Sendable) {
            binds.append(v)
            sql += " AND \(clause) $\(binds.count)"
        }
        if let v = q.device { add("device =", v) }
        if let v = q.camera { add("camera =", v) }
        if let v = q.type { add("type =", v) }
        if let v = q.sinceNanos { add("time_ns >=", v) }
        if let v = q.untilNanos { add("time_ns <", v) }
        binds.append(Int64(q.limit))
        sql += " ORDER BY id LIMIT $\(binds.count)"
        return try await decodeEvents(
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger))
    }

    public func leafHashes(device: String, after: UInt64, through size: UInt64) async throws -> [[UInt8]] {
        let rows = try await client.query(
            """
            SELECT leaf_hash FROM events WHERE device = \(device) AND seq > \(Int64(after))
            AND seq <= \(Int64(size)) ORDER BY seq
            """,
            logger: logger)
        var out: [[UInt8]] = []
        for try await b in rows.decode(ByteBuffer.self) { out.append(bytes(b)) }
        return out
    }

    public func checkpointFrontier(device: String) async throws -> [UInt8]? {
        let rows = try await client.query(
            "SELECT frontier FROM checkpoint_frontiers WHERE device = \(device)", logger: logger)
        for try await b in rows.decode(ByteBuffer.self) { return bytes(b) }
        return nil
    }

    public func saveCheckpointFrontier(device: String, size: UInt64, frontier: [UInt8]) async throws {
        try await client.query(
            """
            INSERT INTO checkpoint_frontiers (device, size, frontier)
            VALUES (\(device), \(Int64(size)), \(ByteBuffer(bytes: frontier)))
            ON CONFLICT (device) DO UPDATE SET size = EXCLUDED.size, frontier = EXCLUDED.frontier
            WHERE EXCLUDED.size > checkpoint_frontiers.size
            """,
            logger: logger)
    }

    public func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent] {
        let sql: PostgresQuery = """
            SELECT id, device, seq, hash, leaf_hash, time_ns, camera, type, line, received_ns FROM events
            WHERE device = \(device) AND seq >= \(Int64(seqFrom)) ORDER BY seq LIMIT \(Int64(limit))
            """
        return try await decodeEvents(try await client.query(sql, logger: logger)).map(\.event)
    }

    public func recordIncident(_ i: Incident) async throws {
        try await client.query(
            """
            INSERT INTO incidents (device, seq, code, message, received_ns)
            VALUES (\(i.device), \(i.seq.map { Int64($0) }), \(i.code), \(i.message), \(i.receivedNanos))
            """, logger: logger)
    }

    public func incidents(limit: Int) async throws -> [Incident] {
        let rows = try await client.query(
            "SELECT device, seq, code, message, received_ns FROM incidents ORDER BY id DESC LIMIT \(Int64(limit))",
            logger: logger)
        var out: [Incident] = []
        for try await (device, seq, code, message, received) in rows.decode(
            (String, Int64?, String, String, Int64).self)
        {
            out.append(
                Incident(
                    device: device, seq: seq.map { UInt64($0) }, code: code, message: message,
                    receivedNanos: received))
        }
        return out
    }
}
