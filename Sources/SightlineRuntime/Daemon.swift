import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SightlineConfig
import SightlineCore
import UnixSignals

/// A setting that passed the loader but cannot be used when the daemon starts (a metrics address that
/// cannot be bound): a configuration error, for which `sightlined` exits with 78 (EX_CONFIG).
public struct DaemonConfigurationError: Error, CustomStringConvertible {
    public let description: String
}

/// Builds the services from a configuration and runs them in one `ServiceGroup`; SIGHUP reloads the
/// cameras (`ConfigReloader`). Bootstraps logging and metrics: for the `sightlined` executable only.
public struct Daemon {
    public let configuration: DaemonConfiguration
    /// The file `configuration` came from, re-read on SIGHUP; nil turns reloading off.
    public let configPath: String?
    /// The command-line overrides `configuration` had, applied again to each reloaded file.
    public let adjust: @Sendable (inout DaemonConfiguration) -> Void
    /// Where to write the JSON run summary at exit.
    public let summaryPath: String?
    /// Where to append each detection as a JSON line (`--detections`).
    public let detectionsPath: String?

    public init(configuration: DaemonConfiguration, configPath: String?,
                adjust: @escaping @Sendable (inout DaemonConfiguration) -> Void = { _ in },
                summaryPath: String? = nil, detectionsPath: String? = nil) {
        self.configuration = configuration
        self.configPath = configPath
        self.adjust = adjust
        self.summaryPath = summaryPath
        self.detectionsPath = detectionsPath
    }

    /// Runs until SIGTERM/SIGINT, or until every camera's finite footage has ended.
    ///
    /// - Throws: `DaemonConfigurationError` when the metrics address cannot be bound; what building the
    ///   pipelines or the event log throws (a missing model, an unreadable gallery or spool).
    public func run() async throws {
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "sightlined")
        logger.logLevel = level

        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(20), .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(500),
            .seconds(1),
        ]
        MetricsSystem.bootstrap(factory)

        for section in configuration.reservedSections {
            logger.notice("configuration section not handled by this build: ignored", metadata: ["section": "\(section)"])
        }

        // Trapped before anything slow, so that an early SIGHUP cannot end the process (its default action).
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let sink = try DetectionSink(path: detectionsPath, logger: logger)
        let events = try configuration.events.map {
            try EventWiring(configuration: $0, mqtt: configuration.mqtt, cameras: configuration.cameras, logger: logger)
        }
        let builder = PipelineBuilder(detections: sink, events: events, logger: logger)
        let first = try builder.build(configuration)
        if let rules = first.rules { events?.sink.apply(rules) }
        let pipelines = first.pipelines

        let notifier = SystemdNotifier()
        let pipelinesService = PipelinesService(pipelines: pipelines, notifier: notifier, logger: logger)
        // Started in this order, stopped in reverse: the pipelines stop before the event log flushes,
        // and the forwarder delivers what it can last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = (events?.services ?? []).map { .init(service: $0) }
        services.append(.init(service: pipelinesService, successTerminationBehavior: .gracefullyShutdownGroup))
        if configuration.metrics.enabled {
            let server: MetricsServer
            do {
                server = try MetricsServer(host: configuration.metrics.host, port: configuration.metrics.port,
                                           registry: registry, logger: logger)
            } catch {
                throw DaemonConfigurationError(description: "metrics.listen: \(error)")
            }
            services.insert(.init(service: server), at: 0)
        }
        if let configPath {
            services.append(.init(service: ConfigReloader(
                path: configPath, initial: configuration, adjust: adjust, builder: builder,
                pipelines: pipelinesService, signals: hangups, notifier: notifier, logger: logger)))
        }
        if let interval = SystemdNotifier.watchdogInterval() {
            services.append(.init(service: WatchdogService(notifier: notifier, interval: interval,
                                                           isHealthy: { pipelinesService.isHealthy }, logger: logger)))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        let started = Clocks.monotonicNanos()
        try await group.run()
        sink.close()
        let report = RunSummary(runs: pipelinesService.runs,
                                wallSeconds: Double(Clocks.monotonicNanos() - started) / 1e9)
        report.log(to: logger)
        if let summaryPath { try report.write(to: summaryPath) }
        // A camera that failed for good (refused its stream, an unsupported format) ends its pipeline; when that
        // ended the run, exit with an error so that a supervisor (systemd's Restart=on-failure) sees it.
        let failed = pipelinesService.failedCameras
        if !failed.isEmpty {
            throw CameraFailedError(description: failed.map { "camera \($0.camera) failed: \($0.failure)" }
                .joined(separator: "; "))
        }
    }
}

/// The run ended because cameras failed for good (the daemon exits with status 1).
public struct CameraFailedError: Error, CustomStringConvertible {
    public let description: String
}
