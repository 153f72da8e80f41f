import Capture
import SightlineCore

/// One fuzz input: every input goes to all three container parsers, each fed twice —
/// in one piece, and in pieces whose sizes the input itself chooses — and both runs must give
/// the same frames, the same counters and the same error. Frames must also be well formed for
/// their container (a JPEG from the MJPEG scanner starts with SOI and ends with EOI, a raw Y4M
/// frame has exactly the bytes its format needs, nothing exceeds the frame limit).
func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // A generous frame limit, and a small one (chosen by the input) that fuzzed sizes reach.
    for limit in [1 << 20, 64 * (1 + Int(size > 0 ? data[0] : 0))] {
        check(MJPEGStreamParser.self, bytes, limit: limit)
        check(AVIParser.self, bytes, limit: limit)
        check(Y4MParser.self, bytes, limit: limit)
    }
    return 0
}

struct Outcome: Equatable {
    var frames: [FootageFrame] = []
    var error: FootageFormatError?
    var corrupt: UInt64 = 0
    var skipped: UInt64 = 0
}

func run<P: FootageParser>(_: P.Type, _ bytes: UnsafeRawBufferPointer, limit: Int, pieces: (Int) -> Int)
    -> Outcome {
    var parser = P(maxFrameBytes: limit)
    var outcome = Outcome()
    var offset = 0
    var step = 0
    do {
        while offset < bytes.count {
            let n = min(max(pieces(step), 1), bytes.count - offset)
            parser.append(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
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

func check<P: FootageParser>(_ type: P.Type, _ bytes: UnsafeRawBufferPointer, limit: Int) {
    let whole = run(type, bytes, limit: limit, pieces: { _ in Int.max })
    let split = run(type, bytes, limit: limit, pieces: { step in
        bytes.isEmpty ? 1 : 1 + Int(bytes[(step &* 7) % bytes.count]) % 67
    })
    guard whole == split else {
        fatalError("\(P.formatName): chunking changed the result: \(summary(whole)) vs \(summary(split))")
    }
    if P.self == MJPEGStreamParser.self {
        // Every input byte is in at most one frame or counted skipped (cut frames are neither).
        let framed = whole.frames.reduce(0) { total, frame in
            guard case .jpeg(let jpeg) = frame.payload else { return total }
            return total + jpeg.count
        }
        precondition(UInt64(framed) + whole.skipped <= UInt64(bytes.count), "mjpeg: bytes counted twice")
    }
    var lastIndex = -1
    for frame in whole.frames {
        precondition(frame.index > lastIndex, "\(P.formatName): frame indices must increase")
        lastIndex = frame.index
        switch frame.payload {
        case .jpeg(let jpeg):
            precondition(jpeg.count <= limit, "\(P.formatName): frame over the limit")
            if P.self == MJPEGStreamParser.self {
                precondition(jpeg.count >= 4 && jpeg[0] == 0xFF && jpeg[1] == 0xD8
                             && jpeg[jpeg.count - 2] == 0xFF && jpeg[jpeg.count - 1] == 0xD9,
                             "mjpeg: a frame must run from SOI to EOI")
            }
        case .raw(let format, let width, let height, let raw):
            precondition(raw.count == format.frameByteCount(width: width, height: height),
                         "\(P.formatName): raw frame of the wrong size")
        }
    }
}

func summary(_ o: Outcome) -> String {
    "\(o.frames.count) frames \(o.frames.map { $0.index }) corrupt \(o.corrupt) skipped \(o.skipped) "
        + "error \(o.error?.reason ?? "none")"
}
