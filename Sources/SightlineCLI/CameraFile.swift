import Foundation
import Traffic
import Yams

/// A single-camera file for `replay` and `eval`: one camera entry of the daemon's configuration
/// (the same keys), of which the CLI uses `traffic` and `processing_width`.
struct CameraFile {
    var processingWidth = 640
    var traffic: TrafficConfiguration?

    /// Keys of a daemon camera entry: accepted here, and those the CLI does not use are ignored.
    static let cameraKeys = [
        "id", "source", "width", "height", "fps", "process_fps", "processing_width", "device_timeout",
        "queue_depth", "replay", "loop", "enabled", "traffic", "faces", "events",
    ]

    /// Everything wrong with a camera file, one `FILE:LINE:COLUMN: PATH: MESSAGE` per line.
    struct Problems: Error, CustomStringConvertible {
        var lines: [String]
        var description: String { lines.joined(separator: "\n") }
    }

    static func load(path: String) throws(Problems) -> CameraFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw Problems(lines: ["\(path): cannot read the camera file"])
        }
        return try parse(yaml: text, file: path)
    }

    static func parse(yaml: String, file: String) throws(Problems) -> CameraFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw Problems(lines: ["\(file): \(error)"])
        }
        guard case .mapping(let mapping) = root else {
            throw Problems(lines: ["\(file):1:1: a camera file maps one camera's keys (id, source, traffic…)"
            ])
        }
        var problems: [(line: Int, column: Int, text: String)] = []
        var camera = CameraFile()
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let (line, column) = (keyNode.mark?.line ?? 0, keyNode.mark?.column ?? 0)
            guard cameraKeys.contains(key) else {
                problems.append((line, column, "\(key): unknown key '\(key)'; expected one of: "
                    + cameraKeys.joined(separator: ", ")))
                continue
            }
            guard key == "processing_width" else { continue }
            if value.tag.rawValue == Tag.Name.int.rawValue, let width = value.int,
               width == 0 || (16...8192).contains(width) {
                camera.processingWidth = width
            } else {
                problems.append((value.mark?.line ?? line, value.mark?.column ?? column,
                                 "processing_width: must be 0 (full size) or a width from 16 to 8192"))
            }
        }
        if let node = mapping["traffic"] {
            var reader = TrafficConfigurationReader()
            camera.traffic = reader.read(node, path: "traffic")
            problems += reader.issues.map { ($0.line, $0.column, "\($0.path): \($0.message)") }
        } else {
            problems.append((mapping.mark?.line ?? 1, 1, "traffic: required key 'traffic' is missing"))
        }
        guard problems.isEmpty else {
            let sorted = problems.enumerated().sorted { ($0.element.line, $0.element.column, $0.offset)
                < ($1.element.line, $1.element.column, $1.offset) }
            throw Problems(lines: sorted.map { "\(file):\($0.element.line):\($0.element.column): \($0.element.text)" })
        }
        return camera
    }
}
