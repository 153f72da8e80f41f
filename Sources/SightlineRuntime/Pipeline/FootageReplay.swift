import Logging
import SightlineConfig
import SightlineCore
import Synchronization
import Traffic

/// One camera's pipeline over recorded footage, as fast as it goes: the daemon's own pipeline code (the
/// source, the bounded queue — which waits for room in fast replay instead of dropping — `process_fps`,
/// decoding at `processing_width`, the stages in the daemon's order), for `sightline replay` and
/// `sightline eval traffic`, so that an evaluation exercises what runs in production.
///
/// There is no event log here, so no evidence is kept (crossing evidence is never made without one).
public struct FootageReplay {
    /// What one run did.
    public struct Result: Sendable {
        /// Every detection, in the order the stages reported them.
        public var detections: [Detection] = []
        /// Frames decoded and given to the stages.
        public var frames = 0
        /// Frames skipped before decoding to honour `process_fps`.
        public var skipped = 0
        /// Frames the source or the decoder found broken.
        public var corrupt = 0
        /// Processing size of the frames (after DCT scaling).
        public var width = 0
        public var height = 0
        /// Wall time per stage name (`stats`, `faces`, `traffic`) and for decoding, in nanoseconds.
        public var stageNanos: [String: UInt64] = [:]
        public var decodeNanos: UInt64 = 0

        /// Frames per second of `stage` alone (0 when it did not run).
        public func fps(of stage: String) -> Double {
            guard let nanos = stageNanos[stage], nanos > 0 else { return 0 }
            return Double(frames) / (Double(nanos) / 1e9)
        }

        /// Frames per second of decoding plus every stage.
        public var totalFPS: Double {
            let nanos = decodeNanos + stageNanos.values.reduce(0, +)
            return nanos == 0 ? 0 : Double(frames) / (Double(nanos) / 1e9)
        }
    }

    /// The camera as replayed: its source is the footage, paced `fast`, not looped.
    public private(set) var camera: CameraConfiguration
    /// Called once per frame with the traffic stage's account of the signal and the tracks.
    public var trace: ((String) -> Void)?
    /// Called once per frame with what the traffic stage saw (its picture, motion mask, blobs and tracks).
    public var inspect: ((TrafficInspection) -> Void)?
    private let logger: Logger

    /// - Parameters:
    ///   - camera: the camera's settings (its `source` is replaced by `footage`).
    ///   - footage: recorded footage (`mjpeg:`, `avi:`, `y4m:`, `jpegdir:`).
    ///   - fps: the rate of footage that records none; nil keeps the camera's `fps` (or the default).
    ///   - logger: where the pipeline logs (nil: warnings and errors only, under `sightline.replay`).
    public init(camera: CameraConfiguration, footage: SourceSpec, fps: Double? = nil, logger: Logger? = nil) {
        var camera = camera
        camera.source = footage
        camera.replay = .asFastAsPossible
        camera.loop = false
        camera.enabled = true
        if let fps { camera.fps = fps }
        if !footage.kind.needsFileRate { camera.fps = nil }
        self.camera = camera
        self.logger = logger ?? {
            var quiet = Logger(label: "sightline.replay")
            quiet.logLevel = .warning
            return quiet
        }()
    }

    /// Runs the footage to its end; `each` sees every detection as it is reported (on the processing thread).
    public func run(each: @escaping @Sendable (Detection) -> Void = { _ in }) throws -> Result {
        let collected = Mutex<[Detection]>([])
        let pipeline = try PipelineBuilder.pipeline(
            for: camera, recognition: RecognitionResources(logger: logger), events: nil, rules: EventSink.Rules(),
            logger: logger
        ) { detection in
            collected.withLock { $0.append(detection) }
            each(detection)
        }
        for case let traffic as TrafficStage in pipeline.stages {
            if let trace { traffic.trace = trace }
            if let inspect { traffic.inspect = inspect }
        }
        try pipeline.runUntilEnd()
        let counts = pipeline.counters.snapshot
        var result = Result()
        result.detections = collected.withLock { $0 }
        result.frames = Int(counts.decoded)
        result.skipped = Int(counts.skipped)
        result.corrupt = Int(counts.corrupt)
        result.width = counts.processingWidth
        result.height = counts.processingHeight
        result.stageNanos = counts.stageNanosByName
        result.decodeNanos = counts.decodeNanos
        return result
    }
}
