import Crypto
import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SightlineCore

/// The collector's HTTP API (Hummingbird). See Sources/Collector/README.md for the endpoints.
///
/// Everything but `/healthz` needs a credential: a bearer token with a role (`Role`), a device signature
/// (`RequestSignature`, for evidence uploads and a device's own lookup), or, for `POST /v1/events`, the
/// signature every event carries. Refusals are `{"error": {"code": RefusalCode, "message": ...}}`.
public struct CollectorRouter: Sendable {
    public let store: any CollectorStore
    public let configuration: CollectorConfiguration
    public let metrics: CollectorMetrics
    let ingest: Ingest
    let logger: Logger
    let addressLimit: RateLimiter
    let deviceLimit: RateLimiter
    let bodyBudget: BodyBudget
    let connections: ConnectionsPerAddress

    public init(
        store: any CollectorStore, configuration: CollectorConfiguration, metrics: CollectorMetrics = .init(),
        logger: Logger
    ) {
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        ingest = Ingest(store: store, metrics: metrics, logger: logger)
        addressLimit = RateLimiter(rate: configuration.requestsPerSecondPerAddress, burst: configuration.rateBurst)
        deviceLimit = RateLimiter(rate: configuration.requestsPerSecondPerDevice, burst: configuration.rateBurst)
        bodyBudget = BodyBudget(capacity: configuration.maxBufferedBodyBytes)
        connections = ConnectionsPerAddress(limit: configuration.maxConnectionsPerAddress)
    }

