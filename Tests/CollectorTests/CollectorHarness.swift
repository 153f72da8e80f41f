import AsyncHTTPClient
import Collector
import EventLog
import Foundation
import Testing
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import SightlineCore
import SightlineTestKit
import Synchronization

/// The storage backends the collector tests run on. PostgreSQL joins when `SIGHTLINE_TEST_POSTGRES`
/// names a server (`make test` starts a throwaway one: Tools/test-postgres).
enum Backend: String, CustomStringConvertible, Sendable {
    case sqlite, postgres

    static var all: [Backend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
    static var postgresURL: String? { ProcessInfo.processInfo.environment["SIGHTLINE_TEST_POSTGRES"] }
    var description: String { rawValue }

    func makeStore() throws -> any CollectorStore { try makeStores(1)[0] }

    /// `count` stores over one database, each with its own connections (as separate collector processes have).
    func makeStores(_ count: Int) throws -> [any CollectorStore] {
        switch self {
        case .sqlite:
            let path = temporaryDirectory("collector") + "/collector.sqlite"
            return try (0..<count).map { _ in try SQLiteCollectorStore(path: path) }
        case .postgres:
            return try (0..<count).map { _ in
                // Not the commands' 10 s: in the full suite on two cores the first answer can take longer.
                try PostgresCollectorStore(url: Backend.postgresURL!, logger: Logger(label: "test.pg"),
                                           connectTimeoutSeconds: 600)
            }
        }
    }
}

/// A collector on a loopback port, which can be stopped and started again on the same port.
final class LiveCollector: @unchecked Sendable {
    let store: any CollectorStore
    let router: CollectorRouter
    private(set) var port = 0
    /// The router of the running server (a fresh one per `start`, sharing `store` and `metrics`).
    private(set) var serving: CollectorRouter?
    private var task: Task<Void, any Error>?
    /// Where the running router logs (set before `start`); nil: nowhere below critical.
    var logCapture: LogCapture?
    /// The bootstrap admin token (`SIGHTLINE_ADMIN_TOKEN` in the binary).
    static let adminToken = "test-admin-token"
    /// Stored tokens of the other roles, created with the collector.
    let reviewerToken: String
    let trafficToken: String

    /// A credential for `request`.
    enum Auth {
        case none, admin, reviewer, traffic
        case bearer(String)
    }

    /// Rate limits are off unless `configure` sets them (loopback tests send far faster than a device).
    /// `store` (default: a fresh one of `backend`) lets two collectors share one database.
    init(
        backend: Backend, store shared: (any CollectorStore)? = nil, tlsCertificate: String? = nil,
        tlsKey: String? = nil, configure: (inout CollectorConfiguration) -> Void = { _ in }
    ) async throws {
        store = try shared ?? backend.makeStore()
        try await store.migrate()
        var logger = Logger(label: "test.collector")
        logger.logLevel = .error
        var configuration = CollectorConfiguration(
            port: 0, adminToken: Self.adminToken, requestsPerSecondPerAddress: 0, requestsPerSecondPerDevice: 0,
            tlsCertificatePath: tlsCertificate, tlsKeyPath: tlsKey)
        configure(&configuration)
        router = CollectorRouter(store: store, configuration: configuration, logger: logger)
        reviewerToken = AccessToken.generate()
        trafficToken = AccessToken.generate()
        let suffix = UUID().uuidString
        try await store.addToken(
            TokenRecord(name: "reviewer-\(suffix)", role: .reviewer, digest: AccessToken.digest(reviewerToken),
                        addedNanos: 1))
        try await store.addToken(
            TokenRecord(name: "traffic-\(suffix)", role: .traffic, digest: AccessToken.digest(trafficToken),
                        addedNanos: 1))
    }

    var url: String { "\(router.configuration.tlsCertificatePath == nil ? "http" : "https")://127.0.0.1:\(port)" }

