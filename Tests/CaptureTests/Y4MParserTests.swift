import Capture
import SightlineCore
import SightlineTestKit
import Testing

@Suite struct Y4MParserTests {
    @Test(arguments: ["420jpeg", "420", "420paldv", "420mpeg2", nil] as [String?])
    func reads420(colour: String?) throws {
        let writer = Y4MWriter(width: 7, height: 5, rate: (30000, 1001), colourSpace: colour)
        let planes = (0..<3).map { writer.planes(index: $0) }
        var parser = Y4MParser()
        let frames = try parseAll(&parser, writer.stream(planes), chunk: 11)
        #expect(frames.count == 3)
        for (i, frame) in frames.enumerated() {
            #expect(frame.index == i)
            #expect(frame.payload == .raw(format: .i420, width: 7, height: 5, bytes: planes[i]))
        }
        #expect(planes[0].count == PixelFormat.i420.frameByteCount(width: 7, height: 5))
        #expect(abs(parser.frameRate! - 29.97002997) < 1e-6)
        #expect(parser.header?.colourSpace == colour ?? "420jpeg")
    }

    @Test func readsMonoAndFrameParameters() throws {
        let writer = Y4MWriter(width: 16, height: 8, rate: nil, colourSpace: "mono")
        let planes = (0..<2).map { writer.planes(index: $0, mono: true) }
        let bytes = writer.header() + writer.frame(planes[0], parameters: "Ixyz XFOO=1") + writer.frame(planes[1])
        var parser = Y4MParser()
        let frames = try parseAll(&parser, bytes, chunk: 1000)
        #expect(frames.map(\.payload) == planes.map { .raw(format: .gray, width: 16, height: 8, bytes: $0) })
        #expect(parser.frameRate == nil)
    }

    @Test(arguments: ["444", "422", "420p10", "mono16", "411"])
    func rejectsOtherColourSpaces(colour: String) throws {
        let writer = Y4MWriter(width: 4, height: 4, colourSpace: colour)
        var parser = Y4MParser()
        #expect(throws: FootageFormatError("colour space C\(colour) is not supported (only 4:2:0 and mono 8-bit)")) {
            _ = try parseAll(&parser, writer.header() + [UInt8](repeating: 0, count: 100), chunk: 64)
        }
    }

    @Test func truncatedFinalFrameIsCorrupt() throws {
        let writer = Y4MWriter(width: 8, height: 8)
        let bytes = writer.stream((0..<3).map { writer.planes(index: $0) })
        var parser = Y4MParser()
        let frames = try parseAll(&parser, Array(bytes.dropLast(10)), chunk: 50)
        #expect(frames.count == 2)
        #expect(parser.corruptFrames == 1)
    }

    @Test func rejectsBadMagicSizesAndDesync() throws {
        var a = Y4MParser()
        #expect(throws: FootageFormatError.self) { _ = try parseAll(&a, Array("NOTY4MPEG W2 H2\n".utf8), chunk: 64) }
        var b = Y4MParser()
        #expect(throws: FootageFormatError.self) { _ = try parseAll(&b, Array("YUV4MPEG2 W0 H2\n".utf8), chunk: 64) }
        var c = Y4MParser(maxFrameBytes: 1000)
        #expect(throws: FootageFormatError.self) {
            _ = try parseAll(&c, Array("YUV4MPEG2 W100 H100\n".utf8), chunk: 64)
        }
        let writer = Y4MWriter(width: 2, height: 2)
        var d = Y4MParser()
        let desync = writer.header() + writer.frame(writer.planes(index: 0)) + Array("JUNK\n".utf8)
        #expect(throws: FootageFormatError("expected a FRAME header before frame 2")) {
            _ = try parseAll(&d, desync, chunk: 64)
        }
    }
}
