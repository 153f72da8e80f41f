import Capture
import Foundation
import Imaging
import SightlineCore
import SightlineTestKit
import Testing

/// One luma convention whatever the container: a stage sees full-range luma from a Y4M file (video levels,
/// expanded by `RawConversion`) exactly as from the same file read through FFmpeg (`video:`, expanded by swscale),
/// and ffmpeg's own range expansion is the reference for `VideoLevels`.
@Suite(.enabled(if: RequiredFixtures.programs(FFmpeg.path != nil), "ffmpeg is not installed"))
struct LumaLevelsTests {
    /// Every video-levels value through ffmpeg's `scale=in_range=tv:out_range=pc`, against `VideoLevels`.
    @Test func theExpansionIsFFmpegs() throws {
        let ramp = (0..<256).map { UInt8($0) } + (0..<256).map { UInt8($0) }
        let chroma = [UInt8](repeating: 128, count: 128 * 2)
        let expanded = try FFmpeg.convertRaw(ramp + chroma, inputFormat: "yuv420p", width: 256, height: 2,
                                             outputFormat: "gray",
                                             arguments: ["-vf", "scale=in_range=tv:out_range=pc"])
        #expect(Array(expanded.prefix(256)) == VideoLevels.fullRangeLuma)
    }

    @Test func aY4MFileAndTheSameFileThroughFFmpegGiveTheSameLuma() throws {
        let dir = try TemporaryDirectory()
        try VideoFixtures.ffmpeg(VideoSourceTests.testsrc(frames: 5) + ["-pix_fmt", "yuv420p", "clip.y4m"],
                                 in: dir.path)
        let decoder = FrameDecoder(camera: "levels")
        let y4m = try FootageSourceTests.drain(Y4MSource(path: dir.path + "/clip.y4m",
                                                         options: .init(pacing: .asFastAsPossible)))
        let fromY4M = try y4m.map { try decoder.decode($0).gray }
        let fromFFmpeg = VideoSourceTests.pictures(try VideoSourceTests.read("video:" + dir.path + "/clip.y4m").frames)
            .map(\.gray)
        #expect(fromY4M.count == 5 && fromFFmpeg.count == 5)
        // A Bool, so that a failure does not make the test library diff the planes.
        let same = fromY4M == fromFFmpeg
        #expect(same, "luma from y4m: and video: differ")
        // And it is expanded: the file's brightest sample (video levels) comes out brighter, its darkest darker.
        guard case .raw(_, let width, let height, let bytes, false) = y4m[0].payload else {
            Issue.record("a y4m frame is not raw video levels")
            return
        }
        let fileLuma = bytes.prefix(width * height)
        #expect(fromY4M[0].pixels.max()! > fileLuma.max()! && fromY4M[0].pixels.min()! < fileLuma.min()!)
    }

    /// A Y4M file that says its samples use the whole range keeps them as they are.
    @Test func aFullRangeY4MPassesThrough() throws {
        let header = Array("YUV4MPEG2 W4 H2 F25:1 Cmono XCOLORRANGE=FULL\nFRAME\n".utf8)
        let luma: [UInt8] = [0, 8, 16, 100, 200, 235, 250, 255]
        var parser = Y4MParser()
        let frame = try #require(try parseAll(&parser, header + luma, chunk: 64).first)
        #expect(frame.payload == .raw(format: .gray, width: 4, height: 2, bytes: luma, fullRange: true))
        let decoded = try FrameDecoder(camera: "levels").decode(
            CapturedFrame(seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0, payload: frame.payload))
        #expect(decoded.gray.pixels == luma)
        // Without the parameter the same samples are video levels, expanded.
        var limited = Y4MParser()
        let plain = try #require(try parseAll(&limited, Array("YUV4MPEG2 W4 H2 F25:1 Cmono\nFRAME\n".utf8) + luma,
                                              chunk: 64).first)
        let expanded = try FrameDecoder(camera: "levels").decode(
            CapturedFrame(seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0, payload: plain.payload))
        #expect(expanded.gray.pixels == [0, 0, 0, 98, 214, 255, 255, 255])
    }
}
