import EventLog
import Foundation
import Logging
import PostgresNIO
import SightlineCore
import Synchronization

/// The store for sites that outgrow one machine: PostgreSQL through postgres-nio. Collectors are
/// stateless over it, so several can run behind a load balancer; appends to one device are serialised by a row
/// lock on the device (`appendChain`), and the events table is partitioned by month for retention.
public final class PostgresCollectorStore: CollectorStore {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger

    /// Connects to `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=PEM]`; TLS as
    /// `PostgresTLS` describes (off unless `sslmode` asks for it).
    /// Where the server is, for errors (never the password).
    let address: String
    /// How long the first statement of `migrate` waits for the server before `StoreError.unreachable`.
    let connectTimeoutSeconds: Double

    /// The connect timeout when none is given: a command against a server that is down fails in seconds.
    public static let defaultConnectTimeoutSeconds: Double = 10

    public init(url: String, logger: Logger, connectTimeoutSeconds: Double = defaultConnectTimeoutSeconds) throws {
        precondition(connectTimeoutSeconds > 0 && connectTimeoutSeconds <= 3600, "connect timeout out of range")
        guard let u = URLComponents(string: url), u.scheme == "postgres" || u.scheme == "postgresql",
            let host = u.host, let user = u.user
        else { throw StoreError.badDatabaseURL(url) }
        let database = u.path.hasPrefix("/") ? String(u.path.dropFirst()) : u.path
        let tls = try PostgresTLS.configuration(
            query: (u.queryItems ?? []).map { URLQueryItemLike(name: $0.name, value: $0.value) }, url: url)
        var config = PostgresClient.Configuration(
            host: host, port: u.port ?? 5432, username: user,
            password: u.password, database: database.isEmpty ? nil : database,
            tls: tls)
        config.options.connectTimeout = .milliseconds(Int64(connectTimeoutSeconds * 1000))
        // Appends rely on READ COMMITTED: the head's guarded UPDATE and the locked SELECT re-read a row another
        // collector changed and decide again. A database whose default is stricter would fail them with
        // serialisation errors instead, so every session of this client asks for it.
        config.options.additionalStartupParameters = [("default_transaction_isolation", "read committed")]
        address = "\(host.contains(":") ? "[\(host)]" : host):\(u.port ?? 5432)"
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.logger = logger
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
    }

    public func close() async throws { runner.cancel() }

    private func bytes(_ b: ByteBuffer) -> [UInt8] { Array(b.readableBytesView) }

