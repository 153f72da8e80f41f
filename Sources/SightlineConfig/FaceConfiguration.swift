/// A camera's face stage (key `faces:` of a camera entry). Without the section the camera runs no face
/// stage; with it, faces are detected on processed frames and evidence is blurred unless told otherwise.
/// Recognition (`recognize:`) is off unless enabled there.
public struct FaceConfiguration: Sendable, Equatable {
    /// Key `detect`, default true: run the HOG face detector.
    public var detect: Bool
    /// Key `blur_evidence`, default true: blur every tracked face in evidence frames kept by other stages.
    public var blurEvidence: Bool
    /// Key `upsample`, 0...2, default 0: times each frame is doubled before detection (finds faces down to
    /// about 40 px instead of 80 px at 4× the cost per doubling).
    public var upsample: Int
    /// Key `every_n_frames`, 1...1000, default 1: run the detector on one processed frame in N; the tracker
    /// predicts face boxes in between.
    public var everyNFrames: Int
    /// Key `min_size`, pixels, 0...4096, default 40: faces narrower than this (in source pixels) are blurred
    /// but not reported as detections.
    public var minSize: Int
    /// Key `keep_frames`, 0...1000, default 10: frames a face stays blurred after the detector last saw it.
    public var keepFrames: Int
    /// Key `models`: directory holding `frontal_face_detector.svm`, and for recognition
    /// `shape_predictor_5_face_landmarks.dat` and `dlib_face_recognition_resnet_model_v1.dat` (Models/fetch puts
    /// them in Models/files).
    public var models: String
    /// Key `recognize`: matching faces against the enrolled gallery; off by default.
    public var recognize: RecognitionConfiguration

    public static let defaultModels = "Models/files"

    public init(detect: Bool = true, blurEvidence: Bool = true, upsample: Int = 0, everyNFrames: Int = 1,
                minSize: Int = 40, keepFrames: Int = 10, models: String = FaceConfiguration.defaultModels,
                recognize: RecognitionConfiguration = RecognitionConfiguration()) {
        self.detect = detect
        self.blurEvidence = blurEvidence
        self.upsample = upsample
        self.everyNFrames = everyNFrames
        self.minSize = minSize
        self.keepFrames = keepFrames
        self.models = models
        self.recognize = recognize
    }
}
