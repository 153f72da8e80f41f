import Foundation

/// A scene on disk: `scene.y4m`, `truth.json` and `camera.yaml` in one directory.
public enum SceneFiles {
    public static let footage = "scene.y4m"
    public static let truth = "truth.json"
    public static let camera = "camera.yaml"

    /// Renders `spec` into `directory` (created if needed) and returns its truth.
    @discardableResult
    public static func write(_ spec: SceneSpec, to directory: String) throws -> SceneTruth {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let writer = try Y4MWriter(path: "\(directory)/\(footage)", width: SceneLayout.width,
                                   height: SceneLayout.height, fps: spec.fps)
        var scene = SyntheticScene(spec: spec)
        while let frame = scene.next() {
            try writer.write(rgb: frame.rgb, luma: frame.luma)
        }
        try writer.close()
        let truth = scene.truth
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(truth).write(to: URL(fileURLWithPath: "\(directory)/\(Self.truth)"))
        let yaml = SceneLayout.cameraYAML(for: spec, source: "y4m:\(footage)")
        try Data(yaml.utf8)
            .write(to: URL(fileURLWithPath: "\(directory)/\(camera)"))
        return truth
    }

    /// Reads a scene's truth.
    /// A crossing's box that is not four finite numbers within a million pixels of the origin, left of right and above
    /// bottom is refused with `SceneFileError` (the scoring and its messages index and convert them), as is an `occluded`
    /// share outside 0…1.
    public static func readTruth(in directory: String) throws -> SceneTruth {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(truth)"))
        let truth = try JSONDecoder().decode(SceneTruth.self, from: data)
        for crossing in truth.crossings {
            let b = crossing.box
            guard b.count == 4, b.allSatisfy({ $0.isFinite && abs($0) <= 1e6 }), b[0] < b[2], b[1] < b[3] else {
                throw SceneFileError(description: "\(directory)/\(truth): vehicle \(crossing.vehicle)'s crossing at frame "
                    + "\(crossing.frame) has box \(b): not [left, top, right, bottom] within a million pixels")
            }
            if let cover = crossing.occluded, !(cover >= 0 && cover <= 1) {
                throw SceneFileError(description: "\(directory)/\(truth): vehicle \(crossing.vehicle)'s crossing at frame "
                    + "\(crossing.frame) has occluded \(cover): not a share from 0 to 1")
            }
        }
        return truth
    }

    /// The scene directories among `paths`: each path that holds a truth.json, else its subdirectories
    /// that do, in name order.
    public static func sceneDirectories(_ paths: [String]) -> [String] {
        var scenes: [String] = []
        let fm = FileManager.default
        for path in paths {
            if fm.fileExists(atPath: "\(path)/\(truth)") {
                scenes.append(path)
            } else if let entries = try? fm.contentsOfDirectory(atPath: path) {
                scenes += entries.sorted().map { "\(path)/\($0)" }.filter { fm.fileExists(atPath: "\($0)/\(truth)") }
            }
        }
        return scenes
    }
}

/// A scene file that cannot be used as it is.
public struct SceneFileError: Error, CustomStringConvertible, Equatable {
    public var description: String
}
