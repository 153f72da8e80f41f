import Capture
import Foundation
import SightlineCore
import SightlineTestKit
import Testing

@Suite struct FootageSourceTests {
    static let jpegs = SyntheticFootage.jpegFrames(count: 4, width: 32, height: 24)
    static let fast = SourceOptions(pacing: .asFastAsPossible)

    static func drain(_ source: any FrameSource) throws -> [CapturedFrame] {
        try source.open()
        var out: [CapturedFrame] = []
        while let frame = try source.next() { out.append(frame) }
        source.close()
        return out
    }

    static func checkTimeline(_ frames: [CapturedFrame], fps: Double) {
        #expect(frames.map(\.seq) == frames.indices.map { UInt64($0 + 1) })
        for (i, f) in frames.enumerated() { #expect(abs(f.pts - Double(i) / fps) < 1e-9) }
        for (a, b) in zip(frames, frames.dropFirst()) {
            #expect(a.monotonicNanos <= b.monotonicNanos && a.wallNanos <= b.wallNanos + 1_000_000_000)
        }
    }

    @Test func mjpegFileUsesGivenRate() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("clip.mjpeg", MJPEGWriter.stream(Self.jpegs, junk: { _ in [0, 1, 2] }))
        let source = MJPEGFileSource(path: path, options: SourceOptions(fps: 5, pacing: .asFastAsPossible))
        let frames = try Self.drain(source)
        #expect(frames.map(\.payload) == Self.jpegs.map { .jpeg($0) })
        Self.checkTimeline(frames, fps: 5)
        #expect(source.stats.frames == 4 && source.stats.skippedBytes == 15 && source.stats.corrupt == 0)
        #expect(source.description == "mjpeg:" + path)
    }

    @Test func aviFileUsesItsOwnRate() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("clip.avi", AVIWriter(rate: 15, audio: true).file(frames: Self.jpegs))
        let frames = try Self.drain(AVISource(path: path, options: SourceOptions(fps: 99, pacing: .asFastAsPossible)))
        #expect(frames.map(\.payload) == Self.jpegs.map { .jpeg($0) })
        Self.checkTimeline(frames, fps: 15)
    }

    @Test func largeFileStreamsAcrossManyReads() throws {
        // 300 frames of ~1–2 KiB: several 256 KiB reads, frames straddling read boundaries.
        let many = SyntheticFootage.jpegFrames(count: 60, width: 64, height: 48)
        let all = (0..<5).flatMap { _ in many }
        let dir = try TemporaryDirectory()
        let path = try dir.write("long.mjpeg", MJPEGWriter.stream(all))
        let frames = try Self.drain(MJPEGFileSource(path: path, options: Self.fast))
        #expect(frames.count == 300)
        #expect(frames.map(\.payload) == all.map { .jpeg($0) })
    }

    @Test func loopRestartsAndKeepsCounting() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("clip.avi", AVIWriter(rate: 10).file(frames: Self.jpegs))
        let source = AVISource(path: path, options: SourceOptions(pacing: .asFastAsPossible, loop: true))
        try source.open()
        var frames: [CapturedFrame] = []
        for _ in 0..<10 { frames.append(try #require(try source.next())) }
        source.close()
        #expect(frames.map(\.payload) == (0..<10).map { .jpeg(Self.jpegs[$0 % 4]) })
        Self.checkTimeline(frames, fps: 10)
        #expect(source.stats.frames == 10)
    }

    @Test func realtimePacingHoldsFramesToTheirPTS() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("clip.mjpeg", MJPEGWriter.stream(Self.jpegs))
        let frames = try Self.drain(MJPEGFileSource(path: path, options: SourceOptions(fps: 40, pacing: .realtime)))
        #expect(frames.count == 4)
        // A lower bound only (sleeping never ends early): frame 4 comes at least 75 ms after frame 1.
        #expect(frames[3].monotonicNanos - frames[0].monotonicNanos >= 75_000_000)
    }

    @Test func y4mFileAndErrors() throws {
        let dir = try TemporaryDirectory()
        let writer = Y4MWriter(width: 6, height: 4, rate: (12, 1), colourSpace: "mono")
        let planes = (0..<3).map { writer.planes(index: $0, mono: true) }
        let path = try dir.write("clip.y4m", writer.stream(planes))
        let frames = try Self.drain(Y4MSource(path: path, options: Self.fast))
        #expect(frames.map(\.payload) == planes.map { .raw(format: .gray, width: 6, height: 4, bytes: $0) })
        Self.checkTimeline(frames, fps: 12)

        let bad = try dir.write("bad.y4m", Y4MWriter(width: 4, height: 4, colourSpace: "444").header())
        let source = Y4MSource(path: bad, options: Self.fast)
        try source.open()
        #expect(throws: CaptureError.badFormat(path: bad, reason:
            "colour space C444 is not supported (only 4:2:0 and mono 8-bit)")) { try source.next() }
        #expect(throws: CaptureError.self) { try Y4MSource(path: dir.path + "/missing.y4m").open() }
        #expect(throws: CaptureError.cannotOpen(path: dir.path, reason: "is a directory")) {
            try Y4MSource(path: dir.path).open()
        }
    }
}
