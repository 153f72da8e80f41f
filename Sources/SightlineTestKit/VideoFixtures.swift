import Foundation

extension RequiredFixtures {
    /// `present` (an outside program such as ffmpeg or the GStreamer RTSP server is installed), or true when
    /// `make test` requires every fixture: the test then runs and fails on what is missing instead of skipping.
    public static func programs(_ present: Bool) -> Bool { present || modelsRequired }
}

/// Video files encoded at test time by Debian's `ffmpeg`, and what `ffprobe` and `ffmpeg` (the reference
/// implementations) say about them.
public enum VideoFixtures {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `ffprobe` beside `ffmpeg`.
    public static var ffprobePath: String? {
        guard let ffmpeg = FFmpeg.path else { return nil }
        let path = (ffmpeg as NSString).deletingLastPathComponent + "/ffprobe"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// Runs `ffmpeg -nostdin -v error -y ARGUMENTS` in `directory`.
    public static func ffmpeg(_ arguments: [String], in directory: String) throws {
        guard let path = FFmpeg.path else { throw Failure(description: "ffmpeg is not installed") }
        _ = try run(path, ["-nostdin", "-v", "error", "-y"] + arguments, in: directory)
    }

    /// The presentation times (seconds) of every video frame of `file`, in output order, as ffprobe decodes them.
    public static func framePTS(of file: String) throws -> [Double] {
        guard let path = ffprobePath else { throw Failure(description: "ffprobe is not installed") }
        let output = try run(path, ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                                    "-of", "csv=p=0", file], in: nil)
        return String(decoding: output, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap {
            Double($0.split(separator: ",").first.map(String.init) ?? "")
        }
    }

    /// Every frame of `file` as 8-bit luma (`-pix_fmt gray`, ffmpeg's autorotation applied), with `filters`.
    public static func grayFrames(of file: String, filters: [String] = [], in directory: String) throws -> [UInt8] {
        let out = directory + "/reference-\(UUID().uuidString).gray"
        // passthrough: one output frame per decoded frame, even for a variable frame rate.
        try ffmpeg(["-i", file] + filters + ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", out],
                   in: directory)
        defer { try? FileManager.default.removeItem(atPath: out) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: String?) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) failed")
        }
        return data
    }
}
