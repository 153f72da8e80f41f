import Crypto
import Foundation
import Testing
@testable import Matcher

/// A fresh directory per test, removed afterwards.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "sightline-gallery-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A settable clock for expiry tests.
final class ManualClock: @unchecked Sendable {
    var now: Date
    init(_ now: Date) { self.now = now }
}

@Suite struct GalleryTests {
    static let model = String(repeating: "ab", count: 32)
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func consent(_ purpose: String = "door access", expires: Date? = nil) -> Consent {
        Consent(purpose: purpose, grantedBy: "the subject", grantedAt: Self.start, expiresAt: expires)
    }

    /// Distinctive template values whose bytes and decimal text are easy to look for.
    func template(_ seed: Float) -> [Float] { (0..<128).map { seed + Float($0) * 0.001953125 } }

    func contains(_ haystack: Data, _ needle: [UInt8]) -> Bool { haystack.range(of: Data(needle)) != nil }

    func floatBytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    @Test func enrolWritesAnEncryptedFileAndA0600Key() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/gallery.sealed"
        let gallery = try Gallery(path: path, now: { Self.start })
        try gallery.enroll(subject: "alice-unique-name", templates: [template(0.125)], modelSHA256: Self.model,
                           consent: consent())
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(raw.prefix(8) == Data("SLGALRY2".utf8))
        #expect(!contains(raw, Array("alice-unique-name".utf8)))
        #expect(!contains(raw, Array("door access".utf8)))
        #expect(!contains(raw, floatBytes(Array(template(0.125).prefix(4)))))
        #expect(!contains(raw, Array("0.125".utf8)))
        let mode = try FileManager.default.attributesOfItem(atPath: path + ".key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let reopened = try Gallery(path: path, now: { Self.start })
        #expect(reopened.subjects.map(\.id) == ["alice-unique-name"])
        #expect(reopened.subjects[0].templates == [template(0.125)])
        #expect(reopened.subjects[0].consent == consent())
        #expect(reopened.modelSHA256 == Self.model)
    }

