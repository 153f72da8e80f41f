import EventLog
import Foundation
import Logging
import PostgresNIO
import SightlineCore

/// The events table over PostgreSQL is partitioned by month of arrival (`received_ns`, the collector's clock,
/// so a device's wrong clock cannot put an event in a partition that is about to be dropped): retention drops
/// whole partitions instead of deleting rows. A partition is `events_yYYYYmMM`; `events_default` catches what
/// no month covers (a collector down across a month boundary with no partition made ahead); a table from before
/// partitioning is kept whole as `events_legacy`, covering everything received up to the month after the
/// migration.
///
/// Partitioning rules out `UNIQUE (device, seq)` (a unique key must hold the partition key): uniqueness and the
/// chain are kept by the device's row lock in `appendChain` instead.
extension PostgresCollectorStore {
    /// Months of partitions made ahead of the current one.
    static let partitionsAhead = 2

    /// The partitioned table, its indexes and the partitions from this month to `partitionsAhead` ahead; a table
    /// from before partitioning becomes the partition `events_legacy` (renamed, attached; no rows copied).
    func migrateEvents(_ c: PostgresConnection, nowNanos: Int64) async throws {
        var kind: String?
        for try await k in try await c.query(
            "SELECT relkind::TEXT FROM pg_class WHERE relname = 'events' AND relnamespace = current_schema()::regnamespace",
            logger: logger
        ).decode(String.self) {
            kind = k
        }
        var statements: [String] = []
        if kind == "r" {
            // An unpartitioned table from an earlier release: its indexes are renamed (so the parent's, made
            // below, do not collide with them), the console's count trigger moves to the parent (the console's
            // migration makes it again, with a fresh count), and the id sequence outlives the table.
            let until = Self.monthStart(nowNanos: nowNanos, offset: 1)
            statements += [
                "ALTER TABLE events RENAME TO events_legacy",
                """
                DO $$ DECLARE r record; BEGIN
                FOR r IN SELECT indexname FROM pg_indexes WHERE tablename = 'events_legacy'
                    AND schemaname = current_schema() LOOP
                    EXECUTE format('ALTER INDEX %I RENAME TO %I', r.indexname, 'legacy_' || r.indexname);
                END LOOP; END $$
                """,
                // The parent's primary key is (id, received_ns); a partition cannot keep another one.
                """
                DO $$ DECLARE r record; BEGIN
                FOR r IN SELECT conname FROM pg_constraint WHERE conrelid = 'events_legacy'::regclass AND contype = 'p'
                LOOP
                    EXECUTE format('ALTER TABLE events_legacy DROP CONSTRAINT %I', r.conname);
                END LOOP; END $$
                """,
                "DROP TRIGGER IF EXISTS console_count_insert ON events_legacy",
                "ALTER SEQUENCE events_id_seq OWNED BY NONE",
                Self.createEvents,
                "ALTER TABLE events ATTACH PARTITION events_legacy FOR VALUES FROM (MINVALUE) TO (\(until))",
                """
                INSERT INTO meta (key, value) VALUES ('events_legacy_until_ns', \(until))
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
                """,
            ]
        } else if kind == nil {
            statements += ["CREATE SEQUENCE IF NOT EXISTS events_id_seq", Self.createEvents]
        }
        statements += [
            "CREATE TABLE IF NOT EXISTS events_default PARTITION OF events DEFAULT",
            "CREATE INDEX IF NOT EXISTS events_device_seq ON events(device, seq)",
            "CREATE INDEX IF NOT EXISTS events_camera_type_time ON events(camera, type, time_ns)",
            "CREATE INDEX IF NOT EXISTS events_time ON events(time_ns)",
            "CREATE INDEX IF NOT EXISTS events_type ON events(type, id)",
        ]
        for statement in statements { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
        try await ensurePartitions(c, nowNanos: nowNanos)
    }

    private static let createEvents = """
        CREATE TABLE events (
            id BIGINT NOT NULL DEFAULT nextval('events_id_seq'), device TEXT NOT NULL, seq BIGINT NOT NULL,
            hash TEXT NOT NULL, leaf_hash BYTEA NOT NULL, time_ns BIGINT NOT NULL, camera TEXT NOT NULL,
            type TEXT NOT NULL, line BYTEA NOT NULL, received_ns BIGINT NOT NULL, PRIMARY KEY (id, received_ns))
        PARTITION BY RANGE (received_ns)
        """

    /// Makes the monthly partitions from this month to `partitionsAhead` months ahead (those a legacy partition
    /// does not already cover). The collector calls it hourly.
    public func ensureEventPartitions(nowNanos: Int64 = Clocks.wallNanos()) async throws {
        let logger = self.logger
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(8470)", logger: logger)
            try await self.ensurePartitions(c, nowNanos: nowNanos)
        }
    }

