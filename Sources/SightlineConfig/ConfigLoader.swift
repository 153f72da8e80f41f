import Foundation
import Yams

/// Reads `sightlined`'s YAML configuration into a validated `DaemonConfiguration`.
///
/// The loader walks the YAML node tree itself (no `Codable`), so each mistake is reported with
/// its key path and the line and column where it was written, and it reports all of them at once:
/// unknown keys (with a "did you mean" suggestion), wrong types, values out of range, missing
/// required keys, duplicate keys and camera ids, bad source specs and a non-loopback metrics
/// address. Only a YAML syntax error ends the walk early, since no tree exists past it.
public enum ConfigLoader {
    /// Reads and parses the file at `path`.
    ///
    /// - Throws: `ConfigError` with every issue found; an unreadable file gives one issue at line 0.
    public static func load(path: String) throws(ConfigError) -> DaemonConfiguration {
        let yaml = try read(path)
        return try parse(yaml: yaml, file: path)
    }

    /// Parses configuration text; `file` names it in issues.
    ///
    /// - Throws: `ConfigError` with every issue found, sorted by line and column.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> DaemonConfiguration {
        let (configuration, issues) = check(yaml: yaml, file: file)
        guard let configuration, issues.isEmpty else {
            throw ConfigError(file: file, issues: issues)
        }
        return configuration
    }

    /// The configuration (nil after a YAML syntax error) and the issues, sorted by position.
    static func check(yaml: String, file: String) -> (DaemonConfiguration?, [ConfigIssue]) {
        var reader = ConfigReader(file: file)
        let (root, composed) = compose(yaml: yaml, reader: &reader)
        let configuration = composed ? reader.readDaemon(root) : nil
        let sorted = reader.issues.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }
        return (configuration, sorted.map(\.element))
    }

    /// Reads a single-camera file: the keys of one `cameras:` entry, checked as the daemon checks them, for the
    /// CLI's `replay` and `eval` (which name the footage themselves, so `id` and `source` may be absent).
    ///
    /// - Throws: `ConfigError` with every issue found, with key paths relative to the camera (`traffic.stop_line`).
    public static func loadCamera(path: String) throws(ConfigError) -> CameraConfiguration {
        try parseCamera(yaml: try read(path), file: path)
    }

    /// Parses a single-camera file's text; `file` names it in issues.
    public static func parseCamera(yaml: String, file: String) throws(ConfigError) -> CameraConfiguration {
        var reader = ConfigReader(file: file)
        let (root, composed) = compose(yaml: yaml, reader: &reader)
        var camera: CameraConfiguration?
        if composed {
            if let root {
                var reserved: [String] = []
                camera = reader.readCamera(root, path: "", reserved: &reserved, standalone: true).camera
            } else {
                reader.report("", line: 1, column: 1,
                              "a camera file maps one camera's keys (traffic, processing_width…)")
            }
        }
        let sorted = reader.issues.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }
        guard let camera, sorted.isEmpty else { throw ConfigError(file: file, issues: sorted.map(\.element)) }
        return camera
    }

    /// Reads a UTF-8 text file, turning each way it can fail into a one-issue `ConfigError`.
    static func read(_ path: String) throws(ConfigError) -> String {
        func failure(_ message: String) -> ConfigError {
            ConfigError(file: path, issues: [ConfigIssue(file: path, path: "", line: 0, column: 0, message: message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw failure("cannot read the configuration: no such file")
        }
        guard !isDirectory.boolValue else {
            throw failure("cannot read the configuration: it is a directory")
        }
        guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path)
        else {
            throw failure("cannot read the configuration: permission denied")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw failure("cannot read the configuration: it is not UTF-8 text")
        }
        return text
    }
}
