import Capture
import Foundation
import Imaging
import SightlineCore
import Testing

/// Path of the ffmpeg executable on PATH, nil when it is not installed.
let ffmpegPath: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    .split(separator: ":").map { $0 + "/ffmpeg" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// Files written by ffmpeg, read by our sources and compared with what ffmpeg itself extracts
/// from them (its demuxers are the reference). Skipped when ffmpeg is not installed.
@Suite(.enabled(if: ffmpegPath != nil, "ffmpeg is not installed"))
struct FFmpegFootageTests {
    static let testsrc = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-frames", "20"]

    static func run(_ arguments: [String], in dir: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpegPath!)
        process.arguments = ["-nostdin", "-v", "error", "-y"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "ffmpeg \(arguments.joined(separator: " ")) failed")
    }

    static func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// The packets ffmpeg demuxes from `file`, written one per file by `-c copy -f image2`.
    static func referencePackets(of file: String, in dir: String) throws -> [[UInt8]] {
        try run(["-i", file, "-c", "copy", "-f", "image2", "ref-\(file)-%03d.jpg"], in: dir)
        return try (1...20).map { try read(dir + "/ref-\(file)-" + String(format: "%03d", $0) + ".jpg") }
    }

    static func checkDecodes(_ frames: [CapturedFrame]) throws {
        let decoder = FrameDecoder(camera: "ffmpeg")
        for frame in frames {
            let decoded = try decoder.decode(frame)
            #expect(decoded.sourceWidth == 320 && decoded.sourceHeight == 240)
        }
    }

    @Test func rawMJPEG() throws {
        let dir = try TemporaryDirectory()
        try Self.run(Self.testsrc + ["-f", "mjpeg", "out.mjpeg"], in: dir.path)
        let source = try SourceFactory.make("mjpeg:" + dir.path + "/out.mjpeg",
                                            options: .init(fps: 10, pacing: .asFastAsPossible))
        let frames = try FootageSourceTests.drain(source)
        let reference = try Self.referencePackets(of: "out.mjpeg", in: dir.path)
        #expect(frames.map(\.payload) == reference.map { .jpeg($0) })
        FootageSourceTests.checkTimeline(frames, fps: 10)
        try Self.checkDecodes(frames)
    }

    @Test func avi() throws {
        let dir = try TemporaryDirectory()
        try Self.run(Self.testsrc + ["-c:v", "mjpeg", "out.avi"], in: dir.path)
        let source = AVISource(path: dir.path + "/out.avi", options: .init(pacing: .asFastAsPossible))
        let frames = try FootageSourceTests.drain(source)
        let reference = try Self.referencePackets(of: "out.avi", in: dir.path)
        #expect(frames.map(\.payload) == reference.map { .jpeg($0) })
        FootageSourceTests.checkTimeline(frames, fps: 10)  // from the file's strh, not the default 25
        #expect(source.stats.corrupt == 0 && source.stats.skippedBytes == 0)
        try Self.checkDecodes(frames)
    }

    @Test func y4m() throws {
        let dir = try TemporaryDirectory()
        try Self.run(Self.testsrc + ["-pix_fmt", "yuv420p", "out.y4m"], in: dir.path)
        try Self.run(["-i", "out.y4m", "-f", "rawvideo", "-pix_fmt", "yuv420p", "ref.yuv"], in: dir.path)
        let raw = try Self.read(dir.path + "/ref.yuv")
        let size = 320 * 240 * 3 / 2
        #expect(raw.count == 20 * size)
        let frames = try FootageSourceTests.drain(Y4MSource(path: dir.path + "/out.y4m",
                                                            options: .init(pacing: .asFastAsPossible)))
        #expect(frames.map(\.payload) == (0..<20).map {
            .raw(format: .i420, width: 320, height: 240, bytes: Array(raw[($0 * size)..<(($0 + 1) * size)]))
        })
        FootageSourceTests.checkTimeline(frames, fps: 10)
        try Self.checkDecodes(frames)
    }
}
