import Foundation

/// The consent under which a subject's templates are kept. Stored encrypted with the templates; the audit
/// log repeats it (without any template).
public struct Consent: Codable, Sendable, Equatable {
    /// What the enrolment is for ("door access"), as told to the person.
    public var purpose: String
    /// Who granted consent (the person, or their guardian).
    public var grantedBy: String
    /// When consent was granted.
    public var grantedAt: Date
    /// When the enrolment expires and is erased automatically; nil for no expiry.
    public var expiresAt: Date?

    public init(purpose: String, grantedBy: String, grantedAt: Date, expiresAt: Date? = nil) {
        self.purpose = purpose
        self.grantedBy = grantedBy
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
    }

    /// Whether the enrolment has expired at `now`.
    public func isExpired(at now: Date) -> Bool { expiresAt.map { $0 <= now } ?? false }

    func validate() throws(GalleryError) {
        guard !purpose.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalidConsent("purpose is empty") }
        guard !grantedBy.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .invalidConsent("granted-by is empty")
        }
        if let expiresAt, expiresAt <= grantedAt { throw .invalidConsent("expiry is not after the grant") }
    }
}

/// One enrolled person: consent and face templates (descriptors from the gallery's model).
public struct EnrolledSubject: Codable, Sendable, Equatable {
    /// The subject's id, chosen at enrolment (a name or a number).
    public var id: String
    /// Consent of the latest enrolment.
    public var consent: Consent
    /// Templates, each `dimension` floats.
    public var templates: [[Float]]

    public init(id: String, consent: Consent, templates: [[Float]]) {
        self.id = id
        self.consent = consent
        self.templates = templates
    }
}

/// The decrypted contents of a gallery file.
struct GalleryContents: Codable, Sendable, Equatable {
    var version = 1
    /// SHA-256 (hex) of the model that made every template; nil while the gallery is empty of any model.
    var modelSHA256: String?
    var dimension: Int?
    var subjects: [EnrolledSubject] = []
}