    private func ensurePartitions(_ c: PostgresConnection, nowNanos: Int64) async throws {
        let legacyUntil = try await meta(c, "events_legacy_until_ns") ?? Int64.min
        for offset in 0...Self.partitionsAhead {
            let from = Self.monthStart(nowNanos: nowNanos, offset: offset)
            guard from >= legacyUntil else { continue }
            let to = Self.monthStart(nowNanos: nowNanos, offset: offset + 1)
            try await c.query(
                PostgresQuery(
                    unsafeSQL: "CREATE TABLE IF NOT EXISTS \(Self.partitionName(startNanos: from)) PARTITION OF events "
                        + "FOR VALUES FROM (\(from)) TO (\(to))"), logger: logger)
        }
    }

    private func meta(_ c: PostgresConnection, _ key: String) async throws -> Int64? {
        for try await v in try await c.query("SELECT value FROM meta WHERE key = \(key)", logger: logger)
            .decode(Int64.self)
        {
            return v
        }
        return nil
    }

    /// Drops every partition whose months all lie before `receivedBefore` (rounded down to a month: a partition
    /// is dropped whole or not at all), with the evidence references and console counts of its events. Every
    /// device's chain head is stored first, so the chains continue after their first events are gone.
    /// - Returns: the names of the partitions dropped.
    public func dropEventPartitions(receivedBefore: Int64) async throws -> [String] {
        // Heads of devices that never appended since heads were kept: derived now, while their events exist.
        let rows = try await client.query("SELECT id FROM devices WHERE head_seq IS NULL", logger: logger)
        var headless: [String] = []
        for try await id in rows.decode(String.self) { headless.append(id) }
        for id in headless { _ = try await appendChain(device: id, seqs: []) { head, _ in ChainAppend(head: head) } }

        let logger = self.logger
        return try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(8470)", logger: logger)
            let legacyUntil = try await self.meta(c, "events_legacy_until_ns")
            var doomed: [String] = []
            for try await name in try await c.query(
                """
                SELECT c.relname::TEXT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'events'::regclass ORDER BY 1
                """, logger: logger
            ).decode(String.self) {
                let until: Int64? =
                    name == "events_legacy"
                    ? legacyUntil : Self.partitionStart(name: name).map { Self.monthStart(nowNanos: $0, offset: 1) }
                if let until, until <= receivedBefore { doomed.append(name) }
            }
            var counted = false
            for try await exists in try await c.query(
                "SELECT to_regclass('console_counts') IS NOT NULL", logger: logger
            ).decode(Bool.self) {
                counted = exists
            }
            for name in doomed {
                for statement in [
                    """
                    DELETE FROM event_evidence e USING \(name) p WHERE e.device = p.device AND e.seq = p.seq
                    """
                ] + (counted ? [
                    """
                    UPDATE console_counts k SET n = k.n - d.n FROM (
                        SELECT camera, type, time_ns / 3600000000000 AS hour, count(*) AS n FROM \(name)
                        GROUP BY 1, 2, 3) d
                    WHERE k.camera = d.camera AND k.type = d.type AND k.hour = d.hour
                    """,
                    "DELETE FROM console_counts WHERE n <= 0",
                ] : []) + ["ALTER TABLE events DETACH PARTITION \(name)", "DROP TABLE \(name)"] {
                    try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            return doomed
        }
    }

    /// `events_yYYYYmMM` for the month starting at `startNanos`.
    static func partitionName(startNanos: Int64) -> String {
        let d = utc.dateComponents([.year, .month], from: Date(timeIntervalSince1970: Double(startNanos / 1_000_000_000)))
        return String(format: "events_y%04dm%02d", d.year ?? 0, d.month ?? 0)
    }

    /// The start (ns) of the month a partition named `events_yYYYYmMM` covers; nil for other names.
    static func partitionStart(name: String) -> Int64? {
        let parts = name.split(separator: "_")
        guard parts.count == 2, parts[0] == "events", parts[1].count == 8, parts[1].hasPrefix("y"),
            let m = parts[1].firstIndex(of: "m"), let year = Int(parts[1][parts[1].index(after: parts[1].startIndex)..<m]),
            let month = Int(parts[1][parts[1].index(after: m)...]),
            let date = utc.date(from: DateComponents(year: year, month: month, day: 1))
        else { return nil }
        return Int64(date.timeIntervalSince1970) * 1_000_000_000
    }

    /// The start (ns, UTC) of the month `offset` months after the one holding `nowNanos`.
    public static func monthStart(nowNanos: Int64, offset: Int) -> Int64 {
        let now = Date(timeIntervalSince1970: Double(nowNanos / 1_000_000_000))
        var d = utc.dateComponents([.year, .month], from: now)
        d.day = 1
        d.month = (d.month ?? 1) + offset
        let date = utc.date(from: d) ?? now
        return Int64(date.timeIntervalSince1970) * 1_000_000_000
    }

    private static var utc: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }
}