    public func migrate() async throws {
        try await checkReachable()
        for statement in [
            """
            CREATE TABLE IF NOT EXISTS devices (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key TEXT NOT NULL, added_ns BIGINT NOT NULL)
            """,
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
            "CREATE INDEX IF NOT EXISTS incidents_device_code ON incidents(device, code, id)",
            """
            CREATE TABLE IF NOT EXISTS event_evidence (
                sha256 TEXT NOT NULL, device TEXT NOT NULL, seq BIGINT NOT NULL, type TEXT NOT NULL,
                PRIMARY KEY (sha256, device, seq))
            """,
            """
            CREATE TABLE IF NOT EXISTS tokens (
                name TEXT PRIMARY KEY, role TEXT NOT NULL, digest TEXT NOT NULL UNIQUE, added_ns BIGINT NOT NULL,
                revoked_ns BIGINT)
            """,
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            // Since when event_evidence is kept: older blobs are never purged (their references are unknown).
            """
            INSERT INTO meta (key, value) VALUES ('evidence_refs_since_ns', \(Clocks.wallNanos()))
            ON CONFLICT (key) DO NOTHING
            """,
            "ALTER TABLE devices ADD COLUMN IF NOT EXISTS revoked_ns BIGINT",
            "ALTER TABLE incidents ADD COLUMN IF NOT EXISTS count BIGINT NOT NULL DEFAULT 1",
            // The chain head each append reads and advances under the device's row lock (NULL: derive it from the
            // events, as for devices from before heads were kept).
            "ALTER TABLE devices ADD COLUMN IF NOT EXISTS head_seq BIGINT",
            "ALTER TABLE devices ADD COLUMN IF NOT EXISTS head_hash TEXT",
            "ALTER TABLE devices ADD COLUMN IF NOT EXISTS head_frontier BYTEA",
        ] {
            // Concurrent collectors may race on CREATE ... IF NOT EXISTS; a lock keeps start-up serial.
            try await client.withTransaction(logger: logger) { c in
                try await c.query("SELECT pg_advisory_xact_lock(8470)", logger: logger)
                try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
        // The events table, partitioned by month (PostgresCollectorStore+Partitions.swift).
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(8470)", logger: logger)
            try await self.migrateEvents(c, nowNanos: Clocks.wallNanos())
        }
    }

    /// Runs `SELECT 1`, throwing `StoreError.unreachable` when the server has not answered within the connect
    /// timeout. postgres-nio's pool retries a connection that fails, and a statement waits for one without a
    /// bound (68 s and a cryptic error against an address that drops packets, forever against a server that
    /// accepts and never speaks); the statement is left to its cancellation, and the caller answered at once.
    public func checkReachable() async throws {
        let client = self.client
        let logger = self.logger
        let answered = try await Deadline.run(seconds: connectTimeoutSeconds) { () async throws -> Bool in
            _ = try await client.query("SELECT 1", logger: logger)
            return true
        }
        guard answered == nil else { return }
        throw StoreError.unreachable(
            "cannot reach PostgreSQL at \(address): no answer within \(Self.seconds(connectTimeoutSeconds)) "
                + "(is the server running, is the host and port right, does a firewall drop the connection?)")
    }

    private static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : "\(s) s"
    }

