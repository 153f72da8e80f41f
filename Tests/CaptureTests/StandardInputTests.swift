import Capture
import Foundation
import SightlineCore
import SightlineTestKit
import Testing

/// `y4m:-` and `mjpeg:-` read the process's standard input: the test puts a pipe there (and puts
/// the real one back), with a writer thread so that the stream is larger than the pipe buffer.
@Suite(.serialized) struct StandardInputTests {
    static func withStandardInput<R>(fed bytes: [UInt8], _ body: () throws -> R) throws -> R {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)  // no child process (ffmpeg tests) keeps the write end open
        let saved = dup(STDIN_FILENO)
        #expect(dup2(fds[0], STDIN_FILENO) == STDIN_FILENO)
        close(fds[0])
        let writeEnd = fds[1]
        let writer = Thread {
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(writeEnd, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(writeEnd)
        }
        writer.start()
        defer {
            dup2(saved, STDIN_FILENO)
            close(saved)
        }
        return try body()
    }

    @Test func y4mAndMJPEGFromAPipe() throws {
        let writer = Y4MWriter(width: 64, height: 48, rate: (25, 1))
        let planes = (0..<40).map { writer.planes(index: $0) }  // 180 KiB, more than a pipe holds
        let y4m = try Self.withStandardInput(fed: writer.stream(planes)) {
            try FootageSourceTests.drain(SourceFactory.make("y4m:-", options: FootageSourceTests.fast))
        }
        #expect(y4m.map(\.payload) == planes.map { .raw(format: .i420, width: 64, height: 48, bytes: $0) })
        FootageSourceTests.checkTimeline(y4m, fps: 25)

        let jpegs = SyntheticFootage.jpegFrames(count: 30, width: 160, height: 120)
        let mjpeg = try Self.withStandardInput(fed: MJPEGWriter.stream(jpegs)) {
            try FootageSourceTests.drain(SourceFactory.make("mjpeg:-", options: FootageSourceTests.fast))
        }
        #expect(mjpeg.map(\.payload) == jpegs.map { .jpeg($0) })
    }
}
