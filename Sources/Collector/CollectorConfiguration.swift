import Logging

/// Settings of `sightline-collector serve`.
public struct CollectorConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    public var port: Int
    /// A bootstrap admin token (from `$SIGHTLINE_ADMIN_TOKEN`), beside the tokens stored with
    /// `sightline-collector tokens add`. Only its SHA-256 is kept.
    public var adminTokenDigest: [UInt8]?
    /// Largest accepted `POST /v1/events` body, bytes.
    public var maxEventsBodyBytes: Int
    /// Largest accepted evidence blob, bytes.
    public var maxEvidenceBytes: Int
    /// Bytes of request bodies held in memory at once, across all requests; a body that would exceed it is
    /// answered `503 overloaded` before it is read. At least the largest body limit.
    public var maxBufferedBodyBytes: Int = 64 << 20
    /// Most connections open at once from one address; more are closed as they open.
    public var maxConnectionsPerAddress: Int = 64
    /// Largest accepted body of the other endpoints (device registration), bytes.
    public var maxSmallBodyBytes: Int
    /// Most events per `/v1/events` and `/checkpoints` page.
    public var maxPage: Int
    /// Largest tree a `/proof` reads (its leaves are loaded to build the path).
    public var maxProofLeaves: UInt64
    /// Most uncached leaves a `/proof` reads for a tree size that no signed checkpoint names: what it computes
    /// there cannot be verified, so it is never cached, and every such request would read it again.
    public var maxUnsignedProofLeaves: UInt64
    /// Whether the console's chain check starts with the collector (it warms the subtree cache the proofs read);
    /// tests that need a cold cache turn it off, and it then starts when the console's overview is first shown.
    public var chainCheckAtStart = true
    /// A request's headers must arrive within this many seconds of the connection opening (or of the previous
    /// response), or the connection is closed.
    public var headerTimeoutSeconds: Double
    /// A connection with no traffic for this many seconds is closed.
    public var idleTimeoutSeconds: Double
    /// Connections served at once; further ones wait in the listen backlog.
    public var maxConnections: Int
    /// Requests per second allowed from one address (a burst of `rateBurst`), answered 429 beyond.
    public var requestsPerSecondPerAddress: Double
    /// Submissions (event batches, evidence uploads) per second allowed from one device.
    public var requestsPerSecondPerDevice: Double
    public var rateBurst: Double
    /// How far the time of a device-signed request may be from the collector's clock, seconds.
    public var signedRequestWindowSeconds: Int64
    /// Evidence no event names is deleted this long after its upload, seconds (a device uploads evidence just
    /// before the event that names it).
    public var evidenceGraceSeconds: Int64 = 86400
    /// PEM certificate chain and private key to serve HTTPS; both nil serves plain HTTP, which is refused off
    /// loopback unless `insecureHTTP`. Devices pin this certificate (`collector.pin` / `--pin`).
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Allows plain HTTP on a non-loopback address (`--insecure-http`).
    public var insecureHTTP: Bool

    public init(
        host: String = "127.0.0.1", port: Int = 8470, adminToken: String? = nil,
        maxEventsBodyBytes: Int = 4 << 20, maxEvidenceBytes: Int = 8 << 20, maxSmallBodyBytes: Int = 64 << 10,
        maxPage: Int = 1000, maxProofLeaves: UInt64 = 1 << 20, maxUnsignedProofLeaves: UInt64 = 1 << 14,
        headerTimeoutSeconds: Double = 30,
        idleTimeoutSeconds: Double = 60, maxConnections: Int = 1024, requestsPerSecondPerAddress: Double = 50,
        requestsPerSecondPerDevice: Double = 20, rateBurst: Double = 200, signedRequestWindowSeconds: Int64 = 300,
        tlsCertificatePath: String? = nil, tlsKeyPath: String? = nil, insecureHTTP: Bool = false
    ) {
        self.host = host
        self.port = port
        self.adminTokenDigest = adminToken.flatMap { $0.isEmpty ? nil : Array(AccessToken.digest($0).utf8) }
        self.maxEventsBodyBytes = maxEventsBodyBytes
        self.maxEvidenceBytes = maxEvidenceBytes
        self.maxSmallBodyBytes = maxSmallBodyBytes
        self.maxPage = maxPage
        self.maxProofLeaves = maxProofLeaves
        self.maxUnsignedProofLeaves = maxUnsignedProofLeaves
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
        self.requestsPerSecondPerAddress = requestsPerSecondPerAddress
        self.requestsPerSecondPerDevice = requestsPerSecondPerDevice
        self.rateBurst = rateBurst
        self.signedRequestWindowSeconds = signedRequestWindowSeconds
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.insecureHTTP = insecureHTTP
    }

    /// Whether `host` names only this machine: `localhost`, 127.0.0.0/8 or ::1.
    public static func isLoopback(host: String) -> Bool {
        let h = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if h == "localhost" || h == "::1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Refuses plain HTTP off loopback unless `insecureHTTP`, half a TLS configuration, and limits out of range.
    public func validate() throws(CollectorConfigurationError) {
        guard (tlsCertificatePath == nil) == (tlsKeyPath == nil) else { throw .tlsNeedsCertificateAndKey }
        for (name, seconds) in [("--header-timeout", headerTimeoutSeconds), ("--idle-timeout", idleTimeoutSeconds)]
        where !(seconds > 0 && seconds <= 86400) {
            throw .outOfRange("\(name) must be more than 0 and at most 86400 seconds")
        }
        for (name, bytes) in [("--max-events-body", maxEventsBodyBytes), ("--max-evidence", maxEvidenceBytes)]
        where !(1...(1 << 30)).contains(bytes) {
            throw .outOfRange("\(name) must be from 1 to 1073741824 bytes")
        }
        guard (60...(3650 * 86400)).contains(evidenceGraceSeconds) else {
            throw .outOfRange("--evidence-grace-hours must be from 1 minute to 10 years")
        }
        guard maxConnections >= 1 else { throw .outOfRange("--max-connections must be at least 1") }
        guard maxConnectionsPerAddress >= 1 else {
            throw .outOfRange("--max-connections-per-address must be at least 1")
        }
        guard maxBufferedBodyBytes >= max(maxEventsBodyBytes, maxEvidenceBytes, maxSmallBodyBytes) else {
            throw .outOfRange("--max-buffered-bodies must be at least --max-events-body and --max-evidence")
        }
        for (name, rate) in [("--rate-address", requestsPerSecondPerAddress), ("--rate-device", requestsPerSecondPerDevice),
                             ("--rate-burst", rateBurst)] where !(rate >= 0 && rate.isFinite) {
            throw .outOfRange("\(name) must be a finite number ≥ 0")
        }
        if tlsCertificatePath == nil, !insecureHTTP, !Self.isLoopback(host: host) {
            throw .plainHTTPOffLoopback(host)
        }
    }
}

