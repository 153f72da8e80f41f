import Crypto
import Foundation
import SightlineCore
import SightlineSystem

#if canImport(Glibc)
import Glibc
#endif

/// Append-only audit log of the gallery: one JSON object per line for every enrol, erase, expiry and refusal.
///
/// Holds who, what, when and why — never a template, a descriptor or an image. Each line is written with
/// one `write(2)` on an `O_APPEND` descriptor and fsynced. Mode 0600.
///
/// Erasure reaches the log too: when a subject is erased (or expires), every line about them is rewritten with
/// a pseudonym instead of the name, `hmac-sha256:` and the first 16 bytes (hex) of HMAC-SHA256 of the name under
/// a key kept 0600 at `path + ".key"`, and without the purpose and grantor of their consent. Whoever holds that
/// key and a name can still tell whether, and when, that person was enrolled and erased; the log alone does not
/// name them.
public struct AuditLog: Sendable {
    /// Path of the log file.
    public let path: String
    /// Path of the pseudonym key (32 random bytes, 0600, created on the first erasure).
    public var keyPath: String { path + ".key" }

    public init(path: String) { self.path = path }

    /// Largest audit log read back (far above years of enrolments).
    static let maxFileBytes = 256 << 20

    /// One audited action.
    public enum Action: String, Sendable, Codable {
        case enrol, erase, expire, refuse
    }

    /// One line of the log.
    public struct Entry: Codable, Sendable, Equatable {
        public var time: Date
        public var action: Action
        /// The subject's id, or `hmac-sha256:…` once the subject was erased.
        public var subject: String
        public var purpose: String?
        public var grantedBy: String?
        public var expiresAt: Date?
        public var templates: Int?
        public var modelSHA256: String?
        public var reason: String?
    }

    /// The prefix of a pseudonymous subject.
    public static let pseudonymPrefix = "hmac-sha256:"

    func append(_ entry: Entry) throws(GalleryError) {
        let bytes = try Self.line(entry, path: path)
        do {
            let file = try FileDescriptor(opening: path, flags: O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode: 0o600)
            try file.adoptOwner(ofDirectory: DurableFile.directoryName(of: path))
            try file.writeAll(bytes)
            try file.sync()
            try file.close()
        } catch {
            throw GalleryError(error)
        }
    }

    /// Records the erasure of `subject` (`erasure`, an `.erase` or `.expire` entry) and rewrites every line about
    /// them under their pseudonym, without purpose and grantor; the whole log is replaced durably. Call under the
    /// gallery's lock.
    func forget(subject: String, erasure: Entry) throws(GalleryError) {
        let alias = try pseudonym(of: subject)
        var entries = try entries()
        entries.append(erasure)
        var bytes: [UInt8] = []
        for var entry in entries {
            if entry.subject == subject {
                entry.subject = alias
                entry.purpose = nil
                entry.grantedBy = nil
            }
            bytes += try Self.line(entry, path: path)
        }
        do { try DurableFile.write(bytes, to: path) } catch { throw GalleryError(error) }
    }

    /// The pseudonym the log uses for `subject` once erased (creates the pseudonym key on first use).
    public func pseudonym(of subject: String) throws(GalleryError) -> String {
        let key = try pseudonymKey()
        let mac = HMAC<SHA256>.authenticationCode(for: Array(subject.utf8), using: key)
        return Self.pseudonymPrefix + Data(mac.prefix(16)).map { String(format: "%02x", $0) }.joined()
    }

    private func pseudonymKey() throws(GalleryError) -> SymmetricKey {
        if let key = try GalleryFile.readKey(keyPath, required: false) { return key.key }
        let fresh = SymmetricKey(size: .bits256)
        do {
            try DurableFile.write(fresh.withUnsafeBytes { [UInt8]($0) }, to: keyPath, existing: .keep)
        } catch {
            throw GalleryError(error)
        }
        return fresh
    }

    static func line(_ entry: Entry, path: String) throws(GalleryError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard let line = try? encoder.encode(entry) else { throw .badFormat(path: path, "cannot encode audit entry") }
        return [UInt8](line) + [0x0A]
    }

    /// Every entry so far (for `gallery list --audit` and the tests).
    public func entries() throws(GalleryError) -> [Entry] {
        guard let data = try GalleryFile.readIfPresent(path, limit: Self.maxFileBytes) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var out: [Entry] = []
        for line in data.split(separator: 0x0A) where !line.isEmpty {
            guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else {
                throw .badFormat(path: path, "unreadable audit line")
            }
            out.append(entry)
        }
        return out
    }
}
