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
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an export: signatures, chain, checkpoints and evidence; names the first problem.")

    @Argument(help: "Export file (JSON lines from GET /v1/export?device=ID), - for standard input.")
    var export: String

    @Option(help: "The device's public key (base64), or a file holding it.")
    var pubkey: String

    @Option(help: "Directory of evidence blobs named by SHA-256, besides those inside the export.")
    var evidenceDir: String?

    func run() throws {
        var keyText = pubkey
        if FileManager.default.fileExists(atPath: pubkey), let d = FileManager.default.contents(atPath: pubkey) {
            keyText = String(decoding: d, as: UTF8.self)
        }
        let key = try DeviceKey.publicKey(base64: keyText)
        let data: Data?
        if export == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: export)
        }
        guard let data else { throw ValidationError("cannot read \(export)") }
        do {
            let s = try ExportVerifier.verify(export: [UInt8](data), publicKey: key, evidenceDirectory: evidenceDir)
            print(
                "ok: \(s.events) events (seq 1-\(s.lastSeq)), \(s.checkpoints) checkpoints, "
                    + "\(s.evidenceVerified) evidence blobs verified, \(s.evidenceMissing) not available")
        } catch {
            FileHandle.standardError.write(Data("FAIL \(export): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
