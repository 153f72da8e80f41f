/// How distances are measured.
public enum DistanceMetric: String, Sendable, CaseIterable, Codable {
    /// Squared Euclidean distance, `Σ (q − x)²`.
    case squaredL2
    /// Cosine distance, `1 − cos(q, x)`. Vectors are normalised on insertion and queries on search,
    /// so the index ranks by the squared L2 of unit vectors, `2 − 2 cos`, and reports half of it.
    case cosine
}

/// How the scanned copy of the vectors is stored. The answer is float32's in every format: compact formats
/// only screen candidates, which are re-ranked from an exact float32 copy.
public enum StorageFormat: String, Sendable, CaseIterable, Codable {
    /// 4 bytes per component; scanned directly, exact.
    case float32 = "f32"
    /// 2 bytes per component (IEEE half). Components beyond ±65504 are refused.
    case float16 = "f16"
    /// 1 byte per component with one float scale per vector (`x ≈ scale · n`, `|n| ≤ 127`).
    case int8 = "i8"

    /// Bytes per component of the scanned copy.
    public var bytesPerComponent: Int {
        switch self {
        case .float32: 4
        case .float16: 2
        case .int8: 1
        }
    }
}

/// Configuration of a `FlatIndex`.
public struct IndexConfiguration: Sendable, Equatable {
    /// Components per vector, ≥ 1.
    public var dimension: Int
    /// Distance metric.
    public var metric: DistanceMetric
    /// Storage of the scanned copy.
    public var format: StorageFormat
    /// Threads used by a search over a large index (≥ 1). Small indices (under ~64k vectors per thread)
    /// are scanned on the calling thread.
    public var threads: Int

    public init(dimension: Int, metric: DistanceMetric = .squaredL2, format: StorageFormat = .float32, threads: Int = 1) {
        precondition(dimension >= 1, "dimension must be at least 1")
        precondition(threads >= 1, "threads must be at least 1")
        self.dimension = dimension
        self.metric = metric
        self.format = format
        self.threads = threads
    }
}

/// One search result: the id of a stored vector and its distance (squared L2, or cosine distance).
public struct Neighbor: Sendable, Equatable, Hashable {
    public var id: UInt64
    public var distance: Float

    public init(id: UInt64, distance: Float) {
        self.id = id
        self.distance = distance
    }
}
