import Capture
import Foundation

/// A fresh directory under the system temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "sightline-capture-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` inside the directory and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }
}

/// Feeds `bytes` to a parser in pieces of `chunk` bytes, collecting every frame, then finishes.
func parseAll<P: FootageParser>(_ parser: inout P, _ bytes: [UInt8], chunk: Int) throws -> [FootageFrame] {
    var frames: [FootageFrame] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + chunk, bytes.count)
        parser.append(Array(bytes[offset..<end]))
        offset = end
        while let f = try parser.nextFrame() { frames.append(f) }
    }
    parser.finish()
    while let f = try parser.nextFrame() { frames.append(f) }
    return frames
}

/// Equality of byte arrays as a Bool, so that a failing expectation does not print megabytes.
func same(_ a: [[UInt8]], _ b: [[UInt8]]) -> Bool { a == b }
