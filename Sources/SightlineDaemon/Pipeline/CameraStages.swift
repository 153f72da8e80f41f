import Logging
import SightlineCore
import Traffic

/// The stages a camera runs, in order: frame statistics always, then the traffic stage when the camera
/// has a `traffic:` section. No evidence redactor is wired yet, so the traffic stage keeps no evidence.
func stages(for camera: CameraConfiguration, logger: Logger) -> [Stage] {
    var stages: [Stage] = [FrameStatsStage()]
    if let traffic = camera.traffic {
        var stageLogger = logger
        stageLogger[metadataKey: "camera"] = "\(camera.id)"
        stages.append(TrafficStage(configuration: traffic, redactor: nil, evidence: nil, logger: stageLogger))
    }
    return stages
}
