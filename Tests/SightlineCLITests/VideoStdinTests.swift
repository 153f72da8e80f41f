import Foundation
import SightlineTestKit
import Testing

/// `video:-`: a stream read from standard input, through the built `sightline frames` (a process of its own,
/// since the test's own standard input is not ours to give).
@Suite struct VideoStdinTests {
    /// Runs `sightline ARGUMENTS` with `input` on standard input.
    static func sightline(_ arguments: [String], stdin input: String) throws -> GalleryCommandTests.Result {
        let process = Process()
        process.executableURL = GalleryCommandTests.binary
        process.arguments = arguments
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                     stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test(.enabled(if: RequiredFixtures.programs(VideoFixtures.ffprobePath != nil), "ffmpeg is not installed"))
    func aTransportStreamOnStandardInputIsReadFrameForFrame() throws {
        let dir = NSTemporaryDirectory() + "sightline-stdin-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // H.264 with B-frames in MPEG-TS (a format that streams: MP4 needs to seek for its index).
        try VideoFixtures.ffmpeg(
            ["-f", "lavfi", "-i", "testsrc=size=176x144:rate=25", "-frames:v", "37", "-c:v", "libx264", "-bf", "2",
             "-f", "mpegts", "clip.ts"], in: dir)
        let expected = try VideoFixtures.framePTS(of: dir + "/clip.ts")
        #expect(expected.count == 37)
        let run = try Self.sightline(["frames", "video:-", "--json"], stdin: dir + "/clip.ts")
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let frames = lines.filter { $0["seq"] != nil }
        #expect(frames.count == 37)
        #expect(frames.allSatisfy { $0["width"] as? Int == 176 && $0["height"] as? Int == 144 })
        // pts counted from the first frame, as ffprobe's times less the first.
        let pts = frames.compactMap { $0["pts"] as? Double }
        let reference = expected.map { $0 - (expected.first ?? 0) }
        #expect(pts.count == reference.count)
        for (ours, theirs) in zip(pts, reference) { #expect(abs(ours - theirs) < 1e-6, "pts \(ours) vs \(theirs)") }
        let summary = lines.last?["summary"] as? [String: Any]
        #expect(summary?["frames"] as? Int == 37 && summary?["corrupt"] as? Int == 0)

        // A stream cut inside its headers is a clear error, not a crash.
        let cut = dir + "/cut.ts"
        try Data(try Data(contentsOf: URL(fileURLWithPath: dir + "/clip.ts")).prefix(300)).write(to: URL(fileURLWithPath: cut))
        let broken = try Self.sightline(["frames", "video:-"], stdin: cut)
        #expect(broken.status == 1, "\(broken.stderr)")
        #expect(broken.stderr.contains("is not readable"), "\(broken.stderr)")
    }

    /// A one-second 64×64 H.264 stream whose parameter sets declare `size` × `size` (Tools/h264-declare-size).
    static func streamDeclaring(size: Int, as output: String, in dir: String) throws {
        try VideoFixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x64:rate=25", "-t", "1", "-c:v", "libx264",
                                  "-profile:v", "baseline", "-pix_fmt", "yuv420p", "small.h264"], in: dir)
        let patch = Process()
        patch.executableURL = URL(fileURLWithPath: CLIFixtures.top.path + "/Tools/h264-declare-size")
        patch.arguments = [dir + "/small.h264", "\(size)", "\(size)", output]
        try patch.run()
        patch.waitUntilExit()
        #expect(patch.terminationStatus == 0)
    }

    /// A tiny H.264 stream that declares a 16000×16000 picture is refused before anything that size is allocated:
    /// FFmpeg's stream probe decodes under the same picture cap (the attack re-run: 2.3 GB and 12 s first). The
    /// peak memory of the `sightline frames` process is read by python's `getrusage` on its one child.
    @Test(.enabled(if: RequiredFixtures.programs(VideoFixtures.ffprobePath != nil), "ffmpeg is not installed"))
    func aStreamDeclaringAHugePictureIsRefusedCheaply() throws {
        let dir = NSTemporaryDirectory() + "sightline-huge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.streamDeclaring(size: 16000, as: dir + "/huge.h264", in: dir)
        let measure = """
        import resource, subprocess, sys
        run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
        print(run.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        print(run.stderr)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", measure, GalleryCommandTests.binary.path, "frames", "video:" + dir + "/huge.h264",
                             "--count", "1"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let first = output.split(separator: "\n").first?.split(separator: " ").compactMap { Int($0) } ?? []
        #expect(first.count == 2 && first[0] != 0, "\(output)")
        #expect(output.contains("declares a picture larger than allowed"), "\(output)")
        let peakKB = first.count == 2 ? first[1] : Int.max
        #expect(peakKB < 600_000, "peak \(peakKB) KB")
    }

    /// A file declaring a picture so large that FFmpeg cannot even read its size (30000×30000, over FFmpeg's own
    /// limit): `probe` listed it as a 0x0 stream and exited 0, `frames` counted every frame corrupt and exited 0,
    /// and a Y4M file said "Device or resource busy" (the errno FFmpeg's demuxer returns). Each now fails with
    /// FFmpeg's own reason.
    @Test(.enabled(if: RequiredFixtures.programs(VideoFixtures.ffprobePath != nil), "ffmpeg is not installed"))
    func aPictureTooLargeForFFmpegToSizeIsAClearFailure() throws {
        let dir = NSTemporaryDirectory() + "sightline-unsized-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.streamDeclaring(size: 30000, as: dir + "/huge.h264", in: dir)

        let probe = try GalleryCommandTests.sightline(["probe", "video:" + dir + "/huge.h264"])
        #expect(probe.status == 1, "\(probe.stdout) \(probe.stderr)")
        #expect(probe.stdout.contains("size unknown") && !probe.stdout.contains("0x0"), "\(probe.stdout)")
        #expect(probe.stderr.contains("Picture size 30000x30000"), "\(probe.stderr)")
        let json = try GalleryCommandTests.sightline(["probe", "--json", "video:" + dir + "/huge.h264"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["note"] as? String)?.contains("Picture size 30000x30000") == true, "\(json.stdout)")

        let frames = try GalleryCommandTests.sightline(["frames", "video:" + dir + "/huge.h264"])
        #expect(frames.status == 1, "\(frames.stdout) \(frames.stderr)")
        #expect(frames.stderr.contains("first frames do not decode: Picture size 30000x30000"), "\(frames.stderr)")

        var y4m = Data("YUV4MPEG2 W30000 H30000 F25:1 Ip A1:1 C420jpeg\nFRAME\n".utf8)
        y4m.append(Data(repeating: 0x80, count: 4096))
        try y4m.write(to: URL(fileURLWithPath: dir + "/huge.y4m"))
        let y4mRun = try GalleryCommandTests.sightline(["frames", "video:" + dir + "/huge.y4m"])
        #expect(y4mRun.status == 1, "\(y4mRun.stderr)")
        #expect(y4mRun.stderr.contains("Picture size 30000x30000"), "\(y4mRun.stderr)")
        #expect(!y4mRun.stderr.contains("busy"), "\(y4mRun.stderr)")
    }

    /// `--transport udp` on an rtsps:// URL is refused as the camera file refuses it (it was silently ignored).
    @Test func udpIsRefusedForAnRTSPSCamera() throws {
        for command in ["frames", "probe"] {
            let run = try GalleryCommandTests.sightline([command, "rtsps://127.0.0.1:9/live", "--transport", "udp"])
            #expect(run.status == 64, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("in the clear"), "\(command): \(run.stderr)")
        }
    }
}
