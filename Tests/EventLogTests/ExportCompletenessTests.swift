import Crypto
import EventLog
import Foundation
import SightlineTestKit
import Testing

/// `ExportVerifier`'s view of completeness (security review F16): a chain that holds can still be cut at the
/// end or stripped of its evidence; what the operator knows (a size, a checkpoint, "evidence required") says so.
@Suite struct ExportCompletenessTests {
    /// 10 events, a checkpoint after every 4: seq 1-4, cp 5 (size 4), 6-9, cp 10 (size 9), 11-12. Evidence on
    /// events 1 and 7 (seq 2 and 9).
    static func fixture() throws -> ExportFixture {
        try ExportFixture(events: 10, checkpointEvery: 4, evidenceAt: [1, 7])
    }

    static func verify(
        _ export: ExportFixture, _ requirements: ExportVerifier.Requirements = .init()
    ) throws -> ExportVerifier.Summary {
        try ExportVerifier.verify(export: export.bytes, publicKey: export.key.privateKey.publicKey,
                                  requirements: requirements)
    }

    @Test func aWholeExportPassesAndReportsWhatTrailsItsLastCheckpoint() throws {
        let export = try Self.fixture()
        let s = try Self.verify(export, .init(expectSize: 12, checkpoint: nil, requireEvidence: true))
        #expect(s.events == 12 && s.lastSeq == 12 && s.checkpoints == 2)
        #expect(s.coveredSize == 9 && s.trailing == 3)
        #expect(s.evidenceVerified == 2 && s.evidenceMissing == 0)
        #expect(s.shortfalls.isEmpty)
    }

    @Test func aTailCutExportFailsTheExpectedSize() throws {
        let export = try Self.fixture().truncated(toEvents: 7)
        // On its own it verifies (nothing in it says more existed) and says what trails the checkpoint...
        let alone = try Self.verify(export)
        #expect(alone.shortfalls.isEmpty && alone.lastSeq == 7 && alone.coveredSize == 4 && alone.trailing == 3)
        // ...but the size the operator knows is not reached.
        let s = try Self.verify(export, .init(expectSize: 12))
        #expect(s.shortfalls == [.shorterThanExpected(expected: 12, lastSeq: 7)])
        #expect("\(s.shortfalls[0])".contains("5 event(s) missing at the end"))
        #expect(try Self.verify(export, .init(expectSize: 7)).shortfalls.isEmpty)
    }

    @Test func aKeptCheckpointMustBeReached() throws {
        let whole = try Self.fixture()
        let note = try #require(whole.checkpointNotes.last)  // size 9
        let checkpoint = try #require(Checkpoint.verify(note: note, publicKey: whole.key.privateKey.publicKey))
        #expect(try Self.verify(whole, .init(checkpoint: checkpoint)).shortfalls.isEmpty)
        let cut = whole.truncated(toEvents: 6)
        #expect(try Self.verify(cut, .init(checkpoint: checkpoint)).shortfalls
            == [.checkpointNotReached(size: 9, lastSeq: 6)])
        // Reached exactly: the export's first 9 events are those the checkpoint signed.
        #expect(try Self.verify(whole.truncated(toEvents: 9), .init(checkpoint: checkpoint)).shortfalls.isEmpty)
    }

    @Test func aContradictingCheckpointFails() throws {
        let export = try Self.fixture()
        let key = export.key
        // Signed by the device key, over 6 events, with another root: a log that was rewritten after it.
        let other = Checkpoint(origin: Checkpoint.origin(device: key.deviceID), size: 6,
                               root: Array(SHA256.hash(data: [1, 2, 3])))
        let note = other.signedNote(key: key)
        let checkpoint = try #require(Checkpoint.verify(note: note, publicKey: key.privateKey.publicKey))
        #expect(try Self.verify(export, .init(checkpoint: checkpoint)).shortfalls == [.checkpointContradicted(size: 6)])
        let foreign = Checkpoint(origin: "sightline/sl-other", size: 2, root: other.root)
        #expect(try Self.verify(export, .init(checkpoint: foreign)).shortfalls
            == [.checkpointOfAnotherLog(origin: "sightline/sl-other", expected: "sightline/\(key.deviceID)")])
    }

    @Test func strippedEvidenceFailsWhenRequired() throws {
        let export = try Self.fixture().withoutEvidence
        let lenient = try Self.verify(export)
        #expect(lenient.shortfalls.isEmpty && lenient.evidenceMissing == 2 && lenient.missingBlobs.count == 2)
        let strict = try Self.verify(export, .init(requireEvidence: true))
        #expect(strict.shortfalls == [.evidenceMissing(lenient.missingBlobs)])
        #expect(strict.shortfalls.map(\.code) == ["evidence_missing"])
    }
}
