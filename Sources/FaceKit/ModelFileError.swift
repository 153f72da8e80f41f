/// A model file that could not be found, read, trusted or parsed; each case says which file and what to do.
public enum ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No searched directory holds the files: each entry of `searched` names a place and what it lacked.
    case notFound(needing: [String], searched: [String])
    /// The file exists but cannot be read.
    case unreadable(path: String, detail: String)
    /// The file's SHA-256 is not the one its manifest lists: corrupted, truncated or replaced.
    case mismatch(path: String, expected: String, actual: String, manifest: String)
    /// The manifest governing the directory cannot be used.
    case badManifest(path: String, detail: String)
    /// The file passed its check (or is unlisted) but is not a model this reader accepts.
    case malformed(path: String, ModelLoadError)

    public var description: String {
        switch self {
        case .notFound(let needing, let searched):
            let places = searched.isEmpty
                ? "  (no place to search)" : searched.map { "  " + $0 }.joined(separator: "\n")
            return "model files not found (\(needing.joined(separator: ", "))); searched:\n\(places)\n"
                + "Run Models/fetch in the Sightline source tree, install them with make install, "
                + "or give the directory with --models DIR (faces.models in the daemon) or SIGHTLINE_MODELS"
        case .unreadable(let path, let detail):
            return "cannot read model file \(path): \(detail)"
        case .mismatch(let path, let expected, let actual, let manifest):
            return "model file \(path) has SHA-256 \(actual), but \(manifest) lists \(expected): the file is "
                + "corrupted or not the one expected; refusing it (Models/fetch places checked copies; a model of "
                + "your own needs a manifest.json beside it that lists it or leaves it out)"
        case .badManifest(let path, let detail):
            return "model manifest \(path): \(detail)"
        case .malformed(let path, let error):
            return "\(path): \(error)"
        }
    }
}
