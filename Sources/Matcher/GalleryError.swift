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
        case .io(let path, let operation, let errno): "\(operation) \(path) failed (errno \(errno))"
        case .invalidSubject(let subject): "invalid subject id '\(subject)'"
        case .invalidConsent(let why): "invalid consent: \(why)"
        }
    }
}