    @Test func anotherKeyCannotDecrypt() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        try Gallery(path: path).enroll(subject: "a", templates: [template(1)], modelSHA256: Self.model, consent: consent())
        let otherKey = dir.path + "/other.key"
        #expect(throws: GalleryError.missingKey(path: otherKey)) { try Gallery(path: path, keyPath: otherKey) }
        // Another key of the same generation (1: one write so far).
        #expect(FileManager.default.createFile(atPath: otherKey, contents: Data(GalleryFile.keyFileBytes(
            SymmetricKey(size: .bits256), generation: 1)), attributes: [.posixPermissions: 0o600]))
        #expect(throws: GalleryError.cannotDecrypt(path: path)) { try Gallery(path: path, keyPath: otherKey) }
        try FileManager.default.removeItem(atPath: otherKey)
        // A flipped ciphertext byte is detected too.
        var raw = try Data(contentsOf: URL(fileURLWithPath: path))
        raw[raw.count - 20] ^= 1
        try raw.write(to: URL(fileURLWithPath: path))
        #expect(throws: GalleryError.cannotDecrypt(path: path)) { try Gallery(path: path) }
    }

    @Test func insecureKeyFileIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        try Gallery(path: path).enroll(subject: "a", templates: [template(1)], modelSHA256: Self.model, consent: consent())
        chmod(path + ".key", 0o644)
        #expect(throws: GalleryError.insecureKeyFile(path: path + ".key", mode: "644")) { try Gallery(path: path) }
    }

    @Test func eraseRemovesTheSubjectForGood() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        let gallery = try Gallery(path: path, now: { Self.start })
        let bobTemplates = [template(0.375), template(0.625)]
        try gallery.enroll(subject: "bob", templates: bobTemplates, modelSHA256: Self.model, consent: consent())
        try gallery.enroll(subject: "carol", templates: [template(0.875)], modelSHA256: Self.model, consent: consent())
        #expect(try gallery.erase(subject: "bob"))
        #expect(try !gallery.erase(subject: "bob"))
        // The file, decrypted with the key, holds no trace of bob: neither name nor template values.
        let sealed = try Data(contentsOf: URL(fileURLWithPath: path))
        let key = ChaChaPolyOpen.key(file: try Data(contentsOf: URL(fileURLWithPath: path + ".key")))
        let box = try ChaChaPolyOpen.open(file: sealed, key: key)
        #expect(!contains(box, Array("bob".utf8)))
        #expect(!contains(box, Array("0.375".utf8)) && !contains(box, Array("0.625".utf8)))
        #expect(contains(box, Array("carol".utf8)))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        // No temporary file or pending key left behind.
        #expect(files == ["g", "g.audit", "g.audit.key", "g.key", "g.lock"])
        #expect(try FileManager.default.attributesOfItem(atPath: path + ".lock")[.size] as? Int == 0)  // holds nothing
        #expect(try Gallery(path: path).subjects.map(\.id) == ["carol"])
    }

    @Test func expiredEnrolmentsAreErasedAutomatically() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        let clock = ManualClock(Self.start)
        let gallery = try Gallery(path: path, now: { clock.now })
        try gallery.enroll(subject: "short", templates: [template(3)], modelSHA256: Self.model,
                           consent: consent(expires: Self.start.addingTimeInterval(60)))
        try gallery.enroll(subject: "long", templates: [template(4)], modelSHA256: Self.model, consent: consent())
        clock.now = Self.start.addingTimeInterval(61)
        let reopened = try Gallery(path: path, now: { clock.now })
        #expect(reopened.subjects.map(\.id) == ["long"])
        #expect(try reopened.audit.entries().map(\.action) == [.enrol, .enrol, .expire])
        #expect(try Gallery(path: path).subjects.map(\.id) == ["long"])
    }

    @Test func templatesFromAnotherModelAreRefused() throws {
        let dir = TemporaryDirectory()
        let gallery = try Gallery(path: dir.path + "/g")
        try gallery.enroll(subject: "a", templates: [template(1)], modelSHA256: Self.model, consent: consent())
        let other = String(repeating: "cd", count: 32)
        #expect(throws: GalleryError.modelMismatch(gallery: Self.model, templates: other)) {
            try gallery.enroll(subject: "b", templates: [template(2)], modelSHA256: other, consent: consent())
        }
        #expect(throws: GalleryError.dimensionMismatch(expected: 128, got: 3)) {
            try gallery.enroll(subject: "b", templates: [[1, 2, 3]], modelSHA256: Self.model, consent: consent())
        }
        #expect(throws: GalleryError.self) {
            try gallery.enroll(subject: "b", templates: [template(.nan)], modelSHA256: Self.model, consent: consent())
        }
        #expect(throws: GalleryError.self) {
            try gallery.enroll(subject: "b", templates: [template(2)], modelSHA256: Self.model, consent: consent(" "))
        }
        #expect(gallery.subjects.map(\.id) == ["a"])
        #expect(try gallery.audit.entries().map(\.action) == [.enrol, .refuse])
    }

    @Test func auditLogHoldsNoBiometricData() throws {
        let dir = TemporaryDirectory()
        let gallery = try Gallery(path: dir.path + "/g", now: { Self.start })
        try gallery.enroll(subject: "dave", templates: [template(0.8125)], modelSHA256: Self.model,
                           consent: consent("attendance"))
        try gallery.erase(subject: "dave")
        let entries = try gallery.audit.entries()
        #expect(entries.map(\.action) == [.enrol, .erase])
        // Erased: the enrolment line now names dave's pseudonym, without the purpose of his consent.
        let alias = try gallery.audit.pseudonym(of: "dave")
        #expect(entries.allSatisfy { $0.subject == alias && $0.purpose == nil && $0.grantedBy == nil })
        #expect(entries[0].templates == 1)
        #expect(entries[0].time == Self.start && entries[0].modelSHA256 == Self.model)
        let text = try String(contentsOfFile: dir.path + "/g.audit", encoding: .utf8)
        #expect(!text.contains("0.8125") && !text.contains("0.814"))
        #expect(text.split(separator: "\n").count == 2)
        let mode = try FileManager.default.attributesOfItem(atPath: dir.path + "/g.audit")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
