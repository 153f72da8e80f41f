/// A camera's face stage (key `faces:` of a camera entry). Without the section the camera runs no face
/// stage; with it, faces are detected on processed frames and evidence is blurred unless told otherwise.
/// Recognition (`recognize:`) is off unless enabled there.
public struct FaceConfiguration: Sendable, Equatable {
    /// Key `detect`, default true: run the HOG face detector.
    public var detect: Bool
    /// Key `blur_evidence`, default true: blur every tracked face in evidence frames kept by other stages.
    public var blurEvidence: Bool
    /// Key `upsample`, 0...2, default unset: times each frame is doubled before detection (each doubling
    /// halves the smallest face found, 73 px without one, at 4× the cost). Unset derives it from `minSize` and the
    /// frame's decode scale, so that every face at least `min_size` wide is found and blurred.
    public var upsample: Int?
    /// Key `every_n_frames`, 1...1000, default 1: run the detector on one processed frame in N; the tracker
    /// predicts face boxes in between.
    public var everyNFrames: Int
    /// Key `min_size`, pixels, 0...4096, default 40: the smallest face (in source pixels) the detector must find
    /// when `upsample` is unset; narrower faces it finds are blurred but not reported as detections.
    public var minSize: Int
    /// Key `keep_frames`, 0...1000, default 10: frames a face stays blurred after the detector last saw it.
    public var keepFrames: Int
    /// Key `models`: directory holding `frontal_face_detector.svm`, and for recognition
    /// `shape_predictor_5_face_landmarks.dat` and `dlib_face_recognition_resnet_model_v1.dat`. Unset (nil): the
    /// same search as `sightline`'s commands (FaceKit's `ModelDirectory`): `SIGHTLINE_MODELS`, then the models
    /// installed beside the program (`PREFIX/share/sightline/models`), then `Models/files` in the working
    /// directory. Never a path relative to wherever the daemon happens to start.
    public var models: String?
    /// Key `recognize`: matching faces against the enrolled gallery; off by default.
    public var recognize: RecognitionConfiguration

    public init(detect: Bool = true, blurEvidence: Bool = true, upsample: Int? = nil, everyNFrames: Int = 1,
                minSize: Int = 40, keepFrames: Int = 10, models: String? = nil,
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
