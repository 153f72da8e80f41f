import SightlineConfig
import Traffic

/// A single-camera file for `replay` and `eval`: one camera entry of the daemon's configuration, read by the
/// daemon's own loader (same keys, same checks, same messages); the footage is named on the command line.
struct CameraFile {
    var camera: CameraConfiguration

    var processingWidth: Int { camera.processingWidth }
    var traffic: TrafficConfiguration? { camera.traffic }

    /// Everything wrong with a camera file, one `FILE:LINE:COLUMN: PATH: MESSAGE` per line.
    struct Problems: Error, CustomStringConvertible {
        var lines: [String]
        var description: String { lines.joined(separator: "\n") }
    }

    /// Reads the file; `traffic` is required (the commands evaluate the red-light stage).
    static func load(path: String) throws(Problems) -> CameraFile {
        let camera: CameraConfiguration
        do {
            camera = try ConfigLoader.loadCamera(path: path)
        } catch {
            throw Problems(lines: error.issues.map(\.description))
        }
        guard camera.traffic != nil else {
            throw Problems(lines: ["\(path):1:1: traffic: required key 'traffic' is missing"])
        }
        return CameraFile(camera: camera)
    }
}
