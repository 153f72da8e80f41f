import Dispatch
import Imaging
import Logging
import SightlineCore
@testable import SightlineRuntime
import SightlineTestKit
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
        /// Whether a crossing is held back until the run ends (reported by `streamEnded`, its stills at once).
        let heldToTheEnd: Bool
        private var waiting: [PendingEvidence] = []
        private var last: Frame?
        /// Stills made (fulfilled while still wanted): what a real stage would have redacted and encoded.
        private(set) var made = 0
        init(crossingsAt: Set<Double>, heldToTheEnd: Bool = false) {
            self.crossingsAt = crossingsAt
            self.heldToTheEnd = heldToTheEnd
        }

        private func makeStills() {
            for evidence in waiting where evidence.isWanted {
                made += 1
                evidence.fulfil([[1], [2], [3]])
            }
            waiting = []
        }

        func streamEnded() throws -> [Detection] {
            makeStills()
            guard heldToTheEnd, let last else { return [] }
            let evidence = PendingEvidence()
            evidence.fulfil([[9]])
            return [Detection(.trafficRedLightCrossing, of: last, body: [:], evidence: .pending(evidence))]
        }

        func process(_ frame: Frame) throws -> [Detection] {
            makeStills()
            last = frame
            guard !heldToTheEnd, crossingsAt.contains(frame.pts) else { return [] }
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
    static func run(_ traffic: FakeTraffic, redactor: MarkingRedactor, count: UInt64, cancel: Bool = false,
                    settings: ClipSettings = ClipSettings(before: 2, after: 2),
                    logger: Logger = Logger(label: "test")) -> [PendingEvidence]
    {
        let stage = CrossingClipStage(wrapping: traffic, redactor: redactor, settings: settings, logger: logger)
        var evidence: [PendingEvidence] = []
        func take(_ detections: [Detection]) {
            for detection in detections {
                guard case .pending(let pending) = detection.evidence else {
                    Issue.record("a crossing without pending evidence")
                    continue
                }
                if cancel { pending.cancel() }
                evidence.append(pending)
            }
        }
        for seq in 1...count { take(try! stage.process(frame(seq))) }
        take(try! stage.streamEnded())
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

    /// A crossing the traffic stage held back until the run ended (its signal had not settled) keeps its stills and
    /// a clip of the two seconds before the end.
    @Test func aCrossingReportedAsTheRunEndsGetsTheSecondsBefore() throws {
        let redactor = MarkingRedactor()
        let evidence = Self.run(FakeTraffic(crossingsAt: [], heldToTheEnd: true), redactor: redactor, count: 125)
        #expect(evidence.count == 1)
        let first = try #require(evidence.first)
        let images = try #require(Self.images(first))
        #expect(images.count == 2 && images[0] == [9])
        let frames = try #require(MotionJPEG.frames(images[1]))
        #expect(frames.count == 21, "\(frames.count) frames")  // 2.9 s … 4.9 s
        let asked = redactor.asked.withLock { $0 }
        #expect(asked.first! >= 73 && asked.last! <= 125, "\(asked.first!)…\(asked.last!)")
    }

    /// A crossing whose event was not admitted (the consumer cancelled it) has no stills made for it, whether its
    /// "after" frame comes (mid-stream) or the stream ends first: the clip stage tells the wrapped stage before it
    /// makes them.
    @Test(arguments: [200 as UInt64, 101]) func aCrossingNobodyWantsHasNoStillsMade(count: UInt64) throws {
        let traffic = FakeTraffic(crossingsAt: [4.0])
        let evidence = Self.run(traffic, redactor: MarkingRedactor(), count: count, cancel: true)
        #expect(evidence.count == 1)
        #expect(traffic.made == 0)
    }

    /// A clip that reaches its size cap keeps every other frame and goes on at half the rate: it still runs to its
    /// end (the attack run: 4K clips were cut after 26 frames, all before the crossing).
    @Test func aClipAtItsSizeCapIsThinnedNotCut() throws {
        let redactor = MarkingRedactor()
        let one = try JPEGEncoder.encode(Self.frame(1).gray, quality: 80).count
        var settings = ClipSettings(before: 2, after: 2)
        settings.maxBytes = 12 * one + one / 2
        let evidence = Self.run(FakeTraffic(crossingsAt: [4.0]), redactor: redactor, count: 200, settings: settings)
        let first = try #require(evidence.first)
        let images = try #require(Self.images(first))
        let clip = try #require(MotionJPEG.frames(images[3]))
        #expect(images[3].count <= settings.maxBytes)
        #expect(clip.count >= 6 && clip.count <= 12, "\(clip.count) frames")
        // It ran to the end: frames up to 6.0 s (frame 151) were still taken after the thinning.
        let asked = redactor.asked.withLock { $0 }
        #expect(asked.first! <= 51 && asked.last! >= 146, "\(asked.first!)…\(asked.last!)")
    }

    /// Very large pictures: the decoded frames kept for the seconds before a crossing stay within their memory
    /// budget, kept at a lower rate, still reaching back over those seconds.
    @Test func theFramesBeforeACrossingStayWithinTheirMemoryBudget() throws {
        let redactor = MarkingRedactor()
        var settings = ClipSettings(before: 2, after: 2)
        settings.maxRecentBytes = 32 * 24 * 6  // six of these frames
        let evidence = Self.run(FakeTraffic(crossingsAt: [4.0]), redactor: redactor, count: 101, settings: settings)
        #expect(evidence.count == 1)
        let before = redactor.asked.withLock { $0 }.filter { $0 < 101 }
        #expect(before.count >= 3 && before.count <= 6, "\(before)")
        #expect(before.first! <= 66, "\(before)")  // reaching back at least 1.4 s of the 2
    }

    /// Crossings refused a clip (all clips open) are told once per burst, not once per run: a second burst an
    /// hour later was silent before.
    @Test func eachBurstOfCrossingsWithoutAClipIsLogged() throws {
        let capture = LogCapture()
        var settings = ClipSettings(before: 2, after: 2)
        settings.maxOpen = 1
        // Bursts at 1.0 s and 6.0 s (the first clip has ended by then), each with a second crossing 0.04 s later.
        let traffic = FakeTraffic(crossingsAt: [1.0, 1.04, 6.0, 6.04])
        let evidence = Self.run(traffic, redactor: MarkingRedactor(), count: 250, settings: settings,
                                logger: capture.logger())
        #expect(evidence.count == 4)
        let warnings = capture.all.filter { $0.contains("too many crossings at once") }
        #expect(warnings.count == 2, "\(warnings)")
        #expect(warnings.last?.contains("without_clip_so_far=2") == true, "\(warnings)")
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

/// A clip is not held while its camera is quiet: the pipeline tells the clip stage after
/// `CameraPipeline.quietSeconds` without a frame, and a source whose clock restarts ends the clip too.
@Suite struct QuietCameraClipTests {
    /// Plays its frames, then blocks (a camera gone quiet, not ended) until `release()`.
    final class StallingSource: FrameSource, @unchecked Sendable {
        let description = "stalling"
        var stats: SourceStats { replay.stats }
        private let replay: ReplaySource
        private let gate = DispatchSemaphore(value: 0)
        let stalled = Atomic(false)
        init(_ replay: ReplaySource) { self.replay = replay }
        func open() throws { try replay.open() }
        func next() throws -> CapturedFrame? {
            if let frame = try replay.next() { return frame }
            stalled.store(true, ordering: .releasing)
            gate.wait()
            return nil
        }
        func close() { replay.close() }
        func release() { gate.signal() }
    }

    @Test func aQuietCameraDeliversItsOpenClip() async throws {
        // 125 frames at 25 fps, a crossing at 4.0 s, then the camera goes quiet with the clip 1 s short.
        let frames = SyntheticFootage.jpegFrames(count: 125, width: 64, height: 48)
        let source = StallingSource(ReplaySource(payloads: frames.map { .jpeg($0) }))
        let stage = CrossingClipStage(wrapping: CrossingClipTests.FakeTraffic(crossingsAt: [4.0]),
                                      redactor: CrossingClipTests.MarkingRedactor(),
                                      settings: ClipSettings(before: 2, after: 2), logger: Logger(label: "test"))
        let delivered = Mutex<[[UInt8]]?>(nil)
        let pipeline = CameraPipeline(settings: .init(camera: "junction", queueDepth: 256, overflow: .wait),
                                      source: source, stages: [stage], logger: Logger(label: "test"),
                                      sink: { detection in
                                          if case .pending(let pending) = detection.evidence {
                                              pending.whenReady { images in delivered.withLock { $0 = images } }
                                          }
                                      })
        let run = Task { await pipeline.run() }
        var images: [[UInt8]]?
        // Polls, counted rather than timed against a clock: the clip must come while the source is still quiet.
        for _ in 0..<240 where images == nil {
            try await Task.sleep(for: .milliseconds(250))
            images = delivered.withLock { $0 }
        }
        let stillQuiet = source.stalled.load(ordering: .acquiring)
        source.release()
        await run.value
        let clipped = try #require(images, "the clip waited for frames that never came")
        #expect(stillQuiet)
        #expect(clipped.count == 4 && Array(clipped.prefix(3)) == [[1], [2], [3]])
        let clip = try #require(MotionJPEG.frames(clipped[3]))
        #expect(clip.count == 30)  // 2.0 s … 4.9 s
    }

    @Test func aClockThatRestartsEndsTheOpenClip() throws {
        let stage = CrossingClipStage(wrapping: CrossingClipTests.FakeTraffic(crossingsAt: [4.0]),
                                      redactor: CrossingClipTests.MarkingRedactor(),
                                      settings: ClipSettings(before: 2, after: 2), logger: Logger(label: "test"))
        var pending: PendingEvidence?
        for seq in UInt64(1)...125 {
            for detection in try stage.process(CrossingClipTests.frame(seq)) {
                if case .pending(let evidence) = detection.evidence { pending = evidence }
            }
        }
        let evidence = try #require(pending)
        let delivered = Mutex<[[UInt8]]?>(nil)
        evidence.whenReady { images in delivered.withLock { $0 = images } }
        #expect(delivered.withLock { $0 } == nil)  // still open: 4.96 s of 6.0 s
        // The camera reopened and counts from zero again (seq goes on).
        _ = try stage.process(CrossingClipTests.frame(126, fps: 1e9))
        let images = try #require(delivered.withLock { $0 })
        let clip = try #require(MotionJPEG.frames(images[3]))
        #expect(images.count == 4 && clip.count == 30)
    }
}
