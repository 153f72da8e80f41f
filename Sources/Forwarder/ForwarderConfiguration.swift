/// Settings of event delivery (the `collector:` section of the daemon's configuration).
public struct ForwarderConfiguration: Sendable, Equatable {
    /// Base URL of the collector, `https://collector.example:8470` (http only for loopback tests).
    public var collectorURL: String
    /// Events per `POST /v1/events`.
    public var batchSize: Int
    /// First retry delay after a failure, seconds; doubles per failure up to `maxBackoffSeconds`.
    public var initialBackoffSeconds: Double
    public var maxBackoffSeconds: Double
    /// How often the spool is polled when nothing wakes the forwarder, seconds.
    public var pollSeconds: Double
    /// Per-request timeout, seconds.
    public var requestTimeoutSeconds: Double
    /// PEM file of the collector's certificate: the only certificate trusted (pinning). When set,
    /// the host name is not checked, since the pin is the identity.
    public var pinnedCertificatePath: String?

    public init(
        collectorURL: String, batchSize: Int = 100, initialBackoffSeconds: Double = 0.5,
        maxBackoffSeconds: Double = 60, pollSeconds: Double = 1, requestTimeoutSeconds: Double = 30,
        pinnedCertificatePath: String? = nil
    ) {
        precondition(batchSize >= 1, "batchSize must be at least 1")
        self.collectorURL = collectorURL
        self.batchSize = batchSize
        self.initialBackoffSeconds = initialBackoffSeconds
        self.maxBackoffSeconds = maxBackoffSeconds
        self.pollSeconds = pollSeconds
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.pinnedCertificatePath = pinnedCertificatePath
    }
}

/// Why a delivery attempt failed.
public enum ForwarderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The collector could not be reached or the connection failed.
    case transport(String)
    /// The collector answered with an error status; `retryAfter` from its header, seconds.
    case collector(status: Int, code: String, message: String, retryAfter: Double?)
    /// The spool failed.
    case spool(String)
    /// The pinned certificate could not be loaded.
    case badPin(String)
    /// The collector's reply does not make sense for the batch sent (an acknowledgement outside it); nothing
    /// of the batch is marked delivered.
    case badReply(String)

    public var description: String {
        switch self {
        case .transport(let m): "collector unreachable: \(m)"
        case .collector(let s, let c, let m, _): "collector refused (\(s) \(c)): \(m)"
        case .spool(let m): "spool: \(m)"
        case .badPin(let m): "pinned certificate: \(m)"
        case .badReply(let m): "collector reply not understood: \(m)"
        }
    }
}
