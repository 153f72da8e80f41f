import Capture
import Foundation
import Imaging
import Logging
import Metrics
import SightlineCore
import Synchronization

/// One camera: a capture thread feeding a bounded queue (drop-oldest for live sources), and a processing thread that
/// decodes at the size the stages need and runs them in order.
///
/// Both sides are plain threads: capture blocks in `poll`/`read` and processing is CPU-bound, so
/// neither belongs on the cooperative async pool. `run()` bridges them to swift-service-lifecycle.
final class CameraPipeline: @unchecked Sendable {
    struct Settings: Sendable {
        var camera: String
        var queueDepth: Int = 4
        /// `.dropOldest` for cameras and footage at recorded speed; `.wait` for footage replayed
        /// as fast as possible, where every frame should be processed.
        var overflow: BoundedQueue<CapturedFrame>.OverflowPolicy = .dropOldest
        /// Process at most this many frames per second of source time; nil processes every frame.
        var processFPS: Double?
        var decode = FrameDecoder.Options()
        /// The first frame that does not decode, or the first stage error, ends the run (and `runUntilEnd`
        /// throws it) instead of being counted and skipped: for tools whose output must hold every frame.
        var strict = false
        /// Blacked out of every frame right after decoding, before any stage sees it.
        var privacyMasks = PrivacyMasks([])
    }

    let settings: Settings
    let counters = PipelineCounters()
    private let source: FrameSource
    let stages: [Stage]
    private let sink: @Sendable (Detection) -> Void
    private let logger: Logger
    private let queue: BoundedQueue<CapturedFrame>
    private let stopping = StopFlag()
    private let metrics: PipelineMetrics
    /// Told each change of the camera's state (online, reason); the daemon signs it as `camera.status`.
    private let status: (@Sendable (_ online: Bool, _ reason: String) -> Void)?
    /// The state last told to `status` (nil before the first).
    private let reportedOnline = Mutex<Bool?>(nil)

    init(settings: Settings, source: FrameSource, stages: [Stage], logger: Logger,
         status: (@Sendable (_ online: Bool, _ reason: String) -> Void)? = nil,
         sink: @escaping @Sendable (Detection) -> Void) {
        self.status = status
        self.settings = settings
        self.source = source
        self.stages = stages
        self.sink = sink
        var logger = logger
        logger[metadataKey: "camera"] = "\(settings.camera)"
        self.logger = logger
        self.queue = BoundedQueue(capacity: settings.queueDepth, policy: settings.overflow)
        self.metrics = PipelineMetrics(camera: settings.camera, stages: stages.map(\.name))
    }

