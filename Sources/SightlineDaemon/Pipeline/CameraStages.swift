import Logging
import SightlineCore
import Traffic

/// The traffic stage of a camera, when it has a `traffic:` section (else none).
///
/// `redactor` is the face stage's blur (nil when faces are off or `blur_evidence` is false). No
/// evidence consumer exists in the daemon yet (the event log will be one), so the stage is given
/// none and keeps no evidence frames at all.
func trafficStages(for camera: CameraConfiguration, redactor: (any EvidenceRedactor)?, logger: Logger) -> [any Stage] {
    guard let traffic = camera.traffic else { return [] }
    var stageLogger = logger
    stageLogger[metadataKey: "camera"] = "\(camera.id)"
    return [TrafficStage(configuration: traffic, redactor: redactor, evidence: nil, logger: stageLogger)]
}
