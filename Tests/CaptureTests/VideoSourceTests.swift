import Capture
import Foundation
import SightlineCore
import SightlineTestKit
import Testing

/// `video:` files encoded at test time by Debian's ffmpeg, read through FFmpeg's libraries and compared with
/// what ffprobe and ffmpeg (the reference) say: frame count, size, pts and, at full size, the luma itself.
@Suite(.enabled(if: RequiredFixtures.programs(FFmpeg.path != nil), "ffmpeg is not installed"))
struct VideoSourceTests {
    /// 20 frames at 10 fps of a moving pattern (B-frames need motion to be worth anything to x264).
    static func testsrc(_ size: String = "320x240", frames: Int = 20, rate: Int = 10) -> [String] {
        ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)", "-frames:v", "\(frames)"]
    }

    static let x264 = ["-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-pix_fmt", "yuv420p"]

    static func read(_ spec: String, options: SourceOptions = SourceOptions(pacing: .asFastAsPossible))
        throws -> (frames: [CapturedFrame], source: VideoSource)
    {
        let source = try #require(try SourceFactory.make(spec, options: options) as? VideoSource)
        return (try FootageSourceTests.drain(source), source)
    }

    static func pictures(_ frames: [CapturedFrame]) -> [DecodedPicture] {
        frames.compactMap { if case .decoded(let picture) = $0.payload { picture } else { nil } }
    }

    /// Count, size, seq and pts (from the first frame) against ffprobe; luma against ffmpeg's when `exact`.
    static func check(_ file: String, in dir: TemporaryDirectory, width: Int, height: Int, count: Int,
                      exact: Bool = true) throws {
        let (frames, source) = try read("video:" + dir.path + "/" + file)
        let pictures = pictures(frames)
        #expect(frames.count == count && pictures.count == count, "\(file): \(frames.count) frames")
        #expect(frames.map(\.seq) == (1...UInt64(count)).map { $0 })
        for picture in pictures {
            #expect(picture.gray.width == width && picture.gray.height == height, "\(file)")
            #expect(picture.sourceWidth == width && picture.sourceHeight == height && picture.rgb == nil)
        }
        let reference = try VideoFixtures.framePTS(of: dir.path + "/" + file)
        #expect(reference.count == count, "ffprobe saw \(reference.count) frames in \(file)")
        if let first = reference.first, reference.count == frames.count {
            for (frame, pts) in zip(frames, reference) {
                #expect(abs(frame.pts - (pts - first)) < 1e-6, "\(file): pts \(frame.pts) vs \(pts - first)")
            }
        }
        #expect(source.stats.frames == UInt64(count) && source.stats.corrupt == 0)
        if exact {
            let luma = try VideoFixtures.grayFrames(of: file, in: dir.path)
            let ours = pictures.flatMap(\.gray.pixels)
            // A Bool, so that a failure does not make the test library diff megabytes.
            let same = luma == ours
            #expect(same, "\(file): \(luma.count) bytes of luma from ffmpeg, \(ours.count) from the source")
        }
    }

    @Test func h264MP4WithBFrames() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc() + Self.x264 + ["clip.mp4"], in: dir.path)
        try Self.check("clip.mp4", in: dir, width: 320, height: 240, count: 20)
    }

    /// An interrupt that lands before the open (a stop between `ReconnectingSource`'s check and FFmpeg's open)
    /// ends the open at once: the open used to clear it, and a camera open then waited for its deadline.
    @Test func anInterruptBeforeTheOpenIsNotLost() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc() + Self.x264 + ["clip.mp4"], in: dir.path)
        let source = try #require(try SourceFactory.make("video:" + dir.path + "/clip.mp4",
                                                         options: SourceOptions(pacing: .asFastAsPossible))
                                  as? VideoSource)
        source.interrupt()
        #expect(throws: CaptureError.self) { try source.open() }
        #expect(throws: CaptureError.self) { try source.open() }  // and stays so
    }

    @Test func h265Matroska() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc() + ["-c:v", "libx265", "-x265-params", "log-level=error",
                                                   "-pix_fmt", "yuv420p", "clip.mkv"], in: dir.path)
        try Self.check("clip.mkv", in: dir, width: 320, height: 240, count: 20)
    }

    @Test func h264TransportStreamCountsFromTheFirstFrame() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc() + Self.x264 + ["clip.ts"], in: dir.path)
        // MPEG-TS starts its clock at 1.4 s or so: pts still counts from the first frame.
        try Self.check("clip.ts", in: dir, width: 320, height: 240, count: 20)
        let (frames, _) = try Self.read("video:" + dir.path + "/clip.ts")
        #expect(frames.first?.pts == 0)
    }

    @Test func oddSize() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc("642x362") + ["-c:v", "libx264", "-preset", "veryfast",
                                                            "-pix_fmt", "yuv420p", "odd.mp4"], in: dir.path)
        try Self.check("odd.mp4", in: dir, width: 642, height: 362, count: 20)
    }

    @Test func mpeg4AndMJPEGInAVI() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc() + ["-c:v", "mpeg4", "clip.avi"], in: dir.path)
        try Self.check("clip.avi", in: dir, width: 320, height: 240, count: 20)
        try VideoFixtures.ffmpeg(Self.testsrc() + ["-c:v", "mjpeg", "mjpeg.mkv"], in: dir.path)
        try Self.check("mjpeg.mkv", in: dir, width: 320, height: 240, count: 20)
    }

    @Test func rotatedStreamIsTurnedAsFFmpegTurnsIt() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc() + Self.x264 + ["plain.mp4"], in: dir.path)
        try VideoFixtures.ffmpeg(["-i", "plain.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=90", "rotated.mp4"],
                                 in: dir.path)
        let probe = try VideoProbe(spec: SourceSpec(parsing: "video:" + dir.path + "/rotated.mp4"))
        #expect(probe.streams.first?.rotation == 90 || probe.streams.first?.rotation == 270)
        // ffmpeg autorotates by default: the reference frames are 240×320 too.
        try Self.check("rotated.mp4", in: dir, width: 240, height: 320, count: 20)
    }

    @Test func variableFrameRateKeepsEachFramesTime() throws {
        let dir = try TemporaryDirectory()
        // Ten frames 0.1 s apart (10 fps), then ten 0.04 s apart (25 fps), in one stream.
        try VideoFixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:d=1",
                                  "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:d=0.4",
                                  "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
                                  "-fps_mode", "vfr"] + Self.x264 + ["vfr.mkv"], in: dir.path)
        try Self.check("vfr.mkv", in: dir, width: 320, height: 240, count: 20)
        let (frames, _) = try Self.read("video:" + dir.path + "/vfr.mkv")
        let gaps = zip(frames, frames.dropFirst()).map { ($1.pts - $0.pts) }
        #expect(abs(gaps[0] - 0.1) < 1e-3 && abs(gaps[15] - 0.04) < 1e-3, "gaps \(gaps)")
    }

    @Test func processingWidthScalesOnceWithColourOnRequest() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc("642x362", frames: 5) + Self.x264 + ["odd.mp4"], in: dir.path)
        let (frames, _) = try Self.read("video:" + dir.path + "/odd.mp4",
                                        options: SourceOptions(pacing: .asFastAsPossible, processingWidth: 320,
                                                               color: true))
        let pictures = Self.pictures(frames)
        #expect(pictures.count == 5)
        for picture in pictures {
            #expect(picture.gray.width == 320 && picture.gray.height == 180)  // 362 × 320 / 642 = 180.4
            #expect(picture.rgb?.width == 320 && picture.rgb?.height == 180 && picture.rgb?.channels == 3)
            #expect(picture.sourceWidth == 642 && picture.sourceHeight == 362)
        }
        // The scaled luma is ffmpeg's own: its bilinear scaler, full range (the source scales the Y plane alone).
        let luma = try VideoFixtures.grayFrames(of: "odd.mp4", filters: ["-vf", "scale=320:180:flags=bilinear"],
                                                in: dir.path)
        let same = luma == pictures.flatMap(\.gray.pixels)
        #expect(same, "\(luma.count) bytes of luma from ffmpeg")
        #expect(VideoSource.outputSize(width: 1920, height: 1080, processingWidth: 640) == (640, 360))
        #expect(VideoSource.outputSize(width: 320, height: 240, processingWidth: 640) == (320, 240))
        #expect(VideoSource.outputSize(width: 320, height: 240, processingWidth: 0) == (320, 240))
    }

    @Test func loopKeepsCountingPTS() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(Self.testsrc(frames: 5) + Self.x264 + ["clip.mp4"], in: dir.path)
        let source = try #require(try SourceFactory.make("video:" + dir.path + "/clip.mp4",
                                                         options: SourceOptions(pacing: .asFastAsPossible, loop: true)))
        try source.open()
        var frames: [CapturedFrame] = []
        for _ in 0..<12 { frames.append(try #require(try source.next())) }
        source.close()
        #expect(frames.map(\.seq) == (1...12).map { UInt64($0) })
        for (i, frame) in frames.enumerated() { #expect(abs(frame.pts - Double(i) * 0.1) < 1e-6, "\(frame.pts)") }
    }
}