    /// Starts serving (on `port` again after a stop); returns once listening, or throws when the server could not
    /// start. The first start takes a port below the kernel's ephemeral range (32768 up), picked at random and tried
    /// again elsewhere if taken: a port handed out by the kernel (to another test's server on port 0, or to a client's
    /// connection) could be given to someone else while this collector is stopped, and its restart then not bind.
    ///
    /// A restart on the same port tries again for up to 5 s while the port is in use (a fresh clone's `make test` saw
    /// the restart refused with "Address already in use" right after a stop; likely the stopped server's listening
    /// socket was still being closed, not proven). The last attempt's error is thrown. The 5 s are measured on the
    /// clock, not counted in attempts: on a loaded box one attempt (an application started and failing) took about
    /// 3 s, and fifty of them outlasted the tests' time limit (a fresh clone's `make test`, 2026-12-08).
    func start() async throws {
        if port != 0 {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(5)
            while true {
                do {
                    try await serve(on: port)
                    return
                } catch let error as IOError where error.errnoCode == EADDRINUSE && clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        var lastError: (any Error)?
        for _ in 0..<20 {
            do {
                try await serve(on: Int.random(in: 20000..<32000))
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? HarnessError.notStarted(port: 0)
    }

    enum HarnessError: Error {
        case notStarted(port: Int)
    }

    private func serve(on requested: Int) async throws {
        var configuration = router.configuration
        configuration.port = requested
        var logger = logCapture?.logger("test.collector") ?? Logger(label: "test.collector")
        if logCapture == nil { logger.logLevel = .critical }
        let router = CollectorRouter(
            store: store, configuration: configuration, metrics: self.router.metrics,
            logger: logger)
        serving = router
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = try router.application { port in continuation.yield(port) }
        // A server that fails (its port taken) ends the stream, so the wait below ends too.
        let task = Task {
            defer { continuation.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var bound: Int?
        for await p in stream {
            bound = p
            break
        }
        guard let bound else {
            serving = nil
            if case .failure(let error) = await task.result { throw error }
            throw HarnessError.notStarted(port: requested)
        }
        self.task = task
        port = bound
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        task = nil
    }

    /// Registers a fresh device key and returns it.
    func registerDevice(_ name: String = "cam-box") async throws -> DeviceKey {
        let key = DeviceKey.generate()
        _ = try await CollectorRouter.register(store: store, name: name, publicKey: key.publicKeyBase64)
        return key
    }

    /// One request; reads carry the reviewer token unless `auth` (or `admin`) says otherwise.
    func request(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, admin: Bool = false, auth: Auth = .reviewer,
        headers: [(String, String)] = []
    )
        async throws -> (status: Int, body: [UInt8], headers: HTTPHeaders)
    {
        var r = HTTPClientRequest(url: url + path)
        r.method = method
        if let body { r.body = .bytes(ByteBuffer(bytes: body)) }
        let token: String? =
            switch admin ? .admin : auth {
            case .none: nil
            case .admin: Self.adminToken
            case .reviewer: reviewerToken
            case .traffic: trafficToken
            case .bearer(let t): t
            }
        if let token { r.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { r.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(r, timeout: .seconds(30))
        var buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), buffer.readBytes(length: buffer.readableBytes) ?? [], response.headers)
    }

    func json(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, admin: Bool = false, auth: Auth = .reviewer,
        headers: [(String, String)] = []
    )
        async throws -> (status: Int, json: JSONValue)
    {
        let r = try await request(method, path, body: body, admin: admin, auth: auth, headers: headers)
        do { return (r.status, try JSONParser.parse(r.body)) } catch {
            Issue.record("HTTP \(r.status) \(method) \(path): body is not JSON: \(String(decoding: r.body.prefix(200), as: UTF8.self))")
            throw error
        }
    }

    /// `PUT /v1/evidence/{sha}` signed by `key` (`RequestSignature`), as the forwarder sends it.
    func putEvidence(
        _ data: [UInt8], key: DeviceKey, sha: String? = nil, unixSeconds: Int64? = nil
    ) async throws -> (status: Int, json: JSONValue) {
        let name = sha ?? RequestSignature.sha256(data)
        let path = "/v1/evidence/\(name)"
        let signature = RequestSignature.headers(
            key: key, method: "PUT", path: path, bodySHA256: name,
            unixSeconds: unixSeconds ?? Clocks.wallNanos() / 1_000_000_000)
        return try await json(.PUT, path, body: data, auth: .none, headers: signature)
    }
}

/// A device-side log in a temporary state directory.
func makeLog(key: DeviceKey, checkpointEvery: Int = 1000) throws -> EventLog {
    let dir = temporaryDirectory("device")
    try key.write(path: dir + "/" + DeviceKey.fileName)
    var logger = Logger(label: "test.device")
    logger.logLevel = .error
    return try EventLog(
        configuration: EventLogConfiguration(stateDirectory: dir, checkpointEvery: checkpointEvery),
        key: key, logger: logger)
}

/// A minimal JPEG (SOI, a comment segment holding `text`, EOI): what the collector accepts as evidence.
func fakeJPEG(_ text: String) -> [UInt8] { SimulatedDevice.jpeg(text) }

func batch(_ lines: [[UInt8]]) -> [UInt8] {
    Array("{\"events\":[".utf8) + Array(lines.joined(separator: Array(",".utf8))) + Array("]}".utf8)
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int64? { if case .int(let i) = self { i } else { nil } }
    var array: [JSONValue] { if case .array(let a) = self { a } else { [] } }
}