    public func addDevice(_ d: DeviceRecord) async throws {
        // A new device's head is the genesis head (it has no events), so its first batch can take the unlocked
        // append of `appendChain(…knownHead:…)` too.
        let genesis = ChainHead.genesis
        let rows = try await client.query(
            """
            INSERT INTO devices (id, name, public_key, added_ns, head_seq, head_hash, head_frontier)
            VALUES (\(d.id), \(d.name), \(d.publicKey), \(d.addedNanos), \(Int64(clamping: genesis.seq)), \(genesis.hash),
            \(ByteBuffer(bytes: genesis.frontier.serialized)))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        guard inserted else { throw StoreError.duplicateDevice(d.id) }
    }

    public func devices() async throws -> [DeviceRecord] {
        var out: [DeviceRecord] = []
        let rows = try await client.query(
            "SELECT id, name, public_key, added_ns, revoked_ns FROM devices ORDER BY name, id",
            logger: logger)
        for try await (id, name, key, added, revoked) in rows.decode((String, String, String, Int64, Int64?).self) {
            out.append(DeviceRecord(id: id, name: name, publicKey: key, addedNanos: added, revokedNanos: revoked))
        }
        return out
    }

    public func device(id: String) async throws -> DeviceRecord? {
        let rows = try await client.query(
            "SELECT id, name, public_key, added_ns, revoked_ns FROM devices WHERE id = \(id)", logger: logger)
        for try await (id, name, key, added, revoked) in rows.decode((String, String, String, Int64, Int64?).self) {
            return DeviceRecord(id: id, name: name, publicKey: key, addedNanos: added, revokedNanos: revoked)
        }
        return nil
    }

    public func revokeDevice(_ idOrName: String, nowNanos: Int64) async throws -> DeviceRecord? {
        let rows = try await client.query(
            """
            UPDATE devices SET revoked_ns = \(nowNanos) WHERE id = (
                SELECT id FROM devices WHERE (id = \(idOrName) OR name = \(idOrName)) AND revoked_ns IS NULL
                ORDER BY id LIMIT 1)
            RETURNING id, name, public_key, added_ns, revoked_ns
            """, logger: logger)
        for try await (id, name, key, added, revoked) in rows.decode((String, String, String, Int64, Int64?).self) {
            return DeviceRecord(id: id, name: name, publicKey: key, addedNanos: added, revokedNanos: revoked)
        }
        return nil
    }

    /// ` AND (substr(type, 1, $n) = $n+1 OR ...)` for a role's type prefixes.
    private static func prefixClause(_ prefixes: [String], _ binds: inout PostgresBindings) -> String {
        guard !prefixes.isEmpty else { return " AND FALSE" }
        var parts: [String] = []
        for p in prefixes {
            binds.append(Int32(clamping: p.count))
            binds.append(p)
            parts.append("substr(type, 1, $\(binds.count - 1)) = $\(binds.count)")
        }
        return " AND (" + parts.joined(separator: " OR ") + ")"
    }

    public func purgeUnreferencedEvidence(receivedBefore: Int64) async throws -> Int {
        let rows = try await client.query(
            """
            DELETE FROM evidence WHERE received_ns < \(receivedBefore)
            AND received_ns > (SELECT value FROM meta WHERE key = 'evidence_refs_since_ns')
            AND NOT EXISTS (SELECT 1 FROM event_evidence e WHERE e.sha256 = evidence.sha256) RETURNING sha256
            """, logger: logger)
        var n = 0
        for try await _ in rows { n += 1 }
        return n
    }

    public func evidenceReferencedOutside(sha256: String, typePrefixes: [String]) async throws -> Bool {
        var binds = PostgresBindings()
        binds.append(sha256)
        // prefixClause gives " AND (a OR b)" (or " AND FALSE"): negated as a whole.
        let sql = "SELECT 1 FROM event_evidence WHERE sha256 = $1 AND NOT (TRUE"
            + Self.prefixClause(typePrefixes, &binds) + ") LIMIT 1"
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func evidenceReferenced(sha256: String, typePrefixes: [String]?) async throws -> Bool {
        var binds = PostgresBindings()
        binds.append(sha256)
        var sql = "SELECT 1 FROM event_evidence WHERE sha256 = $1"
        if let typePrefixes { sql += Self.prefixClause(typePrefixes, &binds) }
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql + " LIMIT 1", binds: binds), logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func addToken(_ t: TokenRecord) async throws {
        let rows = try await client.query(
            """
            INSERT INTO tokens (name, role, digest, added_ns) VALUES (\(t.name), \(t.role.rawValue), \(t.digest),
            \(t.addedNanos)) ON CONFLICT (name) DO NOTHING RETURNING name
            """, logger: logger)
        var inserted = false
        for try await _ in rows { inserted = true }
        guard inserted else { throw StoreError.duplicateToken(t.name) }
    }

    private func decodeTokens(_ rows: PostgresRowSequence) async throws -> [TokenRecord] {
        var out: [TokenRecord] = []
        for try await (name, role, digest, added, revoked) in rows.decode((String, String, String, Int64, Int64?).self) {
            guard let role = Role(rawValue: role) else { continue }
            out.append(TokenRecord(name: name, role: role, digest: digest, addedNanos: added, revokedNanos: revoked))
        }
        return out
    }

    public func tokens() async throws -> [TokenRecord] {
        try await decodeTokens(
            try await client.query(
                "SELECT name, role, digest, added_ns, revoked_ns FROM tokens ORDER BY name", logger: logger))
    }

    public func token(digest: String) async throws -> TokenRecord? {
        try await decodeTokens(
            try await client.query(
                """
                SELECT name, role, digest, added_ns, revoked_ns FROM tokens WHERE digest = \(digest)
                AND revoked_ns IS NULL
                """, logger: logger)
        ).first
    }

    public func revokeToken(name: String, nowNanos: Int64) async throws -> Bool {
        let rows = try await client.query(
            """
            UPDATE tokens SET revoked_ns = \(nowNanos) WHERE name = \(name) AND revoked_ns IS NULL RETURNING name
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    public func eventHash(device: String, seq: UInt64) async throws -> String? {
        let rows = try await client.query(
            "SELECT hash FROM events WHERE device = \(device) AND seq = \(Int64(clamping: seq))", logger: logger)
        for try await h in rows.decode(String.self) { return h }
        return nil
    }

    public func lastSeq(device: String) async throws -> UInt64 {
        let rows = try await client.query(
            "SELECT coalesce(max(seq), 0)::BIGINT FROM events WHERE device = \(device)", logger: logger)
        for try await v in rows.decode(Int64.self) { return UInt64(clamping: v) }
        return 0
    }

    /// The device, its stored head and the stored blobs among `evidence`: one query.
    public func ingestLookup(device id: String, evidence: [String]) async throws -> IngestLookup {
        let rows = try await client.query(
            """
            SELECT id, name, public_key, added_ns, revoked_ns, head_seq, head_hash, head_frontier,
            ARRAY(SELECT sha256 FROM evidence WHERE sha256 = ANY(\(evidence))) FROM devices WHERE id = \(id)
            """, logger: logger)
        for try await (id, name, key, added, revoked, seq, hash, frontier, present) in rows.decode(
            (String, String, String, Int64, Int64?, Int64?, String?, ByteBuffer?, [String]).self)
        {
            return IngestLookup(
                device: DeviceRecord(id: id, name: name, publicKey: key, addedNanos: added, revokedNanos: revoked),
                head: Self.head(seq: seq, hash: hash, frontier: frontier), presentEvidence: Set(present))
        }
        return IngestLookup(device: nil)
    }

    /// A stored head, when all three columns are set and agree.
    static func head(seq: Int64?, hash: String?, frontier: ByteBuffer?) -> ChainHead? {
        guard let seq, let hash, let frontier, let f = MerkleFrontier(serialized: Array(frontier.readableBytesView)),
            f.size == UInt64(clamping: seq)
        else { return nil }
        return ChainHead(seq: f.size, hash: hash, frontier: f)
    }

    /// Tries the plan made from `knownHead` as one statement (its own transaction: one round trip and one commit)
    /// that writes only while the device's stored head is still `knownHead`: a concurrent
    /// append by another collector makes the `UPDATE` of the head match nothing once that append commits (PostgreSQL
    /// re-reads the row it waited for), and then nothing is written and the locked append decides again from the
    /// new head. Falls back to it, too, for resends, plans that append nothing and plans too big for one statement.
    public func appendChain(
        device: String, seqs: [UInt64], knownHead: ChainHead?,
        _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend {
        if let head = knownHead, seqs.allSatisfy({ $0 > head.seq }) {
            let plan = decide(head, [:])
            let references = plan.rows.reduce(0) { $0 + Set($1.evidence).count }
            if !plan.rows.isEmpty, plan.rows.count <= Self.rowsPerStatement,
                plan.rows.count * 9 + references * 4 + 12 <= Self.maxParameters
            {
                let rows = try await client.query(
                    Self.appendStatement(device: device, plan: plan, expected: head), logger: logger)
                var applied = false
                for try await n in rows.decode(Int64.self) { applied = n == 1 }
                if applied { return plan }
            }
        }
        return try await appendChain(device: device, seqs: seqs, decide)
    }

    public func appendChain(
        device: String, seqs: [UInt64], _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend {
        try await Self.unwrappingStoreErrors { try await self.lockedAppend(device: device, seqs: seqs, decide) }
    }

    /// `body`'s result; a `StoreError` it threw inside a transaction comes out as itself, not wrapped in
    /// postgres-nio's `PostgresTransactionError` (ingest answers a revoked device by that error).
    static func unwrappingStoreErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as PostgresTransactionError {
            if let inner = e.closureError as? StoreError { throw inner }
            throw e
        }
    }

    private func lockedAppend(
        device: String, seqs: [UInt64], _ decide: @escaping @Sendable (ChainHead, [UInt64: String]) -> ChainAppend
    ) async throws -> ChainAppend {
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { c in
            // The row lock serialises every collector appending to this device until commit.
            let locked = try await c.query(
                "SELECT head_seq, head_hash, head_frontier, revoked_ns FROM devices WHERE id = \(device) FOR UPDATE",
                logger: logger)
            var found = false
            var revoked = false
            var head: ChainHead?
            for try await (seq, hash, frontier, revokedNanos) in locked.decode(
                (Int64?, String?, ByteBuffer?, Int64?).self)
            {
                found = true
                revoked = revokedNanos != nil
                head = Self.head(seq: seq, hash: hash, frontier: frontier)
            }
            guard found else { throw StoreError.database("device \(Incident.truncated(device: device)) is not registered") }
            // Under the row lock a revocation takes too: one committed since ingest read the device stops this batch.
            guard !revoked else { throw StoreError.deviceRevoked(Incident.truncated(device: device)) }
            let start: ChainHead
            if let head { start = head } else { start = try await Self.rebuildHead(c, device: device, logger: logger) }
            var stored: [UInt64: String] = [:]
            let below = seqs.filter { $0 <= start.seq }.map { Int64(clamping: $0) }
            if !below.isEmpty {
                let rows = try await c.query(
                    "SELECT seq, hash FROM events WHERE device = \(device) AND seq = ANY(\(below))", logger: logger)
                for try await (seq, hash) in rows.decode((Int64, String).self) { stored[UInt64(clamping: seq)] = hash }
            }
            let plan = decide(start, stored)
            // A head derived from the events is stored even when nothing is appended.
            guard !plan.rows.isEmpty || head == nil else { return plan }
            let references = plan.rows.reduce(0) { $0 + Set($1.evidence).count }
            if plan.rows.count <= Self.rowsPerStatement, plan.rows.count * 9 + references * 4 + 8 <= Self.maxParameters {
                // The usual batch: rows, evidence references, head and checkpoint in one statement (one round
                // trip instead of three or four while the device's lock is held).
                try await c.query(Self.appendStatement(device: device, plan: plan), logger: logger)
                return plan
            }
            try await Self.insertRows(plan.rows, c, logger: logger)
            let next = plan.head
            try await c.query(
                """
                UPDATE devices SET head_seq = \(Int64(clamping: next.seq)), head_hash = \(next.hash),
                head_frontier = \(ByteBuffer(bytes: next.frontier.serialized)) WHERE id = \(device)
                """, logger: logger)
            if let cp = plan.checkpoint {
                try await c.query(
                    """
                    INSERT INTO checkpoint_frontiers (device, size, frontier)
                    VALUES (\(device), \(Int64(clamping: cp.size)), \(ByteBuffer(bytes: cp.serialized)))
                    ON CONFLICT (device) DO UPDATE SET size = EXCLUDED.size, frontier = EXCLUDED.frontier
                    WHERE EXCLUDED.size > checkpoint_frontiers.size
                    """, logger: logger)
            }
            return plan
        }
    }

    /// The head of a device whose head was never stored (events from before heads were kept, or none), from its
    /// stored events.
    static func rebuildHead(_ c: PostgresConnection, device: String, logger: Logger) async throws -> ChainHead {
        let rows = try await c.query(
            "SELECT seq, hash, leaf_hash FROM events WHERE device = \(device) ORDER BY seq", logger: logger)
        var leaves: [[UInt8]] = []
        var last: String?
        for try await (seq, hash, leaf) in rows.decode((Int64, String, ByteBuffer).self) {
            guard seq == Int64(leaves.count) + 1 else {
                throw StoreError.database("stored events of \(Incident.truncated(device: device)) have a gap before \(seq)")
            }
            leaves.append(Array(leaf.readableBytesView))
            last = hash
        }
        return ChainHead.rebuilt(leaves: leaves, lastHash: last)
    }

    /// Multi-row INSERTs of the events and their evidence references, at most `rowsPerStatement` rows each.
    static func insertRows(_ rows: [StoredEvent], _ c: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        for start in stride(from: 0, to: rows.count, by: rowsPerStatement) {
            let part = rows[start..<min(rows.count, start + rowsPerStatement)]
            var binds = PostgresBindings(capacity: part.count * 9)
            var values: [String] = []
            values.reserveCapacity(part.count)
            for e in part { values.append(Self.bindRow(e, to: &binds)) }
            try await c.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO events (device, seq, hash, leaf_hash, time_ns, camera, type, line, received_ns) "
                        + "VALUES " + values.joined(separator: ","), binds: binds), logger: logger)
            // References in statements of at most `maxParameters` binds (four each): a batch whose events name
            // many blobs would otherwise pass the protocol's 65,535-parameter limit and fail every time it is sent.
            var refs = PostgresBindings()
            var refValues: [String] = []
            func flush() async throws {
                guard !refValues.isEmpty else { return }
                try await c.query(
                    PostgresQuery(
                        unsafeSQL: "INSERT INTO event_evidence (sha256, device, seq, type) VALUES "
                            + refValues.joined(separator: ",") + " ON CONFLICT DO NOTHING", binds: refs),
                    logger: logger)
                refs = PostgresBindings()
                refValues = []
            }
            for e in part {
                for sha in Set(e.evidence) {
                    if refs.count + 4 > maxParameters { try await flush() }
                    let n = refs.count
                    refs.append(sha)
                    refs.append(e.device)
                    refs.append(Int64(clamping: e.seq))
                    refs.append(e.type)
                    refValues.append("($\(n + 1),$\(n + 2),$\(n + 3),$\(n + 4))")
                }
            }
            try await flush()
        }
    }

    /// One statement writing a plan of at most `rowsPerStatement` rows: the events, their evidence references and
    /// the checkpoint frontier as data-modifying CTEs of the `UPDATE` that advances the device's head. With
    /// `expected`, the `UPDATE` matches only while the stored head is that one, every
    /// insert happens only when it matched, and the statement returns how many heads it advanced (0 or 1).
    static func appendStatement(device: String, plan: ChainAppend, expected: ChainHead? = nil) -> PostgresQuery {
        var binds = PostgresBindings(capacity: plan.rows.count * 9 + 12)
        func bind(_ append: (inout PostgresBindings) -> Void) -> String {
            append(&binds)
            return "$\(binds.count)"
        }
        // Guarded: inserts select from the head's UPDATE (in CTE `g`), so they write only when it matched.
        let when = expected == nil ? "" : " WHERE EXISTS (SELECT 1 FROM g)"
        func insert(_ into: String, _ rows: [String]) -> String {
            expected == nil
                ? "INSERT INTO \(into) VALUES " + rows.joined(separator: ",")
                : "INSERT INTO \(into) SELECT * FROM (VALUES " + rows.joined(separator: ",") + ") v" + when
        }
        var ctes: [String] = []
        var values: [String] = []
        var refValues: [String] = []
        values.reserveCapacity(plan.rows.count)
        for e in plan.rows {
            values.append(bindRow(e, to: &binds))
            for sha in Set(e.evidence).sorted() {
                let s = bind { $0.append(sha) }
                let d = bind { $0.append(e.device) }
                let q = bind { $0.append(Int64(clamping: e.seq)) }
                let t = bind { $0.append(e.type) }
                refValues.append("(\(s),\(d),\(q),\(t))")
            }
        }
        if !values.isEmpty {
            ctes.append(
                "e AS (" + insert("events (device, seq, hash, leaf_hash, time_ns, camera, type, line, received_ns)", values)
                    + ")")
        }
        if !refValues.isEmpty {
            ctes.append("r AS (" + insert("event_evidence (sha256, device, seq, type)", refValues) + " ON CONFLICT DO NOTHING)")
        }
        if let cp = plan.checkpoint {
            let d = bind { $0.append(device) }
            let n = bind { $0.append(Int64(clamping: cp.size)) }
            let f = bind { $0.append(ByteBuffer(bytes: cp.serialized)) }
            ctes.append(
                "c AS (" + insert("checkpoint_frontiers (device, size, frontier)", ["(\(d), \(n), \(f))"])
                    + " ON CONFLICT (device) DO UPDATE SET size = EXCLUDED.size, frontier = EXCLUDED.frontier "
                    + "WHERE EXCLUDED.size > checkpoint_frontiers.size)")
        }
        let next = plan.head
        let seq = bind { $0.append(Int64(clamping: next.seq)) }
        let hash = bind { $0.append(next.hash) }
        let frontier = bind { $0.append(ByteBuffer(bytes: next.frontier.serialized)) }
        let id = bind { $0.append(device) }
        var update = "UPDATE devices SET head_seq = \(seq), head_hash = \(hash), head_frontier = \(frontier) WHERE id = \(id)"
        if let expected {
            let oldSeq = bind { $0.append(Int64(clamping: expected.seq)) }
            let oldHash = bind { $0.append(expected.hash) }
            // Not revoked since ingest read the device: a revocation moves the statement to the locked append,
            // which refuses the batch.
            update += " AND head_seq = \(oldSeq) AND head_hash = \(oldHash) AND revoked_ns IS NULL RETURNING id"
            return PostgresQuery(
                unsafeSQL: "WITH g AS (\(update))" + ctes.map { ", " + $0 }.joined() + " SELECT count(*) FROM g",
                binds: binds)
        }
        let sql = ctes.isEmpty ? update : "WITH " + ctes.joined(separator: ", ") + " " + update
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// Binds an event row's nine columns (device, seq, hash, leaf_hash, time_ns, camera, type, line, received_ns)
    /// and returns its `($n,…)` tuple for a multi-row `VALUES`.
    static func bindRow(_ e: StoredEvent, to binds: inout PostgresBindings) -> String {
        let first = binds.count + 1
        binds.append(e.device)
        binds.append(Int64(clamping: e.seq))
        binds.append(e.hash)
        binds.append(ByteBuffer(bytes: e.leafHash))
        binds.append(e.timeNanos)
        binds.append(e.camera)
        binds.append(e.type)
        binds.append(ByteBuffer(bytes: e.line))
        binds.append(e.receivedNanos)
        return "(" + (first..<first + 9).map { "$\($0)" }.joined(separator: ",") + ")"
    }

    /// The most parameters one statement may bind (PostgreSQL's protocol counts them in 16 bits).
    static let maxParameters = 65_535

    /// Rows per multi-row INSERT: 9 parameters each, well under PostgreSQL's 65,535.
    static let rowsPerStatement = 1000

    public func presentEvidence(_ shas: [String]) async throws -> Set<String> {
        guard !shas.isEmpty else { return [] }
        let rows = try await client.query("SELECT sha256 FROM evidence WHERE sha256 = ANY(\(shas))", logger: logger)
        var out: Set<String> = []
        for try await sha in rows.decode(String.self) { out.insert(sha) }
        return out
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
                        device: device, seq: UInt64(clamping: seq), hash: hash, leafHash: bytes(leaf),
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
        if let prefixes = q.typePrefixes { sql += Self.prefixClause(prefixes, &binds) }
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
            SELECT leaf_hash FROM events WHERE device = \(device) AND seq > \(Int64(clamping: after))
            AND seq <= \(Int64(clamping: size)) ORDER BY seq
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
            VALUES (\(device), \(Int64(clamping: size)), \(ByteBuffer(bytes: frontier)))
            ON CONFLICT (device) DO UPDATE SET size = EXCLUDED.size, frontier = EXCLUDED.frontier
            WHERE EXCLUDED.size > checkpoint_frontiers.size
            """,
            logger: logger)
    }

    public func events(device: String, seqFrom: UInt64, limit: Int) async throws -> [StoredEvent] {
        let sql: PostgresQuery = """
            SELECT id, device, seq, hash, leaf_hash, time_ns, camera, type, line, received_ns FROM events
            WHERE device = \(device) AND seq >= \(Int64(clamping: seqFrom)) ORDER BY seq LIMIT \(Int64(limit))
            """
        return try await decodeEvents(try await client.query(sql, logger: logger)).map(\.event)
    }

    public func recordIncident(_ i: Incident) async throws {
        let seq = i.seq.flatMap { Int64(exactly: $0) }
        let updated = try await client.query(
            """
            UPDATE incidents SET count = count + 1, seq = \(seq), message = \(i.message), received_ns = \(i.receivedNanos)
            WHERE id = (SELECT max(id) FROM incidents WHERE device = \(i.device) AND code = \(i.code)) RETURNING id
            """, logger: logger)
        for try await _ in updated { return }
        try await client.query(
            """
            INSERT INTO incidents (device, seq, code, message, received_ns)
            VALUES (\(i.device), \(seq), \(i.code), \(i.message), \(i.receivedNanos))
            """, logger: logger)
        // Each class keeps its newest records: junk from the network evicts only junk.
        let codes = Incident.unauthenticatedCodes
        let keep = Int64(i.classBound - 1)
        if i.isUnauthenticated {
            try await client.query(
                """
                DELETE FROM incidents WHERE code = ANY(\(codes)) AND id < (
                  SELECT id FROM incidents WHERE code = ANY(\(codes)) ORDER BY id DESC LIMIT 1 OFFSET \(keep))
                """, logger: logger)
        } else {
            try await client.query(
                """
                DELETE FROM incidents WHERE NOT (code = ANY(\(codes))) AND id < (
                  SELECT id FROM incidents WHERE NOT (code = ANY(\(codes))) ORDER BY id DESC LIMIT 1 OFFSET \(keep))
                """, logger: logger)
        }
    }

    public func incidents(limit: Int, unauthenticated: Bool?) async throws -> [Incident] {
        let codes = Incident.unauthenticatedCodes
        let rows: PostgresRowSequence
        switch unauthenticated {
        case nil:
            rows = try await client.query(
                """
                SELECT device, seq, code, message, received_ns, count FROM incidents ORDER BY id DESC
                LIMIT \(Int64(limit))
                """, logger: logger)
        case true?:
            rows = try await client.query(
                """
                SELECT device, seq, code, message, received_ns, count FROM incidents WHERE code = ANY(\(codes))
                ORDER BY id DESC LIMIT \(Int64(limit))
                """, logger: logger)
        case false?:
            rows = try await client.query(
                """
                SELECT device, seq, code, message, received_ns, count FROM incidents
                WHERE NOT (code = ANY(\(codes))) ORDER BY id DESC LIMIT \(Int64(limit))
                """, logger: logger)
        }
        var out: [Incident] = []
        for try await (device, seq, code, message, received, count) in rows.decode(
            (String, Int64?, String, String, Int64, Int64).self)
        {
            out.append(
                Incident(
                    device: device, seq: seq.flatMap { UInt64(exactly: $0) }, code: code, message: message,
                    receivedNanos: received, count: count))
        }
        return out
    }
}

/// Runs an operation with a time limit, returning at the limit even when the operation does not end on
/// cancellation (a task group would wait for it).
enum Deadline {
    /// The operation's result, or nil when `seconds` passed first (the operation is then cancelled and left).
    static func run<T: Sendable>(
        seconds: Double, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let pending = DeadlinePending<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
            pending.continuation.withLock { $0 = continuation }
            @Sendable func finish(_ result: Result<T?, any Error>) {
                pending.continuation.withLock { c in
                    c?.resume(with: result)
                    c = nil
                }
            }
            let work = Task { () async throws -> T in try await operation() }
            let timer = Task {
                try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                guard !Task.isCancelled else { return }
                finish(.success(nil))
                work.cancel()
            }
            Task {
                let result = await work.result
                timer.cancel()
                finish(result.map { $0 })
            }
        }
    }
}

/// The caller's continuation in `Deadline.run`, resumed once by whichever of the operation and the timer ends first.
private final class DeadlinePending<T: Sendable>: Sendable {
    let continuation = Mutex<CheckedContinuation<T?, any Error>?>(nil)
}
