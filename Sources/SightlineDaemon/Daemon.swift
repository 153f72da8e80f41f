import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SightlineCore

/// Builds the services from a configuration and runs them in one `ServiceGroup`.
struct Daemon {
    let configuration: DaemonConfiguration
    let summaryPath: String?
    let detectionsPath: String?

    func run() async throws {
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

        let sink = try DetectionSink(path: detectionsPath, logger: logger)
        let events = try configuration.events.map {
            try EventWiring(configuration: $0, cameras: configuration.cameras, logger: logger)
        }
        let recognition = RecognitionResources(logger: logger, evidence: {
            sink.keep($0)
            events?.sink.keep($0)
        })
        var pipelines: [CameraPipeline] = []
        for camera in configuration.cameras where camera.enabled {
            let relay = SourceStateRelay()
            let source = try makeSource(for: camera, relay: relay, logger: logger)
            let settings = CameraPipeline.Settings(
                camera: camera.id, queueDepth: camera.queueDepth,
                overflow: camera.sourceKind != .v4l2 && camera.replay == .fast ? .wait : .dropOldest,
                processFPS: camera.processFPS,
                decode: .init(minWidth: camera.processingWidth, color: false))
            let faces = try FaceStageFactory.make(for: camera, recognition: recognition)
            let stages: [any Stage] = [FrameStatsStage()] + faces.stages
                + trafficStages(for: camera, redactor: faces.redactor, events: events?.sink, logger: logger)
            let pipeline = CameraPipeline(settings: settings, source: source, stages: stages, logger: logger,
                                          sink: { detection in
                                              events?.sink.write(detection)
                                              sink.write(detection)
                                          })
            relay.pipeline = pipeline
            pipelines.append(pipeline)
        }

        let notifier = SystemdNotifier()
        let pipelinesService = PipelinesService(pipelines: pipelines, notifier: notifier, logger: logger)
        // Started in this order, stopped in reverse: the pipelines stop before the event log flushes,
        // and the forwarder delivers what it can last.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = (events?.services ?? []).map { .init(service: $0) }
        services.append(.init(service: pipelinesService, successTerminationBehavior: .gracefullyShutdownGroup))
        if configuration.metrics.enabled {
            let server = try MetricsServer(host: configuration.metrics.host, port: configuration.metrics.port,
                                           registry: registry, logger: logger)
            services.insert(.init(service: server), at: 0)
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
        let report = RunSummary(pipelines: pipelines, wallSeconds: Double(Clocks.monotonicNanos() - started) / 1e9)
        report.log(to: logger)
        if let summaryPath { try report.write(to: summaryPath) }
    }
}
