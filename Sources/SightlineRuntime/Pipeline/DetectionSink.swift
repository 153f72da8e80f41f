import Crypto
import EventLog
import Foundation
import Logging
import SightlineCore
import Synchronization

/// Where detections go besides the signed event log: the debug log, and optionally a file of JSON lines
/// (`--detections FILE`, one object per detection, flushed per line so a crash loses nothing written).
///
/// A `face.match` that carries its evidence image has it kept as `FILE.evidence/SHA256.jpg` beside the file;
/// without a detections file nothing is kept. Thread-safe.
final class DetectionSink: Sendable {
    private struct Output {
        var handle: FileHandle?
        let encoder: JSONEncoder
    }

    private let output: Mutex<Output>
    private let path: String?
    private let logger: Logger

    init(path: String?, logger: Logger) throws {
        self.logger = logger
        self.path = path
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let path else {
            output = Mutex(Output(handle: nil, encoder: encoder))
            return
        }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        output = Mutex(Output(handle: handle, encoder: encoder))
    }

    func write(_ detection: Detection) {
        logger.debug("detection", metadata: ["camera": "\(detection.camera)", "type": "\(detection.type)",
                                             "seq": "\(detection.frameSeq)"])
        guard path != nil else { return }
        if detection.type == .faceMatch {
            for image in detection.evidence.images { keep(image) }
        }
        var record: [String: JSONValue] = [
            "type": .string(detection.type.rawValue), "camera": .string(detection.camera),
            "frame_seq": .int(Int64(detection.frameSeq)), "time_ns": .int(detection.wallNanos),
            "body": .object(detection.body),
        ]
        if let pts = detection.pts, pts.isFinite { record["pts"] = .double((pts * 1e6).rounded() / 1e6) }
        output.withLock { output in
            guard let handle = output.handle, var line = try? output.encoder.encode(record) else { return }
            line.append(UInt8(ascii: "\n"))
            do { try handle.write(contentsOf: line) } catch {
                logger.error("cannot write detection", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Keeps an evidence JPEG (already redacted) as `DETECTIONS.evidence/SHA256.jpg`.
    private func keep(_ jpeg: [UInt8]) {
        guard let path else { return }
        let directory = path + ".evidence"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let name = Encoding.hex(SHA256.hash(data: jpeg))
            try Data(jpeg).write(to: URL(fileURLWithPath: "\(directory)/\(name).jpg"), options: .atomic)
        } catch {
            logger.error("cannot keep face match evidence", metadata: ["error": "\(error)"])
        }
    }

    func close() {
        output.withLock { output in
            try? output.handle?.synchronize()
            try? output.handle?.close()
            output.handle = nil
        }
    }
}