    /// Runs until the source ends (finite footage) or `stop()` is called; returns when the
    /// processing side has finished the frames it had and the capture side has closed the source.
    func run() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let ended = ThreadCountdown(2) { [self] in
                // A frame captured while stopping may arrive after processing ended: dropped too.
                discardQueued()
                done.resume()
            }
            let capture = Thread { [self] in
                captureLoop()
                ended.arrive()
            }
            capture.name = "capture-\(settings.camera)"
            capture.start()
            let processing = Thread { [self] in
                processingLoop()
                ended.arrive()
            }
            processing.name = "process-\(settings.camera)"
            processing.start()
        }
    }

    /// Runs to the end of finite footage on the calling thread (processing) and one capture thread: what
    /// `run()` does, for callers that are not async (`sightline replay`, `eval`).
    /// Throws `CaptureFailure` when the source could not be opened or failed while reading (after the
    /// frames read before were processed), and in `strict` mode the `ProcessingFailure` that ended the run.
    func runUntilEnd() throws {
        let captured = DispatchSemaphore(value: 0)
        let capture = Thread { [self] in
            captureLoop()
            captured.signal()
        }
        capture.name = "capture-\(settings.camera)"
        capture.start()
        processingLoop()
        captured.wait()
        discardQueued()
        if let failure = processingFailure.withLock({ $0 }) { throw failure }
        if let failure = captureFailure.withLock({ $0 }) { throw failure }
    }

    /// What ended a `strict` run on the processing side.
    enum ProcessingFailure: Error, CustomStringConvertible {
        /// Frame `index` (0-based among the frames processed) did not decode.
        case undecodable(index: Int, reason: String)
        /// A stage failed on frame `index`, or (nil) when the stream ended.
        case stage(name: String, index: Int?, reason: String)

        var description: String {
            switch self {
            case .undecodable(let index, let reason): return "frame \(index) does not decode (\(reason))"
            case .stage(let name, let index?, let reason): return "stage \(name) failed on frame \(index): \(reason)"
            case .stage(let name, nil, let reason): return "stage \(name) failed at the end of the stream: \(reason)"
            }
        }
    }

    private let processingFailure = Mutex<ProcessingFailure?>(nil)

    /// Ends a strict run: records why and stops both sides.
    private func fail(_ failure: ProcessingFailure) {
        processingFailure.withLock { $0 = $0 ?? failure }
        stop()
    }

    /// Why the capture side ended early: the source could not be opened or failed while reading.
    struct CaptureFailure: Error, CustomStringConvertible {
        let description: String
    }

    private let captureFailure = Mutex<CaptureFailure?>(nil)
    /// Why the camera could not be opened or failed for good (an error retrying would not mend), nil while it
    /// runs or when it ended normally or was stopped.
    var failure: CaptureFailure? { captureFailure.withLock { $0 } }

    /// False when frames wait in the queue but processing has finished none for 30 s: the
    /// processing thread is wedged and the watchdog should let systemd restart the daemon.
    var isProcessingAlive: Bool {
        let last = counters.snapshot.lastProcessedMonotonic ?? 0
        return queue.depth == 0 || Clocks.monotonicNanos() &- last < 30_000_000_000
    }

    /// Asks both threads to stop. The capture thread notices between frames (a live source
    /// returns within its poll timeout); queued frames are discarded and counted as dropped.
    func stop() {
        stopping.set()
        (source as? InterruptibleSource)?.interrupt()
        discardQueued()
        queue.finish()
    }

    private func discardQueued() {
        let discarded = queue.clear()
        guard discarded > 0 else { return }
        counters.update { $0.dropped += UInt64(discarded) }
        metrics.dropped.increment(by: Int64(discarded))
    }

    // MARK: capture side

    private func captureLoop() {
        defer { queue.finish() }
        do {
            try source.open()
        } catch {
            logger.error("cannot start camera", metadata: ["source": "\(source.description)", "error": "\(error)"])
            captureFailure.withLock { $0 = CaptureFailure(description: "\(error)") }
            report(online: false, reason: "failed")
            return
        }
        // A reconnecting source reports its own state (it may open while the camera is absent).
        if !(source is ReconnectingSource) {
            setOnline(true, reason: "started")
            logger.info("camera online", metadata: ["source": "\(source.description)"])
        }
        var lastCorrupt: UInt64 = 0
        var nextDueSourceTime: Double? = nil
        while !stopping.isSet {
            let frame: CapturedFrame?
            do {
                frame = try source.next()
            } catch {
                logger.error("camera failed", metadata: ["source": "\(source.description)", "error": "\(error)"])
                captureFailure.withLock { $0 = CaptureFailure(description: "\(error)") }
                break
            }
            let corrupt = source.stats.corrupt
            if corrupt > lastCorrupt {
                let delta = corrupt - lastCorrupt
                counters.update { $0.corrupt += delta }
                metrics.corrupt.increment(by: Int64(delta))
                lastCorrupt = corrupt
            }
            guard let frame else { break }
            counters.update {
                $0.captured += 1
                if $0.firstFrameMonotonic == nil { $0.firstFrameMonotonic = frame.monotonicNanos }
                $0.lastFrameMonotonic = frame.monotonicNanos
            }
            metrics.captured.increment()
            if let fps = settings.processFPS {
                // Thin on the source timeline so that replaying fast keeps the same frames.
                if let due = nextDueSourceTime, frame.pts + 1e-9 < due {
                    counters.update { $0.skipped += 1 }
                    metrics.skipped.increment()
                    continue
                }
                nextDueSourceTime = max(nextDueSourceTime ?? frame.pts, frame.pts - 0.5 / fps) + 1 / fps
            }
            if queue.push(frame) != nil {
                counters.update { $0.dropped += 1 }
                metrics.dropped.increment()
            }
        }
        source.close()
        let failed = captureFailure.withLock { $0 != nil }
        setOnline(false, reason: stopping.isSet ? "stopped" : failed ? "failed" : "ended")
    }

    /// Called by a reconnecting source when the camera goes away or comes back.
    func sourceStateChanged(online: Bool, reason: String?) {
        let wasOffline = counters.snapshot.offlineSince != nil
        setOnline(online, reason: online ? (wasOffline ? "reconnected" : "started") : "lost")
        if online {
            counters.update { $0.offlineSince = nil }
            if wasOffline {
                counters.update { $0.reconnects += 1 }
                logger.notice("camera back online")
            } else {
                logger.info("camera online", metadata: ["source": "\(source.description)"])
            }
        } else {
            counters.update { $0.offlineSince = $0.offlineSince ?? Clocks.monotonicNanos() }
            logger.warning("camera offline, reopening with backoff", metadata: ["reason": "\(reason ?? "unknown")"])
        }
    }

    /// `reason` is one word (started, reconnected, lost, ended, stopped, failed), never an error text: a
    /// source's error can quote its URL, and this goes into a signed event.
    private func setOnline(_ online: Bool, reason: String) {
        counters.update { $0.online = online }
        metrics.online.record(online ? 1 : 0)
        report(online: online, reason: reason)
    }

    /// Tells `status` when the state differs from the one told last.
    private func report(online: Bool, reason: String) {
        guard let status else { return }
        let changed = reportedOnline.withLock { last in
            defer { last = online }
            return last != online
        }
        if changed { status(online, reason) }
    }

    // MARK: processing side

    private func processingLoop() {
        var options = settings.decode
        options.color = options.color || stages.contains { $0.needsColor }
        let decoder = FrameDecoder(camera: settings.camera, options: options)
        var masker = PrivacyMasker(settings.privacyMasks)
        var corruptLogged = 0
        let began = Clocks.monotonicNanos()
        defer { counters.update { $0.processingWallNanos = Clocks.monotonicNanos() - began } }
        let finishing = stages.compactMap { $0 as? any FinishingStage }
        while let captured = nextFrame(telling: finishing) {
            let start = Clocks.monotonicNanos()
            counters.update { $0.lastProcessedMonotonic = start }
            let frame: Frame
            do {
                frame = masker.apply(try decoder.decode(captured))
            } catch {
                if settings.strict {
                    fail(.undecodable(index: Int(counters.snapshot.decoded), reason: "\(error)"))
                    break
                }
                counters.update { $0.corrupt += 1 }
                metrics.corrupt.increment()
                corruptLogged += 1
                // A broken camera can send thousands of bad frames: say so, but not for each.
                if corruptLogged <= 5 || corruptLogged.isMultiple(of: 1000) {
                    logger.warning("skipping corrupt frame",
                                   metadata: ["seq": "\(captured.seq)", "error": "\(error)",
                                              "corrupt_so_far": "\(counters.snapshot.corrupt)"])
                }
                continue
            }
            let decoded = Clocks.monotonicNanos()
            metrics.decode.recordNanoseconds(Int64(decoded - start))
            counters.update {
                $0.decoded += 1
                $0.decodeNanos += decoded - start
                $0.processingWidth = frame.gray.width
                $0.processingHeight = frame.gray.height
            }
            metrics.decoded.increment()
            for (index, stage) in stages.enumerated() {
                run(stage, index: index, seq: frame.seq) { try stage.process(frame) }
            }
        }
        // The run ended: stages report what they held back (a crossing waiting for its signal to settle), then
        // those with work in flight (evidence clips) deliver what they have.
        for (index, stage) in stages.enumerated() {
            run(stage, index: index, seq: nil) { try stage.streamEnded() }
        }
        for stage in finishing { stage.finish() }
    }

    /// Runs one stage's step (`process` of frame `seq`, or `streamEnded` when nil): its detections go to the sink;
    /// a failure is logged (and ends a strict run); its time is counted.
    private func run(_ stage: any Stage, index: Int, seq: UInt64?, _ step: () throws -> [Detection]) {
        let stageStart = Clocks.monotonicNanos()
        do {
            let detections = try step()
            for detection in detections {
                sink(detection)
                metrics.detection(type: detection.type).increment()
            }
            counters.update { $0.detections += UInt64(detections.count) }
        } catch {
            if settings.strict {
                fail(.stage(name: stage.name, index: seq.map { _ in Int(counters.snapshot.decoded) - 1 },
                            reason: "\(error)"))
            }
            let at = seq.map { "\($0)" } ?? "end of stream"
            logger.error("stage failed", metadata: ["stage": "\(stage.name)", "seq": "\(at)", "error": "\(error)"])
        }
        let elapsed = Clocks.monotonicNanos() - stageStart
        metrics.stageTimers[index].recordNanoseconds(Int64(elapsed))
        counters.update {
            $0.stageNanos += elapsed
            $0.stageNanosByName[stage.name, default: 0] += elapsed
        }
    }

    /// Seconds without a frame after which stages with work in flight are told the source went quiet.
    static let quietSeconds = 3.0

    /// The next frame, nil once the run ended. While none comes for `quietSeconds` (a camera offline, a stalled
    /// stream), the stages in `finishing` deliver what they hold rather than keep it until frames come back.
    private func nextFrame(telling finishing: [any FinishingStage]) -> CapturedFrame? {
        guard !finishing.isEmpty else { return queue.pop() }
        while true {
            switch queue.pop(waitingAtMost: Self.quietSeconds) {
            case .element(let frame): return frame
            case .finished: return nil
            case .idle: for stage in finishing { stage.sourceWentQuiet() }
            }
        }
    }
}

/// Calls `body` once `count` threads have arrived.
final class ThreadCountdown: Sendable {
    private let remaining: Atomic<Int>
    private let body: @Sendable () -> Void

    init(_ count: Int, body: @escaping @Sendable () -> Void) {
        remaining = Atomic(count)
        self.body = body
    }

    func arrive() {
        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { body() }
    }
}

/// A one-way flag, set from any thread.
final class StopFlag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
