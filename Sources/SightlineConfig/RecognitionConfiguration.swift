/// Face recognition against the enrolled gallery (key `recognize:` of a camera's `faces:` section). Off by
/// default: without `enabled: true` no face is aligned, embedded or compared with anyone.
///
/// When on, each detected face at least `min_size` wide is aligned and embedded, compared with the gallery
/// only, and reported as `face.match` once the same tracked face matched one subject in `confirm_k` of its
/// last `confirm_n` detector frames. A face that matches nobody is dropped in memory.
public struct RecognitionConfiguration: Sendable, Equatable {
    /// Key `enabled`, default false.
    public var enabled: Bool
    /// Key `gallery`: the encrypted gallery file `sightline gallery enroll` writes (required when enabled).
    public var gallery: String?
    /// Key `key`: the gallery's key file; default beside the gallery (`GALLERY.key`).
    public var key: String?
    /// Key `threshold`, default 0.6 (dlib's tolerance), 0 < t ≤ 2: largest Euclidean descriptor distance
    /// accepted as a match.
    public var threshold: Double
    /// Key `margin`, default 0.05, 0 ≤ m ≤ 2: the next subject must be at least this much farther.
    public var margin: Double
    /// Key `confirm_k`, default 3: matches of one subject needed within the last `confirm_n` detector frames
    /// of a tracked face.
    public var confirmK: Int
    /// Key `confirm_n`, default 5, ≥ `confirm_k`: detector frames remembered per tracked face.
    public var confirmN: Int
    /// Key `evidence`, default false: attach a JPEG of the frame to each `face.match`, with every face but the
    /// matched one blurred. Off: a match carries no image at all.
    public var evidence: Bool

    public init(enabled: Bool = false, gallery: String? = nil, key: String? = nil, threshold: Double = 0.6,
                margin: Double = 0.05, confirmK: Int = 3, confirmN: Int = 5, evidence: Bool = false) {
        self.enabled = enabled
        self.gallery = gallery
        self.key = key
        self.threshold = threshold
        self.margin = margin
        self.confirmK = confirmK
        self.confirmN = confirmN
        self.evidence = evidence
    }
}
