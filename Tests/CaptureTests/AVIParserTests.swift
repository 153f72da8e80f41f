import Capture
import SightlineCore
import SightlineTestKit
import Testing

@Suite struct AVIParserTests {
    static let jpegs = SyntheticFootage.jpegFrames(count: 5, width: 40, height: 30)

    static func parse(_ bytes: [UInt8], chunk: Int = 4096) throws -> (AVIParser, [FootageFrame]) {
        var parser = AVIParser()
        let frames = try parseAll(&parser, bytes, chunk: chunk)
        return (parser, frames)
    }

    static func jpegData(_ frames: [FootageFrame]) -> [[UInt8]] { MJPEGStreamParserTests.jpegData(frames) }

    @Test(arguments: [1, 9, 4096]) func readsFramesAndRate(chunk: Int) throws {
        let file = AVIWriter(rate: 30000, scale: 1001, width: 40, height: 30).file(frames: Self.jpegs)
        let (parser, frames) = try Self.parse(file, chunk: chunk)
        #expect(same(Self.jpegData(frames), Self.jpegs))
        #expect(frames.map(\.index) == [0, 1, 2, 3, 4])
        #expect(abs(parser.frameRate! - 30000.0 / 1001.0) < 1e-9)
        #expect(parser.width == 40 && parser.height == 30 && parser.videoCodec == "MJPG")
        #expect(parser.corruptFrames == 0 && parser.skippedBytes == 0)
    }

    @Test(arguments: [false, true]) func ignoresInterleavedOddSizedAudio(audioFirst: Bool) throws {
        let writer = AVIWriter(audio: true, audioFirst: audioFirst)
        let (parser, frames) = try Self.parse(writer.file(frames: Self.jpegs), chunk: 100)
        #expect(same(Self.jpegData(frames), Self.jpegs))
        #expect(parser.corruptFrames == 0 && parser.skippedBytes == 0)
    }

    @Test func readsRecListsAndOpenDMLContinuation() throws {
        let writer = AVIWriter(audio: true, recLists: true, openDMLSplit: 2)
        let (parser, frames) = try Self.parse(writer.file(frames: Self.jpegs), chunk: 77)
        #expect(same(Self.jpegData(frames), Self.jpegs))
        #expect(parser.corruptFrames == 0 && parser.skippedBytes == 0)
    }

    @Test func toleratesMissingPadBytes() throws {
        let writer = AVIWriter(audio: true, omitPadding: true)
        let odd = Self.jpegs.map { $0.count % 2 == 0 ? $0 + [0x00] : $0 }  // trailing byte after EOI
        let (parser, frames) = try Self.parse(writer.file(frames: odd), chunk: 50)
        #expect(same(Self.jpegData(frames), odd))
        #expect(parser.corruptFrames == 0 && parser.skippedBytes == 0)
    }

    @Test func emptyVideoChunkIsADroppedFrameSlot() throws {
        let file = AVIWriter().file(frames: [Self.jpegs[0], [], Self.jpegs[1]])
        let (parser, frames) = try Self.parse(file)
        #expect(frames.map(\.index) == [0, 2])
        #expect(parser.corruptFrames == 0)
    }

    @Test func truncatedFinalChunkIsCorrupt() throws {
        let file = AVIWriter(index: false).file(frames: Self.jpegs)
        let (parser, frames) = try Self.parse(Array(file.dropLast(100)))
        #expect(same(Self.jpegData(frames), Array(Self.jpegs.prefix(4))))
        #expect(parser.corruptFrames == 1)
    }

    @Test func bogusChunkSizeCostsOnlyThatFrame() throws {
        var file = AVIWriter().file(frames: Self.jpegs)
        // Make the size of the third video chunk wrong by +37: it no longer lands on a chunk.
        let third = try #require(Self.offsets(of: "00dc", in: file).dropFirst(2).first)
        let size = Int(file[third + 4]) | Int(file[third + 5]) << 8
        file[third + 4] = UInt8((size + 37) & 0xFF)
        file[third + 5] = UInt8((size + 37) >> 8)
        let (parser, frames) = try Self.parse(file, chunk: 64)
        #expect(same(Self.jpegData(frames), [Self.jpegs[0], Self.jpegs[1], Self.jpegs[3], Self.jpegs[4]]))
        #expect(frames.map(\.index) == [0, 1, 2, 3])
        #expect(parser.corruptFrames == 1)
        #expect(parser.skippedBytes == UInt64(8 + Self.jpegs[2].count + Self.jpegs[2].count % 2))
    }

    @Test func hugeChunkSizeAndGarbageAreSkipped() throws {
        var file = AVIWriter().file(frames: Self.jpegs)
        let second = try #require(Self.offsets(of: "00dc", in: file).dropFirst().first)
        for i in 4..<8 { file[second + i] = 0xFF }  // 4 GiB chunk
        let (parser, frames) = try Self.parse(file)
        #expect(same(Self.jpegData(frames), [Self.jpegs[0]] + Array(Self.jpegs[2...])))
        #expect(parser.corruptFrames == 1)
    }

    @Test func rejectsNonAVIAndNonMJPEG() throws {
        #expect(throws: FootageFormatError.self) { try Self.parse(Array("RIFF\0\0\0\0WAVEfmt ".utf8)) }
        #expect(throws: FootageFormatError("video codec 'H264' is not Motion JPEG")) {
            try Self.parse(AVIWriter(codec: "H264").file(frames: Self.jpegs))
        }
        let (_, none) = try Self.parse([])
        #expect(none.isEmpty)
    }

    static func offsets(of id: String, in bytes: [UInt8]) -> [Int] {
        let needle = Array(id.utf8)
        return (0..<(bytes.count - 3)).filter { Array(bytes[$0..<($0 + 4)]) == needle }
    }
}
