import ArgumentParser
import EventLog
import Forwarder
import Foundation
import Logging
import SightlineConfig
import SightlineCore
import SightlineTools

/// `sightline events …`: the signed event log from the command line.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Emit, check and deliver signed events.",
        subcommands: [Test.self, EmitTest.self, CheckSpool.self])

    /// Emits N `system.test` events through the real spool and forwarder and returns once the
    /// collector acknowledged them, as `logger` does for syslog.
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send N system.test events to a collector through the spool; wait for acknowledgement.")

        @Option(help: "Collector base URL, e.g. https://collector:8470.")
        var collector: String

        @Option(help: "State directory.")
        var stateDir = DaemonConfiguration.defaultStateDirectory

        @Option(help: "Number of events.")
        var count = 1

        @Option(help: "PEM certificate of the collector to pin.")
        var pin: String?

        @Option(help: "Give up after this many seconds.")
        var timeout = 60.0

        func run() throws {
            let logger = Logger(label: "sightline.events")
            let key = try DeviceKey.loadOrCreate(stateDirectory: stateDir).key
            let log = try EventLog(
                configuration: EventLogConfiguration(stateDirectory: stateDir), key: key,
                logger: logger)
            let run = UUID().uuidString.lowercased()
            var last: UInt64 = 0
            for n in 1...max(1, count) {
                last = try log.emit(
                    camera: "", type: DetectionType.systemTest.rawValue,
                    body: ["n": .int(Int64(n)), "of": .int(Int64(count)), "run": .string(run)]
                ).seq
            }
            let forwarder = try Forwarder(
                configuration: ForwarderConfiguration(
                    collectorURL: collector,
                    pinnedCertificatePath: pin),
                spool: log.spool, key: log.key, logger: logger)
            let timeout = self.timeout
            let result = blockingAwait { () async -> Result<Void, ForwarderError> in
                var outcome: Result<Void, ForwarderError> = .success(())
                do { try await forwarder.drain(timeoutSeconds: timeout) } catch {
                    outcome = .failure(error as? ForwarderError ?? .transport("\(error)"))
                }
                await forwarder.shutdown()
                return outcome
            }
            if case .failure(let error) = result {
                FileHandle.standardError.write(Data("FAIL: \(error)\n".utf8))
                throw ExitCode(1)
            }
            print(
                "ok: \(count) system.test events acknowledged by \(collector) "
                    + "(device \(key.deviceID), last seq \(last))"
            )
        }
    }

    /// Emits events into the spool as fast as it commits them; prints each seq once durable.
    /// The crash-consistency test kills this process at random points.
    struct EmitTest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "emit-test", abstract: "Emit N system.test events into the spool (no delivery).")

        @Option(help: "State directory.")
        var stateDir = DaemonConfiguration.defaultStateDirectory

        @Option(help: "Number of events.")
        var count = 100

        @Option(help: "Attach a small evidence blob to every Kth event (0: never).")
        var evidenceEvery = 0

        @Option(help: "Sign a checkpoint every N events.")
        var checkpointEvery = 1000

        func run() throws {
            let key = try DeviceKey.loadOrCreate(stateDirectory: stateDir).key
            let log = try EventLog(
                configuration: EventLogConfiguration(
                    stateDirectory: stateDir,
                    checkpointEvery: checkpointEvery),
                key: key, logger: Logger(label: "sightline.events"))
            let out = FileHandle.standardOutput
            for n in 1...max(1, count) {
                var evidence: [EvidenceBlob] = []
                if evidenceEvery > 0 && n % evidenceEvery == 0 {
                    // A JPEG frame around a comment (the collector takes only JPEG evidence).
                    let text = Array("evidence \(n) \(Clocks.wallNanos())".utf8.prefix(200))
                    evidence = [EvidenceBlob(data: [0xFF, 0xD8, 0xFF, 0xFE, 0x00, UInt8(text.count + 2)] + text
                        + [0xFF, 0xD9])]
                }
                let e = try log.emit(
                    camera: "", type: DetectionType.systemTest.rawValue,
                    body: ["n": .int(Int64(n)), "of": .int(Int64(count))],
                    evidence: evidence)
                out.write(Data("\(e.seq)\n".utf8))
            }
        }
    }

    /// Verifies the spool in a state directory.
    struct CheckSpool: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-spool", abstract: "Verify the local spool: signatures, gapless seq, chain, checkpoints."
        )

        @Option(help: "State directory.")
        var stateDir = DaemonConfiguration.defaultStateDirectory

        func run() throws {
            let key = try DeviceKey.load(path: (stateDir as NSString).appendingPathComponent(DeviceKey.fileName))
            let spool = try EventSpool(
                path: (stateDir as NSString).appendingPathComponent(EventSpool.fileName),
                logger: Logger(label: "sightline.events"))
            do {
                let c = try spool.verify(publicKey: key.privateKey.publicKey)
                print(
                    "ok: \(c.events) events (seq \(c.firstSeq)-\(c.lastSeq)), \(c.checkpointsVerified) checkpoints, "
                        + "\(try spool.pendingCount()) undelivered")
            } catch {
                FileHandle.standardError.write(Data("FAIL: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
