import ArgumentParser
import Foundation
import SightlineCore

/// `sightline replay SOURCE --camera-config FILE`: a camera's stages over recorded footage.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run a camera's stages over recorded footage as fast as possible; one JSON line per detection.")

    @Argument(help: "Footage: y4m:PATH, mjpeg:PATH, or a path ending in .y4m or .mjpeg.")
    var source: String

    @Option(name: .customLong("camera-config"),
            help: "A single-camera YAML file (the keys of one daemon camera entry).")
    var cameraConfig: String

    @Option(name: .customLong("events-out"), help: "Also write the detections to this JSON-lines file.")
    var eventsOut: String?

    @Option(help: "Frame rate of mjpeg footage, which does not record one.")
    var fps = 15.0

    @Flag(help: "Print the signal and the tracks of every frame on standard error.")
    var trace = false

    @Flag(help: "Print a JSON summary at the end instead of a line of text.")
    var json = false

    func run() throws {
        let camera: CameraFile
        do { camera = try CameraFile.load(path: cameraConfig) } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out: FileHandle?
        if let eventsOut {
            guard FileManager.default.createFile(atPath: eventsOut, contents: nil) else {
                throw ValidationError("cannot create \(eventsOut)")
            }
            out = try FileHandle(forWritingTo: URL(fileURLWithPath: eventsOut))
        }
        let replay = TrafficReplay(camera: camera, cameraID: "replay", trace: trace)
        let result = try replay.run(FootageFile(spec: source, mjpegFPS: fps)) {
            detection in
            let record: [String: JSONValue] = ["type": .string(detection.type.rawValue), "body": .object(detection.body)]
            guard var line = try? encoder.encode(record) else { return }
            line.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(line)
            out?.write(line)
        }
        try out?.close()
        let crossings = result.detections.filter { $0.type == .trafficRedLightCrossing }.count
        let summary = String(format: "%d frames %dx%d, %d detections (%d red-light crossings); traffic stage %.0f fps, "
            + "decode+stage %.0f fps (thread CPU)", result.frames, result.width, result.height,
            result.detections.count, crossings, result.stageFPS, result.totalFPS)
        if json {
            let record: [String: JSONValue] = [
                "summary": .object(["frames": .int(Int64(result.frames)),
                                    "detections": .int(Int64(result.detections.count)),
                                    "crossings": .int(Int64(crossings)), "stage_fps": .double(result.stageFPS),
                                    "total_fps": .double(result.totalFPS)]),
            ]
            var line = try encoder.encode(record)
            line.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(line)
        } else {
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
    }
}
