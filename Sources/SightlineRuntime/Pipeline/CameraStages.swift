import Logging
import SightlineConfig
import SightlineCore
import Traffic

/// The traffic stage of a camera, when it has a `traffic:` section (else none).
///
/// `redactor` is the face stage's blur (nil when faces are off or `blur_evidence` is false). The stage keeps
/// crossing evidence only when both a redactor and an event log exist and the camera signs crossings:
/// crossing evidence is never kept unblurred, and never kept where nothing would sign it. Its crossings then
/// carry pending evidence, which the stage completes on the next frame.
func trafficStages(for camera: CameraConfiguration, redactor: (any EvidenceRedactor)?, events: EventSink?,
                   rules: EventSink.Rules, logger: Logger) -> [any Stage] {
    guard let traffic = camera.traffic else { return [] }
    var stageLogger = logger
    stageLogger[metadataKey: "camera"] = "\(camera.id)"
    let keepsEvidence = events != nil && rules.emits(.trafficRedLightCrossing, camera: camera.id)
    let stage = TrafficStage(configuration: traffic, redactor: keepsEvidence ? redactor : nil, logger: stageLogger)
    let clip = camera.evidenceClip
    guard keepsEvidence, let redactor, clip.before + clip.after > 0 else { return [stage] }
    return [CrossingClipStage(wrapping: stage, redactor: redactor,
                              settings: ClipSettings(before: clip.before, after: clip.after), logger: stageLogger)]
}
