import AsyncHTTPClient
import Collector
import EventLog
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import SightlineCore

/// The storage backends the collector tests run on. PostgreSQL joins when `SIGHTLINE_TEST_POSTGRES`
/// names a server (`make test` starts a throwaway one: Tools/test-postgres).
enum Backend: String, CustomStringConvertible, Sendable {
    case sqlite, postgres

    static var all: [Backend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
    static var postgresURL: String? { ProcessInfo.processInfo.environment["SIGHTLINE_TEST_POSTGRES"] }
    var description: String { rawValue }

    func makeStore() throws -> any CollectorStore {
        switch self {
        case .sqlite: try SQLiteCollectorStore(path: temporaryDirectory("collector") + "/collector.sqlite")
        case .postgres: try PostgresCollectorStore(url: Backend.postgresURL!, logger: Logger(label: "test.pg"))
        }
    }
}

func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "sightline-\(name)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A collector on a loopback port, which can be stopped and started again on the same port.
final class LiveCollector: @unchecked Sendable {
    let store: any CollectorStore
    let router: CollectorRouter
    private(set) var port = 0
    private var task: Task<Void, any Error>?
    static let adminToken = "test-admin-token"

    init(backend: Backend, tlsCertificate: String? = nil, tlsKey: String? = nil) async throws {
        store = try backend.makeStore()
        try await store.migrate()
        var logger = Logger(label: "test.collector")
        logger.logLevel = .error
        router = CollectorRouter(
            store: store,
            configuration: CollectorConfiguration(
                port: 0, adminToken: Self.adminToken,
                tlsCertificatePath: tlsCertificate,
                tlsKeyPath: tlsKey),
            logger: logger)
    }

    var url: String { "\(router.configuration.tlsCertificatePath == nil ? "http" : "https")://127.0.0.1:\(port)" }

    /// Starts serving (on `port` again after a stop); returns once listening.
    func start() async throws {
        var configuration = router.configuration
        configuration.port = port
        var logger = Logger(label: "test.collector")
        logger.logLevel = .critical
        let router = CollectorRouter(
            store: store, configuration: configuration, metrics: self.router.metrics,
            logger: logger)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = try router.application { port in continuation.yield(port) }
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        for await p in stream {
            port = p
            break
        }
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

    func request(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, admin: Bool = false
    )
        async throws -> (status: Int, body: [UInt8])
    {
        var r = HTTPClientRequest(url: url + path)
        r.method = method
        if let body { r.body = .bytes(ByteBuffer(bytes: body)) }
        if admin { r.headers.add(name: "Authorization", value: "Bearer \(Self.adminToken)") }
        let response = try await HTTPClient.shared.execute(r, timeout: .seconds(30))
        var buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    func json(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, admin: Bool = false
    )
        async throws -> (status: Int, json: JSONValue)
    {
        let (s, b) = try await request(method, path, body: body, admin: admin)
        return (s, try JSONParser.parse(b))
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
