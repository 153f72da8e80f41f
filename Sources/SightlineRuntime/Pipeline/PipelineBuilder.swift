import Imaging
import Logging
import SightlineConfig
import SightlineCore

/// Builds the camera pipelines of a configuration: at start, and again for each configuration reload.
///
/// What outlives a reload is given once (the detections file and the event log with its sink); what a
/// configuration decides is built anew each time (sources, stages, recognition resources, so a reload also
/// re-reads galleries and models). Building opens no camera: sources open when their pipeline runs.
struct PipelineBuilder {
    /// One configuration's pipelines, ready to run, and the event rules that go with them.
    struct Generation {
        var pipelines: [CameraPipeline]
        /// To hand to the event sink just before these pipelines start (nil when events are off).
        var rules: EventSink.Rules?
        /// The configuration's `cameras` ids that are enabled, in file order.
        var cameras: [String] { pipelines.map(\.settings.camera) }
    }

    let detections: DetectionSink
    let events: EventWiring?
    let logger: Logger

    /// The pipelines of every enabled camera. Throws what a camera's stages cannot be built with (a
    /// missing model, a gallery that cannot be read, a bad source spec); nothing has started then.
    func build(_ configuration: DaemonConfiguration) throws -> Generation {
        let detections = self.detections
        let sink = events?.sink
        let recognition = RecognitionResources(logger: logger)
        let rules = configuration.events.map { EventSink.Rules(configuration: $0, cameras: configuration.cameras) }
            ?? EventSink.Rules()
        var pipelines: [CameraPipeline] = []
        for camera in configuration.cameras where camera.enabled {
            pipelines.append(try Self.pipeline(for: camera, recognition: recognition, events: sink, rules: rules,
                                               logger: logger) { detection in
                sink?.write(detection)
                detections.write(detection)
            })
        }
        return Generation(pipelines: pipelines, rules: events == nil ? nil : rules)
    }

    /// How a camera's frames are decoded: DCT-scaled to `processing_width`, luma only, and refused above a
    /// pixel cap before anything is allocated for them. A V4L2 camera with a configured size is capped at
    /// four times that area (a driver may pick a larger nearest size, never that much larger); every other
    /// source, and any camera, at most 8192×8192.
    static func decodeOptions(for camera: CameraConfiguration) -> FrameDecoder.Options {
        var cap = JPEGDecoder.defaultMaxPixels
        if let width = camera.width, let height = camera.height {
            let (area, overflow) = width.multipliedReportingOverflow(by: height)
            if !overflow, area > 0, area <= cap / 4 { cap = area * 4 }
        }
        return .init(minWidth: camera.processingWidth, color: false, maxPixels: cap)
    }

    /// The pipeline of one camera, not yet running: its source (a V4L2 camera wrapped to reconnect), its
    /// stages in order (frame statistics, faces, traffic; faces observe a frame before traffic redacts it),
    /// the queue policy (`replay: fast` footage waits for room, everything else drops the oldest) and
    /// `process_fps`. What `sightline replay` and `eval` run too, with `events` nil.
    static func pipeline(for camera: CameraConfiguration, recognition: RecognitionResources, events: EventSink?,
                         rules: EventSink.Rules, logger: Logger, sink: @escaping @Sendable (Detection) -> Void)
        throws -> CameraPipeline
    {
        let relay = SourceStateRelay()
        let settings = CameraPipeline.Settings(
            camera: camera.id, queueDepth: camera.queueDepth,
            overflow: camera.source.isRecorded && camera.replay == .asFastAsPossible ? .wait : .dropOldest,
            processFPS: camera.processFPS,
            decode: decodeOptions(for: camera), privacyMasks: camera.privacyMasks)
        let faces = try FaceStageFactory.make(for: camera, recognition: recognition)
        let stages: [any Stage] = [FrameStatsStage()] + faces.stages
            + trafficStages(for: camera, redactor: faces.redactor, events: events, rules: rules, logger: logger)
        let source = try makeSource(for: camera, color: stages.contains { $0.needsColor }, relay: relay,
                                    logger: logger)
        var status: (@Sendable (Bool, String) -> Void)?
        if let events {
            let id = camera.id
            status = { online, reason in events.status(camera: id, online: online, reason: reason) }
        }
        let pipeline = CameraPipeline(settings: settings, source: source, stages: stages, logger: logger,
                                      status: status, sink: sink)
        relay.pipeline = pipeline
        return pipeline
    }
}
