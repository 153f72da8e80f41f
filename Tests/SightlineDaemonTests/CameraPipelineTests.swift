import Foundation
import Imaging
import Logging
import SightlineCore
@testable import SightlineRuntime
import SightlineTestKit
import Synchronization
import Testing

/// A stage that records what it saw and can be made slow.
final class RecordingStage: Stage, @unchecked Sendable {
    let name = "record"
    let needsColor: Bool
    let delay: Duration
    private(set) var seen: [(seq: UInt64, width: Int, hasColor: Bool)] = []

    init(needsColor: Bool = false, delay: Duration = .zero) {
        self.needsColor = needsColor
        self.delay = delay
    }

    func process(_ frame: Frame) throws -> [Detection] {
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18) }
        seen.append((frame.seq, frame.gray.width, frame.rgb != nil))
        return [Detection(type: .frameStats, camera: frame.camera, frameSeq: frame.seq, wallNanos: frame.wallNanos,
                          body: [:])]
    }
}

@Suite struct CameraPipelineTests {
    static let logger = Logger(label: "test")

    func run(_ source: FrameSource, stages: [Stage], settings: CameraPipeline.Settings) async
        -> (PipelineCounts, [Detection])
    {
        let collected = Mutex<[Detection]>([])
        let pipeline = CameraPipeline(settings: settings, source: source, stages: stages, logger: Self.logger,
                                      sink: { d in collected.withLock { $0.append(d) } })
        await pipeline.run()
        return (pipeline.counters.snapshot, collected.withLock { $0 })
    }

    @Test func everyFrameIsDecodedAtTheRequestedScaleAndReachesTheStage() async throws {
        let frames = SyntheticFootage.jpegFrames(count: 12, width: 320, height: 240)
        let stage = RecordingStage()
        let (counts, detections) = await run(ReplaySource(payloads: frames.map { .jpeg($0) }), stages: [stage],
                                             settings: .init(camera: "cam", queueDepth: 64,
                                                             decode: .init(minWidth: 80)))
        #expect(counts.captured == 12 && counts.decoded == 12 && counts.dropped == 0 && counts.corrupt == 0)
        #expect(stage.seen.map(\.seq) == Array(1...12))
        #expect(stage.seen.allSatisfy { $0.width == 80 && !$0.hasColor })
        #expect(detections.count == 12 && detections.allSatisfy { $0.camera == "cam" })
    }

    /// A stage holding a detection back until the run ends (a crossing waiting for its signal to settle) delivers
    /// it once, after every frame's, when the footage ends.
    @Test func whatAStageHeldBackIsDeliveredWhenTheRunEnds() async throws {
        final class Holding: Stage, @unchecked Sendable {
            let name = "holding"
            let needsColor = false
            var last: UInt64 = 0
            var ended = 0
            func process(_ frame: Frame) throws -> [Detection] {
                last = frame.seq
                return []
            }
            func streamEnded() throws -> [Detection] {
                ended += 1
                return [Detection(type: .trafficRedLightCrossing, camera: "cam", frameSeq: last, wallNanos: 0, body: [:])]
            }
        }
        let stage = Holding()
        let frames = SyntheticFootage.jpegFrames(count: 5, width: 64, height: 48)
        let (counts, detections) = await run(ReplaySource(payloads: frames.map { .jpeg($0) }),
                                             stages: [RecordingStage(), stage],
                                             settings: .init(camera: "cam", queueDepth: 64, decode: .init(minWidth: 64)))
        #expect(stage.ended == 1)
        #expect(detections.map(\.type) == Array(repeating: .frameStats, count: 5) + [.trafficRedLightCrossing])
        #expect(detections.last?.frameSeq == 5)
        #expect(counts.detections == 6)
    }

