/// Errors of the matcher and the gallery.
public enum MatcherError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A vector's length differs from the index's dimension.
    case dimensionMismatch(expected: Int, got: Int)
    /// A vector holds NaN or infinity (position of the first bad component).
    case nonFiniteValue(index: Int)
    /// A vector cannot be stored in the chosen format (float16 beyond ±65504, cosine of a zero vector).
    case unrepresentable(String)
    /// The id is already in the index.
    case duplicateID(UInt64)

    public var description: String {
        switch self {
        case .dimensionMismatch(let expected, let got): "dimension mismatch: expected \(expected), got \(got)"
        case .nonFiniteValue(let index): "component \(index) is NaN or infinite"
        case .unrepresentable(let why): "vector cannot be stored: \(why)"
        case .duplicateID(let id): "id \(id) is already in the index"
        }
    }
}
