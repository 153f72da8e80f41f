import EventLog
import Foundation
import GRDB
import SightlineTestKit
import Testing

/// The event log's upkeep loop (`EventLog.maintain`) says when a checkpoint or retention round fails,
/// instead of swallowing it: a spool that cannot be maintained must leave a trace in the journal.
@Suite struct EventLogMaintenanceTests {
    @Test func failedCheckpointAndRetentionAreLogged() async throws {
        let dir = NSTemporaryDirectory() + "sightline-maintain-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logs = LogCapture()
        let key = try DeviceKey.loadOrCreate(stateDirectory: dir).key
        let log = try EventLog(configuration: EventLogConfiguration(stateDirectory: dir, checkpointIntervalSeconds: 1),
                               key: key, logger: logs.logger("test.eventlog"))
        try log.emit(camera: "c", type: "frame.stats", body: [:], wallNanos: 1_000_000_000)
        // Break the spool under the log's feet: every query of the log now fails.
        let other = try DatabaseQueue(path: dir + "/" + EventSpool.fileName)
        try await other.write { db in
            for table in ["event_evidence", "blobs", "events", "head"] { try db.execute(sql: "DROP TABLE \(table)") }
        }
        let maintenance = Task { await log.maintain(intervalSeconds: 0.05) }
        defer { maintenance.cancel() }
        var lines: [String] = []
        for _ in 0..<200 {
            lines = logs.all.filter { $0.hasPrefix("error") }
            if lines.contains(where: { $0.contains("checkpoint") }) && lines.contains(where: { $0.contains("retention") }) {
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(lines.contains { $0.contains("checkpoint") }, "\(logs.all)")
        #expect(lines.contains { $0.contains("retention") }, "\(logs.all)")
    }
}
