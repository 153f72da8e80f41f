import Capture
import SightlineCore
import SightlineTestKit
import Testing

@Suite struct MJPEGStreamParserTests {
    static let jpegs = SyntheticFootage.jpegFrames(count: 6, width: 48, height: 32)

    static func jpegData(_ frames: [FootageFrame]) -> [[UInt8]] {
        frames.map { frame in
            guard case .jpeg(let bytes) = frame.payload else { Issue.record("not a JPEG payload"); return [] }
            return bytes
        }
    }

    @Test(arguments: [1, 7, 64, 100_000]) func splitsBackToBackJPEGsWhateverTheChunking(chunk: Int) throws {
        var parser = MJPEGStreamParser()
        let frames = try parseAll(&parser, MJPEGWriter.stream(Self.jpegs), chunk: chunk)
        #expect(same(Self.jpegData(frames), Self.jpegs))
        #expect(frames.map(\.index) == Array(0..<6))
        #expect(parser.corruptFrames == 0 && parser.skippedBytes == 0)
    }

    @Test func skipsAndCountsJunkBetweenFrames() throws {
        // Junk with 0xFF bytes and a lone FF D9 that must not be taken for a frame.
        let junk: (Int) -> [UInt8] = { i in i % 2 == 0 ? [0x00, 0xFF, 0x12, 0xFF, 0xD9, 0x7F] : [] }
        var parser = MJPEGStreamParser()
        let frames = try parseAll(&parser, MJPEGWriter.stream(Self.jpegs, junk: junk), chunk: 13)
        #expect(same(Self.jpegData(frames), Self.jpegs))
        #expect(parser.skippedBytes == 4 * 6)  // before frames 0, 2, 4 and after the last
        #expect(parser.corruptFrames == 0)
    }

    @Test func newSOIBeforeEOIMeansTheFrameWasCut() throws {
        var stream = Array(Self.jpegs[0].prefix(300))  // cut in the entropy data
        stream += [0xFF, 0xD8]  // a lone SOI (cut right after its marker)
        stream += MJPEGWriter.stream(Array(Self.jpegs[1...]))
        var parser = MJPEGStreamParser()
        let frames = try parseAll(&parser, stream, chunk: 50)
        #expect(same(Self.jpegData(frames), Array(Self.jpegs[1...])))
        #expect(parser.corruptFrames == 2)
    }

    @Test func trailingPartialFrameIsCorrupt() throws {
        let stream = MJPEGWriter.stream(Array(Self.jpegs[0..<2])) + Array(Self.jpegs[2].prefix(100))
        var parser = MJPEGStreamParser()
        let frames = try parseAll(&parser, stream, chunk: 4096)
        #expect(frames.count == 2)
        #expect(parser.corruptFrames == 1)
    }

    @Test func markersInsideAnAPPSegmentDoNotEndTheFrame() throws {
        // An APP1 segment that embeds a whole JPEG (as EXIF thumbnails do), SOI and EOI included.
        let thumb = Self.jpegs[5]
        let length = thumb.count + 2
        let app1: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + thumb
        let outer = [0xFF, 0xD8] + app1 + Array(Self.jpegs[0].dropFirst(2))
        var parser = MJPEGStreamParser()
        let frames = try parseAll(&parser, MJPEGWriter.stream([outer, Self.jpegs[1]]), chunk: 333)
        #expect(same(Self.jpegData(frames), [outer, Self.jpegs[1]]))
        #expect(parser.corruptFrames == 0)
    }

    @Test func garbageWithoutEOIIsBounded() throws {
        // An SOI followed by megabytes without an EOI: the frame is dropped at the limit.
        var parser = MJPEGStreamParser(maxFrameBytes: 64 << 10)
        var garbage: [UInt8] = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02]
        garbage += [UInt8](repeating: 0x41, count: 1 << 20)
        let frames = try parseAll(&parser, garbage + Self.jpegs[0], chunk: 64 << 10)
        #expect(same(Self.jpegData(frames), [Self.jpegs[0]]))
        #expect(parser.corruptFrames == 1)
    }

    @Test func emptyAndJunkOnlyInputs() throws {
        var empty = MJPEGStreamParser()
        #expect(try parseAll(&empty, [], chunk: 1).isEmpty)
        var junk = MJPEGStreamParser()
        #expect(try parseAll(&junk, [UInt8](repeating: 0xFF, count: 1000), chunk: 7).isEmpty)
        #expect(junk.skippedBytes == 1000 && junk.corruptFrames == 0)
    }
}
