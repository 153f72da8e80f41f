import Foundation

/// ffmpeg as a reference implementation in tests: tests that need it are skipped, with this reason,
/// when it is not installed (`make test` installs it).
public enum FFmpeg {
    /// Path of the ffmpeg executable on PATH, nil when it is not installed.
    public static let path: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        .split(separator: ":").map { $0 + "/ffmpeg" }.first { FileManager.default.isExecutableFile(atPath: $0) }


    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Converts one raw frame with ffmpeg's own converter (swscale): `input` in `inputFormat` of
    /// `width`×`height` to `outputFormat` (ffmpeg pixel format names), with extra `arguments` before
    /// the output (e.g. `-sws_flags`, `-vf`).
    public static func convertRaw(_ input: [UInt8], inputFormat: String, width: Int, height: Int,
                                  outputFormat: String, arguments: [String] = []) throws -> [UInt8] {
        guard let path else { throw Failure(description: "ffmpeg is not installed") }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sightline-ffmpeg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("in.raw"), target = directory.appendingPathComponent("out.raw")
        try Data(input).write(to: source)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", inputFormat,
                             "-s", "\(width)x\(height)", "-i", source.path] + arguments
            + ["-f", "rawvideo", "-pix_fmt", outputFormat, target.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "ffmpeg \(process.arguments!.joined(separator: " ")) failed")
        }
        return [UInt8](try Data(contentsOf: target))
    }
}
