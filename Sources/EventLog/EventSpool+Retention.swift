import Foundation
import GRDB

/// What one retention pass did.
public struct RetentionReport: Sendable, Equatable {
    /// Acknowledged events older than the retention time, deleted.
    public var eventsPurged = 0
    /// Blobs whose bytes were dropped (delivered and old, or to meet the disk budget).
    public var blobsPurged = 0
    /// Blobs dropped before the collector had them, to meet the budget.
    public var undeliveredBlobsPurged = 0
    /// Bytes the spool holds after the pass (event lines plus blob bytes).
    public var bytesAfter: Int64 = 0
    /// True when the budget is still exceeded with no evidence left to drop: the alarm condition.
    /// Events are never dropped to meet it.
    public var overBudget = false
}

extension EventSpool {
    /// Bytes held: event lines plus blob bytes still present.
    public func storedBytes() throws(SpoolError) -> Int64 {
        do { return try db.read { try Self.storedBytes($0) } } catch { throw .database("\(error)") }
    }

    static func storedBytes(_ d: Database) throws -> Int64 {
        let e = try Int64.fetchOne(d, sql: "SELECT coalesce(sum(length(line)), 0) FROM events") ?? 0
        let b =
            try Int64.fetchOne(d, sql: "SELECT coalesce(sum(length(data)), 0) FROM blobs WHERE data IS NOT NULL") ?? 0
        return e + b
    }

    /// Purges acknowledged events (and their delivered blobs) older than `retainNanos`, then drops
    /// evidence bytes, delivered first and oldest first, while the spool exceeds `budgetBytes`.
    /// The head row keeps the chain and the tree going after events are purged.
    public func enforceRetention(
        nowNanos: Int64, retainNanos: Int64, budgetBytes: Int64
    ) throws(SpoolError)
        -> RetentionReport
    {
        do {
            return try db.write { d in
                var report = RetentionReport()
                let cutoff = nowNanos - retainNanos
                let head = try Self.readState(d)
                // Keep the newest event even when old and delivered, so the head is still visible in the spool.
                try d.execute(
                    sql: "DELETE FROM events WHERE acked_ns IS NOT NULL AND acked_ns < ? AND seq < ?",
                    arguments: [cutoff, Int64(head.lastSeq)])
                report.eventsPurged = d.changesCount
                try d.execute(sql: "DELETE FROM event_evidence WHERE seq NOT IN (SELECT seq FROM events)")
                try d.execute(
                    sql: """
                        DELETE FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM event_evidence)
                        AND (uploaded = 1 OR data IS NULL)
                        """)
                report.blobsPurged += d.changesCount
                var bytes = try Self.storedBytes(d)
                if bytes > budgetBytes {
                    let rows = try Row.fetchAll(
                        d,
                        sql: """
                            SELECT sha256, length(data) AS n, uploaded FROM blobs WHERE data IS NOT NULL
                            ORDER BY uploaded DESC, created_ns ASC
                            """)
                    for row in rows where bytes > budgetBytes {
                        try d.execute(
                            sql: "UPDATE blobs SET data = NULL WHERE sha256 = ?",
                            arguments: [row["sha256"] as String])
                        bytes -= row["n"] as Int64
                        report.blobsPurged += 1
                        if (row["uploaded"] as Int64) == 0 { report.undeliveredBlobsPurged += 1 }
                    }
                }
                report.bytesAfter = bytes
                report.overBudget = bytes > budgetBytes
                return report
            }
        } catch { throw .database("\(error)") }
    }
}
