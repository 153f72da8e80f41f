import Crypto
import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import SightlineCore

/// The collector's HTTP API (Hummingbird). See Sources/Collector/README.md for the endpoints.
public struct CollectorRouter: Sendable {
    public let store: any CollectorStore
    public let configuration: CollectorConfiguration
    public let metrics: CollectorMetrics
    let ingest: Ingest
    let logger: Logger

    public init(
        store: any CollectorStore, configuration: CollectorConfiguration, metrics: CollectorMetrics = .init(),
        logger: Logger
    ) {
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        ingest = Ingest(store: store, metrics: metrics, logger: logger)
    }

    /// A Hummingbird application serving the API (HTTPS when a certificate is configured);
    /// `onServerRunning` receives the bound port.
    public func application(
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    )
        throws -> some ApplicationProtocol
    {
        var server = HTTPServerBuilder.http1()
        if let cert = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            server = try .tls(.http1(), tlsConfiguration: tls)
        }
        return Application(
            router: router(), server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "sightline-collector"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in Self.json(.object(["status": .string("ok")])) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        router.post("/v1/events") { request, context in try await postEvents(request, context) }
        router.get("/v1/events") { request, _ in try await getEvents(request) }
        router.put("/v1/evidence/:sha256") { request, context in try await putEvidence(request, context) }
        router.get("/v1/evidence/:sha256") { _, context in
            let sha = try context.parameters.require("sha256")
            guard let e = try await store.evidence(sha256: sha) else { return Self.error(.notFound, "not_found", sha) }
            return Response(
                status: .ok, headers: [.contentType: e.mediaType], body: .init(byteBuffer: ByteBuffer(bytes: e.data)))
        }
        // Whether a device is registered (for `sightline doctor`): its id only, which derives from its public key.
        router.get("/v1/devices/:id") { _, context in
            let id = try context.parameters.require("id")
            guard try await store.device(id: id) != nil else {
                return Self.error(.notFound, "unknown_device", "device \(id) is not registered")
            }
            return Self.json(.object(["id": .string(id)]))
        }
        router.get("/v1/devices/:id/checkpoints") { _, context in
            try await checkpoints(try context.parameters.require("id"))
        }
        router.get("/v1/devices/:id/proof") { request, context in
            try await proof(device: try context.parameters.require("id"), request)
        }
        router.get("/v1/export") { request, _ in try await export(request) }
        router.get("/v1/devices") { request, _ in
            if let denied = authorize(request) { return denied }
            let list = try await store.devices().map { d -> JSONValue in
                .object(["id": .string(d.id), "name": .string(d.name), "public_key": .string(d.publicKey)])
            }
            return Self.json(.object(["devices": .array(list)]))
        }
        router.post("/v1/devices") { request, context in try await addDevice(request, context) }
        router.get("/v1/incidents") { request, _ in
            if let denied = authorize(request) { return denied }
            let list = try await store.incidents(limit: 1000).map { i -> JSONValue in
                .object([
                    "device": .string(i.device), "seq": i.seq.map { .int(Int64($0)) } ?? .null,
                    "code": .string(i.code), "message": .string(i.message),
                    "time": .string(Timestamp.rfc3339(wallNanos: i.receivedNanos)),
                ])
            }
            return Self.json(.object(["incidents": .array(list)]))
        }
        return router
    }

