import Foundation
import Logging
import Prometheus
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small HTTP/1.0 server for Prometheus scrapes and health probes.
///
/// Scrapes are rare and tiny, so one thread serves them, up to `maxClients` at once on non-blocking sockets.
/// `GET /metrics` answers the exposition format, `GET /healthz` answers `ok`; anything else is 404. The listen
/// address is resolved without a name service (`localhost`, an IPv4 or an IPv6 literal; IPv6 sockets are
/// IPv6-only, so `[::1]` and `127.0.0.1` are distinct listeners). Each client has `clientDeadline` for its
/// whole request and reply and holds only its own slot meanwhile: clients that trickle their requests never
/// delay `/healthz` for others.
final class MetricsServer: Service, Sendable {
    enum Error: Swift.Error, CustomStringConvertible {
        /// The address could not be bound (taken, not local, or not an address at all).
        case bind(address: String, reason: String)
        var description: String {
            switch self {
            case .bind(let address, let reason): return "cannot listen on \(address) for metrics: \(reason)"
            }
        }
    }

    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let socket: Int32
    private let clientDeadlineMillis: Int
    private let stopped = StopFlag()
    /// The port actually bound (useful when 0 was asked for).
    let port: Int
    /// The address actually bound, `127.0.0.1:9464` or `[::1]:9464`.
    let address: String

