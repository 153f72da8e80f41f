import Imaging
import SightlineCore
import Testing

/// Evidence clips are whole JPEGs back to back: the splitter finds each one by walking its markers and
/// entropy-coded data, and refuses anything else.
@Suite struct MotionJPEGTests {
    static func jpeg(_ shade: UInt8, width: Int = 48, height: Int = 32) throws -> [UInt8] {
        var pixels = [UInt8](repeating: shade, count: width * height * 3)
        for i in stride(from: 0, to: pixels.count, by: 7) { pixels[i] = UInt8(truncatingIfNeeded: i) }
        return try JPEGEncoder.encode(Image(width: width, height: height, channels: 3, pixels: pixels), quality: 80)
    }

    @Test func aClipSplitsIntoItsFrames() throws {
        let frames = try (0..<5).map { try Self.jpeg(UInt8(40 * $0)) }
        let clip = frames.flatMap { $0 }
        let split = try #require(MotionJPEG.frames(clip))
        #expect(split.map { Array($0) } == frames)
        #expect(MotionJPEG.isClip(clip))
        // Every frame decodes on its own.
        let decoder = JPEGDecoder()
        for frame in split { #expect(try decoder.decode(Array(frame)).image.width == 48) }
    }

    @Test func oneImageOrDamagedBytesAreNoClip() throws {
        let one = try Self.jpeg(9)
        #expect(!MotionJPEG.isClip(one))
        #expect(MotionJPEG.frames(one)?.count == 1)
        let two = one + one
        #expect(MotionJPEG.frames(Array(two.dropLast(3))) == nil)      // the second image cut short
        #expect(MotionJPEG.frames(two + [0x00, 0x01]) == nil)          // trailing garbage
        #expect(MotionJPEG.frames([]) == nil && MotionJPEG.frames([0xFF, 0xD8]) == nil)
        #expect(!MotionJPEG.isClip(Array(repeating: 0xFF, count: 64)))
    }
}
