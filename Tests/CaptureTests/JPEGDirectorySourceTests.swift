@testable import Capture
import SightlineCore
import SightlineTestKit
import Testing

@Suite struct JPEGDirectorySourceTests {
    @Test func naturalOrder() {
        let names = ["frame10.jpg", "frame2.jpg", "frame1.jpg", "frame010.jpg", "a.jpg", "frame2a.jpg", "Frame3.jpg",
                     "frame99999999999999999999.jpg", "frame100000000000000000000.jpg"]
        #expect(names.sorted(by: NaturalOrder.areInIncreasingOrder) == [
            "Frame3.jpg", "a.jpg", "frame1.jpg", "frame2.jpg", "frame2a.jpg", "frame10.jpg", "frame010.jpg",
            "frame99999999999999999999.jpg", "frame100000000000000000000.jpg",
        ])
        #expect(NaturalOrder.compare(Array("x".utf8), Array("x".utf8)) == 0)
        #expect(NaturalOrder.compare(Array("x1".utf8), Array("x".utf8)) > 0)
    }

    @Test func playsJPEGFilesInNaturalOrderAtGivenRate() throws {
        let jpegs = SyntheticFootage.jpegFrames(count: 12, width: 24, height: 16)
        let dir = try TemporaryDirectory()
        for (i, jpeg) in jpegs.enumerated() { try dir.write("frame\(i).JPG", jpeg) }
        try dir.write("notes.txt", Array("not a frame".utf8))
        try dir.write(".hidden", [1, 2, 3])
        let source = JPEGDirectorySource(path: dir.path, options: SourceOptions(fps: 4, pacing: .asFastAsPossible))
        let frames = try FootageSourceTests.drain(source)
        #expect(frames.map(\.payload) == jpegs.map { .jpeg($0) })
        FootageSourceTests.checkTimeline(frames, fps: 4)
        #expect(source.files.first == "frame0.JPG" && source.files.last == "frame11.JPG")
        #expect(source.stats.frames == 12)
    }

    @Test func loopsAndRejectsEmptyOrMissingDirectories() throws {
        let jpegs = SyntheticFootage.jpegFrames(count: 2, width: 16, height: 16)
        let dir = try TemporaryDirectory()
        try dir.write("b.jpeg", jpegs[1])
        try dir.write("a.jpeg", jpegs[0])
        let source = JPEGDirectorySource(path: dir.path, options: SourceOptions(pacing: .asFastAsPossible, loop: true))
        try source.open()
        var frames: [CapturedFrame] = []
        for _ in 0..<5 { frames.append(try #require(try source.next())) }
        #expect(frames.map(\.payload) == [0, 1, 0, 1, 0].map { .jpeg(jpegs[$0]) })
        FootageSourceTests.checkTimeline(frames, fps: 25)

        let empty = try TemporaryDirectory()
        #expect(throws: CaptureError.badFormat(path: empty.path, reason: "no .jpg or .jpeg files")) {
            try JPEGDirectorySource(path: empty.path).open()
        }
        #expect(throws: CaptureError.self) { try JPEGDirectorySource(path: empty.path + "/nope").open() }
    }
}
