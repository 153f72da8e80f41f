import FaceKit
import Foundation

/// The CLI's side of `ModelDirectory`: resolution with `--models DIR` (nil when the option is not given), errors
/// as `CLIError`, warnings (a model file its manifest does not list) on standard error.
public enum ModelLocation {
    public static let help = "Directory with dlib's model files (default: $SIGHTLINE_MODELS, else the installed "
        + "PREFIX/share/sightline/models, else ./Models/files)."

    /// The directory holding every file of `needing`.
    public static func resolve(_ explicit: String?, needing: [String]) throws -> ModelDirectory {
        do {
            return try ModelDirectory.resolve(explicit: explicit, needing: needing)
        } catch {
            throw CLIError("\(error)")
        }
    }

    /// Prints a model warning on standard error.
    public static func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
}
