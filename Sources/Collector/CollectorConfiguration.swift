import Logging

/// Settings of `sightline-collector serve`.
public struct CollectorConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    public var port: Int
    /// Bearer token for the admin endpoints (`/v1/devices`, `/v1/incidents`); nil disables them over HTTP.
    public var adminToken: String?
    /// Largest accepted request body (a batch of events, or one evidence blob), bytes.
    public var maxBodyBytes: Int
    /// Most events per `/v1/events` page.
    public var maxPage: Int
    /// PEM certificate chain and private key to serve HTTPS; both nil serves plain HTTP (loopback only).
    /// Devices pin this certificate (`collector.pin` / `--pin`).
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?

    public init(
        host: String = "127.0.0.1", port: Int = 8470, adminToken: String? = nil,
        maxBodyBytes: Int = 32 << 20, maxPage: Int = 1000, tlsCertificatePath: String? = nil,
        tlsKeyPath: String? = nil
    ) {
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.host = host
        self.port = port
        self.adminToken = adminToken
        self.maxBodyBytes = maxBodyBytes
        self.maxPage = maxPage
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
