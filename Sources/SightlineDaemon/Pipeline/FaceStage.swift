import FaceKit
import Metrics
import SightlineCore

/// The face stage: detects faces (through the camera's `TrackedFaceRedactor`, which keeps them tracked for
/// blurring evidence) and reports `face.detected` for frames with faces at least `min_size` wide.
///
/// Reports observations only: boxes in source pixels and scores, never an identity (recognition is off).
final class FaceStage: Stage {
    let name = "faces"
    let needsColor = false
    let redactor: TrackedFaceRedactor
    let minSize: Int
    private let faces: Counter
    private let detectorTime: Metrics.Timer

    init(camera: String, redactor: TrackedFaceRedactor, minSize: Int) {
        self.redactor = redactor
        self.minSize = minSize
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
        guard !reported.isEmpty else { return [] }
        let boxes: [JSONValue] = reported.map { face in
            .array([face.box.left, face.box.top, face.box.right, face.box.bottom].map {
                .int(Int64((Double($0) * scale).rounded()))
            })
        }
        return [Detection(type: "face.detected", camera: frame.camera, frameSeq: frame.seq, wallNanos: frame.wallNanos,
                          body: ["count": .int(Int64(reported.count)), "boxes": .array(boxes),
                                 "scores": .array(reported.map { .double(($0.score * 1000).rounded() / 1000) })])]
    }
}

/// Builds a camera's face stage from its configuration (nil section or `detect: false`: none).
enum FaceStageFactory {
    struct Built {
        var stages: [any Stage]
        /// What other stages use to blur their evidence (nil when `blur_evidence` is off).
        var redactor: (any EvidenceRedactor)?
    }

    static func make(for camera: CameraConfiguration) throws -> Built {
        guard let config = camera.faces, config.detect else { return Built(stages: [], redactor: nil) }
        let path = config.models + "/frontal_face_detector.svm"
        let model: FHOGDetectorModel
        do {
            model = try FHOGDetectorModel(contentsOfFile: path)
        } catch {
            throw FaceStageError(message: "camera '\(camera.id)': cannot load the face detector \(path): \(error) "
                + "(run Models/fetch, set faces.models, or set faces.detect: false)")
        }
        let redactor = TrackedFaceRedactor(
            detector: FaceDetector(model: model),
            settings: .init(upsample: config.upsample, every: config.everyNFrames, keepFrames: config.keepFrames))
        let stage = FaceStage(camera: camera.id, redactor: redactor, minSize: config.minSize)
        return Built(stages: [stage], redactor: config.blurEvidence ? redactor : nil)
    }
}

struct FaceStageError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
