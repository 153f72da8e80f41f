import FaceKit
import Foundation
import Logging
import Matcher
import Metrics
import SightlineConfig
import SightlineCore

/// The face stage: detects faces (through the camera's `TrackedFaceRedactor`, which keeps them tracked for
/// blurring evidence) and reports `face.detected` for frames with faces at least `min_size` wide.
///
/// `face.detected` carries boxes in source pixels and scores, never an identity. Only when the camera enables
/// `faces.recognize` does the stage also hand those faces to `FaceRecognition`, which reports confirmed
/// `face.match`es of enrolled subjects; `face.detected` then carries the count alone, since a box beside a
/// `face.match` of the same frame would mark every other face as one that matched nobody.
final class FaceStage: Stage {
    let name = "faces"
    let redactor: TrackedFaceRedactor
    let minSize: Int
    /// Recognition against the gallery; nil when `recognize` is off (the default).
    let recognition: FaceRecognition?
    private let faces: Counter
    private let detectorTime: Metrics.Timer
    /// Faces reported so far (one per face per detector frame), for the run summary.
    private(set) var facesReported: UInt64 = 0

    /// Face boxes blurred in evidence kept so far: crossing frames (through the redactor) and match images.
    var facesBlurred: UInt64 { UInt64(redactor.boxesBlurred + (recognition?.evidenceBoxesBlurred ?? 0)) }

    /// Recognition aligns colour chips, so it asks the decoder for RGB.
    var needsColor: Bool { recognition != nil }

    init(camera: String, redactor: TrackedFaceRedactor, minSize: Int, recognition: FaceRecognition? = nil) {
        self.redactor = redactor
        self.minSize = minSize
        self.recognition = recognition
        faces = Counter(label: "sightline_faces_detected_total", dimensions: [("camera", camera)])
        detectorTime = Metrics.Timer(label: "sightline_face_detector_seconds", dimensions: [("camera", camera)],
                                     preferredDisplayUnit: .seconds)
    }

    func process(_ frame: Frame) throws -> [Detection] {
        let seen = redactor.observe(frame)
        guard let detections = seen.detections else { return [] }
        detectorTime.recordNanoseconds(Int64(seen.detectorNanos))
        let scale = frame.scaleToSource
        let reported = detections.filter { Double($0.box.width) * scale >= Double(minSize) }
        faces.increment(by: reported.count)
        facesReported += UInt64(reported.count)
        // Called on every detector frame, faces or not, so that tracks end when their face leaves.
        let matches = try recognition?.process(frame, faces: reported, blurBoxes: seen.blurBoxes) ?? []
        guard !reported.isEmpty else { return matches }
        if recognition != nil {
            return [Detection(.faceDetected, of: frame, body: ["count": .int(Int64(reported.count))])] + matches
        }
        let boxes: [JSONValue] = reported.map { face in
            .array([face.box.left, face.box.top, face.box.right, face.box.bottom].map {
                .int(Int64((Double($0) * scale).rounded()))
            })
        }
        return [Detection(.faceDetected, of: frame,
                          body: ["count": .int(Int64(reported.count)), "boxes": .array(boxes),
                                 "scores": .array(reported.map { .double(($0.score * 1000).rounded() / 1000) })])]
            + matches
    }
}

/// Builds a camera's face stage from its configuration (nil section or `detect: false`: none).
enum FaceStageFactory {
    struct Built {
        var stages: [any Stage]
        /// What other stages use to blur their evidence (nil when `blur_evidence` is off).
        var redactor: (any EvidenceRedactor)?
    }

    static func make(for camera: CameraConfiguration, recognition resources: RecognitionResources = .init())
        throws -> Built
    {
        guard let config = camera.faces, config.detect else { return Built(stages: [], redactor: nil) }
        let logger = Logger(label: "sightlined.faces")
        let needed = [FaceDescriber.FileName.detector]
            + (config.recognize.enabled ? [FaceDescriber.FileName.landmarks, FaceDescriber.FileName.embedder] : [])
        let models: ModelDirectory
        let model: FHOGDetectorModel
        do {
            models = try ModelDirectory.resolve(explicit: config.models, needing: needed)
            model = try models.detector { logger.warning("\($0)", metadata: ["camera": "\(camera.id)"]) }
        } catch {
            throw FaceStageError(message: "camera '\(camera.id)': cannot load the face detector: \(error) "
                + "(or set faces.detect: false)")
        }
        let detector = FaceDetector(model: model)
        let settings = TrackedFaceRedactor.Settings(upsample: config.upsample, minFaceWidth: config.minSize,
                                                    every: config.everyNFrames,
                                                    keepFrames: config.keepFrames)
        let redactor = TrackedFaceRedactor(detector: detector, settings: settings)
        var recognition: FaceRecognition?
        if config.recognize.enabled {
            recognition = try resources.recognition(for: camera.id, faces: config, models: models,
                                                    detector: detector,
                                                    keepFrames: max(settings.keepFrames, 2 * settings.every))
        }
        let stage = FaceStage(camera: camera.id, redactor: redactor, minSize: config.minSize, recognition: recognition)
        return Built(stages: [stage], redactor: config.blurEvidence ? redactor : nil)
    }
}

struct FaceStageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
