import Crypto
import Foundation
import Testing
@testable import Matcher

/// Erasure that holds (security review F15): every write rotates the key, an older copy of the gallery is
/// refused, the old key is gone, and the audit log forgets the erased person's name.
@Suite struct GalleryErasureTests {
    static let model = String(repeating: "ef", count: 32)
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    func consent(expires: Date? = nil) -> Consent {
        Consent(purpose: "door access for the night shift", grantedBy: "alice's guardian", grantedAt: Self.start,
                expiresAt: expires)
    }

    func template(_ seed: Float) -> [Float] { (0..<128).map { seed + Float($0) * 0.001953125 } }

    func data(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Every byte of every file in `directory`, for looking for a key.
    func everything(in directory: String) throws -> [Data] {
        try FileManager.default.contentsOfDirectory(atPath: directory).map { try data(directory + "/" + $0) }
    }

    @Test func aCopyTakenBeforeTheErasureIsRefusedAndItsKeyIsGone() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/gallery.sealed"
        let gallery = try Gallery(path: path, now: { Self.start })
        try gallery.enroll(subject: "alice", templates: [template(0.25)], modelSHA256: Self.model, consent: consent())
        try gallery.enroll(subject: "bob", templates: [template(0.5)], modelSHA256: Self.model, consent: consent())
        let copy = try data(path)
        let oldKey = try data(path + ".key")
        #expect(ChaChaPolyOpen.generation(copy) == 2 && ChaChaPolyOpen.generation(oldKey) == 2)

        #expect(try gallery.erase(subject: "alice"))
        #expect(ChaChaPolyOpen.generation(try data(path)) == 3)

        // The key that sealed the copy exists nowhere any more: not in the key file, not beside it.
        let oldKeyBytes = oldKey.suffix(32)
        for contents in try everything(in: dir.path) { #expect(contents.range(of: oldKeyBytes) == nil) }
        #expect(!FileManager.default.fileExists(atPath: path + ".key.next"))
        // So the copy cannot be opened with what is left.
        let key = ChaChaPolyOpen.key(file: try data(path + ".key"))
        #expect(throws: (any Error).self) { try ChaChaPolyOpen.open(file: copy, key: key) }

        // Put back, it is refused by its generation, with a clear error, and alice stays erased.
        try copy.write(to: URL(fileURLWithPath: path))
        #expect(throws: GalleryError.rolledBack(path: path, generation: 2, current: 3)) {
            try Gallery(path: path, now: { Self.start })
        }
        #expect("\(GalleryError.rolledBack(path: path, generation: 2, current: 3))".contains("older copy"))
        // Nor does editing its generation help: the header is authenticated, and the key differs anyway.
        var forged = copy
        forged[15] = 3
        try forged.write(to: URL(fileURLWithPath: path))
        #expect(throws: GalleryError.cannotDecrypt(path: path)) { try Gallery(path: path, now: { Self.start }) }
    }

    @Test func everyWriteRotatesTheKey() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        let gallery = try Gallery(path: path, now: { Self.start })
        var keys: Set<Data> = []
        for (i, name) in ["a", "b", "c"].enumerated() {
            try gallery.enroll(subject: name, templates: [template(Float(i))], modelSHA256: Self.model,
                               consent: consent())
            keys.insert(try data(path + ".key").suffix(32))
            #expect(ChaChaPolyOpen.generation(try data(path + ".key")) == UInt64(i + 1))
        }
        #expect(keys.count == 3)
        let mode = try FileManager.default.attributesOfItem(atPath: path + ".key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try Gallery(path: path).subjects.map(\.id) == ["a", "b", "c"])
    }

