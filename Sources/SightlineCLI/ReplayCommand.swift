import ArgumentParser
import Foundation
import Imaging
import SightlineCore
import SightlineRuntime
import Synchronization
import Traffic

/// `sightline replay SOURCE --camera-config FILE`: a camera's stages over recorded footage.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run a camera's stages over recorded footage as fast as possible; one JSON line per detection.",
        discussion: """
            The footage goes through the daemon's own pipeline (bounded queue, process_fps, processing_width, \
            the stages in the daemon's order), replayed as fast as it is processed, without dropping frames.
            """)

    @Argument(help: """
        Footage: mjpeg:PATH, avi:PATH, y4m:PATH, jpegdir:DIR, video:PATH (MP4, MKV, MPEG-TS…), or a path \
        ending in .y4m/.mjpeg/.avi/.mp4/.mkv/.ts/.mov/.webm.
        """)
    var source: String

    @Option(name: .customLong("camera-config"),
            help: "A single-camera YAML file (the keys of one daemon camera entry).")
    var cameraConfig: String

    @Option(name: .customLong("events-out"), help: "Also write the detections to this JSON-lines file.")
    var eventsOut: String?

    @Option(help: "Frame rate of mjpeg and jpegdir footage (default: the camera file's fps, else 25).")
    var fps: Double?

    @Flag(help: "Print the signal and the tracks of every frame on standard error.")
    var trace = false

    @Flag(help: "Print a JSON summary at the end instead of a line of text.")
    var json = false

    @Option(help: ArgumentHelp("""
        Write each frame as the traffic stage saw it into DIR as frame-NNNNNNNN.jpg: motion tinted red, stop lines \
        yellow, blobs cyan, tracks green (dim while they coast, white while tentative) with their ids, a reported \
        crossing's track red. The pictures are the footage as it is (privacy_masks applied, faces not blurred): \
        about 40 KB a frame at 640x360. The stage's fps then includes the drawing.
        """, valueName: "DIR"))
    var masks: String?

    @Option(name: .customLong("mask-frames"), help: ArgumentHelp(
        "Only frames FIRST-LAST, or frame N (indices as in --trace, inclusive), for --masks.",
        valueName: "FIRST-LAST"))
    var maskFrames: String?

    func validate() throws {
        if maskFrames != nil, masks == nil { throw ValidationError("--mask-frames needs --masks DIR") }
        if masks?.isEmpty == true { throw ValidationError("--masks needs a directory") }
        if let maskFrames, Self.range(maskFrames) == nil {
            throw ValidationError("--mask-frames: \(maskFrames) is not FIRST-LAST or N (frame indices, FIRST <= LAST)")
        }
    }

    /// `FIRST-LAST` (or `N`, that frame alone) as a closed range of frame indices.
    static func range(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        func index(_ part: Substring) -> Int? { part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) ? Int(part) : nil }
        guard parts.count == 1 || parts.count == 2, let first = index(parts[0]), let last = index(parts[parts.count - 1]),
              first <= last
        else { return nil }
        return first...last
    }

    func run() throws {
        let camera: CameraFile
        do { camera = try CameraFile.load(path: cameraConfig) } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        let footage = try Self.footage(source)
        var replay = FootageReplay(camera: camera.camera, footage: footage, fps: fps)
        if trace {
            replay.trace = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        }
        let writer = try masks.map { try MaskWriter(directory: $0, frames: maskFrames.flatMap(Self.range)) }
        if let writer { replay.inspect = { writer.write($0) } }
        let result: FootageReplay.Result
        do { result = try replay.run() } catch {
            FileHandle.standardError.write(Data("\(source): \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer {
            if let writer, writer.written == 0, writer.failure == nil {
                FileHandle.standardError.write(Data("--masks: no frame written (\(result.frames) frames replayed)\n".utf8))
            }
        }
        // The detections and the summary first: a picture that could not be written loses nothing else.
        try report(result)
        if let failure = writer?.failure {
            FileHandle.standardError.write(Data("--masks: \(failure)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func report(_ result: FootageReplay.Result) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out: FileHandle?
        if let eventsOut {
            guard FileManager.default.createFile(atPath: eventsOut, contents: nil) else {
                throw ValidationError("cannot create \(eventsOut)")
            }
            out = try FileHandle(forWritingTo: URL(fileURLWithPath: eventsOut))
        }
        // The daemon's heartbeat (`frame.stats`) is not what a replay is asked about.
        let detections = result.detections.filter { $0.type != .frameStats }
        for detection in detections {
            let record: [String: JSONValue] = [
                "type": .string(detection.type.rawValue), "body": .object(detection.body),
            ]
            guard var line = try? encoder.encode(record) else { continue }
            line.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(line)
            out?.write(line)
        }
        try out?.close()
        let crossings = detections.filter { $0.type == .trafficRedLightCrossing }.count
        let summary = String(format: "%d frames %dx%d, %d detections (%d red-light crossings); traffic stage %.0f fps, "
            + "decode+stages %.0f fps", result.frames, result.width, result.height,
            detections.count, crossings, result.fps(of: "traffic"), result.totalFPS)
        if json {
            let record: [String: JSONValue] = [
                "summary": .object(["frames": .int(Int64(result.frames)),
                                    "detections": .int(Int64(detections.count)),
                                    "crossings": .int(Int64(crossings)),
                                    "stage_fps": .double(result.fps(of: "traffic")),
                                    "total_fps": .double(result.totalFPS)]),
            ]
            var line = try encoder.encode(record)
            line.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(line)
        } else {
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
    }

    /// `KIND:PATH`, or a bare path named by its suffix (`.y4m`, `.mjpeg`/`.mjpg`, `.avi`; the containers FFmpeg's
    /// libraries read: `.mp4`, `.m4v`, `.mov`, `.mkv`, `.webm`, `.ts`).
    static func footage(_ text: String) throws -> SourceSpec {
        let suffixes: [(String, (String) -> SourceSpec)] = [
            (".y4m", { .y4m(path: $0) }), (".mjpeg", { .mjpeg(path: $0) }), (".mjpg", { .mjpeg(path: $0) }),
            (".avi", { .avi(path: $0) }),
        ] + [".mp4", ".m4v", ".mov", ".mkv", ".webm", ".ts"].map { suffix in (suffix, { .video(path: $0) }) }
        do {
            let spec = try SourceSpec(parsing: text)
            if spec.kind.isLive { throw ValidationError("\(spec): replay reads recorded footage, not a live camera") }
            return spec
        } catch let error as ValidationError {
            throw error
        } catch {
            if let match = suffixes.first(where: { text.lowercased().hasSuffix($0.0) }) { return match.1(text) }
            throw ValidationError("\(CredentialRedaction.redact(text)): \(error)")
        }
    }
}

/// Writes `replay --masks` pictures; the first failure stops the writing and is reported when the run ends.
final class MaskWriter: Sendable {
    let directory: URL
    let frames: ClosedRange<Int>?
    private let state = Mutex<(written: Int, failure: String?)>((0, nil))

    /// Makes the directory and writes (then removes) a file there, so that a directory nothing can be written to is
    /// refused before the run.
    init(directory path: String, frames: ClosedRange<Int>?) throws {
        directory = URL(fileURLWithPath: path, isDirectory: true)
        self.frames = frames
        let probe = directory.appendingPathComponent(".sightline-masks-\(getpid())")
        // Foundation names no reason when a component of the path is a file: find it.
        var existing = directory.standardizedFileURL
        while existing.path != "/", !FileManager.default.fileExists(atPath: existing.path) {
            existing.deleteLastPathComponent()
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: existing.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            FileHandle.standardError.write(Data("--masks: cannot write into \(path): \(existing.path) is a file\n".utf8))
            throw ExitCode(2)
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data().write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            FileHandle.standardError.write(Data("--masks: cannot write into \(path): \(Self.reason(error))\n".utf8))
            throw ExitCode(2)
        }
    }

    var failure: String? { state.withLock { $0.failure } }
    var written: Int { state.withLock { $0.written } }

    func write(_ inspection: TrafficInspection) {
        guard frames?.contains(inspection.frame) ?? true, failure == nil else { return }
        let url = directory.appendingPathComponent(String(format: "frame-%08d.jpg", inspection.frame))
        do {
            try Data(JPEGEncoder.encode(inspection.rendered(), quality: 85)).write(to: url)
            state.withLock { $0.written += 1 }
        } catch {
            let message = "cannot write \(url.path): \(Self.reason(error)) (\(written) pictures written before)"
            state.withLock { $0.failure = $0.failure ?? message }
        }
    }

    /// The system's reason (errno's text) where Foundation wraps one.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }
}
