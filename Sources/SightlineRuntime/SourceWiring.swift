import Capture
import Logging
import SightlineConfig
import SightlineCore
import Synchronization

/// Forwards a reconnecting camera's online/offline changes to its pipeline, which is built after
/// the source (the pipeline owns the source).
final class SourceStateRelay: Sendable {
    private struct Target {
        weak var pipeline: CameraPipeline?
    }

    private let target = Mutex(Target())

    /// The pipeline that receives the changes (held weakly: the pipeline owns the source, which owns this).
    var pipeline: CameraPipeline? {
        get { target.withLock { $0.pipeline } }
        set { target.withLock { $0.pipeline = newValue } }
    }

    func changed(_ state: ReconnectingSource.State) {
        switch state {
        case .online: pipeline?.sourceStateChanged(online: true, reason: nil)
        case .offline(let error): pipeline?.sourceStateChanged(online: false, reason: "\(error)")
        }
    }
}

/// The frame source for a configured camera: recorded footage as it is, a V4L2 or network camera wrapped in
/// a `ReconnectingSource` so that an unplug, a stall or a dropped stream never ends its pipeline. `color`: a
/// stage wants RGB (sources that decode themselves must be told).
func makeSource(for camera: CameraConfiguration, color: Bool = false, relay: SourceStateRelay, logger: Logger) throws
    -> any FrameSource
{
    let spec = camera.source
    let options = sourceOptions(for: camera, color: color)
    var sourceLogger = logger
    sourceLogger[metadataKey: "camera"] = "\(camera.id)"
    guard spec.kind.isLive else { return try SourceFactory.make(spec: spec, options: options, logger: sourceLogger) }
    return ReconnectingSource(description: spec.description, logger: sourceLogger,
                              onStateChange: { relay.changed($0) },
                              factory: { try SourceFactory.make(spec: spec, options: options, logger: sourceLogger) })
}

/// What a camera's configuration asks of its source.
func sourceOptions(for camera: CameraConfiguration, color: Bool) -> SourceOptions {
    SourceOptions(
        fps: camera.fps, pacing: camera.replay, loop: camera.loop,
        width: camera.width, height: camera.height, deviceTimeoutSeconds: camera.deviceTimeout,
        processingWidth: camera.processingWidth, color: color, transport: camera.transport,
        hardwareDecoding: camera.hardwareDecoding, passwordFile: camera.passwordFile,
        maxPixels: PipelineBuilder.decodeOptions(for: camera).maxPixels, tlsCAFile: camera.tlsCAFile)
}
