/// A model file that could not be read: what went wrong, where in the file, and in which layer.
///
/// `offset` is the byte offset in the file where the offending record (or value) starts.
/// `layerIndex` counts layers in execution order (0 = the input layer) when the error belongs to one;
/// `tag` is the record tag met there (dlib's version string such as `con_4`), when one was read.
public struct ModelLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Reason: Sendable, Equatable {
        /// The file ended inside a record.
        case truncated
        /// A record tag (dlib version string) this reader does not know.
        case unknownTag
        /// A known record with a version number this reader does not support.
        case unsupportedVersion
        /// A value out of range, or sizes that disagree with each other.
        case malformed
        /// Bytes left over after the last record.
        case trailingBytes
        /// The file could not be opened or read, or is not a regular file.
        case unreadable
        /// The file, or a count or size in it, is over this reader's limits.
        case tooLarge
    }

    public let reason: Reason
    /// Byte offset in the file.
    public let offset: Int
    /// Index of the layer in execution order (0 = input), when the error belongs to a layer.
    public let layerIndex: Int?
    /// The record tag met, when one was read.
    public let tag: String?
    /// A sentence saying what was expected and what was found.
    public let detail: String

    public init(_ reason: Reason, offset: Int, layerIndex: Int? = nil, tag: String? = nil, detail: String) {
        self.reason = reason
        self.offset = offset
        self.layerIndex = layerIndex
        self.tag = tag
        self.detail = detail
    }

    /// The same error, attributed to a layer (keeps an attribution already made).
    func inLayer(_ index: Int, tag: String?) -> ModelLoadError {
        ModelLoadError(reason, offset: offset, layerIndex: layerIndex ?? index, tag: self.tag ?? tag, detail: detail)
    }

    /// The same error at another byte offset.
    func atOffset(_ offset: Int) -> ModelLoadError {
        ModelLoadError(reason, offset: offset, layerIndex: layerIndex, tag: tag, detail: detail)
    }

    public var description: String {
        var place = "byte \(offset)"
        if let layerIndex { place = "layer \(layerIndex), " + place }
        if let tag { place += ", tag '\(tag)'" }
        return "model load error (\(reason)) at \(place): \(detail)"
    }
}
