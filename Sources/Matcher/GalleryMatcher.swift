/// Identifies descriptors against a gallery snapshot: a `FlatIndex` over every template plus the open-set
/// decision.
///
/// Build one after the gallery changes (it copies the templates). The descriptor passed to `identify` is
/// used for this one search and not kept: a face that matches nobody leaves no trace here.
///
/// `@unchecked Sendable`, and honestly so: the index is private, filled in `init` and never mutated after it,
/// and `FlatIndex`'s searches only read; so any number of tasks may call `identify` at once. (`FlatIndex`
/// itself is not `Sendable`: its `add`/`remove` need one owner.)
public final class GalleryMatcher: @unchecked Sendable {
    /// The decision rule.
    public let policy: OpenSetPolicy
    private let index: FlatIndex
    private let subjectOfID: [String]
    private let subjectCount: Int

    /// Indexes `subjects`' templates (all of `dimension` floats) in `format`. The default, int8, screens with
    /// integer dot products and re-ranks exactly in float32: the same answers as float32 storage, several times
    /// faster on galleries that fit in cache (Sources/Matcher/README.md).
    public init(
        subjects: [EnrolledSubject], dimension: Int, policy: OpenSetPolicy = OpenSetPolicy(),
        format: StorageFormat = .int8
    ) throws(MatcherError) {
        self.policy = policy
        index = FlatIndex(dimension: dimension, metric: policy.metric, format: format)
        var names: [String] = []
        for subject in subjects {
            for template in subject.templates {
                try index.add(id: UInt64(names.count), vector: template)
                names.append(subject.id)
            }
        }
        subjectOfID = names
        subjectCount = subjects.count
    }

    /// Convenience: the matcher of a gallery's current subjects (an empty gallery matches nobody).
    public convenience init(gallery: Gallery, policy: OpenSetPolicy = OpenSetPolicy()) throws(MatcherError) {
        try self.init(subjects: gallery.subjects, dimension: gallery.dimension ?? 1, policy: policy)
    }

    /// The decision for one descriptor: the nearest subject if it is within the threshold and clearly nearer
    /// than the next subject, else `.unknown`.
    public func identify(_ descriptor: [Float]) throws(MatcherError) -> OpenSetPolicy.Decision {
        guard index.count > 0 else {
            guard descriptor.count == index.configuration.dimension || index.configuration.dimension == 1 else {
                throw .dimensionMismatch(expected: index.configuration.dimension, got: descriptor.count)
            }
            return .unknown(nearest: nil)
        }
        // Widen k until a second subject appears (or every template was seen).
        var k = min(index.count, 8)
        while true {
            let found = try index.search(descriptor, k: k)
            let best = found[0]
            let bestSubject = subjectOfID[Int(best.id)]
            if let other = found.first(where: { subjectOfID[Int($0.id)] != bestSubject }) {
                return policy.decide(subject: bestSubject, distance: best.distance, nextDistance: other.distance)
            }
            if k == index.count {
                return policy.decide(subject: bestSubject, distance: best.distance, nextDistance: nil)
            }
            k = min(index.count, k * 4)
        }
    }
}
