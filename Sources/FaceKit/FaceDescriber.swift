import Imaging
import SightlineCore

/// Face descriptors from pictures, as `face_recognition.face_encodings` makes them: dlib's HOG detector, the
/// 5-point landmarks, a 150×150 chip with padding 0.25, then the ResNet descriptor.
///
/// Holds the three models; loading them takes about a second (the network is compiled once). The descriptors
/// it returns are the caller's to keep or drop: nothing here retains a face after a call returns.
/// Not thread-safe (the embedder keeps per-thread scratch): one describer per camera or caller.
public final class FaceDescriber {
    /// File names of dlib's models in a models directory (what `Models/fetch` puts in `Models/files`).
    public enum FileName {
        public static let detector = "frontal_face_detector.svm"
        public static let landmarks = "shape_predictor_5_face_landmarks.dat"
        public static let embedder = "dlib_face_recognition_resnet_model_v1.dat"
    }

    /// Chip side in pixels and padding around the mean face, as `face_recognition` asks of dlib.
    public static let chipSize = 150
    public static let chipPadding = 0.25

    /// One face of a picture.
    public struct Face: Sendable, Equatable {
        /// Box in the picture's pixels (dlib's inclusive rectangle; may extend past the picture).
        public var box: FaceBox
        /// Detector score (dlib's detection confidence).
        public var score: Double
        /// The 5 landmarks the chip was aligned on.
        public var landmarks: [FacePoint]
        /// The descriptor (128 floats for dlib's face ResNet).
        public var descriptor: [Float]
    }

    public let detector: FaceDetector
    public let landmarker: FaceLandmarker
    public let embedder: FaceEmbedder

    public init(detector: FaceDetector, landmarker: FaceLandmarker, embedder: FaceEmbedder) {
        self.detector = detector
        self.landmarker = landmarker
        self.embedder = embedder
    }

    /// Loads the three models from `directory` (names in `FileName`); the embedder runs on `threads` threads.
    public convenience init(modelsDirectory directory: String, threads: Int = 1) throws(ModelLoadError) {
        let detector = FaceDetector(model: try FHOGDetectorModel(contentsOfFile: directory + "/" + FileName.detector))
        let landmarker = FaceLandmarker(
            model: try ShapePredictorModel(contentsOfFile: directory + "/" + FileName.landmarks))
        let embedder = try FaceEmbedder(contentsOfFile: directory + "/" + FileName.embedder, threads: threads)
        self.init(detector: detector, landmarker: landmarker, embedder: embedder)
    }

    /// Every face in a gray or RGB picture with its descriptor, best detection first.
    ///
    /// - Parameter upsample: times the picture is doubled before detection; 1 is `face_recognition`'s default
    ///   (finds faces down to about 40 pixels), 0 is four times faster and finds faces from about 80 pixels.
    public func describe(_ image: Image, upsample: Int = 1) throws(EmbeddingError) -> [Face] {
        let detections = detector.detect(image, upsample: upsample)
        guard !detections.isEmpty else { return [] }
        let landmarks = detections.map { landmarker.landmarks(in: image, box: $0.box) }
        let descriptors = try embedder.embed(chips: landmarks.map { Self.chip(of: image, landmarks: $0) })
        return zip(detections, zip(landmarks, descriptors)).map {
            Face(box: $0.box, score: $0.score, landmarks: $1.0, descriptor: $1.1)
        }
    }

    /// The descriptors of faces already found in `image` (boxes from the detector or a tracker), in order.
    public func descriptors(of boxes: [FaceBox], in image: Image) throws(EmbeddingError) -> [[Float]] {
        guard !boxes.isEmpty else { return [] }
        let chips = boxes.map { Self.chip(of: image, landmarks: landmarker.landmarks(in: image, box: $0)) }
        return try embedder.embed(chips: chips)
    }

    /// The aligned RGB chip the embedder takes (a gray picture's chip is its gray replicated, as dlib sees a
    /// gray photo loaded as RGB).
    public static func chip(of image: Image, landmarks: [FacePoint]) -> Image {
        let details = FaceChipDetails(landmarks: landmarks, size: chipSize, padding: chipPadding)
        let chip = FaceChipExtractor.extract(image, details: details)
        return chip.channels == 3 ? chip : ColorConversion.rgb(fromGray: chip)
    }
}
