import Logging
import SightlineCore
import Traffic

/// The traffic stage of a camera, when it has a `traffic:` section (else none).
///
/// `redactor` is the face stage's blur (nil when faces are off or `blur_evidence` is false). Evidence
/// frames go to the event sink, and only when both a redactor and an event log exist: crossing evidence
/// is never kept unblurred, and never kept where nothing would sign it.
func trafficStages(for camera: CameraConfiguration, redactor: (any EvidenceRedactor)?, events: EventSink?,
                   logger: Logger) -> [any Stage] {
    guard let traffic = camera.traffic else { return [] }
    var stageLogger = logger
    stageLogger[metadataKey: "camera"] = "\(camera.id)"
    var evidence: (@Sendable (TrafficEvidence) -> Void)?
    if let events, redactor != nil, events.emits("traffic.red_light_crossing", camera: camera.id) {
        events.expectTrafficEvidence(camera: camera.id)
        evidence = { events.keep($0) }
    }
    return [TrafficStage(configuration: traffic, redactor: evidence == nil ? nil : redactor, evidence: evidence,
                         logger: stageLogger)]
}
