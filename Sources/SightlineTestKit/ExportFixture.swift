import EventLog
import Foundation
import Logging
import SightlineCore

/// A device's export as the collector serves it (`GET /v1/export?device=…&evidence=true`), made from a real
/// device log without a collector: evidence records `{"blob":…}` before the event that first references them,
/// then the event lines, in seq order.
public struct ExportFixture {
    /// The device key that signed the events.
    public let key: DeviceKey
    /// The export's lines (without newlines).
    public var lines: [String]
    /// Signed checkpoint notes of the log, in order.
    public let checkpointNotes: [String]

    /// A log of `events` `frame.stats` events (those whose index is in `evidenceAt` carry a 64-byte blob), with a
    /// checkpoint after every `checkpointEvery` events, in a temporary state directory.
    public init(events: Int, checkpointEvery: Int, evidenceAt: Set<Int> = []) throws {
        let directory = NSTemporaryDirectory() + "sightline-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        key = DeviceKey.generate()
        var logger = Logger(label: "test.export")
        logger.logLevel = .error
        let log = try EventLog(
            configuration: EventLogConfiguration(stateDirectory: directory, checkpointEvery: checkpointEvery),
            key: key, logger: logger)
        for i in 0..<events {
            let blob = EvidenceBlob(data: (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) })
            let evidence = evidenceAt.contains(i) ? [blob] : []
            try log.emit(camera: "c", type: "frame.stats", body: ["i": .int(Int64(i))], evidence: evidence)
        }
        var lines: [String] = []
        var notes: [String] = []
        var sent: Set<String> = []
        for event in try log.spool.allEvents() {
            for sha in event.evidence where !sent.contains(sha) {
                guard let blob = try log.spool.blob(sha256: sha), let data = blob.data else { continue }
                lines.append(
                    "{\"blob\":\"\(sha)\",\"media_type\":\"\(blob.mediaType)\",\"data\":\"\(Encoding.base64(data))\"}")
                sent.insert(sha)
            }
            let line = String(decoding: event.line, as: UTF8.self)
            lines.append(line)
            if let parsed = try? Event(json: JSONParser.parse(event.line)), parsed.type == Checkpoint.eventType,
               case .string(let note)? = parsed.body["note"] {
                notes.append(note)
            }
        }
        self.lines = lines
        checkpointNotes = notes
    }

    /// The export's bytes: the lines, each ending in a newline.
    public var bytes: [UInt8] { Array(lines.map { $0 + "\n" }.joined().utf8) }

    /// Indices of the event lines (not evidence records).
    public var eventLines: [Int] { lines.indices.filter { !lines[$0].hasPrefix("{\"blob\":") } }

    /// The export without its evidence records.
    public var withoutEvidence: ExportFixture {
        var copy = self
        copy.lines = lines.filter { !$0.hasPrefix("{\"blob\":") }
        return copy
    }

    /// The export cut after its first `events` event lines (and the evidence records before them).
    public func truncated(toEvents events: Int) -> ExportFixture {
        var copy = self
        let cut = eventLines[events - 1]
        copy.lines = Array(lines[...cut])
        return copy
    }
}
