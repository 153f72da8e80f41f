/// Everything `sightlined` reads from its YAML configuration file, defaults applied.
///
/// Built by `ConfigLoader` from a file; every value here has already been validated (ranges,
/// source specs, unique camera ids), so the daemon can use it without further checks.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Where the daemon keeps its state (spool, keys, gallery). Key `state_dir`, an absolute path.
    public var stateDirectory: String
    /// swift-log level name. Key `log_level`: trace, debug, info, notice, warning, error or critical.
    public var logLevel: String
    /// The Prometheus endpoint. Key `metrics`.
    public var metrics: MetricsConfiguration
    /// Signed events and their delivery (keys `events` and `collector`); nil when events are off.
    public var events: EventsConfiguration?
    /// Publishing the events to an MQTT broker (key `mqtt`); nil when absent. Needs `events`.
    public var mqtt: MQTTConfiguration?
    /// The cameras, in file order; at least one, ids unique. Key `cameras`.
    public var cameras: [CameraConfiguration]
    /// Key paths of sections this build recognises but does not implement yet (`cameras[0].traffic`,
    /// `collector`). They were accepted because they are mappings; the daemon should log them as
    /// "not in this build: ignored". Their contents are not checked.
    public var reservedSections: [String]

    /// The default state directory, `/var/lib/sightline` (systemd `StateDirectory=sightline`).
    public static let defaultStateDirectory = "/var/lib/sightline"
    /// The log levels `log_level` accepts: swift-log's `Logger.Level` raw values, lowest first.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public init(
        stateDirectory: String = DaemonConfiguration.defaultStateDirectory,
        logLevel: String = "info",
        metrics: MetricsConfiguration = MetricsConfiguration(),
        events: EventsConfiguration? = nil,
        mqtt: MQTTConfiguration? = nil,
        cameras: [CameraConfiguration] = [],
        reservedSections: [String] = []
    ) {
        self.stateDirectory = stateDirectory
        self.logLevel = logLevel
        self.metrics = metrics
        self.events = events
        self.mqtt = mqtt
        self.cameras = cameras
        self.reservedSections = reservedSections
    }
}

/// Where the Prometheus text endpoint listens. Key `metrics`.
///
/// `listen` in the file is `HOST:PORT` (`[::1]:9464` for IPv6) or a bare port on 127.0.0.1.
/// A host that is not loopback is refused unless `allow_remote: true`: metrics name cameras.
public struct MetricsConfiguration: Sendable, Equatable {
    /// Whether to serve `/metrics` at all. Key `enabled`, default true.
    public var enabled: Bool
    /// The address to bind, without IPv6 brackets (`127.0.0.1`, `::1`, `localhost`).
    public var host: String
    /// The TCP port to bind, 0...65535 (0: any free port). Default 9464 (the OpenTelemetry Prometheus exporter port).
    public var port: Int
    /// Whether a non-loopback `host` was explicitly allowed. Key `allow_remote`, default false.
    public var allowRemote: Bool

    /// The default listen address, `127.0.0.1:9464`.
    public static let defaultHost = "127.0.0.1"
    public static let defaultPort = 9464

    public init(
        enabled: Bool = true,
        host: String = MetricsConfiguration.defaultHost,
        port: Int = MetricsConfiguration.defaultPort,
        allowRemote: Bool = false
    ) {
        self.enabled = enabled
        self.host = host
        self.port = port
        self.allowRemote = allowRemote
    }
}
