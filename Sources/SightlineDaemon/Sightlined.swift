import ArgumentParser
import Foundation
import SightlineConfig
import SightlineCore
import SightlineRuntime

/// `sightlined`: the Sightline daemon's command line. What it runs — one pipeline per configured camera,
/// Prometheus metrics, systemd notify and watchdog, graceful shutdown on SIGTERM/SIGINT, configuration reload
/// on SIGHUP — is `SightlineRuntime.Daemon`.
@main
struct Sightlined: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sightlined",
        abstract: "Sightline edge vision daemon.",
        discussion: "Exit status: 0 after a clean shutdown, 78 for a configuration error, 1 otherwise.",
        version: SightlineVersion.string)

    @Option(name: .long, help: "Configuration file (YAML).")
    var config: String?

    @Option(name: .customLong("check-config"), help: "Validate FILE, print every problem with its line, and exit.")
    var checkConfig: String?

    @Flag(name: .customLong("config-reference"), help: "Print the configuration reference (Markdown) and exit.")
    var configReference = false

    @Option(name: .long, help: "Write a JSON summary of what each camera did to FILE at exit.")
    var summary: String?

    @Option(name: .long, help: "Append each detection as a JSON line to FILE (besides the signed event log).")
    var detections: String?

    @Option(name: .customLong("metrics-port"), help: "Override metrics.listen's port (0 picks a free port).")
    var metricsPort: Int?

    mutating func run() async throws {
        if configReference {
            FileHandle.standardOutput.write(Data(ConfigReference.markdown().utf8))
            return
        }
        if let path = checkConfig {
            let configuration = try loadOrExit(path)
            var report = "\(path): OK, \(configuration.cameras.count) camera(s)\n"
            for section in configuration.reservedSections {
                report += "\(path): note: '\(section)' is not handled by this build and is ignored\n"
            }
            FileHandle.standardOutput.write(Data(report.utf8))
            return
        }
        guard let path = config else {
            throw ValidationError("--config FILE is required (or --check-config FILE)")
        }
        var configuration = try loadOrExit(path)
        let metricsPort = self.metricsPort
        let adjust: @Sendable (inout DaemonConfiguration) -> Void = { configuration in
            if let metricsPort { configuration.metrics.port = metricsPort }
        }
        adjust(&configuration)
        do {
            try await Daemon(configuration: configuration, configPath: path, adjust: adjust, summaryPath: summary,
                             detectionsPath: detections).run()
        } catch let error as DaemonConfigurationError {
            // The configured address cannot be used: a configuration error (EX_CONFIG), which the unit does not
            // restart in a loop.
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(78)
        }
    }

    private func loadOrExit(_ path: String) throws -> DaemonConfiguration {
        do {
            return try ConfigLoader.load(path: path)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}