    @Test func aGalleryWithoutGenerationOpensAndGetsOneOnItsNextWrite() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        // The format before generations: a bare 32-byte key, SLGALRY1 and a box authenticated with the magic.
        let legacyKey = SymmetricKey(size: .bits256)
        let legacyKeyBytes = legacyKey.withUnsafeBytes { Data($0) }
        #expect(FileManager.default.createFile(atPath: path + ".key", contents: legacyKeyBytes,
                                               attributes: [.posixPermissions: 0o600]))
        let json = """
            {"version":1,"modelSHA256":"\(Self.model)","dimension":2,"subjects":[{"id":"old-timer",\
            "consent":{"purpose":"door","grantedBy":"self","grantedAt":1800000000},"templates":[[0.5,0.25]]}]}
            """
        let box = try ChaChaPoly.seal(Data(json.utf8), using: legacyKey, authenticating: Data("SLGALRY1".utf8))
        #expect(FileManager.default.createFile(atPath: path, contents: Data("SLGALRY1".utf8) + box.combined,
                                               attributes: [.posixPermissions: 0o600]))

        let gallery = try Gallery(path: path, now: { Self.start })
        #expect(gallery.subjects.map(\.id) == ["old-timer"])
        try gallery.enroll(subject: "newcomer", templates: [[0.125, 0.5]], modelSHA256: Self.model,
                           consent: consent())
        let file = try data(path)
        #expect(file.prefix(8) == Data("SLGALRY2".utf8) && ChaChaPolyOpen.generation(file) == 1)
        #expect(try data(path + ".key").count == 48)
        for contents in try everything(in: dir.path) { #expect(contents.range(of: legacyKeyBytes) == nil) }
        #expect(try Gallery(path: path).subjects.map(\.id) == ["old-timer", "newcomer"])
    }

    @Test func aRotationInterruptedAfterTheGalleryWasWrittenIsCompleted() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        let gallery = try Gallery(path: path, now: { Self.start })
        try gallery.enroll(subject: "a", templates: [template(1)], modelSHA256: Self.model, consent: consent())
        let keyAtOne = try data(path + ".key")
        try gallery.enroll(subject: "b", templates: [template(2)], modelSHA256: Self.model, consent: consent())
        // As if the process died between writing the gallery (generation 2) and renaming its key into place.
        try FileManager.default.moveItem(atPath: path + ".key", toPath: path + ".key.next")
        #expect(FileManager.default.createFile(atPath: path + ".key", contents: keyAtOne,
                                               attributes: [.posixPermissions: 0o600]))
        let reopened = try Gallery(path: path, now: { Self.start })
        #expect(reopened.subjects.map(\.id) == ["a", "b"])
        try reopened.enroll(subject: "c", templates: [template(3)], modelSHA256: Self.model, consent: consent())
        #expect(!FileManager.default.fileExists(atPath: path + ".key.next"))
        #expect(ChaChaPolyOpen.generation(try data(path + ".key")) == 3)
        #expect(try Gallery(path: path).subjects.map(\.id) == ["a", "b", "c"])
    }

    @Test func aRotationInterruptedBeforeTheGalleryWasWrittenIsDiscarded() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        let gallery = try Gallery(path: path, now: { Self.start })
        try gallery.enroll(subject: "a", templates: [template(1)], modelSHA256: Self.model, consent: consent())
        // A pending key of generation 2 whose gallery never came.
        #expect(FileManager.default.createFile(
            atPath: path + ".key.next",
            contents: Data(GalleryFile.keyFileBytes(SymmetricKey(size: .bits256), generation: 2)),
            attributes: [.posixPermissions: 0o600]))
        let reopened = try Gallery(path: path, now: { Self.start })
        #expect(reopened.subjects.map(\.id) == ["a"])
        try reopened.erase(subject: "a")
        #expect(!FileManager.default.fileExists(atPath: path + ".key.next"))
        #expect(try Gallery(path: path).subjects.isEmpty)
    }

    @Test func aKeyRestoredFromABackupIsNamedAsSuch() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        let gallery = try Gallery(path: path, now: { Self.start })
        try gallery.enroll(subject: "a", templates: [template(1)], modelSHA256: Self.model, consent: consent())
        let oldKey = try data(path + ".key")
        try gallery.enroll(subject: "b", templates: [template(2)], modelSHA256: Self.model, consent: consent())
        try oldKey.write(to: URL(fileURLWithPath: path + ".key"))
        #expect(throws: GalleryError.staleKey(path: path + ".key", generation: 1, gallery: 2)) {
            try Gallery(path: path)
        }
    }

    @Test func theAuditLogForgetsTheErasedNameAndConsent() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/g"
        let clock = ManualClock(Self.start)
        let gallery = try Gallery(path: path, now: { clock.now })
        try gallery.enroll(subject: "alice-erased", templates: [template(1)], modelSHA256: Self.model,
                           consent: consent())
        try gallery.enroll(subject: "bob-kept", templates: [template(2)], modelSHA256: Self.model,
                           consent: Consent(purpose: "attendance", grantedBy: "bob", grantedAt: Self.start))
        try gallery.enroll(subject: "carol-expires", templates: [template(3)], modelSHA256: Self.model,
                           consent: consent(expires: Self.start.addingTimeInterval(60)))
        #expect(try gallery.erase(subject: "alice-erased"))
        clock.now = Self.start.addingTimeInterval(120)
        #expect(try gallery.eraseExpired() == ["carol-expires"])

        let text = try String(contentsOfFile: path + ".audit", encoding: .utf8)
        #expect(!text.contains("alice") && !text.contains("carol"))
        #expect(!text.contains("night shift") && !text.contains("guardian"))
        #expect(text.contains("bob-kept") && text.contains("attendance"))

        let entries = try gallery.audit.entries()
        let alice = try gallery.audit.pseudonym(of: "alice-erased")
        let carol = try gallery.audit.pseudonym(of: "carol-expires")
        #expect(alice.hasPrefix(AuditLog.pseudonymPrefix) && alice != carol)
        #expect(entries.map(\.subject) == [alice, "bob-kept", carol, alice, carol])
        #expect(entries.map(\.action) == [.enrol, .enrol, .enrol, .erase, .expire])
        // Keyed: without the key, the name cannot be checked against the log by hashing guesses.
        #expect(alice != AuditLog.pseudonymPrefix + SHA256.hash(data: Data("alice-erased".utf8))
            .prefix(16).map { String(format: "%02x", $0) }.joined())
        let mode = try FileManager.default.attributesOfItem(atPath: path + ".audit.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try gallery.audit.pseudonym(of: "alice-erased") == alice)  // stable
    }
}
