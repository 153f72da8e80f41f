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
public struct AuditLog: Sendable {
    /// Path of the log file.
    public let path: String

    public init(path: String) { self.path = path }

    /// One audited action.
    public enum Action: String, Sendable, Codable {
        case enrol, erase, expire, refuse
    }

    /// One line of the log.
    public struct Entry: Codable, Sendable, Equatable {
        public var time: Date
        public var action: Action
        public var subject: String
        public var purpose: String?
        public var grantedBy: String?
        public var expiresAt: Date?
        public var templates: Int?
        public var modelSHA256: String?
        public var reason: String?
    }

    func append(_ entry: Entry) throws(GalleryError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        guard let line = try? encoder.encode(entry) else { throw .badFormat(path: path, "cannot encode audit entry") }
        let bytes = [UInt8](line) + [0x0A]
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

    /// Every entry so far (for `gallery list --audit` and the tests).
    public func entries() throws(GalleryError) -> [Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
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
