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
    private let delivered = Counter(label: "sightline_events_delivered_total")
    private let failures = Counter(label: "sightline_forwarder_failures_total")
    private let pendingGauge = Gauge(label: "sightline_events_pending")
    private let blockedGauge = Gauge(label: "sightline_forwarder_blocked")

    public init(configuration: ForwarderConfiguration, spool: EventSpool, logger: Logger) throws(ForwarderError) {
        self.configuration = configuration
        self.spool = spool
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
        var ackedThrough: UInt64 = 0
        if case .object(let o)? = parsed, case .array(let results)? = o["results"] {
            for case .object(let r) in results {
                if case .int(let s)? = r["seq"] { ackedThrough = max(ackedThrough, UInt64(s)) }
            }
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
            if case .object(let o)? = parsed, case .object(let err)? = o["error"] {
                if case .string(let c)? = err["code"] { code = c }
                if case .string(let m)? = err["message"] { message = m }
            }
            if code == "sequence_gap", case .object(let o)? = parsed, case .object(let err)? = o["error"],
               case .int(let next)? = err["next_seq"], next >= 1, let first = batch.first, UInt64(next) < first.seq {
                try recoverFromGap(collectorNext: UInt64(next), firstPending: first.seq)
            } else {
                logger.error("collector refused an event", metadata: ["code": "\(code)", "message": "\(message)"])
            }
            throw .collector(status: status, code: code, message: message, retryAfter: Self.retryAfter(headers))
        }
        blockedGauge.record(0)
        return acked
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
        let (status, headers, reply) = try await send(
            method: .PUT, path: "/v1/evidence/\(sha256)", body: data,
            contentType: found.mediaType)
        guard status == 200 else {
            throw .collector(
                status: status, code: "evidence_upload", message: String(decoding: reply.prefix(300), as: UTF8.self),
                retryAfter: Self.retryAfter(headers))
        }
        do { try spool.markUploaded(sha256: sha256) } catch { throw .spool("\(error)") }
    }

    private func send(
        method: HTTPMethod, path: String, body: [UInt8], contentType: String
    )
        async throws(ForwarderError) -> (Int, HTTPHeaders, [UInt8])
    {
        var base = configuration.collectorURL
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Content-Type", value: contentType)
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
    }
}
