import AsyncHTTPClient
import EventLog
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOSSL
import SightlineCore

/// Delivers spooled events to the collector: in seq order, in batches, each event's evidence
/// uploaded before it, at least once. An event is marked delivered only when the collector
/// acknowledged it (stored or duplicate); nothing is removed here — retention does that later.
/// Failures back off exponentially with jitter, honouring `Retry-After`. After a restart, delivery
/// resumes from the spool.
public final class Forwarder: Sendable {
    public let configuration: ForwarderConfiguration
    let spool: EventSpool
    let client: HTTPClient
    let logger: Logger
    /// Signs evidence uploads (`RequestSignature`); without it the collector refuses them.
    let key: DeviceKey?
    private let delivered = Counter(label: "sightline_events_delivered_total")
    private let failures = Counter(label: "sightline_forwarder_failures_total")
    private let pendingGauge = Gauge(label: "sightline_events_pending")
    private let blockedGauge = Gauge(label: "sightline_forwarder_blocked")

    /// - Parameter key: the device key, which signs evidence uploads (the collector accepts evidence only from a
    ///   registered device); the events carry their own signatures.
    public init(configuration: ForwarderConfiguration, spool: EventSpool, key: DeviceKey? = nil, logger: Logger)
        throws(ForwarderError)
    {
        self.configuration = configuration
        self.spool = spool
        self.key = key
        self.logger = logger
        client = try Self.makeClient(configuration, connectTimeoutSeconds: 5)
    }

