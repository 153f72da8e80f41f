import Crypto
import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
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
            additionalChannelHandlers: [HeaderTimeoutHandler(timeout: headerTimeout)],
            idleTimeout: .nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9)))
        var server = HTTPServerBuilder.http1(configuration: http1)
        if let cert = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls.minimumTLSVersion = .tlsv12
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        }
        return Application(
            router: router(), server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "sightline-collector",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    public func router() -> Router<CollectorRequestContext> {
        let router = Router(context: CollectorRequestContext.self)
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
            try await proof(request, device: try context.parameters.require("id"))
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
        limited.get("/v1/incidents") { request, _ in
            if case .denied(let r) = try await authorize(request, [.admin]) { return r }
            let list = try await store.incidents(limit: 1000).map { i -> JSONValue in
                .object([
                    "device": .string(i.device), "seq": i.seq.map(Self.number) ?? .null,
                    "code": .string(i.code), "message": .string(i.message), "count": Self.number(i.count),
                    "time": .string(Timestamp.rfc3339(wallNanos: i.receivedNanos)),
                ])
            }
            return Self.json(.object(["incidents": .array(list)]))
        }
        return router
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

    // MARK: credentials

    enum Access {
        case allowed(Role)
        case denied(Response)
    }

    /// The role of the request's bearer token, when it is one of `allowed`.
    func authorize(_ request: Request, _ allowed: Set<Role>) async throws -> Access {
        guard let token = AccessToken.bearer(request.headers[.authorization]) else {
            return .denied(Self.error(.unauthorized, "this endpoint needs Authorization: Bearer TOKEN"))
        }
        let digest = AccessToken.digest(token)
        var role: Role?
        if let admin = configuration.adminTokenDigest, AccessToken.constantTimeEqual(admin, Array(digest.utf8)) {
            role = .admin
        } else if let record = try await store.token(digest: digest) {
            role = record.role
        }
        guard let role else { return .denied(Self.error(.unauthorized, "unknown or revoked token")) }
        guard allowed.contains(role) else {
            return .denied(Self.error(.forbidden, "the \(role.rawValue) role may not use this endpoint"))
        }
        return .allowed(role)
    }

    enum DeviceAccess {
        case device(DeviceRecord)
        case denied(Response)
    }

    /// The registered, unrevoked device whose signature (`RequestSignature`) the request carries.
    func authenticateDevice(_ request: Request, bodySHA256: String) async throws -> DeviceAccess {
        let h = request.headers
        guard let id = Self.header(h, RequestSignature.deviceHeader),
            let timeText = Self.header(h, RequestSignature.timeHeader),
            let signature = Self.header(h, RequestSignature.signatureHeader)
        else {
            return .denied(
                Self.error(
                    .unauthorized,
                    "this endpoint needs a device signature (\(RequestSignature.deviceHeader), "
                        + "\(RequestSignature.timeHeader), \(RequestSignature.signatureHeader))"))
        }
        guard let seconds = Int64(timeText) else {
            return .denied(Self.error(.unauthorized, "\(RequestSignature.timeHeader) must be Unix seconds"))
        }
        let now = Clocks.wallNanos() / 1_000_000_000
        let (skew, overflow) = now.subtractingReportingOverflow(seconds)
        guard !overflow, skew.magnitude <= UInt64(max(0, configuration.signedRequestWindowSeconds)) else {
            return .denied(Self.error(.unauthorized, "the request's time is not within the collector's window"))
        }
        guard let device = try await store.device(id: id) else {
            return .denied(
                Self.error(.unknownDevice, "device \(Incident.truncated(device: id)) is not registered"))
        }
        guard device.revokedNanos == nil else {
            return .denied(Self.error(.revokedDevice, "device \(device.id) was revoked"))
        }
        guard let key = try? DeviceKey.publicKey(base64: device.publicKey),
            RequestSignature.verify(
                signature: signature, publicKey: key, method: request.method.rawValue, path: request.uri.path,
                unixSeconds: seconds, bodySHA256: bodySHA256)
        else {
            return .denied(Self.error(.unauthorized, "the request's signature does not verify with the key of \(id)"))
        }
        return .device(device)
    }

    /// The value of a header by name (case-insensitive).
    static func header(_ fields: HTTPFields, _ name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.canonicalName == lower }?.value
    }

    /// The body, at most `limit` bytes; nil and a 413 reply beyond.
    func body(_ request: Request, limit: Int) async throws -> Outcome<[UInt8]> {
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return .value(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch is NIOTooManyBytesError {
            return .reply(Self.error(.bodyTooLarge, "the body is larger than this endpoint's \(limit) bytes"))
        }
    }

    // MARK: events

    /// `POST /v1/events` with `{"events": [envelope, ...]}`: processed in order, stopping at the first
    /// refusal; the response lists what was acknowledged before it. Each event carries its own signature.
    func postEvents(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        let bytes: [UInt8]
        switch try await body(request, limit: configuration.maxEventsBodyBytes) {
        case .value(let b): bytes = b
        case .reply(let r): return r
        }
        let events: [JSONValue]
        do {
            guard case .object(let o) = try JSONParser.parse(bytes), case .array(let list)? = o["events"] else {
                metrics.refused(.malformedEvent)
                return Self.error(.malformedEvent, "the body must be {\"events\": [...]}")
            }
            events = list
        } catch {
            metrics.refused(.malformedEvent)
            return Self.error(.malformedEvent, "the body is not JSON: \(error)")
        }
        // The device named in a batch is not yet verified: keyed with the address too, so a client claiming
        // another device's id cannot use up that device's allowance.
        if case .object(let first)? = events.first, case .string(let device)? = first["device"],
            let wait = deviceLimit.take(
                "device:" + Incident.truncated(device: device) + "@" + context.peer, nowNanos: Clocks.monotonicNanos())
        {
            return Self.tooMany(wait, "this device")
        }
        var results: [JSONValue] = []
        let now = Clocks.wallNanos()
        for value in events {
            do {
                let r = try await ingest.submit(value, nowNanos: now)
                results.append(.object(["seq": Self.number(r.seq), "status": .string(r.outcome.rawValue)]))
            } catch let e as IngestError {
                var err: [String: JSONValue] = ["code": .string(e.code.rawValue), "message": .string(e.message)]
                if let s = e.seq { err["seq"] = Self.number(s) }
                if let n = e.nextSeq { err["next_seq"] = Self.number(n) }
                return Self.json(.object(["error": .object(err), "results": .array(results)]), status: e.status)
            }
        }
        return Self.json(.object(["results": .array(results)]))
    }

    /// A query parameter as an integer in `range`: nil when absent, a 400 reply when not such an integer.
    static func integer<T: FixedWidthInteger>(
        _ q: Hummingbird.Parameters, _ name: String, _ range: ClosedRange<T>
    ) -> Outcome<T?> {
        guard let text = q.get(name) else { return .value(nil) }
        guard let v = T(String(text)), range.contains(v) else {
            return .reply(Self.error(.badQuery, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)"))
        }
        return .value(v)
    }

    func getEvents(_ request: Request) async throws -> Response {
        let role: Role
        switch try await authorize(request, [.admin, .reviewer, .traffic]) {
        case .allowed(let r): role = r
        case .denied(let r): return r
        }
        let q = request.uri.queryParameters
        var query = EventQuery(limit: 100)
        switch Self.integer(q, "limit", 1...Int.max) {
        case .value(let v): query.limit = min(configuration.maxPage, v ?? 100)
        case .reply(let r): return r
        }
        switch Self.integer(q, "cursor", Int64.min...Int64.max) {
        case .value(let v): query.after = v ?? 0
        case .reply(let r): return r
        }
        query.device = q.get("device").map { String($0) }
        query.camera = q.get("camera").map { String($0) }
        query.type = q.get("type").map { String($0) }
        query.typePrefixes = role.visibleTypePrefixes
        for (name, keyPath) in [("since", \EventQuery.sinceNanos), ("until", \EventQuery.untilNanos)] {
            guard let text = q.get(name) else { continue }
            do { query[keyPath: keyPath] = try Timestamp.parse(rfc3339: String(text)) } catch {
                return Self.error(.badQuery, "\(name): \(error)")
            }
        }
        let rows = try await store.events(query)
        let events = rows.compactMap { try? JSONParser.parse($0.event.line) }
        let next: JSONValue = rows.count == query.limit ? .string(String(rows.last!.position)) : .null
        return Self.json(.object(["events": .array(events), "next_cursor": next]))
    }

    /// `GET /v1/devices/{id}/checkpoints[?cursor=&limit=]`: one page of the device's checkpoint bodies.
    func checkpoints(_ request: Request, device: String) async throws -> Response {
        if case .denied(let r) = try await authorize(request, [.admin, .reviewer, .traffic]) { return r }
        let q = request.uri.queryParameters
        var query = EventQuery(device: device, type: Checkpoint.eventType, limit: configuration.maxPage)
        switch Self.integer(q, "limit", 1...Int.max) {
        case .value(let v): query.limit = min(configuration.maxPage, v ?? configuration.maxPage)
        case .reply(let r): return r
        }
        switch Self.integer(q, "cursor", Int64.min...Int64.max) {
        case .value(let v): query.after = v ?? 0
        case .reply(let r): return r
        }
        let rows = try await store.events(query)
        var out: [JSONValue] = []
        for r in rows {
            guard case .object(let o)? = try? JSONParser.parse(r.event.line), case .object(let body)? = o["body"]
            else { continue }
            var item = body
            item["seq"] = Self.number(r.event.seq)
            out.append(.object(item))
        }
        let next: JSONValue = rows.count == query.limit ? .string(String(rows.last!.position)) : .null
        return Self.json(.object(["checkpoints": .array(out), "next_cursor": next]))
    }

    /// `GET /v1/devices/{id}/proof?seq=N[&size=M]`: an RFC 6962 inclusion proof of event N in the tree of
    /// size M (default: the latest checkpoint that covers N). Trees are bounded by `maxProofLeaves`.
    func proof(_ request: Request, device: String) async throws -> Response {
        let role: Role
        switch try await authorize(request, [.admin, .reviewer, .traffic]) {
        case .allowed(let r): role = r
        case .denied(let r): return r
        }
        let q = request.uri.queryParameters
        let maxSeq = UInt64(CanonicalJSON.maxExactInteger)
        guard case .value(let seqParam) = Self.integer(q, "seq", UInt64(1)...maxSeq), let seq = seqParam else {
            return Self.error(.badQuery, "seq is required: an integer from 1 to \(maxSeq)")
        }
        var size: UInt64
        switch Self.integer(q, "size", UInt64(1)...maxSeq) {
        case .reply(let r): return r
        case .value(let v): size = v ?? 0
        }
        if role.visibleTypePrefixes != nil {
            let event = try await store.events(device: device, seqFrom: seq, limit: 1).first
            guard let event, event.seq == seq, role.mayRead(type: event.type) else {
                return Self.error(.notFound, "no event \(seq) of \(Incident.truncated(device: device)) for this role")
            }
        }
        var checkpointSeq: UInt64? = nil
        if size == 0 {
            var after: Int64 = 0
            search: while true {
                let page = try await store.events(
                    EventQuery(device: device, type: Checkpoint.eventType, after: after, limit: 500))
                for cp in page where cp.event.seq > seq {
                    size = cp.event.seq - 1
                    checkpointSeq = cp.event.seq
                    break search
                }
                guard page.count == 500, let last = page.last else { break }
                after = last.position
            }
        }
        guard size >= seq else {
            return Self.error(.notFound, "no checkpoint covers seq \(seq) yet; pass size=")
        }
        guard size <= configuration.maxProofLeaves else {
            return Self.error(
                .badQuery, "size \(size) is beyond the \(configuration.maxProofLeaves) leaves a proof here may read")
        }
        let leaves = try await store.leafHashes(device: device, through: size)
        guard leaves.count == Int(size), let index = Int(exactly: seq - 1) else {
            return Self.error(.notFound, "tree of size \(size) not stored")
        }
        let proof = MerkleTree.inclusionProof(index: index, leaves)
        var o: [String: JSONValue] = [
            "device": .string(device), "seq": Self.number(seq), "leaf_index": Self.number(index),
            "tree_size": Self.number(size), "leaf_hash": .string(Encoding.base64(leaves[index])),
            "root": .string(Encoding.base64(MerkleTree.root(leaves))),
            "proof": .array(proof.map { .string(Encoding.base64($0)) }),
        ]
        if let checkpointSeq { o["checkpoint_seq"] = Self.number(checkpointSeq) }
        return Self.json(.object(o))
    }

    /// `GET /v1/export?device=ID[&evidence=true]`: JSON lines of full envelopes in seq order, streamed from
    /// the store a page at a time; with evidence, each blob as `{"blob":sha,"data":base64,"media_type":...}`
    /// before its first event.
    func export(_ request: Request) async throws -> Response {
        if case .denied(let r) = try await authorize(request, [.admin, .reviewer]) { return r }
        let q = request.uri.queryParameters
        guard let device = q.get("device").map({ String($0) }) else {
            return Self.error(.badQuery, "device is required")
        }
        let withEvidence = q.get("evidence") == "true" || q.get("evidence") == "1"
        let store = self.store
        let body = ResponseBody { writer in
            var seen = Set<String>()
            var from: UInt64 = 1
            while true {
                let rows = try await store.events(device: device, seqFrom: from, limit: 200)
                for e in rows {
                    let refs: [EvidenceRef] = withEvidence ? Self.evidence(of: e.line) : []
                    for ref in refs where !seen.contains(ref.sha256) {
                        guard let blob = try await store.evidence(sha256: ref.sha256) else { continue }
                        seen.insert(ref.sha256)
                        let record: JSONValue = .object([
                            "blob": .string(ref.sha256), "media_type": .string(blob.mediaType),
                            "data": .string(Encoding.base64(blob.data)),
                        ])
                        try await writer.write(ByteBuffer(bytes: try CanonicalJSON.encode(record) + [0x0A]))
                    }
                    try await writer.write(ByteBuffer(bytes: e.line + [0x0A]))
                }
                guard rows.count == 200, let last = rows.last else { break }
                from = last.seq + 1
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    static func evidence(of line: [UInt8]) -> [EvidenceRef] {
        guard let value = try? JSONParser.parse(line), let event = try? Event(json: value) else { return [] }
        return event.evidence
    }

    // MARK: evidence

    /// `PUT /v1/evidence/{sha256}`: a JPEG from a registered device, signed by it (`RequestSignature`).
    func putEvidence(_ request: Request, sha: String) async throws -> Response {
        guard Encoding.isSHA256Hex(sha) else {
            return Self.error(.badRequest, "evidence is named by the lowercase hex SHA-256 of its bytes")
        }
        let device: DeviceRecord
        switch try await authenticateDevice(request, bodySHA256: sha) {
        case .device(let d): device = d
        case .denied(let r): return r
        }
        if let wait = deviceLimit.take("device:" + device.id, nowNanos: Clocks.monotonicNanos()) {
            return Self.tooMany(wait, "this device")
        }
        let bytes: [UInt8]
        switch try await body(request, limit: configuration.maxEvidenceBytes) {
        case .value(let b): bytes = b
        case .reply(let r): return r
        }
        guard RequestSignature.sha256(bytes) == sha else {
            let e = IngestError(.evidenceMismatch, "evidence bytes do not hash to \(sha)")
            metrics.refused(e.code)
            try await store.recordIncident(
                Incident(
                    device: device.id, seq: nil, code: e.code.rawValue, message: e.message,
                    receivedNanos: Clocks.wallNanos()))
            return Self.error(e.code, e.message)
        }
        guard JPEGEvidence.looksLikeJPEG(bytes) else {
            metrics.refused(.badEvidence)
            return Self.error(.badEvidence, "evidence must be a JPEG image (SOI ... EOI)")
        }
        try await store.putEvidence(sha256: sha, mediaType: "image/jpeg", data: bytes, receivedNanos: Clocks.wallNanos())
        metrics.evidenceStored()
        return Self.json(.object(["sha256": .string(sha), "status": .string("stored")]))
    }

    /// `GET /v1/evidence/{sha256}`: reviewer and admin any blob; traffic only blobs a traffic or system event
    /// names. Always `image/jpeg`, never sniffed, never run as a page.
    func getEvidence(_ request: Request, sha: String) async throws -> Response {
        let role: Role
        switch try await authorize(request, [.admin, .reviewer, .traffic]) {
        case .allowed(let r): role = r
        case .denied(let r): return r
        }
        let notFound = Self.error(.notFound, "no evidence \(Incident.truncated(device: sha))")
        guard Encoding.isSHA256Hex(sha) else { return notFound }
        if let prefixes = role.visibleTypePrefixes,
            !(try await store.evidenceReferenced(sha256: sha, typePrefixes: prefixes))
        {
            return notFound
        }
        guard let e = try await store.evidence(sha256: sha) else { return notFound }
        return Response(
            status: .ok,
            headers: [
                .contentType: "image/jpeg", .xContentTypeOptions: "nosniff",
                .contentSecurityPolicy: "default-src 'none'; sandbox",
                .contentDisposition: "inline; filename=\"\(sha).jpg\"",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: e.data)))
    }

    // MARK: devices

    /// `GET /v1/devices/{id}`: whether a device is registered (for `sightline doctor`), to any token or to
    /// the device itself (signed).
    func lookupDevice(_ request: Request, id: String) async throws -> Response {
        let unknown = Self.error(.unknownDevice, "device \(Incident.truncated(device: id)) is not registered")
            .withStatus(.notFound)
        let claimed = Self.header(request.headers, RequestSignature.deviceHeader)
        if let claimed {
            // A device asking about itself learns that it is not registered (it cannot sign as a known key).
            if claimed == id, try await store.device(id: id) == nil { return unknown }
            switch try await authenticateDevice(request, bodySHA256: RequestSignature.sha256([])) {
            case .device(let d) where d.id == id: break
            case .device: return Self.error(.forbidden, "a device may look up only itself")
            case .denied(let r): return r
            }
        } else if case .denied(let r) = try await authorize(request, [.admin, .reviewer, .traffic]) {
            return r
        }
        guard let device = try await store.device(id: id) else { return unknown }
        var o: [String: JSONValue] = ["id": .string(id)]
        if let r = device.revokedNanos { o["revoked"] = .string(Timestamp.rfc3339(wallNanos: r)) }
        return Self.json(.object(o))
    }

    func addDevice(_ request: Request) async throws -> Response {
        if case .denied(let r) = try await authorize(request, [.admin]) { return r }
        let bytes: [UInt8]
        switch try await body(request, limit: configuration.maxSmallBodyBytes) {
        case .value(let b): bytes = b
        case .reply(let r): return r
        }
        guard case .object(let o)? = try? JSONParser.parse(bytes),
            case .string(let name)? = o["name"],
            case .string(let key)? = o["public_key"]
        else {
            return Self.error(.badRequest, "the body must be {\"name\": ..., \"public_key\": ...}")
        }
        do {
            let record = try await Self.register(store: store, name: name, publicKey: key)
            return Self.json(.object(["id": .string(record.id), "name": .string(name)]), status: .created)
        } catch let e as StoreError {
            return Self.error(.duplicateDevice, "\(e)")
        } catch {
            return Self.error(.badPublicKey, "public_key must be a raw 32-byte Ed25519 key in base64")
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

extension Response {
    /// The same reply with another status.
    func withStatus(_ status: HTTPResponse.Status) -> Response {
        var r = self
        r.status = status
        return r
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
