import Capture
import Imaging
import SightlineCore
import SightlineTestKit
import Testing

/// Whole files with a corpus of broken JPEGs inside, run through source and decoder: what the
/// container loses is counted by the source, what reaches the decoder broken fails there.
@Suite struct CorruptFootageTests {
    struct Tally: Equatable {
        var delivered = 0, decoded = 0, truncated = 0, corrupt = 0
        var sourceCorrupt: UInt64 = 0
        var indices: [Double] = []
    }

    static let good = SyntheticFootage.jpegFrames(count: 8, width: 160, height: 120)

    static func run(_ source: any FrameSource, fps: Double) throws -> Tally {
        var tally = Tally()
        let decoder = FrameDecoder(camera: "test", options: .init(minWidth: 40))
        try source.open()
        while let captured = try source.next() {
            tally.delivered += 1
            #expect(captured.seq == UInt64(tally.delivered))
            tally.indices.append((captured.pts * fps).rounded())
            do {
                let frame = try decoder.decode(captured)
                #expect(frame.sourceWidth == 160)
                tally.decoded += 1
            } catch .jpeg(.truncated) {
                tally.truncated += 1
            } catch .jpeg(.corrupt) {
                tally.corrupt += 1
            } catch {
                Issue.record("unexpected decode error \(error)")
            }
        }
        #expect(source.stats.frames == UInt64(tally.delivered))
        tally.sourceCorrupt = source.stats.corrupt
        return tally
    }

    @Test func mjpegStream() throws {
        let g = Self.good
        let stream = MJPEGWriter.stream([
            g[0], CorruptJPEGs.truncated(g[1]), g[2], CorruptJPEGs.garbledFrameHeader(g[3]), g[4],
            CorruptJPEGs.brokenMarkerChain(g[5]), CorruptJPEGs.randomAfterSOI(count: 500, seed: 7), g[6],
        ]) + CorruptJPEGs.truncated(g[7])
        let dir = try TemporaryDirectory()
        let path = try dir.write("corrupt.mjpeg", stream)
        let options = SourceOptions(fps: 10, pacing: .asFastAsPossible)
        let tally = try Self.run(MJPEGFileSource(path: path, options: options), fps: 10)
        // Cut frames never leave the container (a new SOI, or the end of file, comes first).
        // The broken marker chain still decodes: libjpeg skips extraneous bytes before a marker.
        #expect(tally == Tally(delivered: 7, decoded: 5, truncated: 0, corrupt: 2, sourceCorrupt: 2,
                               indices: [0, 1, 2, 3, 4, 5, 6]))
    }

    @Test func aviFile() throws {
        let g = Self.good
        let file = AVIWriter(audio: true, index: false).file(frames: [
            g[0], CorruptJPEGs.truncated(g[1]), [], CorruptJPEGs.garbledFrameHeader(g[2]),
            CorruptJPEGs.randomAfterSOI(count: 333, seed: 3), CorruptJPEGs.brokenMarkerChain(g[3]), g[4], g[5],
        ])
        // Cut the file inside the last video chunk: that frame is lost.
        let lastChunk = try #require(AVIParserTests.offsets(of: "00dc", in: file).last)
        let dir = try TemporaryDirectory()
        let path = try dir.write("corrupt.avi", Array(file[..<(lastChunk + 8 + g[5].count / 2)]))
        let tally = try Self.run(AVISource(path: path, options: SourceOptions(pacing: .asFastAsPossible)), fps: 10)
        // A truncated JPEG in a whole chunk reaches the decoder; the empty chunk is a dropped slot.
        #expect(tally == Tally(delivered: 6, decoded: 3, truncated: 1, corrupt: 2, sourceCorrupt: 1,
                               indices: [0, 1, 3, 4, 5, 6]))
    }

    @Test func jpegDirectory() throws {
        let g = Self.good
        let dir = try TemporaryDirectory()
        let files = [g[0], CorruptJPEGs.truncated(g[1]), [], CorruptJPEGs.garbledFrameHeader(g[2]),
                     CorruptJPEGs.randomAfterSOI(count: 64, seed: 11), g[3]]
        for (i, bytes) in files.enumerated() { try dir.write("img_\(i).jpg", bytes) }
        let tally = try Self.run(JPEGDirectorySource(path: dir.path, options: SourceOptions(
            fps: 10, pacing: .asFastAsPossible)), fps: 10)
        #expect(tally == Tally(delivered: 6, decoded: 2, truncated: 1, corrupt: 3, sourceCorrupt: 0,
                               indices: [0, 1, 2, 3, 4, 5]))
    }
}