    static func json(_ v: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let bytes = (try? CanonicalJSON.encode(v)) ?? Array("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(
        _ status: HTTPResponse.Status, _ code: String, _ message: String,
        extra: [String: JSONValue] = [:]
    ) -> Response {
        var err: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        err.merge(extra) { a, _ in a }
        return json(.object(["error": .object(err)]), status: status)
    }

    func authorize(_ request: Request) -> Response? {
        guard let token = configuration.adminToken else {
            return Self.error(
                .forbidden, "admin_disabled", "start the collector with --admin-token to use this endpoint")
        }
        guard request.headers[.authorization] == "Bearer \(token)" else {
            return Self.error(.unauthorized, "unauthorized", "admin token required")
        }
        return nil
    }

    func body(_ request: Request) async throws -> [UInt8] {
        var buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// `POST /v1/events` with `{"events": [envelope, ...]}`: processed in order, stopping at the first
    /// refusal; the response lists what was acknowledged before it.
    func postEvents(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let bytes = try await body(request)
        guard case .object(let o)? = try? JSONParser.parse(bytes), case .array(let events)? = o["events"] else {
            metrics.refused(.malformedEvent)
            return Self.error(.badRequest, IngestError.Code.malformedEvent.rawValue, "body must be {\"events\": [...]}")
        }
        var results: [JSONValue] = []
        let now = Clocks.wallNanos()
        for value in events {
            do {
                let r = try await ingest.submit(value, nowNanos: now)
                results.append(.object(["seq": .int(Int64(r.seq)), "status": .string(r.outcome.rawValue)]))
            } catch let e as IngestError {
                var err: [String: JSONValue] = ["code": .string(e.code.rawValue), "message": .string(e.message)]
                if let s = e.seq { err["seq"] = .int(Int64(s)) }
                if let n = e.nextSeq { err["next_seq"] = .int(Int64(n)) }
                return Self.json(.object(["error": .object(err), "results": .array(results)]), status: e.status)
            }
        }
        return Self.json(.object(["results": .array(results)]))
    }

    func putEvidence(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let sha = try context.parameters.require("sha256")
        guard Encoding.isSHA256Hex(sha) else { return Self.error(.badRequest, "malformed_event", "bad evidence name") }
        let bytes = try await body(request)
        guard Encoding.hex(SHA256.hash(data: bytes)) == sha else {
            let e = IngestError(.evidenceMismatch, "evidence bytes do not hash to \(sha)")
            metrics.refused(e.code)
            try await store.recordIncident(
                Incident(
                    device: "?", seq: nil, code: e.code.rawValue, message: e.message,
                    receivedNanos: Clocks.wallNanos()))
            return Self.error(e.status, e.code.rawValue, e.message)
        }
        let mediaType = request.headers[.contentType] ?? "application/octet-stream"
        try await store.putEvidence(sha256: sha, mediaType: mediaType, data: bytes, receivedNanos: Clocks.wallNanos())
        metrics.evidenceStored()
        return Self.json(.object(["sha256": .string(sha), "status": .string("stored")]))
    }

    func getEvents(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        var query = EventQuery(limit: min(configuration.maxPage, q.get("limit", as: Int.self) ?? 100))
        query.device = q.get("device").map { String($0) }
        query.camera = q.get("camera").map { String($0) }
        query.type = q.get("type").map { String($0) }
        for (name, keyPath) in [("since", \EventQuery.sinceNanos), ("until", \EventQuery.untilNanos)] {
            guard let text = q.get(name) else { continue }
            guard let ns = Timestamp.nanos(rfc3339: String(text)) else {
                return Self.error(.badRequest, "bad_query", "\(name) must be an RFC 3339 time")
            }
            query[keyPath: keyPath] = ns
        }
        if let c = q.get("cursor") {
            guard let after = Int64(c) else { return Self.error(.badRequest, "bad_query", "bad cursor") }
            query.after = after
        }
        guard query.limit >= 1 else { return Self.error(.badRequest, "bad_query", "limit must be ≥ 1") }
        let rows = try await store.events(query)
        let events = rows.compactMap { try? JSONParser.parse($0.event.line) }
        let next: JSONValue = rows.count == query.limit ? .string(String(rows.last!.position)) : .null
        return Self.json(.object(["events": .array(events), "next_cursor": next]))
    }

    func checkpoints(_ device: String) async throws -> Response {
        var out: [JSONValue] = []
        var after: Int64 = 0
        while true {
            let rows = try await store.events(
                EventQuery(device: device, type: Checkpoint.eventType, after: after, limit: 500))
            for r in rows {
                guard case .object(let o)? = try? JSONParser.parse(r.event.line), case .object(let body)? = o["body"]
                else { continue }
                var item = body
                item["seq"] = .int(Int64(r.event.seq))
                out.append(.object(item))
            }
            guard rows.count == 500, let last = rows.last else { break }
            after = last.position
        }
        return Self.json(.object(["checkpoints": .array(out)]))
    }

    /// `GET /v1/devices/{id}/proof?seq=N[&size=M]`: an RFC 6962 inclusion proof of event N in the tree of
    /// size M (default: the latest checkpoint that covers N).
    func proof(device: String, _ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        guard let seq = q.get("seq", as: UInt64.self), seq >= 1 else {
            return Self.error(.badRequest, "bad_query", "seq is required")
        }
        var size = q.get("size", as: UInt64.self)
        var checkpointSeq: UInt64? = nil
        if size == nil {
            let cps = try await store.events(EventQuery(device: device, type: Checkpoint.eventType, limit: 100_000))
            if let cp = cps.first(where: { $0.event.seq > seq }) {
                size = cp.event.seq - 1
                checkpointSeq = cp.event.seq
            }
        }
        guard let size, size >= seq else {
            return Self.error(.notFound, "not_found", "no checkpoint covers seq \(seq) yet; pass size=")
        }
        let leaves = try await store.leafHashes(device: device, through: size)
        guard UInt64(leaves.count) == size else {
            return Self.error(.notFound, "not_found", "tree of size \(size) not stored")
        }
        let proof = MerkleTree.inclusionProof(index: Int(seq - 1), leaves)
        var o: [String: JSONValue] = [
            "device": .string(device), "seq": .int(Int64(seq)), "leaf_index": .int(Int64(seq - 1)),
            "tree_size": .int(Int64(size)), "leaf_hash": .string(Encoding.base64(leaves[Int(seq - 1)])),
            "root": .string(Encoding.base64(MerkleTree.root(leaves))),
            "proof": .array(proof.map { .string(Encoding.base64($0)) }),
        ]
        if let checkpointSeq { o["checkpoint_seq"] = .int(Int64(checkpointSeq)) }
        return Self.json(.object(o))
    }

    /// `GET /v1/export?device=ID[&evidence=true]`: JSON lines of full envelopes in seq order; with
    /// evidence, each blob as `{"blob":sha,"data":base64,"media_type":...}` before its first event.
    func export(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        guard let device = q.get("device").map({ String($0) }) else {
            return Self.error(.badRequest, "bad_query", "device is required")
        }
        let withEvidence = q.get("evidence") == "true" || q.get("evidence") == "1"
        var out: [UInt8] = []
        var seen = Set<String>()
        var from: UInt64 = 1
        while true {
            let rows = try await store.events(device: device, seqFrom: from, limit: 1000)
            for e in rows {
                let refs: [EvidenceRef] = withEvidence ? Self.evidence(of: e.line) : []
                for ref in refs {
                    let sha = ref.sha256
                    if !seen.contains(sha), let blob = try await store.evidence(sha256: sha) {
                        seen.insert(sha)
                        let record: JSONValue = .object([
                            "blob": .string(sha), "media_type": .string(blob.mediaType),
                            "data": .string(Encoding.base64(blob.data)),
                        ])
                        out += try CanonicalJSON.encode(record) + [0x0A]
                    }
                }
                out += e.line + [0x0A]
            }
            guard rows.count == 1000, let last = rows.last else { break }
            from = last.seq + 1
        }
        return Response(
            status: .ok, headers: [.contentType: "application/x-ndjson"],
            body: .init(byteBuffer: ByteBuffer(bytes: out)))
    }

    static func evidence(of line: [UInt8]) -> [EvidenceRef] {
        guard let value = try? JSONParser.parse(line), let event = try? Event(json: value) else { return [] }
        return event.evidence
    }

    func addDevice(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        if let denied = authorize(request) { return denied }
        guard case .object(let o)? = try? JSONParser.parse(try await body(request)),
            case .string(let name)? = o["name"],
            case .string(let key)? = o["public_key"]
        else {
            return Self.error(.badRequest, "bad_request", "body must be {\"name\": ..., \"public_key\": ...}")
        }
        do {
            let record = try await Self.register(store: store, name: name, publicKey: key)
            return Self.json(.object(["id": .string(record.id), "name": .string(name)]), status: .created)
        } catch let e as StoreError {
            return Self.error(.conflict, "duplicate_device", "\(e)")
        } catch {
            return Self.error(.badRequest, "bad_public_key", "\(error)")
        }
    }

    /// Registers a device from its base64 public key; the id is derived from the key.
    public static func register(store: any CollectorStore, name: String, publicKey: String) async throws -> DeviceRecord
    {
        let key = try DeviceKey.publicKey(base64: publicKey)
        let raw = [UInt8](key.rawRepresentation)
        let record = DeviceRecord(
            id: DeviceKey.deviceID(publicKey: raw), name: name, publicKey: Encoding.base64(raw),
            addedNanos: Clocks.wallNanos())
        try await store.addDevice(record)
        return record
    }
}
