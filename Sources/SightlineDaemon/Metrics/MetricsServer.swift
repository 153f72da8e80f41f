import Foundation
import Logging
import Prometheus
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small HTTP/1.0 server for Prometheus scrapes on a loopback port.
///
/// Scrapes are rare and tiny, so one blocking thread serves them one at a time; this keeps an
/// HTTP stack out of the daemon. `GET /metrics` answers the exposition format, `GET /healthz`
/// answers `ok`. Anything else is 404.
final class MetricsServer: Service, @unchecked Sendable {
    enum Error: Swift.Error, CustomStringConvertible {
        case bind(host: String, port: Int, errno: Int32)
        var description: String {
            switch self {
            case .bind(let host, let port, let e):
                return "cannot listen on \(host):\(port) for metrics: \(String(cString: strerror(e)))"
            }
        }
    }

    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let socket: Int32
    /// The port actually bound (useful when 0 was asked for).
    let port: Int
    var address: String { "127.0.0.1:\(port)" }

    /// Binds immediately so that a taken port is a start-up error, not a silent failure later.
    init(host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger) throws {
        self.registry = registry
        self.logger = logger
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Error.bind(host: host, port: port, errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            close(fd)
            throw Error.bind(host: host, port: port, errno: EINVAL)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let e = errno
            close(fd)
            throw Error.bind(host: host, port: port, errno: e)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.socket = fd
    }

    func run() async throws {
        logger.info("metrics listening", metadata: ["address": "http://127.0.0.1:\(port)/metrics"])
        let stopped = StopFlag()
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread { [self] in
                    serve(until: stopped)
                    done.resume()
                }
                thread.name = "metrics"
                thread.start()
            }
        } onGracefulShutdown: { [socket] in
            stopped.set()
            // Wakes the blocked accept(2).
            shutdown(socket, Int32(SHUT_RDWR))
        }
        close(socket)
    }

    private func serve(until stopped: StopFlag) {
        while !stopped.isSet {
            let client = accept(socket, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8](repeating: 0, count: 4096)
        var received = 0
        // Read until the end of the request line; the headers do not matter.
        while received < request.count {
            let n = request.withUnsafeMutableBytes { recv(client, $0.baseAddress! + received, $0.count - received, 0) }
            if n <= 0 { break }
            received += n
            if request[..<received].contains(UInt8(ascii: "\n")) { break }
        }
        let line = String(decoding: request[..<received].prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") },
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
        sendAll(client, Array(head.utf8) + body)
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            sent += n
        }
    }
}