    /// Binds immediately so that a taken port is a start-up error, not a silent failure later.
    init(host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger,
         clientDeadline: Duration = .seconds(2)) throws {
        self.registry = registry
        self.logger = logger
        let (seconds, attoseconds) = clientDeadline.components
        clientDeadlineMillis = max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
        let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard (0...65535).contains(port) else { throw Error.bind(address: shown, reason: "port out of range") }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV | (host == "localhost" ? 0 : AI_NUMERICHOST)
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let looked = getaddrinfo(host, String(port), &hints, &list)
        guard looked == 0, let first = list else {
            throw Error.bind(address: shown, reason: String(cString: gai_strerror(looked)))
        }
        defer { freeaddrinfo(list) }
        // The first address that binds (for `localhost`, whichever of 127.0.0.1 and ::1 the resolver lists first).
        var failure = "no address"
        var bound: (fd: Int32, address: String, port: Int)?
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor, bound == nil {
            cursor = info.pointee.ai_next
            let fd = Glibc.socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                failure = String(cString: strerror(errno))
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if info.pointee.ai_family == AF_INET6 {
                setsockopt(fd, Int32(IPPROTO_IPV6), Int32(IPV6_V6ONLY), &one, socklen_t(MemoryLayout<Int32>.size))
            }
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 128) == 0,
                  let local = Self.localAddress(fd)
            else {
                failure = String(cString: strerror(errno))
                close(fd)
                continue
            }
            bound = (fd, local.text, local.port)
        }
        guard let bound else { throw Error.bind(address: shown, reason: failure) }
        socket = bound.fd
        address = bound.address
        self.port = bound.port
    }

    /// The bound address of `fd` as text with its port.
    private static func localAddress(_ fd: Int32) -> (text: String, port: Int)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var addr = address.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                    let port = Int(UInt16(bigEndian: address.pointee.sin_port))
                    return ("\(Self.text(text)):\(port)", port)
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var addr = address.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                    let port = Int(UInt16(bigEndian: address.pointee.sin6_port))
                    return ("[\(Self.text(text))]:\(port)", port)
                }
            }
        default:
            return nil
        }
    }

    /// The NUL-terminated text `inet_ntop` wrote into `buffer`.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func run() async throws {
        logger.info("metrics listening", metadata: ["address": "http://\(address)/metrics"])
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                start { done.resume() }
            }
        } onGracefulShutdown: { [self] in
            stop()
        }
        close(socket)
    }

    /// Serves on a thread of its own until `stop()`, then calls `ended`: what `run()` does inside a service
    /// group, usable without one (tests).
    func start(ended: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            serve(until: stopped)
            ended()
        }
        thread.name = "metrics"
        thread.start()
    }

    /// Ends `start`'s thread: wakes the blocked accept(2).
    func stop() {
        stopped.set()
        shutdown(socket, Int32(SHUT_RDWR))
    }

    /// Clients served at once; more wait in the listen backlog.
    static let maxClients = 64

    /// One client's exchange: its request read into `buffer`, then the reply sent from `reply`.
    private struct Client {
        let fd: Int32
        let deadline: Int
        var buffer: [UInt8] = []
        var reply: [UInt8]?
        var sent = 0
    }

    /// One thread, non-blocking sockets and poll(2): every client is served as its bytes arrive, so a client
    /// that trickles or never reads holds only its own slot until its deadline, never `/healthz` for others.
    private func serve(until stopped: StopFlag) {
        var clients: [Client] = []
        defer { for c in clients { close(c.fd) } }
        // Non-blocking, so that a connection reset between poll and accept cannot block the loop.
        _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
        while !stopped.isSet {
            let now = Self.monotonicMillis()
            clients.removeAll { c in
                guard c.deadline <= now else { return false }
                close(c.fd)
                return true
            }
            var fds = clients.map { pollfd(fd: $0.fd, events: Int16($0.reply == nil ? POLLIN : POLLOUT), revents: 0) }
            let listening = clients.count < Self.maxClients
            if listening { fds.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
            // Wake at the nearest deadline, and at least twice a second to notice `stop()`.
            let wait = min(500, max(1, (clients.map(\.deadline).min() ?? now + 500) - now))
            let n = poll(&fds, nfds_t(fds.count), Int32(wait))
            if stopped.isSet { return }
            if n < 0 {
                if errno == EINTR { continue }
                logger.error("metrics server stopped", metadata: ["error": "\(String(cString: strerror(errno)))"])
                return
            }
            for k in clients.indices.reversed() where fds[k].revents != 0 {
                if !advance(&clients[k]) {
                    close(clients[k].fd)
                    clients.remove(at: k)
                }
            }
            if listening, fds[fds.count - 1].revents != 0 {
                let fd = accept(socket, nil, nil)
                if fd >= 0 {
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                    clients.append(Client(fd: fd, deadline: Self.monotonicMillis() + clientDeadlineMillis))
                } else if !(errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) {
                    if !stopped.isSet {
                        logger.error("metrics server stopped", metadata: ["error": "\(String(cString: strerror(errno)))"])
                    }
                    return
                }
            }
        }
    }

    /// Reads or writes what the socket allows now; false when the exchange is over (done, failed or closed).
    private func advance(_ c: inout Client) -> Bool {
        if c.reply == nil {
            var chunk = [UInt8](repeating: 0, count: 4096 - c.buffer.count)
            let n = chunk.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 { return errno == EINTR || errno == EAGAIN }
            c.buffer += chunk[..<n]
            // The request line is all that matters; answer once it is in (or the peer stopped sending, or the
            // buffer is full).
            guard n == 0 || c.buffer.count >= 4096 || c.buffer.contains(UInt8(ascii: "\n")) else { return true }
            c.reply = response(to: c.buffer)
        }
        guard let reply = c.reply else { return false }
        let n = reply.withUnsafeBytes {
            send(c.fd, $0.baseAddress! + c.sent, $0.count - c.sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        if n < 0 { return errno == EINTR || errno == EAGAIN }
        c.sent += n
        return c.sent < reply.count
    }

    private static func monotonicMillis() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }

    /// The whole HTTP/1.0 reply to a request whose first bytes are `request`.
    private func response(to request: [UInt8]) -> [UInt8] {
        let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") },
                          as: UTF8.self)
        let parts = line.split(separator: " ")
        let path = parts.count >= 2 ? parts[1].split(separator: "?").first.map(String.init) ?? "" : ""
        let (status, type, body): (String, String, [UInt8])
        switch (parts.first, path) {
        case ("GET", "/metrics"):
            (status, type, body) = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
        case ("GET", "/healthz"):
            (status, type, body) = ("200 OK", "text/plain", Array("ok\n".utf8))
        case ("GET", _):
            (status, type, body) = ("404 Not Found", "text/plain", Array("not found\n".utf8))
        default:
            (status, type, body) = ("405 Method Not Allowed", "text/plain", Array("only GET\n".utf8))
        }
        let head = "HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }
}
