import Foundation
import Logging
import SightlineCore
import SightlineSystem

/// The enrolled gallery: subjects with consent and templates, encrypted at rest, with an audit log.
///
/// Every mutation rewrites the encrypted file atomically under a fresh key before returning (the old key is
/// destroyed, so older copies of the file no longer decrypt, and one put back is refused: `GalleryFile`), then
/// appends its audit line. Erasing a subject also replaces their name in the audit log by a keyed hash.
/// Expired enrolments are erased when the gallery is opened and on `eraseExpired()`. All templates come from
/// one model, identified by the SHA-256 of its files; templates from another model are refused.
/// Mutations re-read the file under an exclusive lock (`path + ".lock"`), so the CLI and the daemon can change
/// the same gallery without losing each other's updates; reads take the lock shared. One instance is not
/// thread-safe.
public final class Gallery {
    /// Paths of the gallery file, its key and its audit log.
    public let path: String
    public let keyPath: String
    public let audit: AuditLog
    private let file: GalleryFile
    private var contents: GalleryContents
    /// The generation `contents` was read at.
    private var generation: UInt64 = 0
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// Opens (or starts) the gallery at `path`. The key defaults to `path + ".key"` and the audit log to
    /// `path + ".audit"`, beside the gallery (with the audit log's pseudonym key at `auditPath + ".key"`).
    /// Expired enrolments are erased before this returns. Refuses an older copy of the gallery (`rolledBack`).
    /// `now` is the wall clock (injectable for tests).
    public init(
        path: String, keyPath: String? = nil, auditPath: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "sightline.gallery")
    ) throws(GalleryError) {
        self.path = path
        self.keyPath = keyPath ?? path + ".key"
        self.audit = AuditLog(path: auditPath ?? path + ".audit")
        self.now = now
        self.logger = logger
        file = GalleryFile(path: path, keyPath: self.keyPath)
        contents = GalleryContents()
        try withFileLock(exclusive: false) { () throws(GalleryError) in try reload() }
        try eraseExpired()
    }

    /// Enrolled subjects, in enrolment order.
    public var subjects: [EnrolledSubject] { contents.subjects }

    /// SHA-256 (hex) of the model whose templates the gallery holds, once anything was enrolled.
    public var modelSHA256: String? { contents.modelSHA256 }

    /// Template dimension, once anything was enrolled.
    public var dimension: Int? { contents.dimension }

    /// Enrols `templates` for `subject` under `consent`. A subject already enrolled keeps its templates, gains
    /// the new ones, and takes the new consent. Refuses (and audits the refusal of) another model's templates.
    public func enroll(
        subject: String, templates: [[Float]], modelSHA256: String, consent: Consent
    ) throws(GalleryError) {
        try Self.validate(subject: subject)
        try consent.validate()
        guard !templates.isEmpty else { throw .invalidTemplate("no template given") }
        try withFileLock { () throws(GalleryError) in
            try reload()
            try enrollLocked(subject: subject, templates: templates, modelSHA256: modelSHA256, consent: consent)
        }
    }

    private func enrollLocked(
        subject: String, templates: [[Float]], modelSHA256: String, consent: Consent
    ) throws(GalleryError) {
        let model = modelSHA256.lowercased()
        if let expected = contents.modelSHA256, expected != model {
            try audit.append(entry(.refuse, subject, consent: consent, templates: templates.count, model: model,
                                   reason: "model mismatch"))
            throw .modelMismatch(gallery: expected, templates: model)
        }
        let dimension = contents.dimension ?? templates[0].count
        for template in templates {
            guard template.count == dimension else { throw .dimensionMismatch(expected: dimension, got: template.count) }
            guard template.allSatisfy(\.isFinite) else { throw .invalidTemplate("NaN or infinite component") }
        }
        var next = contents
        next.modelSHA256 = model
        next.dimension = dimension
        if let i = next.subjects.firstIndex(where: { $0.id == subject }) {
            next.subjects[i].templates += templates
            next.subjects[i].consent = consent
        } else {
            next.subjects.append(EnrolledSubject(id: subject, consent: consent, templates: templates))
        }
        try write(next)
        try audit.append(entry(.enrol, subject, consent: consent, templates: templates.count, model: model))
        // The journal outlives an erasure: it gets the audit log's pseudonym, never the name.
        let alias = try audit.pseudonym(of: subject)
        logger.info("enrolled subject", metadata: ["subject": "\(alias)", "templates": "\(templates.count)"])
    }

    /// Erases `subject` and all their templates for good (the file is rewritten without them).
    /// Returns false if the subject was not enrolled.
    @discardableResult
    public func erase(subject: String) throws(GalleryError) -> Bool {
        try withFileLock { () throws(GalleryError) -> Bool in
            try reload()
            return try eraseLocked(subject: subject)
        }
    }

    private func eraseLocked(subject: String) throws(GalleryError) -> Bool {
        guard let i = contents.subjects.firstIndex(where: { $0.id == subject }) else { return false }
        var next = contents
        let removed = next.subjects.remove(at: i)
        try write(next)
        try audit.forget(subject: subject, erasure: entry(.erase, subject, consent: removed.consent,
                                                         templates: removed.templates.count,
                                                         model: contents.modelSHA256))
        let alias = try audit.pseudonym(of: subject)
        logger.info("erased subject", metadata: ["subject": "\(alias)"])
        return true
    }

    /// Erases every enrolment whose consent has expired; returns their subject ids.
    @discardableResult
    public func eraseExpired() throws(GalleryError) -> [String] {
        let at = now()
        // Checked first without the lock: opening a gallery with nothing expired writes nothing.
        guard contents.subjects.contains(where: { $0.consent.isExpired(at: at) }) else { return [] }
        return try withFileLock { () throws(GalleryError) -> [String] in
            try reload()
            return try eraseExpiredLocked(at: at)
        }
    }

    private func eraseExpiredLocked(at: Date) throws(GalleryError) -> [String] {
        let expired = contents.subjects.filter { $0.consent.isExpired(at: at) }
        guard !expired.isEmpty else { return [] }
        var next = contents
        next.subjects.removeAll { $0.consent.isExpired(at: at) }
        try write(next)
        for subject in expired {
            try audit.forget(subject: subject.id, erasure: entry(.expire, subject.id, consent: subject.consent,
                                                                templates: subject.templates.count,
                                                                model: contents.modelSHA256))
        }
        logger.info("erased expired enrolments", metadata: ["count": "\(expired.count)"])
        return expired.map(\.id)
    }

    /// Reads the file (under the lock) into `contents` and `generation`.
    private func reload() throws(GalleryError) {
        let snapshot = try file.read()
        contents = snapshot.contents
        generation = snapshot.generation
    }

    /// Writes `next` under a fresh key (under the lock) and makes it current.
    private func write(_ next: GalleryContents) throws(GalleryError) {
        try file.write(next, after: generation)
        contents = next
        generation += 1
    }

    /// Runs `body` holding a `flock` on `path + ".lock"` (created 0600 beside the gallery), exclusive for a
    /// mutation, shared for a read (so a read never sees a rotation half done).
    private func withFileLock<T>(
        exclusive: Bool = true, _ body: () throws(GalleryError) -> T
    ) throws(GalleryError) -> T {
        let lockPath = path + ".lock"
        let lock: FileDescriptor
        do {
            lock = try FileDescriptor(opening: lockPath, flags: O_RDWR | O_CREAT | O_CLOEXEC, mode: 0o600)
        } catch {
            // No directory yet: no gallery either, and nothing to race with for a read.
            if !exclusive && error.errno == .noSuchFile { return try body() }
            throw GalleryError(error)
        }
        do { try lock.adoptOwner(ofDirectory: DurableFile.directoryName(of: lockPath)) } catch {
            throw GalleryError(error)
        }
        while flock(lock.rawValue, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            let code = errno
            guard code == EINTR else { throw .io(path: lockPath, operation: "flock", errno: code) }
        }
        defer { flock(lock.rawValue, LOCK_UN) }
        return try body()
    }

    private func entry(
        _ action: AuditLog.Action, _ subject: String, consent: Consent?, templates: Int?, model: String?,
        reason: String? = nil
    ) -> AuditLog.Entry {
        AuditLog.Entry(time: now(), action: action, subject: subject, purpose: consent?.purpose,
                       grantedBy: consent?.grantedBy, expiresAt: consent?.expiresAt, templates: templates,
                       modelSHA256: model, reason: reason)
    }

    static func validate(subject: String) throws(GalleryError) {
        guard (1...128).contains(subject.count), !subject.contains("/"),
              subject.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) })
        else { throw .invalidSubject(subject) }
    }
}