/// Why `sightline-collector serve` will not start with its configuration.
public enum CollectorConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case plainHTTPOffLoopback(String)
    case tlsNeedsCertificateAndKey
    /// A limit outside what it may be (the message names it).
    case outOfRange(String)

    public var description: String {
        switch self {
        case .plainHTTPOffLoopback(let h):
            "refusing plain HTTP on \(h), which is not loopback: give --tls-cert and --tls-key, or --insecure-http "
                + "if a TLS proxy in front of the collector terminates TLS"
        case .tlsNeedsCertificateAndKey: "--tls-cert and --tls-key go together"
        case .outOfRange(let m): m
        }
    }
}

/// Opens the store named by a `--database` value: `sqlite:PATH` (or a bare path) or `postgres://...`.
public func openStore(database: String, logger: Logging.Logger) throws -> any CollectorStore {
    if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
        return try PostgresCollectorStore(url: database, logger: logger)
    }
    let path = database.hasPrefix("sqlite:") ? String(database.dropFirst("sqlite:".count)) : database
    guard !path.isEmpty, !path.contains("://") else { throw StoreError.badDatabaseURL(database) }
    return try SQLiteCollectorStore(path: path)
}

/// `--listen`: `HOST:PORT`, or `[IPv6]:PORT` (an IPv6 address in brackets, as in a URL).
public enum ListenAddress {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(Invalid) -> (host: String, port: Int) {
        let host: Substring
        let rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw Invalid(description: "no ] after [\(text.dropFirst())") }
            host = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
            guard host.contains(":") else { throw Invalid(description: "brackets are for IPv6 addresses") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw Invalid(description: "expected HOST:PORT") }
            host = text[..<colon]
            rest = text[colon...]
            guard !host.contains(":") else {
                throw Invalid(description: "write an IPv6 address in brackets: [\(host)]\(rest)")
            }
        }
        guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (0...65535).contains(port) else {
            throw Invalid(description: "expected a port from 0 to 65535 after the host")
        }
        guard !host.isEmpty else { throw Invalid(description: "expected a host before the port") }
        return (String(host), port)
    }
}
