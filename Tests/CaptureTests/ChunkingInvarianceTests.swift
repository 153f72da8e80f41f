import Capture
import SightlineCore
import SightlineTestKit
import Testing

/// The fuzz target's oracle, run on seeded mutations of the test fixtures: however the input is
/// cut into pieces, a parser gives the same frames, counters and error as when fed in one piece.
@Suite struct ChunkingInvarianceTests {
    struct Outcome: Equatable {
        var frames: [FootageFrame] = []
        var error: FootageFormatError?
        var corrupt: UInt64 = 0
        var skipped: UInt64 = 0
    }

    static func run<P: FootageParser>(_: P.Type, _ bytes: [UInt8], pieces: (Int) -> Int) -> Outcome {
        var parser = P(maxFrameBytes: 1 << 16)
        var outcome = Outcome()
        var offset = 0, step = 0
        do {
            while offset < bytes.count {
                let n = min(pieces(step), bytes.count - offset)
                parser.append(Array(bytes[offset..<(offset + n)]))
                offset += n
                step += 1
                while let frame = try parser.nextFrame() { outcome.frames.append(frame) }
            }
            parser.finish()
            while let frame = try parser.nextFrame() { outcome.frames.append(frame) }
        } catch {
            outcome.error = error
        }
        outcome.corrupt = parser.corruptFrames
        outcome.skipped = parser.skippedBytes
        return outcome
    }

    /// xorshift64*: deterministic across platforms.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return Int((state &* 2_685_821_657_736_338_717) >> 33) % max(bound, 1)
        }
    }

    static func mutate(_ input: [UInt8], _ rng: inout Random) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + rng.next(4)) where !bytes.isEmpty {
            let at = rng.next(bytes.count)
            switch rng.next(5) {
            case 0: bytes[at] ^= UInt8(1 << rng.next(8))
            case 1: bytes[at] = [0x00, 0xFF, 0xD8, 0xD9, 0xDA][rng.next(5)]
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.next(40)))
            case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + rng.next(30))], at: rng.next(bytes.count))
            default: bytes = Array(bytes.prefix(at))
            }
        }
        return bytes
    }

    static func check<P: FootageParser>(_ type: P.Type, seeds: [[UInt8]], rounds: Int) {
        var rng = Random(state: 0x5157_4C49_4E45)
        for round in 0..<rounds {
            let input = mutate(seeds[round % seeds.count], &rng)
            let whole = run(type, input, pieces: { _ in Int.max })
            let split = run(type, input, pieces: { step in 1 + (step * 7919 + round) % 61 })
            #expect(whole == split, "\(P.formatName) round \(round): \(input.count) bytes")
        }
    }

    @Test func mjpeg() {
        let jpegs = SyntheticFootage.jpegFrames(count: 3, width: 24, height: 16)
        Self.check(MJPEGStreamParser.self, seeds: [MJPEGWriter.stream(jpegs, junk: { _ in [0xFF, 0x00] })], rounds: 300)
    }

    @Test func avi() {
        let jpegs = SyntheticFootage.jpegFrames(count: 3, width: 24, height: 16)
        Self.check(AVIParser.self, seeds: [
            AVIWriter(audio: true).file(frames: jpegs),
            AVIWriter(audio: true, audioFirst: true, recLists: true, omitPadding: true, openDMLSplit: 1)
                .file(frames: jpegs + [[]]),
        ], rounds: 300)
    }

    @Test func y4m() {
        let writer = Y4MWriter(width: 6, height: 4)
        let mono = Y4MWriter(width: 5, height: 3, rate: nil, colourSpace: "mono")
        Self.check(Y4MParser.self, seeds: [
            writer.stream((0..<3).map { writer.planes(index: $0) }),
            mono.stream((0..<3).map { mono.planes(index: $0, mono: true) }),
        ], rounds: 300)
    }
}
