import ArgumentParser
import EventLog
import Foundation
import SightlineConfig

/// `sightline keygen`: create the device key (normally the daemon does on first start).
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Create the device's Ed25519 key (0600) in the state directory.")

    @Option(help: "State directory.")
    var stateDir = DaemonConfiguration.defaultStateDirectory

    func run() throws {
        let (key, created) = try DeviceKey.loadOrCreate(stateDirectory: stateDir)
        print(created ? "created \(stateDir)/\(DeviceKey.fileName)" : "key exists: \(stateDir)/\(DeviceKey.fileName)")
        print("device:     \(key.deviceID)")
        print("public key: \(key.publicKeyBase64)")
    }
}

/// `sightline device show`: what an operator registers at the collector.
struct DeviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Show the device identity.", subcommands: [Show.self, Rotate.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the device id and public key.")

        @Option(help: "State directory.")
        var stateDir = DaemonConfiguration.defaultStateDirectory

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() throws {
            let key = try DeviceKey.load(path: (stateDir as NSString).appendingPathComponent(DeviceKey.fileName))
            if json {
                let obj: [String: String] = [
                    "device": key.deviceID, "public_key": key.publicKeyBase64,
                    "note_key": SignedNote.verifierKey(
                        name: "sightline/\(key.deviceID)",
                        publicKey: key.publicKeyBytes),
                ]
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try enc.encode(obj), as: UTF8.self))
            } else {
                print("device:     \(key.deviceID)")
                print("public key: \(key.publicKeyBase64)")
                print("register:   sightline-collector devices add NAME \(key.publicKeyBase64)")
            }
        }
    }
}

extension DeviceCommand {
    /// `sightline device rotate`: a new key (a new device id); the old key and its spool are archived.
    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the device key; archive the old key and its spool under STATE_DIR/retired/.",
            discussion: """
                Stop the daemon first. The new key is a new device: register it at the collector before the \
                daemon starts again. Refused while events of the old key are undelivered, unless --force.
                """)

        @Option(help: "State directory.")
        var stateDir = DaemonConfiguration.defaultStateDirectory

        @Flag(help: "Archive the spool even if some events were never delivered.")
        var force = false

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() throws {
            let outcome: DeviceRotation.Outcome
            do {
                outcome = try DeviceRotation.rotate(stateDirectory: stateDir, force: force)
            } catch {
                throw ValidationError("cannot rotate: \(error)")
            }
            let key = outcome.newKey
            if json {
                struct Report: Encodable {
                    let old_device: String, device: String, public_key: String, archive: String
                    let undelivered_archived: Int
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let report = Report(old_device: outcome.oldDevice, device: key.deviceID,
                                    public_key: key.publicKeyBase64, archive: outcome.archive,
                                    undelivered_archived: outcome.undeliveredArchived)
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("retired:    \(outcome.oldDevice) → \(outcome.archive)")
                if outcome.undeliveredArchived > 0 {
                    print("warning:    \(outcome.undeliveredArchived) undelivered event(s) archived with it")
                }
                print("device:     \(key.deviceID)")
                print("public key: \(key.publicKeyBase64)")
                print("register:   sightline-collector devices add NAME \(key.publicKeyBase64)")
            }
        }
    }
}

