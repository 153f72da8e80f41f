import Foundation
import Logging
import SightlineCore

/// Where detections go until the signed event log exists: the debug log, and optionally a file
/// of JSON lines (one object per detection, flushed per line so a crash loses nothing written).
final class DetectionSink: @unchecked Sendable {
    private let handle: FileHandle?
    private let path: String?
    private let lock = NSLock()
    private let logger: Logger
    private let encoder: JSONEncoder

    init(path: String?, logger: Logger) throws {
        self.logger = logger
        self.path = path
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let path else {
            handle = nil
            return
        }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        self.handle = handle
    }

    func write(_ detection: Detection) {
        logger.debug("detection", metadata: ["camera": "\(detection.camera)", "type": "\(detection.type)",
                                             "seq": "\(detection.frameSeq)"])
        guard let handle else { return }
        let record: [String: JSONValue] = [
            "type": .string(detection.type.rawValue), "camera": .string(detection.camera),
            "frame_seq": .int(Int64(detection.frameSeq)), "time_ns": .int(detection.wallNanos),
            "body": .object(detection.body),
        ]
        guard var line = try? encoder.encode(record) else { return }
        line.append(UInt8(ascii: "\n"))
        lock.lock()
        defer { lock.unlock() }
        do { try handle.write(contentsOf: line) } catch {
            logger.error("cannot write detection", metadata: ["error": "\(error)"])
        }
    }

    /// Keeps a `face.match` evidence JPEG (already redacted) as `DETECTIONS.evidence/SHA256.jpg`, beside the
    /// detections file its detection is written to; without a detections file it is not kept.
    func keep(_ evidence: FaceMatchEvidence) {
        guard let path else { return }
        let directory = path + ".evidence"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try Data(evidence.jpeg).write(to: URL(fileURLWithPath: "\(directory)/\(evidence.sha256).jpg"),
                                          options: .atomic)
        } catch {
            logger.error("cannot keep face match evidence", metadata: ["error": "\(error)"])
        }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        try? handle?.synchronize()
        try? handle?.close()
    }
}
