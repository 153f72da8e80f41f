import Imaging
import Logging
import SightlineCore
@testable import SightlineRuntime
import Synchronization
import Testing

/// Evidence clips around crossings: the seconds before and after at most ten frames a second, every frame through
/// the redactor, the stills first and the clip last; frames no clip wants are never redacted; a clip still open
/// when the run ends is delivered as it is; a crossing whose event was not admitted makes nothing.
@Suite struct CrossingClipTests {
    /// Reports a crossing on the frames whose pts it is given, with evidence fulfilled on the next frame (as the
    /// traffic stage does): three one-byte "stills".
    final class FakeTraffic: Stage, @unchecked Sendable {
        let name = "traffic"
        let needsColor = false
        let crossingsAt: Set<Double>
        private var waiting: [PendingEvidence] = []
        init(crossingsAt: Set<Double>) { self.crossingsAt = crossingsAt }

        func process(_ frame: Frame) throws -> [Detection] {
            for evidence in waiting where evidence.isWanted { evidence.fulfil([[1], [2], [3]]) }
            waiting = []
            guard crossingsAt.contains(frame.pts) else { return [] }
            let evidence = PendingEvidence()
            waiting.append(evidence)
            return [Detection(.trafficRedLightCrossing, of: frame, body: [:], evidence: .pending(evidence))]
        }
    }

    /// Blurs nothing; paints the frame's sequence number into the picture and remembers what it was asked.
    final class MarkingRedactor: EvidenceRedactor, @unchecked Sendable {
        let asked = Mutex<[UInt64]>([])
        func redact(_ frame: Frame) throws -> Image {
            asked.withLock { $0.append(frame.seq) }
            var image = frame.gray
            image.pixels[0] = UInt8(truncatingIfNeeded: frame.seq)
            return image
        }
    }

    static func frame(_ seq: UInt64, fps: Double = 25) -> Frame {
        Frame(camera: "junction", seq: seq, monotonicNanos: seq, wallNanos: Int64(seq), pts: Double(seq - 1) / fps,
              gray: Image(width: 32, height: 24, channels: 1, pixels: [UInt8](repeating: 90, count: 32 * 24)),
              rgb: nil, sourceWidth: 32, sourceHeight: 24)
    }

    /// Runs `count` frames at 25 fps through the clip stage around `traffic`; returns the crossings' evidence.
    static func run(_ traffic: FakeTraffic, redactor: MarkingRedactor, count: UInt64, cancel: Bool = false)
        -> [PendingEvidence]
    {
        let stage = CrossingClipStage(wrapping: traffic, redactor: redactor,
                                      settings: ClipSettings(before: 2, after: 2), logger: Logger(label: "test"))
        var evidence: [PendingEvidence] = []
        for seq in 1...count {
            for detection in try! stage.process(frame(seq)) {
                guard case .pending(let pending) = detection.evidence else {
                    Issue.record("a crossing without pending evidence")
                    continue
                }
                if cancel { pending.cancel() }
                evidence.append(pending)
            }
        }
        stage.finish()
        return evidence
    }

    static func images(_ evidence: PendingEvidence) -> [[UInt8]]? {
        let got = Mutex<[[UInt8]]?>(nil)
        evidence.whenReady { images in got.withLock { $0 = images } }
        return got.withLock { $0 }
    }

    @Test func aClipRunsTwoSecondsEachSideAtTenFramesASecond() throws {
        let redactor = MarkingRedactor()
        // 8 s at 25 fps; a crossing at 4.0 s (frame 101).
        let evidence = Self.run(FakeTraffic(crossingsAt: [4.0]), redactor: redactor, count: 200)
        let first = try #require(evidence.first)
        let images = try #require(Self.images(first))
        #expect(images.count == 4)
        #expect(Array(images.prefix(3)) == [[1], [2], [3]])
        let frames = try #require(MotionJPEG.frames(images[3]))
        // 2.0 s … 6.0 s, the first frame of each 0.1 s: 41 pictures, in order.
        #expect(frames.count == 41, "\(frames.count) frames")
        let decoder = JPEGDecoder()
        for frame in frames { #expect(try decoder.decode(Array(frame), gray: true).image.width == 32) }
        // Only the clip's own frames went through the redactor, once each, in order.
        let asked = redactor.asked.withLock { $0 }
        #expect(asked.count == 41 && asked == asked.sorted() && Set(asked).count == 41, "\(asked)")
        #expect(asked.first! >= 51 && asked.last! <= 151, "\(asked.first!)…\(asked.last!)")
    }

    @Test func theEndOfTheRunDeliversWhatItHas() throws {
        let redactor = MarkingRedactor()
        // A crossing at 4.0 s in a run that ends at 4.96 s: the stills came, the clip stops at the end.
        let evidence = Self.run(FakeTraffic(crossingsAt: [4.0]), redactor: redactor, count: 125)
        let first = try #require(evidence.first)
        let images = try #require(Self.images(first))
        #expect(images.count == 4 && Array(images.prefix(3)) == [[1], [2], [3]])
        let frames = try #require(MotionJPEG.frames(images[3]))
        #expect(frames.count == 30, "\(frames.count) frames")  // 2.0 s … 4.9 s
    }

    @Test func aCrossingNobodyWantsMakesNothing() {
        let redactor = MarkingRedactor()
        let evidence = Self.run(FakeTraffic(crossingsAt: [4.0]), redactor: redactor, count: 200, cancel: true)
        #expect(evidence.count == 1)
        // The recent frames were redacted when the crossing came (before its event was judged); nothing after.
        #expect(redactor.asked.withLock { $0.count } <= 21)
        #expect(Self.images(evidence[0]) == nil)
    }
}