/// `sightline verify`: offline check of a collector export.
///
/// Exit 0 when the chain holds and every requirement given is met (events after the last checkpoint are normal
/// and only reported); 1 when the chain is broken or the export falls short of `--expect-size`, `--checkpoint`
/// or `--require-evidence`.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an export: signatures, chain, checkpoints and evidence; names the first problem.",
        discussion: """
            An export that verifies may still be cut short at the end: the report says how far its last signed \
            checkpoint covers it and how many events follow. To know it is complete, give what you know from \
            elsewhere: --expect-size (the seq the device had reached, e.g. from `sightline events tail`) or \
            --checkpoint (a signed checkpoint note kept earlier).
            """)

    @Argument(help: "Export file (JSON lines from GET /v1/export?device=ID), - for standard input.")
    var export: String

    @Option(help: "The device's public key (base64), or a file holding it.")
    var pubkey: String

    @Option(help: "Directory of evidence blobs named by SHA-256, besides those inside the export.")
    var evidenceDir: String?

    @Option(help: "Fail unless the export reaches at least this seq.")
    var expectSize: UInt64?

    @Option(help: ArgumentHelp("Fail unless the export reaches and agrees with this signed checkpoint note.",
                               valueName: "NOTE-FILE"))
    var checkpoint: String?

    @Flag(help: "Fail when an event's evidence blob is neither in the export nor in --evidence-dir.")
    var requireEvidence = false

    @Flag(help: ArgumentHelp(
        "Check each line on its own: an event of this device with a valid signature (events received one by one, "
            + "as over MQTT); no chain, order or completeness."))
    var each = false

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        if each && (expectSize != nil || checkpoint != nil || requireEvidence) {
            throw ValidationError("--each checks signatures only: no --expect-size, --checkpoint or --require-evidence")
        }
        if expectSize == 0 { throw ValidationError("--expect-size is a seq, counted from 1 (0 would check nothing)") }
    }

    /// The `--json` report.
    struct Report: Encodable {
        var ok: Bool
        var export: String
        var events: Int?
        var lastSeq: UInt64?
        var checkpoints: Int?
        var coveredSize: UInt64?
        var trailing: UInt64?
        var evidenceVerified: Int?
        var evidenceMissing: Int?
        var missingBlobs: [String]?
        var problems: [Problem]

        struct Problem: Encodable {
            var code: String
            var message: String
            var line: Int?
            var seq: UInt64?
        }

        enum CodingKeys: String, CodingKey {
            case ok, export, events, checkpoints, trailing, problems
            case lastSeq = "last_seq", coveredSize = "covered_size", evidenceVerified = "evidence_verified"
            case evidenceMissing = "evidence_missing", missingBlobs = "missing_blobs"
        }
    }

    func run() throws {
        var keyText = pubkey
        if FileManager.default.fileExists(atPath: pubkey), let d = FileManager.default.contents(atPath: pubkey) {
            keyText = String(decoding: d, as: UTF8.self)
        }
        let key = try DeviceKey.publicKey(base64: keyText)
        var requirements = ExportVerifier.Requirements(expectSize: expectSize, requireEvidence: requireEvidence)
        if let checkpoint {
            guard let data = FileManager.default.contents(atPath: checkpoint) else {
                throw ValidationError("cannot read the checkpoint note \(checkpoint)")
            }
            guard let note = Checkpoint.verify(note: String(decoding: data, as: UTF8.self), publicKey: key) else {
                try fail(Report.Problem(code: "bad_checkpoint_note",
                                        message: "\(checkpoint) is not a checkpoint note signed by this key"))
            }
            requirements.checkpoint = note
        }
        let data: Data?
        if export == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: export)
        }
        guard let data else { throw ValidationError("cannot read \(export)") }
        if each {
            let device = DeviceKey.deviceID(publicKey: [UInt8](key.rawRepresentation))
            var count = 0
            for (index, line) in [UInt8](data).split(separator: 0x0A).enumerated() {
                let problem: String?
                do {
                    let event = try Event(json: JSONParser.parse(Array(line)))
                    if event.device != device {
                        problem = "event of \(event.device), key is \(device)"
                    } else if !event.verifySignature(canonical: try event.canonicalBytes(), publicKey: key) {
                        problem = "seq \(event.seq): the signature does not verify"
                    } else {
                        problem = nil
                    }
                } catch { problem = "\(error)" }
                if let problem { try fail(Report.Problem(code: "bad_event", message: problem, line: index + 1)) }
                count += 1
            }
            if json {
                print(try Self.encode(Report(ok: true, export: export, events: count, problems: [])))
            } else {
                print("ok: \(count) event(s), each signed by \(device)")
            }
            return
        }
        let s: ExportVerifier.Summary
        do {
            s = try ExportVerifier.verify(
                export: [UInt8](data), publicKey: key, evidenceDirectory: evidenceDir, requirements: requirements)
        } catch {
            try fail(Report.Problem(code: error.kind.rawValue, message: error.message,
                                    line: error.line > 0 ? error.line : nil, seq: error.seq),
                     text: "\(error)")
        }
        let problems = s.shortfalls.map { Report.Problem(code: $0.code, message: "\($0)") }
        if json {
            print(try Self.encode(Report(
                ok: problems.isEmpty, export: export, events: s.events, lastSeq: s.lastSeq, checkpoints: s.checkpoints,
                coveredSize: s.coveredSize, trailing: s.trailing, evidenceVerified: s.evidenceVerified,
                evidenceMissing: s.evidenceMissing, missingBlobs: s.missingBlobs, problems: problems)))
        } else {
            let verdict = problems.isEmpty ? "ok" : "chain ok, export incomplete"
            print(
                "\(verdict): \(s.events) events (seq 1-\(s.lastSeq)), \(s.checkpoints) checkpoints, "
                    + "\(s.evidenceVerified) evidence blobs verified, \(s.evidenceMissing) not available")
            let covered = s.coveredSize > 0 ? "seq 1-\(s.coveredSize)" : "no events"
            print("covered:  \(covered) by the last signed checkpoint; \(s.trailing) event(s) after it"
                + (requirements == ExportVerifier.Requirements() && s.trailing > 0
                    ? " (normal between checkpoints; --expect-size or --checkpoint checks the end)" : ""))
            for problem in problems {
                FileHandle.standardError.write(Data("FAIL \(export): \(problem.code): \(problem.message)\n".utf8))
            }
        }
        if !problems.isEmpty { throw ExitCode(1) }
    }

    /// Reports one problem (JSON or a FAIL line on standard error) and exits 1.
    private func fail(_ problem: Report.Problem, text: String? = nil) throws -> Never {
        if json {
            print(try Self.encode(Report(ok: false, export: export, problems: [problem])))
        } else {
            let message = text ?? "\(problem.code): \(problem.message)"
            FileHandle.standardError.write(Data("FAIL \(export): \(message)\n".utf8))
        }
        throw ExitCode(1)
    }

    static func encode(_ report: Report) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
