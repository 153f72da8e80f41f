import SightlineCore

/// The daemon's `mqtt:` section: a broker to publish the signed events to, with Home Assistant discovery.
///
/// Already validated by the loader: the URL parsed, plain `mqtt://` only to loopback unless `insecure`, the
/// password file an absolute path (read when the publisher starts, never logged). Needs `events:`, since the
/// publisher reads the event spool.
public struct MQTTConfiguration: Sendable, Equatable {
    /// Whether the connection uses TLS (`mqtts://`).
    public var tls: Bool
    /// Broker host name or address, without IPv6 brackets.
    public var host: String
    /// Broker port; default 1883 for `mqtt://`, 8883 for `mqtts://`.
    public var port: Int
    /// Key `insecure`, default false: allows `mqtt://` to a broker that is not on this machine.
    public var insecure: Bool
    /// Key `username`.
    public var username: String?
    /// Key `password_file`: absolute path of a file whose first line is the password.
    public var passwordFile: String?
    /// Key `ca`: PEM file of the CA that issued the broker's certificate (the host name is checked).
    public var caFile: String?
    /// Key `pin`: PEM file of the broker's own (self-signed) certificate, the only one trusted; the host name
    /// is not checked, since the pin is the identity.
    public var pinFile: String?
    /// Key `client_id`; nil: the device id.
    public var clientID: String?
    /// Key `topic_prefix`, default `sightline`.
    public var topicPrefix: String
    /// Key `qos`, 0 or 1 (default 1): with 0 a message counts as delivered once written to the socket.
    public var qos: Int
    /// Key `protocol`: `3.1.1` (default) or `5`.
    public var protocolV5: Bool
    /// Key `discovery`, default true: Home Assistant MQTT discovery configs per camera.
    public var discovery: Bool
    /// Key `discovery_prefix`, default `homeassistant`.
    public var discoveryPrefix: String
    /// Key `types`: the event types published. `face.match` only when listed here explicitly.
    public var types: Set<DetectionType>
    /// Key `crossing_on_seconds`, default 10: how long the "red-light crossing" binary sensor stays on.
    public var crossingOnSeconds: Int

    /// The event types published when `types` is absent: never `face.match`.
    public static let defaultTypes: Set<DetectionType> = [
        .trafficRedLightCrossing, .trafficSignalState, .cameraStatus, .faceDetected,
    ]

    public init(
        tls: Bool = true, host: String, port: Int? = nil, insecure: Bool = false, username: String? = nil,
        passwordFile: String? = nil, caFile: String? = nil, pinFile: String? = nil, clientID: String? = nil,
        topicPrefix: String = "sightline", qos: Int = 1, protocolV5: Bool = false, discovery: Bool = true,
        discoveryPrefix: String = "homeassistant", types: Set<DetectionType> = MQTTConfiguration.defaultTypes,
        crossingOnSeconds: Int = 10
    ) {
        precondition(qos == 0 || qos == 1, "qos must be 0 or 1")
        self.tls = tls
        self.host = host
        self.port = port ?? (tls ? 8883 : 1883)
        self.insecure = insecure
        self.username = username
        self.passwordFile = passwordFile
        self.caFile = caFile
        self.pinFile = pinFile
        self.clientID = clientID
        self.topicPrefix = topicPrefix
        self.qos = qos
        self.protocolV5 = protocolV5
        self.discovery = discovery
        self.discoveryPrefix = discoveryPrefix
        self.types = types
        self.crossingOnSeconds = crossingOnSeconds
    }

    /// `mqtts://host:port` (no credentials: safe to log).
    public var brokerDescription: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return (tls ? "mqtts://" : "mqtt://") + "\(shown):\(port)"
    }
}