    /// An HTTP client for the collector: `requestTimeoutSeconds` per read, the pinned certificate when set.
    static func makeClient(_ configuration: ForwarderConfiguration, connectTimeoutSeconds: Int64)
        throws(ForwarderError) -> HTTPClient
    {
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: .seconds(connectTimeoutSeconds),
                             read: .seconds(Int64(configuration.requestTimeoutSeconds)))
        if let pin = configuration.pinnedCertificatePath {
            var tls = TLSConfiguration.makeClientConfiguration()
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pin)) } catch {
                throw .badPin("\(pin): \(error)")
            }
            tls.certificateVerification = .noHostnameVerification
            http.tlsConfiguration = tls
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// Closes the HTTP client; call once the forwarder stopped.
    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Delivers until cancelled: sends what is pending, then polls the spool.
    public func run() async {
        var backoff = Backoff(initial: configuration.initialBackoffSeconds, maximum: configuration.maxBackoffSeconds)
        while !Task.isCancelled {
            do {
                let acked = try await deliverBatch()
                backoff.reset()
                if acked == 0 { try? await Task.sleep(for: .seconds(configuration.pollSeconds)) }
            } catch {
                // Shutting down: the request was cancelled, not refused; the spool keeps what was not delivered.
                if Task.isCancelled { break }
                failures.increment()
                var retryAfter: Double? = nil
                if case .collector(_, _, _, let r) = error { retryAfter = r }
                let delay = backoff.next(retryAfter: retryAfter)
                logger.warning(
                    "delivery failed; retrying",
                    metadata: [
                        "error": "\(error)",
                        "retry_in_s": "\((delay * 1000).rounded() / 1000)",
                    ])
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Delivers until the spool holds nothing undelivered, retrying with backoff, or throws the
    /// last failure once `timeoutSeconds` passed.
    public func drain(timeoutSeconds: Double) async throws(ForwarderError) {
        let deadline = Clocks.monotonicNanos() + UInt64(timeoutSeconds * 1e9)
        var backoff = Backoff(initial: configuration.initialBackoffSeconds, maximum: configuration.maxBackoffSeconds)
        while true {
            do {
                if try await deliverBatch() == 0 { return }
                backoff.reset()
            } catch {
                var retryAfter: Double? = nil
                if case .collector(_, _, _, let r) = error { retryAfter = r }
                let delay = backoff.next(retryAfter: retryAfter)
                guard Clocks.monotonicNanos() + UInt64(delay * 1e9) < deadline else { throw error }
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Sends one batch of pending events (evidence first). Returns how many were acknowledged (0 when
    /// nothing is pending).
    public func deliverBatch() async throws(ForwarderError) -> Int {
        let batch: [SpooledEvent]
        do {
            batch = try spool.pending(limit: configuration.batchSize)
            pendingGauge.record(try spool.pendingCount())
        } catch { throw .spool("\(error)") }
        guard !batch.isEmpty else { return 0 }
        for event in batch {
            for sha in event.evidence { try await upload(sha256: sha) }
        }
        var body = Array("{\"events\":[".utf8)
        for (k, e) in batch.enumerated() {
            if k > 0 { body.append(UInt8(ascii: ",")) }
            body += e.line
        }
        body += Array("]}".utf8)
        let (status, headers, reply) = try await send(
            method: .POST, path: "/v1/events", body: body,
            contentType: "application/json")
        let parsed = try? JSONParser.parse(reply)
        let ackedThrough: UInt64
        do { ackedThrough = try Self.acknowledged(reply: parsed, sent: batch.map(\.seq)) } catch {
            logger.error("collector reply not understood; nothing marked delivered", metadata: ["error": "\(error)"])
            throw error
        }
        if ackedThrough > 0 {
            do { try spool.acknowledge(through: ackedThrough, nowNanos: Clocks.wallNanos()) } catch {
                throw .spool("\(error)")
            }
        }
        let acked = batch.filter { $0.seq <= ackedThrough }.count
        delivered.increment(by: acked)
        guard status == 200 else {
            var code = "http_\(status)"
            var message = String(decoding: reply.prefix(300), as: UTF8.self)
            var nextSeq: Int64?
            if case .object(let o)? = parsed, case .object(let err)? = o["error"] {
                if case .string(let c)? = err["code"] { code = c }
                if case .string(let m)? = err["message"] { message = m }
                if case .int(let n)? = err["next_seq"] { nextSeq = n }
            }
            if RefusalCode(rawValue: code) == .sequenceGap, let next = nextSeq.flatMap({ UInt64(exactly: $0) }),
                next >= 1, let first = batch.first, next < first.seq
            {
                try recoverFromGap(collectorNext: next, firstPending: first.seq)
            } else {
                logger.error("collector refused an event", metadata: ["code": "\(code)", "message": "\(message)"])
            }
            throw .collector(status: status, code: code, message: message, retryAfter: Self.retryAfter(headers))
        }
        // A 200 that acknowledges none of a non-empty batch is no delivery: returning 0 here would read as
        // "nothing pending" to `drain`, which would then report success with every event still in the spool.
        guard acked > 0 else {
            logger.error("collector answered 200 but acknowledged none of the batch; nothing marked delivered")
            throw .badReply("200 with no event of the batch of \(batch.count) acknowledged")
        }
        blockedGauge.record(0)
        return acked
    }

    /// The highest seq the reply acknowledges (0 for none). The collector answers `results` for a prefix of the
    /// batch, in order, each `stored` or `duplicate`; anything else (a seq not sent, out of order, negative, not
    /// an integer, more results than events) is refused, so the spool is never marked delivered past what was
    /// sent.
    static func acknowledged(reply: JSONValue?, sent: [UInt64]) throws(ForwarderError) -> UInt64 {
        guard case .object(let o)? = reply else { return 0 }
        guard let results = o["results"] else { return 0 }
        guard case .array(let items) = results else { throw .badReply("results is not an array") }
        guard items.count <= sent.count else {
            throw .badReply("\(items.count) results for a batch of \(sent.count) events")
        }
        var through: UInt64 = 0
        for (k, item) in items.enumerated() {
            guard case .object(let r) = item, case .int(let s)? = r["seq"], let seq = UInt64(exactly: s),
                seq == sent[k]
            else {
                throw .badReply("result \(k + 1) does not acknowledge seq \(sent[k]), the event sent there")
            }
            guard case .string(let status)? = r["status"], status == "stored" || status == "duplicate" else {
                throw .badReply("result \(k + 1) has no status stored or duplicate")
            }
            through = seq
        }
        return through
    }

    /// The collector wants `collectorNext`, before anything pending: it lost events it had acknowledged. Resends
    /// them from the spool when they are still there; otherwise delivery is blocked for good, which is reported.
    private func recoverFromGap(collectorNext: UInt64, firstPending: UInt64) throws(ForwarderError) {
        let rewound: Bool
        do { rewound = try spool.rewind(toSeq: collectorNext) } catch { throw .spool("\(error)") }
        if rewound {
            logger.warning(
                "collector lacks events it acknowledged before (database restored?); resending them",
                metadata: ["from_seq": "\(collectorNext)", "pending_was_from": "\(firstPending)"])
            return
        }
        blockedGauge.record(1)
        let oldest = (try? spool.oldestSeq()).flatMap { $0 }.map(String.init) ?? "none"
        logger.error(
            """
            delivery blocked: the collector expects seq \(collectorNext), which this device purged after an earlier \
            acknowledgement; restore the collector's database, or start a new chain with `sightline device rotate \
            --force` and register the new key
            """,
            metadata: ["collector_next_seq": "\(collectorNext)", "oldest_in_spool": "\(oldest)"])
    }

    private func upload(sha256: String) async throws(ForwarderError) {
        let found: (data: [UInt8]?, mediaType: String, uploaded: Bool)?
        do { found = try spool.blob(sha256: sha256) } catch { throw .spool("\(error)") }
        guard let found, !found.uploaded else { return }
        guard let data = found.data else {
            logger.warning("evidence dropped before delivery (disk budget)", metadata: ["sha256": "\(sha256)"])
            return
        }
        let path = "/v1/evidence/\(sha256)"
        var signature: [(String, String)] = []
        if let key {
            signature = RequestSignature.headers(
                key: key, method: "PUT", path: path, bodySHA256: sha256,
                unixSeconds: Clocks.wallNanos() / 1_000_000_000)
        }
        let (status, headers, reply) = try await send(
            method: .PUT, path: path, body: data, contentType: found.mediaType, extraHeaders: signature)
        guard status == 200 else {
            throw .collector(
                status: status, code: "evidence_upload", message: String(decoding: reply.prefix(300), as: UTF8.self),
                retryAfter: Self.retryAfter(headers))
        }
        do { try spool.markUploaded(sha256: sha256) } catch { throw .spool("\(error)") }
    }

    private func send(
        method: HTTPMethod, path: String, body: [UInt8], contentType: String, extraHeaders: [(String, String)] = []
    )
        async throws(ForwarderError) -> (Int, HTTPHeaders, [UInt8])
    {
        var base = configuration.collectorURL
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Content-Type", value: contentType)
        for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(
                request, timeout: .seconds(Int64(configuration.requestTimeoutSeconds)))
            var buffer = try await response.body.collect(upTo: 4 << 20)
            return (Int(response.status.code), response.headers, buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch {
            throw .transport("\(error)")
        }
    }

    /// Seconds from a `Retry-After` header (delta-seconds form).
    static func retryAfter(_ headers: HTTPHeaders) -> Double? {
        headers.first(name: "Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            .flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
    }
}
