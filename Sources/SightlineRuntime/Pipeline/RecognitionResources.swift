import FaceKit
import Logging
import Matcher
import Metrics
import SightlineConfig
import Synchronization

/// What the cameras that recognise faces share: each gallery (one `RecognitionGallery` per file, so expiry is
/// handled and audited once) and the parsed models per models directory.
///
/// Built once by the daemon before its pipelines; each camera gets its own `FaceRecognition` (the embedder
/// is not thread-safe). Thread-safe.
final class RecognitionResources: Sendable {
    private struct Models: Sendable {
        var network: DlibNetwork
        var landmarks: ShapePredictorModel
        var networkSHA256: String
    }

    private struct Caches {
        var models: [String: Models] = [:]
        var galleries: [String: RecognitionGallery] = [:]
    }

    private let logger: Logger
    private let metrics: (any MetricsFactory)?
    private let caches = Mutex(Caches())

    /// - Parameters:
    ///   - metrics: the metrics factory (nil: the bootstrapped `MetricsSystem`).
    init(logger: Logger = Logger(label: "sightlined.recognition"), metrics: (any MetricsFactory)? = nil) {
        self.logger = logger
        self.metrics = metrics
    }

    /// The recognition of camera `camera`, whose face section enables `recognize`.
    func recognition(for camera: String, faces: FaceConfiguration, models directory: ModelDirectory,
                     detector: FaceDetector, keepFrames: Int) throws -> FaceRecognition
    {
        let config = faces.recognize
        let models = try self.models(in: directory, camera: camera)
        guard let galleryPath = config.gallery else {
            throw FaceStageError(message: "camera '\(camera)': faces.recognize needs 'gallery'")
        }
        let policy = OpenSetPolicy(threshold: Float(config.threshold), margin: Float(config.margin))
        let gallery = try caches.withLock { caches -> RecognitionGallery in
            let key = galleryPath + "\u{0}" + (config.key ?? "")
            if let shared = caches.galleries[key] {
                guard shared.policy == policy else {
                    throw FaceStageError(message: "camera '\(camera)': gallery \(galleryPath) is used by another "
                        + "camera with a different threshold or margin; give every camera of one gallery the same")
                }
                return shared
            }
            do {
                let opened = try RecognitionGallery(path: galleryPath, keyPath: config.key,
                                                    modelSHA256: models.networkSHA256, policy: policy, logger: logger)
                caches.galleries[key] = opened
                return opened
            } catch {
                throw FaceStageError(message: "camera '\(camera)': faces.recognize: \(error)")
            }
        }
        let embedder: FaceEmbedder
        do {
            embedder = try FaceEmbedder(network: models.network)
        } catch {
            throw FaceStageError(message: "camera '\(camera)': cannot compile the face network: \(error)")
        }
        let describer = FaceDescriber(detector: detector, landmarker: FaceLandmarker(model: models.landmarks),
                                      embedder: embedder)
        return FaceRecognition(camera: camera, describer: describer, gallery: gallery, confirmK: config.confirmK,
                               confirmN: config.confirmN, keepFrames: keepFrames,
                               keepsEvidence: config.evidence,
                               metrics: metrics ?? MetricsSystem.factory, logger: logger)
    }

    /// The landmark model and face network of a models directory, read (and checked against its manifest) once.
    private func models(in directory: ModelDirectory, camera: String) throws -> Models {
        if let cached = caches.withLock({ $0.models[directory.path] }) { return cached }
        let warn: (String) -> Void = { [logger] in logger.warning("\($0)", metadata: ["camera": "\(camera)"]) }
        let models: Models
        do {
            let landmarks = try directory.landmarks(warn: warn)
            let (network, sha256) = try directory.network(warn: warn)
            models = Models(network: network, landmarks: landmarks, networkSHA256: sha256)
        } catch {
            throw FaceStageError(message: "camera '\(camera)': \(error)")
        }
        caches.withLock { $0.models[directory.path] = models }
        return models
    }
}