    /// A Hummingbird application serving the API (HTTPS, TLS 1.2 or later, when a certificate is configured);
    /// `onServerRunning` receives the bound port.
    ///
    /// - Throws: `CollectorConfigurationError` for plain HTTP off loopback without `insecureHTTP`.
    public func application(
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        throws -> some ApplicationProtocol
    {
        try configuration.validate()
        let headerTimeout = TimeAmount.nanoseconds(Int64(configuration.headerTimeoutSeconds * 1e9))
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                PerAddressConnectionLimit(connections), HeaderTimeoutHandler(timeout: headerTimeout),
                ParserErrorReply(),
            ],
            idleTimeout: .nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9)))
        var server = HTTPServerBuilder.http1(configuration: http1)
        if let cert = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls.minimumTLSVersion = .tlsv12
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        }
        // The console's tables (the cached subtree roots proofs read) exist once its migration has run.
        let console = (store as? any CollectorStore & ConsoleStore).map {
            Console(store: $0, configuration: configuration, logger: logger)
        }
        return Application(
            router: router(console: console), server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "sightline-collector",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
            // Shut down after the server, and awaited by `runService`: the check reads no more once it returns.
            services: console.map { [ChainCheckService(console: $0)] } ?? [],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Deletes unreferenced evidence older than `evidenceGraceSeconds` (and, over PostgreSQL, makes the coming
    /// months' event partitions), every hour (or grace period, when shorter), until cancelled.
    public func purgeUnreferencedEvidence() async {
        let grace = configuration.evidenceGraceSeconds
        let interval = Double(min(grace, 3600))
        while !Task.isCancelled {
            do {
                let cutoff = Clocks.wallNanos() - grace * 1_000_000_000
                let n = try await store.purgeUnreferencedEvidence(receivedBefore: cutoff)
                if n > 0 { logger.info("purged unreferenced evidence", metadata: ["blobs": "\(n)"]) }
                // The next months' event partitions exist before their first event arrives.
                if let postgres = store as? PostgresCollectorStore { try await postgres.ensureEventPartitions() }
            } catch {
                logger.error("purging unreferenced evidence failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(interval))
        }
    }

    /// The routes; `console` (nil: a store without console queries) serves the pages and the proofs' cache.
    func router(console: Console?) -> Router<CollectorRequestContext> {
        let router = Router(context: CollectorRequestContext.self)
        router.add(middleware: InternalErrors(logger: logger))
        router.get("/healthz") { _, _ in Self.json(.object(["status": .string("ok")])) }
        let limited = router.group().add(middleware: AddressRateLimit(limiter: addressLimit))
        limited.get("/metrics") { request, _ in
            if case .denied(let r) = try await authorize(request, [.admin]) { return r }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        limited.post("/v1/events") { request, context in try await postEvents(request, context) }
        limited.get("/v1/events") { request, _ in try await getEvents(request) }
        limited.put("/v1/evidence/:sha256") { request, context in
            try await putEvidence(request, sha: try context.parameters.require("sha256"))
        }
        limited.get("/v1/evidence/:sha256") { request, context in
            try await getEvidence(request, sha: try context.parameters.require("sha256"))
        }
        limited.get("/v1/devices/:id") { request, context in
            try await lookupDevice(request, id: try context.parameters.require("id"))
        }
        limited.get("/v1/devices/:id/checkpoints") { request, context in
            try await checkpoints(request, device: try context.parameters.require("id"))
        }
        limited.get("/v1/devices/:id/proof") { request, context in
            try await console?.ready()
            return try await proof(request, device: try context.parameters.require("id"))
        }
        limited.get("/v1/export") { request, _ in try await export(request) }
        limited.get("/v1/devices") { request, _ in
            if case .denied(let r) = try await authorize(request, [.admin]) { return r }
            let list = try await store.devices().map { d -> JSONValue in
                var o: [String: JSONValue] = [
                    "id": .string(d.id), "name": .string(d.name), "public_key": .string(d.publicKey),
                ]
                if let r = d.revokedNanos { o["revoked"] = .string(Timestamp.rfc3339(wallNanos: r)) }
                return .object(o)
            }
            return Self.json(.object(["devices": .array(list)]))
        }
        limited.post("/v1/devices") { request, _ in try await addDevice(request) }
        limited.get("/v1/incidents") { request, _ in try await incidents(request) }
        if let console { mountConsole(console, on: limited) } else {
            logger.warning("this store has no console queries; the console is off")
        }
        return router
    }

    /// `GET /v1/incidents[?source=device|network&limit=N]` (admin): the newest incidents a device's key caused
    /// (gaps, broken chains, bad checkpoints, missing evidence), then the newest that anyone could cause
    /// (malformed events, unknown or revoked devices, forged signatures), up to `limit` (default 1000) of
    /// each: a flood of the second kind never hides the first.
    func incidents(_ request: Request) async throws -> Response {
        if case .denied(let r) = try await authorize(request, [.admin]) { return r }
        let q = request.uri.queryParameters
        let limit: Int
        switch Self.integer(q, "limit", 1...Incident.maxStored) {
        case .value(let v): limit = v ?? 1000
        case .reply(let r): return r
        }
        var sources: [(name: String, unauthenticated: Bool)] = [("device", false), ("network", true)]
        let source: String?
        switch Self.text(q, "source") {
        case .reply(let r): return r
        case .value(let v): source = v
        }
        if let source {
            sources = sources.filter { $0.name == source }
            guard !sources.isEmpty else { return Self.error(.badQuery, "source must be device or network") }
        }
        var list: [JSONValue] = []
        for source in sources {
            for i in try await store.incidents(limit: limit, unauthenticated: source.unauthenticated) {
                list.append(
                    .object([
                        "device": .string(i.device), "seq": i.seq.map(Self.number) ?? .null,
                        "code": .string(i.code), "message": .string(i.message), "count": Self.number(i.count),
                        "time": .string(Timestamp.rfc3339(wallNanos: i.receivedNanos)),
                        "source": .string(source.name),
                    ]))
            }
        }
        return Self.json(.object(["incidents": .array(list)]))
    }

    // MARK: replies

    /// A JSON number when RFC 8785 can write it exactly (|v| ≤ 2^53), else its decimal digits as a string.
    static func number<T: BinaryInteger>(_ v: T) -> JSONValue {
        if let i = Int64(exactly: v), i.magnitude <= UInt64(CanonicalJSON.maxExactInteger) { return .int(i) }
        return .string(String(v))
    }

    /// Pre-encoded, so a reply can never be `{}`: what the collector answers when a reply has no JSON form.
    static let internalErrorBody = Array(
        #"{"error":{"code":"internal_error","message":"the reply could not be encoded"}}"#.utf8)

    static func json(_ v: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        do {
            let bytes = try CanonicalJSON.encode(v)
            return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch {
            return Response(
                status: .internalServerError, headers: fields,
                body: .init(byteBuffer: ByteBuffer(bytes: internalErrorBody)))
        }
    }

    static func error(
        _ code: RefusalCode, _ message: String, extra: [String: JSONValue] = [:], headers: HTTPFields = [:]
    ) -> Response {
        var err: [String: JSONValue] = ["code": .string(code.rawValue), "message": .string(message)]
        err.merge(extra) { a, _ in a }
        return json(.object(["error": .object(err)]), status: code.httpStatus, headers: headers)
    }

    static func tooMany(_ retryAfter: Int, _ what: String) -> Response {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfter)
        return error(.rateLimited, "too many requests from \(what); retry in \(retryAfter) s", headers: headers)
    }

}

extension Response {
    /// The same reply with another status.
    func withStatus(_ status: HTTPResponse.Status) -> Response {
        var r = self
        r.status = status
        return r
    }
}

/// An error no handler turned into a reply (the database failed, a statement was refused): logged with the
/// request's method and path, and answered as a JSON `internal_error` (it was a 500 with an empty body and no
/// log line, so neither the device nor the operator could tell why a batch kept failing). The detail stays in the
/// log; Hummingbird's own HTTP errors (413, …) pass through, but for its 404 of a route that does not exist, which
/// is answered as a JSON `not_found`; a body the HTTP decoder refuses is the client's `bad_request`.
struct InternalErrors: RouterMiddleware {
    typealias Context = CollectorRequestContext
    let logger: Logger

    func handle(
        _ request: Request, context: CollectorRequestContext,
        next: (Request, CollectorRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            // The router's own answer to a path, or a method on a path, it has no route for: the API's JSON shape
            // (it was an empty 404).
            let path = request.uri.path
            let shown = path.count > 200 ? path.prefix(200) + "…" : path[...]
            return CollectorRouter.error(.notFound, "no route for \(request.method) \(shown)")
        } catch let error as HTTPResponseError {
            throw error
        } catch let error as HTTPParserError {
            // A body the HTTP decoder refused (a chunk size that is not hex, a transfer coding it does not know),
            // met by the route reading it: the client's malformed request, not the collector's failure (it was a
            // 500 `internal_error`, logged at error level). The connection can carry nothing more.
            logger.debug("malformed request body", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return CollectorRouter.error(
                .badRequest, "the request's body is not HTTP/1.1 the collector reads: \(error)",
                headers: [.connection: "close"])
        } catch {
            logger.error(
                "request failed", metadata: [
                    "method": "\(request.method)", "path": "\(request.uri.path)", "peer": "\(context.peer)",
                    "error": "\(CredentialRedaction.redact(String(describing: error)))",
                ])
            return CollectorRouter.error(.internalError, "the collector failed to answer; its log says why")
        }
    }
}

/// Answers 429 with `Retry-After` when one address sends more than its share.
struct AddressRateLimit: RouterMiddleware {
    typealias Context = CollectorRequestContext
    let limiter: RateLimiter

    func handle(
        _ request: Request, context: CollectorRequestContext,
        next: (Request, CollectorRequestContext) async throws -> Response
    ) async throws -> Response {
        if let wait = limiter.take("addr:" + context.peer, nowNanos: Clocks.monotonicNanos()) {
            return CollectorRouter.tooMany(wait, "this address")
        }
        return try await next(request, context)
    }
}

/// A value read from a request, or the refusal to answer instead.
enum Outcome<T> {
    case value(T)
    case reply(Response)
}
