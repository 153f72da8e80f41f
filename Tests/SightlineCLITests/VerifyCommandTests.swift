import Crypto
import EventLog
import Foundation
import SightlineTestKit
import Testing

/// `sightline verify` on complete and incomplete exports, through the built binary (security review F16).
@Suite struct VerifyCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Writes `export` and runs `sightline verify FILE --pubkey KEY ARGS…`.
    static func verify(_ export: ExportFixture, _ arguments: [String] = [], files: [String: String] = [:]) throws
        -> Run
    {
        let dir = NSTemporaryDirectory() + "sightline-cli-verify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(export.bytes).write(to: URL(fileURLWithPath: dir + "/export.jsonl"))
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        let result = try GalleryCommandTests.sightline(
            ["verify", dir + "/export.jsonl", "--pubkey", export.key.publicKeyBase64]
                + arguments.map { $0.replacingOccurrences(of: "$DIR", with: dir) })
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    static func fixture() throws -> ExportFixture { try ExportFixture(events: 10, checkpointEvery: 4, evidenceAt: [1]) }

    @Test func aNormalExportPassesAndReportsTrailingEvents() throws {
        let run = try Self.verify(try Self.fixture())
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("ok: 12 events (seq 1-12)"), "\(run.stdout)")
        #expect(run.stdout.contains("covered:  seq 1-9 by the last signed checkpoint; 3 event(s) after it"))
        let json = try Self.verify(try Self.fixture(), ["--json", "--expect-size", "12", "--require-evidence"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == true)
        #expect(object["covered_size"] as? Int == 9 && object["trailing"] as? Int == 3)
        #expect((object["problems"] as? [Any])?.isEmpty == true)
    }

    @Test func aTailTruncatedExportFailsWithExpectSize() throws {
        let cut = try Self.fixture().truncated(toEvents: 7)
        #expect(try Self.verify(cut).status == 0)  // alone, nothing says more existed
        let run = try Self.verify(cut, ["--expect-size", "12"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("shorter_than_expected"), "\(run.stderr)")
        let json = try Self.verify(cut, ["--expect-size", "12", "--json"])
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false && object["last_seq"] as? Int == 7)
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.map { $0["code"] as? String } == ["shorter_than_expected"])
    }

    /// `--expect-size 0` would check nothing: refused as a usage error rather than accepted silently.
    @Test func expectSizeZeroIsAUsageError() throws {
        let run = try Self.verify(try Self.fixture().truncated(toEvents: 7), ["--expect-size", "0"])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("--expect-size is a seq"), "\(run.stderr)")
    }

    @Test func strippedEvidenceFailsWithRequireEvidence() throws {
        let stripped = try Self.fixture().withoutEvidence
        #expect(try Self.verify(stripped).status == 0)
        let run = try Self.verify(stripped, ["--require-evidence"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("evidence_missing"), "\(run.stderr)")
    }

    @Test func aContradictingCheckpointNoteFails() throws {
        let export = try Self.fixture()
        let forged = Checkpoint(origin: Checkpoint.origin(device: export.key.deviceID), size: 6,
                                root: Array(SHA256.hash(data: [9]))).signedNote(key: export.key)
        let run = try Self.verify(export, ["--checkpoint", "$DIR/note"], files: ["note": forged])
        #expect(run.status == 1)
        #expect(run.stderr.contains("checkpoint_contradicted"), "\(run.stderr)")
        // The genuine last checkpoint passes; one the export does not reach fails.
        let genuine = try #require(export.checkpointNotes.last)
        #expect(try Self.verify(export, ["--checkpoint", "$DIR/note"], files: ["note": genuine]).status == 0)
        let short = try Self.verify(export.truncated(toEvents: 5), ["--checkpoint", "$DIR/note"],
                                    files: ["note": genuine])
        #expect(short.status == 1 && short.stderr.contains("checkpoint_not_reached"), "\(short.stderr)")
        // A note another key signed is refused as such.
        let foreign = Checkpoint(origin: "sightline/x", size: 1, root: Array(repeating: 0, count: 32))
            .signedNote(key: DeviceKey.generate())
        let bad = try Self.verify(export, ["--checkpoint", "$DIR/note"], files: ["note": foreign])
        #expect(bad.status == 1 && bad.stderr.contains("not a checkpoint note signed by this key"), "\(bad.stderr)")
    }
}
