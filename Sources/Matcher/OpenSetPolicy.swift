/// The open-set rule: a face is a subject only if its distance to the subject's nearest template is under
/// the threshold and the next subject is farther by at least the margin.
///
/// Distances are Euclidean (the square root of the index's squared L2) for `.squaredL2`, so the default
/// threshold 0.6 is dlib's face-recognition threshold; for `.cosine` they are cosine distances.
public struct OpenSetPolicy: Sendable, Equatable {
    /// Largest accepted distance (default 0.6, dlib's tolerance for its 128-d descriptors).
    public var threshold: Float
    /// Smallest accepted gap between the best subject and the next one (default 0.05).
    public var margin: Float
    /// Metric of the gallery index.
    public var metric: DistanceMetric

    public init(threshold: Float = 0.6, margin: Float = 0.05, metric: DistanceMetric = .squaredL2) {
        self.threshold = threshold
        self.margin = margin
        self.metric = metric
    }

    /// Outcome for one face.
    public enum Decision: Sendable, Equatable {
        /// The face is this subject, at this distance.
        case match(subject: String, distance: Float)
        /// Nobody (the nearest distance is kept for diagnostics only; no subject is named).
        case unknown(nearest: Float?)
    }

    /// Decides from the best subject's index distance and the next subject's (nil if there is none).
    public func decide(subject: String, distance: Float, nextDistance: Float?) -> Decision {
        let best = reported(distance)
        let gap = nextDistance.map { reported($0) - best } ?? .infinity
        guard best <= threshold, gap >= margin else { return .unknown(nearest: best) }
        return .match(subject: subject, distance: best)
    }

    /// Index distance → reported distance.
    func reported(_ distance: Float) -> Float { metric == .squaredL2 ? max(0, distance).squareRoot() : distance }
}
