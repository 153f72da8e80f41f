import SightlineSystem

/// Errors of the encrypted gallery.
public enum GalleryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The templates were made by another model than the gallery's (SHA-256 of the model files, hex).
    case modelMismatch(gallery: String, templates: String)
    /// A template's length differs from the gallery's.
    case dimensionMismatch(expected: Int, got: Int)
    /// A template holds NaN or infinity.
    case invalidTemplate(String)
    /// The key file is readable or writable by group or others (octal mode given).
    case insecureKeyFile(path: String, mode: String)
    /// The gallery exists but its key file does not.
    case missingKey(path: String)
    /// The key file does not hold a 32-byte key.
    case badKey(path: String)
    /// Authentication failed: wrong key or a damaged file.
    case cannotDecrypt(path: String)
    /// The file is not a Sightline gallery or its contents do not parse.
    case badFormat(path: String, String)
    /// The gallery file is older than its key: a copy put back in place, which may hold erased subjects.
    case rolledBack(path: String, generation: UInt64, current: UInt64)
    /// The key file is older than the gallery (a key restored from a backup); neither key file opens it.
    case staleKey(path: String, generation: UInt64, gallery: UInt64)
    /// A system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// A subject id must be 1–128 printable characters without `/`.
    case invalidSubject(String)
    /// Consent needs a purpose and who granted it; expiry must follow the grant.
    case invalidConsent(String)

    public var description: String {
        switch self {
        case .modelMismatch(let gallery, let templates):
            "templates come from model \(templates.prefix(12))…, the gallery holds model \(gallery.prefix(12))…"
        case .dimensionMismatch(let expected, let got): "template has \(got) components, the gallery \(expected)"
        case .invalidTemplate(let why): "invalid template: \(why)"
        case .insecureKeyFile(let path, let mode): "key file \(path) has mode \(mode); it must be 0600 or stricter"
        case .missingKey(let path): "key file \(path) is missing: the gallery cannot be read without it"
        case .badKey(let path): "key file \(path) does not hold a 32-byte key"
        case .cannotDecrypt(let path): "cannot decrypt \(path): wrong key or damaged file"
        case .badFormat(let path, let why): "\(path) is not a Sightline gallery: \(why)"
        case .rolledBack(let path, let generation, let current):
            "\(path) is an older copy of the gallery (generation \(generation), the key is at \(current)); it is "
                + "refused because it may hold erased subjects: put the newest gallery file back, or remove the "
                + "gallery and its key and enrol again"
        case .staleKey(let path, let generation, let gallery):
            "key file \(path) is older (generation \(generation)) than the gallery (generation \(gallery)); "
                + "a key restored from a backup cannot open a newer gallery"
        case .io(let path, let operation, let errno): "\(operation) \(path) failed: \(Errno(rawValue: errno))"
        case .invalidSubject(let subject): "invalid subject id '\(subject)'"
        case .invalidConsent(let why): "invalid consent: \(why)"
        }
    }
}
