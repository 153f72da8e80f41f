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

/// The frame source for a configured camera: recorded footage as it is, a V4L2 camera wrapped in
/// a `ReconnectingSource` so that an unplug or a stall never ends its pipeline.
func makeSource(for camera: CameraConfiguration, relay: SourceStateRelay, logger: Logger) throws -> any FrameSource {
    let spec = camera.source
    let options = SourceOptions(
        fps: camera.fps, pacing: camera.replay, loop: camera.loop,
        width: camera.width, height: camera.height, deviceTimeoutSeconds: camera.deviceTimeout)
    guard case .v4l2 = spec else { return try SourceFactory.make(spec: spec, options: options) }
    var reconnectLogger = logger
    reconnectLogger[metadataKey: "camera"] = "\(camera.id)"
    return ReconnectingSource(description: spec.description, logger: reconnectLogger,
                              onStateChange: { relay.changed($0) },
                              factory: { try SourceFactory.make(spec: spec, options: options) })
}
