import EventLog
import Forwarder
import Logging
import MQTT
import ServiceLifecycle
import SightlineConfig

/// The event log's upkeep as a service: checkpoints on time, retention and the disk budget while
/// running; on shutdown (after the pipelines stopped) it emits the crossings still waiting for
/// evidence and signs a last checkpoint over whatever the previous one did not cover.
struct EventLogService: Service {
    let log: EventLog
    let sink: EventSink
    let logger: Logger

    func run() async throws {
        let log = self.log
        await cancelWhenGracefulShutdown { await log.maintain() }
        sink.flush()
        do {
            let head = try log.spool.state()
            if head.lastSeq > head.lastCheckpointSeq { try log.checkpoint() }
        } catch {
            logger.error("final checkpoint not written", metadata: ["error": "\(error)"])
        }
    }
}

/// Delivery to the collector as a service. On shutdown it tries for at most `drainSeconds` to
/// deliver what is still queued; what it cannot deliver stays in the spool for the next start.
struct ForwarderService: Service {
    let forwarder: Forwarder
    let drainSeconds: Double
    let logger: Logger

    func run() async throws {
        let forwarder = self.forwarder
        await cancelWhenGracefulShutdown { await forwarder.run() }
        do {
            try await forwarder.drain(timeoutSeconds: drainSeconds)
        } catch {
            logger.notice("events left in the spool for the next start", metadata: ["reason": "\(error)"])
        }
        await forwarder.shutdown()
    }
}

/// Publishing to an MQTT broker as a service. On shutdown (after the pipelines and the event log's last events)
/// it publishes what is left for at most `drainSeconds`, then `offline`; the rest waits in the spool.
struct MQTTService: Service {
    let publisher: MQTTPublisher
    let drainSeconds: Double
    let logger: Logger

    func run() async throws {
        let publisher = self.publisher
        await cancelWhenGracefulShutdown { await publisher.run() }
        do {
            try await publisher.finish(timeoutSeconds: drainSeconds)
        } catch {
            logger.notice("MQTT: events left in the spool for the next start", metadata: ["reason": "\(error)"])
        }
    }
}

/// The event log, its sink and its services, built when the configuration has `events:`.
struct EventWiring {
    let log: EventLog
    let sink: EventSink
    /// The MQTT publisher when `mqtt:` is set; a reload hands it the new cameras.
    let publisher: MQTTPublisher?
    /// In the order the `ServiceGroup` must start them (forwarder first, so it stops last).
    let services: [any Service]

    init(configuration: EventsConfiguration, mqtt: MQTTConfiguration? = nil, cameras: [CameraConfiguration],
         logger: Logger) throws {
        let (key, created) = try DeviceKey.loadOrCreate(stateDirectory: configuration.log.stateDirectory)
        if created {
            logger.notice("device key created; register it at the collector (sightline device show)",
                          metadata: ["device": "\(key.deviceID)", "public_key": "\(key.publicKeyBase64)"])
        }
        log = try EventLog(configuration: configuration.log, key: key, logger: logger)
        sink = EventSink(log: log, rules: EventSink.Rules(configuration: configuration, cameras: cameras),
                         logger: logger)
        var services: [any Service] = []
        if let collector = configuration.collector {
            let forwarder = try Forwarder(configuration: collector, spool: log.spool, key: key, logger: logger)
            services.append(ForwarderService(forwarder: forwarder, drainSeconds: 10, logger: logger))
        }
        var publisher: MQTTPublisher?
        if let mqtt {
            let made = try MQTTPublisher(configuration: mqtt, spool: log.spool, device: key.deviceID,
                                              cameras: cameras.filter(\.enabled).map(\.id), logger: logger)
            services.append(MQTTService(publisher: made, drainSeconds: 5, logger: logger))
            logger.info("MQTT publishing on", metadata: ["broker": "\(mqtt.brokerDescription)",
                                                        "topics": "\(made.topics.prefix)/\(key.deviceID)/…"])
            publisher = made
        }
        self.publisher = publisher
        services.append(EventLogService(log: log, sink: sink, logger: logger))
        self.services = services
        logger.info("signed events on", metadata: ["device": "\(key.deviceID)",
                                                   "collector": "\(configuration.collector?.collectorURL ?? "none")"])
    }
}
