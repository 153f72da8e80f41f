import Foundation
import GRDB

/// A reader of the spool other than the forwarder (the MQTT publisher): where it got to, and what it keeps
/// beside that position (counts, last states), committed together so that one never runs ahead of the other.
public struct SpoolReaderPosition: Sendable, Equatable {
    /// The seq of the last event the reader finished; 0 before the first.
    public var seq: UInt64
    /// The reader's own bytes saved with `seq` (nil: none).
    public var state: [UInt8]?

    public init(seq: UInt64 = 0, state: [UInt8]? = nil) {
        self.seq = seq
        self.state = state
    }
}

extension EventSpool {
    /// Every event after `seq`, delivered to the collector or not, in seq order: what a reader with its own
    /// position reads (the forwarder reads `pending`).
    public func events(after seq: UInt64, limit: Int) throws(SpoolError) -> [SpooledEvent] {
        precondition(limit >= 1, "limit must be at least 1")
        return try events(
            sql: "SELECT seq, line, acked_ns FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            arguments: [Int64(clamping: seq), limit])
    }

    /// The saved position of reader `name` (seq 0 and no state when it never saved one).
    public func readerPosition(_ name: String) throws(SpoolError) -> SpoolReaderPosition {
        do {
            return try db.read { d in
                guard let row = try Row.fetchOne(d, sql: "SELECT seq, state FROM readers WHERE name = ?",
                                                 arguments: [name])
                else { return SpoolReaderPosition() }
                let seq: Int64 = row["seq"]
                let state: Data? = row["state"]
                return SpoolReaderPosition(seq: UInt64(clamping: seq), state: state.map { [UInt8]($0) })
            }
        } catch { throw .database("\(error)") }
    }

    /// Saves reader `name`'s position and state in one durable transaction.
    public func saveReaderPosition(_ name: String, _ position: SpoolReaderPosition) throws(SpoolError) {
        do {
            try db.write { d in
                try d.execute(
                    sql: """
                        INSERT INTO readers (name, seq, state) VALUES (?, ?, ?)
                        ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, state = excluded.state
                        """,
                    arguments: [name, Int64(clamping: position.seq), position.state.map { Data($0) }])
            }
        } catch { throw .database("\(error)") }
    }
}
