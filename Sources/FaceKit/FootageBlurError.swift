import SightlineCore

/// Footage that `FootageBlur` cannot turn into blurred frames.
public enum FootageBlurError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The source ended without a single frame (an empty file, or bytes with no JPEG frame in them).
    case noFrames(source: String, stats: SourceStats)
    /// Frame `index` (0-based, in delivery order) did not decode; nothing from it was written.
    case undecodableFrame(source: String, index: Int, reason: String)

    public var description: String {
        switch self {
        case .noFrames(let source, let stats):
            "\(source): no frame in the footage (\(stats.skippedBytes) byte(s) skipped, \(stats.corrupt) corrupt "
                + "frame(s)); is it the right format?"
        case .undecodableFrame(let source, let index, let reason):
            "\(source): frame \(index) does not decode (\(reason)); stopped there, as it cannot be blurred"
        }
    }
}
