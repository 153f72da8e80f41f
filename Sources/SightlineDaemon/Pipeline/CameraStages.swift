import Logging
import SightlineConfig
import SightlineCore
import Traffic

/// The traffic stage of a camera, when it has a `traffic:` section (else none).
///
/// `redactor` is the face stage's blur (nil when faces are off or `blur_evidence` is false). Evidence
/// frames go to the event sink, and only when both a redactor and an event log exist: crossing evidence
/// is never kept unblurred, and never kept where nothing would sign it. Such a camera is added to
/// `rules.trafficEvidenceCameras`, so that the sink holds its crossings until their frames arrive.
func trafficStages(for camera: CameraConfiguration, redactor: (any EvidenceRedactor)?, events: EventSink?,
                   rules: inout EventSink.Rules, logger: Logger) -> [any Stage] {
    guard let traffic = camera.traffic else { return [] }
    var stageLogger = logger
    stageLogger[metadataKey: "camera"] = "\(camera.id)"
    var evidence: (@Sendable (TrafficEvidence) -> Void)?
    if let events, redactor != nil, rules.emits(.trafficRedLightCrossing, camera: camera.id) {
        rules.trafficEvidenceCameras.insert(camera.id)
        evidence = { events.keep($0) }
    }
    return [TrafficStage(configuration: traffic, redactor: evidence == nil ? nil : redactor, evidence: evidence,
                         logger: stageLogger)]
}
