import ArgumentParser
import FaceKit
import Foundation
import SightlineTools

/// `sightline doctor`: checks that this box can run `sightlined` with its configuration and says what to fix.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check cameras, models, state directory, collector and clock for sightlined; say what to fix.",
        discussion: """
            One line per check: ok, WARN or FAIL, with what to change. Access is judged for the service \
            user (mode bits, owner and groups). Exit status: 0 when no check fails, 1 otherwise.
            """)

    @Option(help: "The daemon's configuration file.")
    var config = "/etc/sightline/sightlined.yaml"

    @Option(help: ArgumentHelp("The user sightlined runs as. The systemd unit uses DynamicUser= (named after "
        + "the unit): a name not in the user database is checked as that dynamic user, in --group groups."))
    var user = "sightlined"

    @Option(name: .customLong("group"),
            help: "Supplementary groups of a dynamic service user (the unit's SupplementaryGroups=); repeatable.")
    var groups: [String] = ["video"]

    @Option(help: "Model checksums from this manifest (the form of Models/manifest.json) instead of the built-in one.")
    var manifest: String?

    @Option(help: "Seconds to wait for the collector.")
    var timeout = 3.0

    @Flag(help: "Print the checks as a JSON array.")
    var json = false

    func run() throws {
        var settings = Doctor.Settings(configPath: config, user: user)
        settings.dynamicGroups = groups
        settings.collectorTimeoutSeconds = timeout
        if let manifest {
            do { settings.manifest = try ModelManifest(contentsOf: manifest) } catch {
                throw CLIError("\(error)")
            }
        }
        let checks = Doctor(settings: settings).run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(checks), as: UTF8.self))
        } else {
            for check in checks { print(check.line) }
            let failed = checks.filter { $0.status == .fail }.count
            let warned = checks.filter { $0.status == .warn }.count
            print(failed == 0 ? "no problem found\(warned > 0 ? " (\(warned) warning(s))" : "")"
                  : "\(failed) problem(s) to fix")
        }
        if checks.contains(where: { $0.status == .fail }) { throw ExitCode(1) }
    }
}
