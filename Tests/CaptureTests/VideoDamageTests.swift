import Capture
import Foundation
import SightlineCore
import SightlineTestKit
import Testing

/// Damaged and wrong input through `VideoSource`: each ends in a clear `CaptureError` or in frames counted
/// corrupt, never in a crash. And the hardware-decoding fallback, which is all these machines can show.
@Suite(.enabled(if: RequiredFixtures.programs(FFmpeg.path != nil), "ffmpeg is not installed"))
struct VideoDamageTests {
    /// 100 noisy frames (about 30 KiB each, so that damage lands inside pictures).
    static let noisy = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-frames:v", "100",
                        "-vf", "noise=alls=30:allf=t", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]

    static func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test func garbagePacketsInATransportStreamAreCountedCorrupt() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.noisy + ["clip.ts"], in: dir.path)
        var data = try Self.bytes(dir.path + "/clip.ts")
        var generator = SeededGenerator(seed: 14)
        let packets = data.count / 188
        // Every 50th 188-byte packet of the last two thirds replaced by noise.
        for packet in stride(from: packets / 3, to: packets, by: 50) {
            for i in (packet * 188)..<((packet + 1) * 188) { data[i] = UInt8.random(in: 0...255, using: &generator) }
        }
        let path = try dir.write("garbage.ts", data)
        let (frames, source) = try VideoSourceTests.read("video:" + path)
        #expect(frames.count >= 30 && frames.count < 100, "\(frames.count) frames")
        #expect(source.stats.corrupt > 0)
        #expect(frames.map(\.seq) == (1...UInt64(frames.count)).map { $0 })
    }

    @Test func truncatedTransportStreamEndsEarly() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.noisy + ["clip.ts"], in: dir.path)
        let data = try Self.bytes(dir.path + "/clip.ts")
        let path = try dir.write("cut.ts", Array(data[..<(data.count / 2 + 77)]))
        let (frames, _) = try VideoSourceTests.read("video:" + path)
        #expect(frames.count >= 40 && frames.count < 100, "\(frames.count) frames")
    }

    @Test func mp4CutBeforeItsIndexIsABadFormat() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.noisy + ["clip.mp4"], in: dir.path)
        let data = try Self.bytes(dir.path + "/clip.mp4")
        let path = try dir.write("cut.mp4", Array(data[..<(data.count / 2)]))  // the moov atom is at the end
        #expect {
            _ = try VideoSourceTests.read("video:" + path)
        } throws: { error in
            guard case CaptureError.badFormat(let shown, _) = error else { return false }
            return shown == path
        }
    }

    @Test func fileThatIsNotVideo() throws {
        let dir = try TemporaryDirectory()
        let text = try dir.write("notes.txt", Array("not a video at all\n".utf8))
        #expect(throws: CaptureError.self) { _ = try VideoSourceTests.read("video:" + text) }
        do {
            _ = try VideoSourceTests.read("video:" + text)
        } catch let error as CaptureError {
            #expect(!error.isTransient, "\(error)")
            if case .badFormat = error {} else { Issue.record("expected badFormat, got \(error)") }
        }
        // Audio only: a container FFmpeg reads, without a video stream.
        try VideoFixtures.ffmpeg(["-f", "lavfi", "-i", "sine=duration=1", "tone.mka"], in: dir.path)
        #expect {
            _ = try VideoSourceTests.read("video:" + dir.path + "/tone.mka")
        } throws: { error in
            guard case CaptureError.badFormat(_, let reason) = error else { return false }
            return reason.contains("no video stream")
        }
    }

    @Test func missingFileCannotOpen() throws {
        let dir = try TemporaryDirectory()
        #expect {
            _ = try VideoSourceTests.read("video:" + dir.path + "/absent.mp4")
        } throws: { error in
            guard case CaptureError.cannotOpen = error else { return false }
            return true
        }
    }

    @Test func hardwareDecodingFallsBackToSoftwareWithOneLogLine() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(VideoSourceTests.testsrc(frames: 5) + VideoSourceTests.x264 + ["clip.mp4"],
                                 in: dir.path)
        let logs = LogCapture()
        let spec = try SourceSpec(parsing: "video:" + dir.path + "/clip.mp4")
        for hwaccel in [HardwareDecoding.vaapi, .vaapi, .auto] {
            let source = VideoSource(spec: spec, options: SourceOptions(pacing: .asFastAsPossible,
                                                                        hardwareDecoding: hwaccel),
                                     logger: logs.logger())
            let frames = try FootageSourceTests.drain(source)
            #expect(frames.count == 5)
            // No GPU on these machines: the frames came from the software decoder.
            #expect(source.hardwareDecoder == nil)
        }
        let lines = logs.all.filter { $0.contains("decoding in software") }
        #expect(lines.count == 1, "\(logs.all)")
        #expect(lines.first?.contains("hwaccel=vaapi") == true)
    }

    @Test func probeListsStreams() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-f", "lavfi", "-i",
                                  "sine=duration=2", "-frames:v", "20"] + VideoSourceTests.x264
                                 + ["-c:a", "aac", "av.mp4"], in: dir.path)
        let probe = try VideoProbe(spec: SourceSpec(parsing: "video:" + dir.path + "/av.mp4"))
        #expect(probe.streams.map(\.kind) == [.video, .audio])
        let video = try #require(probe.streams.first)
        #expect(video.codec == "h264" && video.width == 320 && video.height == 240)
        #expect(video.framesPerSecond == 10)
        #expect(abs((probe.duration ?? 0) - 2) < 0.1)
        #expect(probe.description.contains("video h264 320x240 10 fps"))
    }
}