    /// In a strict run, a stage that fails when the stream ends fails the run, and says so (not "on frame N").
    @Test func aStrictRunSaysWhenAStageFailsAtTheEndOfTheStream() throws {
        final class FailingAtTheEnd: Stage, @unchecked Sendable {
            let name = "ending"
            let needsColor = false
            func process(_ frame: Frame) throws -> [Detection] { [] }
            func streamEnded() throws -> [Detection] { throw CancellationError() }
        }
        let frames = SyntheticFootage.jpegFrames(count: 3, width: 64, height: 48)
        var settings = CameraPipeline.Settings(camera: "cam", queueDepth: 64, decode: .init(minWidth: 64))
        settings.strict = true
        let pipeline = CameraPipeline(settings: settings, source: ReplaySource(payloads: frames.map { .jpeg($0) }),
                                      stages: [FailingAtTheEnd()], logger: Self.logger, sink: { _ in })
        #expect {
            try pipeline.runUntilEnd()
        } throws: { error in
            "\(error)".hasPrefix("stage ending failed at the end of the stream: ")
        }
    }

    @Test func corruptFramesAreCountedAndSkipped() async throws {
        let good = SyntheticFootage.jpegFrames(count: 3, width: 64, height: 48)
        let payloads: [CapturedFrame.Payload] = [
            .jpeg(good[0]), .jpeg(Array(good[1].prefix(good[1].count / 3))), .jpeg([0xFF, 0xD8, 0xFF, 0xD9]),
            .jpeg([]), .raw(format: .yuyv, width: 64, height: 48, bytes: [1, 2, 3]), .jpeg(good[2]),
        ]
        let stage = RecordingStage()
        let (counts, _) = await run(ReplaySource(payloads: payloads), stages: [stage],
                                    settings: .init(camera: "c", queueDepth: 64))
        #expect(counts.captured == 6)
        #expect(counts.decoded == 2)
        #expect(counts.corrupt == 4)
        #expect(stage.seen.map(\.seq) == [1, 6])
    }

    @Test func slowProcessingDropsOldestAndCountsIt() async throws {
        let frames = SyntheticFootage.jpegFrames(count: 40, width: 64, height: 48)
        let stage = RecordingStage(delay: .milliseconds(20))
        let (counts, _) = await run(ReplaySource(payloads: frames.map { .jpeg($0) }), stages: [stage],
                                    settings: .init(camera: "c", queueDepth: 2))
        #expect(counts.captured == 40)
        #expect(counts.dropped > 0)
        #expect(counts.decoded + counts.dropped == 40)
        // The newest frame is never the one dropped.
        #expect(stage.seen.last?.seq == 40)
    }

    @Test func fastReplayWaitsInsteadOfDropping() async throws {
        let frames = SyntheticFootage.jpegFrames(count: 30, width: 64, height: 48)
        let stage = RecordingStage(delay: .milliseconds(5))
        let (counts, _) = await run(ReplaySource(payloads: frames.map { .jpeg($0) }), stages: [stage],
                                    settings: .init(camera: "c", queueDepth: 2, overflow: .wait))
        #expect(counts.dropped == 0)
        #expect(stage.seen.map(\.seq) == Array(1...30))
    }

    @Test func processFPSThinsOnTheSourceTimeline() async throws {
        let frames = SyntheticFootage.jpegFrames(count: 50, width: 32, height: 32)
        let stage = RecordingStage()
        let (counts, _) = await run(ReplaySource(payloads: frames.map { .jpeg($0) }, fps: 25), stages: [stage],
                                    settings: .init(camera: "c", queueDepth: 64, processFPS: 5))
        // Two seconds of 25 fps footage at 5 fps: every fifth frame.
        #expect(counts.decoded == 10)
        #expect(counts.skipped == 40)
        #expect(stage.seen.map(\.seq) == [1, 6, 11, 16, 21, 26, 31, 36, 41, 46])
    }

    @Test func colourIsDecodedOnlyWhenAStageAsks() async throws {
        let frames = SyntheticFootage.jpegFrames(count: 2, width: 64, height: 48)
        let stage = RecordingStage(needsColor: true)
        _ = await run(ReplaySource(payloads: frames.map { .jpeg($0) }), stages: [stage],
                      settings: .init(camera: "c"))
        #expect(stage.seen.allSatisfy { $0.hasColor })
    }

    @Test func frameStatsStageReportsLuma() throws {
        let stage = FrameStatsStage(interval: 2)
        let gray = Image(width: 4, height: 1, channels: 1, pixels: [0, 0, 200, 200])
        let frame = Frame(camera: "c", seq: 1, monotonicNanos: 0, wallNanos: 0, pts: 0, gray: gray, rgb: nil,
                          sourceWidth: 4, sourceHeight: 1)
        #expect(try stage.process(frame).isEmpty)
        let detections = try stage.process(frame)
        #expect(detections.count == 1)
        #expect(detections[0].body["luma_mean"] == .double(100))
        #expect(detections[0].body["luma_stddev"] == .double(100))
    }
}
