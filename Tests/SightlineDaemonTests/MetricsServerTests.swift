import Foundation
import Logging
import Prometheus
import Testing
@testable import SightlineRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The metrics server on the addresses `metrics.listen` accepts, and against a client that never finishes
/// its request (SECURITY-REVIEW F20).
@Suite struct MetricsServerTests {
    static func logger() -> Logger {
        var logger = Logger(label: "test.metrics")
        logger.logLevel = .critical
        return logger
    }

    /// Serves with `server` (on its own thread, as in the daemon) for the duration of `body`.
    static func serving<T>(_ server: MetricsServer, _ body: () throws -> T) rethrows -> T {
        let ended = DispatchSemaphore(value: 0)
        server.start { ended.signal() }
        defer {
            server.stop()
            ended.wait()
        }
        return try body()
    }

    @Test func servesOnTheIPv6Loopback() throws {
        let server = try MetricsServer(host: "::1", port: 0, registry: PrometheusCollectorRegistry(), logger: Self.logger())
        #expect(server.port > 0)
        #expect(server.address == "[::1]:\(server.port)")
        let port = server.port
        let reply = Self.serving(server) {
            rawHTTPGet(host: "::1", port: port, path: "/healthz", timeoutSeconds: 10)
        }
        #expect(reply?.hasPrefix("HTTP/1.0 200") == true)
        #expect(reply?.hasSuffix("ok\n") == true)
    }

    @Test func localhostAndIPv4StillWork() throws {
        let server = try MetricsServer(host: "localhost", port: 0, registry: PrometheusCollectorRegistry(),
                                       logger: Self.logger())
        #expect(server.address == "127.0.0.1:\(server.port)" || server.address == "[::1]:\(server.port)")
        let host = server.address.hasPrefix("[") ? "::1" : "127.0.0.1"
        let port = server.port
        let reply = Self.serving(server) {
            rawHTTPGet(host: host, port: port, path: "/healthz", timeoutSeconds: 10)
        }
        #expect(reply?.hasSuffix("ok\n") == true)
    }

    @Test func aTakenPortIsABindError() throws {
        let first = try MetricsServer(host: "127.0.0.1", port: 0, registry: PrometheusCollectorRegistry(),
                                      logger: Self.logger())
        #expect(throws: MetricsServer.Error.self) {
            _ = try MetricsServer(host: "127.0.0.1", port: first.port, registry: PrometheusCollectorRegistry(),
                                  logger: Self.logger())
        }
    }

    /// One client that sends its request a byte at a time, forever, must not keep `/healthz` from answering:
    /// each client has a deadline for its whole request, not only per `recv`.
    @Test func aTricklingClientDoesNotBlockHealthz() throws {
        let server = try MetricsServer(host: "127.0.0.1", port: 0, registry: PrometheusCollectorRegistry(),
                                       logger: Self.logger())
        let port = server.port
        let reply = Self.serving(server) { () -> String? in
            guard let trickler = connectTCP(host: "127.0.0.1", port: port) else { return "cannot connect" }
            let stop = StopFlag()
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                // "GET /" and then a byte every 100 ms, never a newline: about 100 s of request line.
                for byte in Array("GET /".utf8) + Array(repeating: UInt8(ascii: "a"), count: 1000) {
                    if stop.isSet { break }
                    var b = byte
                    if send(trickler, &b, 1, Int32(MSG_NOSIGNAL)) != 1 { break }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                done.signal()
            }
            thread.start()
            defer {
                stop.set()
                done.wait()
                close(trickler)
            }
            Thread.sleep(forTimeInterval: 0.3)  // let the server take the trickling client first
            return rawHTTPGet(host: "127.0.0.1", port: port, path: "/healthz", timeoutSeconds: 15)
        }
        #expect(reply?.hasSuffix("ok\n") == true, "no answer while a trickling client was connected")
    }

    /// Many silent clients, each with a long deadline, must not queue `/healthz` behind them: clients are
    /// served side by side, not one after another (the serial server answered only after 20 × 60 s).
    @Test func silentClientsDoNotQueueHealthz() throws {
        let server = try MetricsServer(host: "127.0.0.1", port: 0, registry: PrometheusCollectorRegistry(),
                                       logger: Self.logger(), clientDeadline: .seconds(60))
        let port = server.port
        let reply = Self.serving(server) { () -> String? in
            let silent = (0..<20).compactMap { _ in connectTCP(host: "127.0.0.1", port: port) }
            defer { silent.forEach { close($0) } }
            guard silent.count == 20 else { return "cannot connect" }
            Thread.sleep(forTimeInterval: 0.3)  // let the server accept them first
            return rawHTTPGet(host: "127.0.0.1", port: port, path: "/healthz", timeoutSeconds: 15)
        }
        #expect(reply?.hasSuffix("ok\n") == true, "no answer while 20 silent clients were connected")
    }
}

/// A TCP connection to a numeric host (IPv4 or IPv6), or nil.
func connectTCP(host: String, port: Int) -> Int32? {
    var hints = addrinfo()
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { return nil }
    defer { freeaddrinfo(list) }
    let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
    guard fd >= 0 else { return nil }
    guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
        close(fd)
        return nil
    }
    return fd
}

/// A minimal HTTP/1.0 GET with a receive timeout; nil when nothing came back.
func rawHTTPGet(host: String, port: Int, path: String, timeoutSeconds: Int) -> String? {
    guard let fd = connectTCP(host: host, port: port) else { return nil }
    defer { close(fd) }
    var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let request = Array("GET \(path) HTTP/1.0\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response += buffer[..<n]
    }
    return response.isEmpty ? nil : String(decoding: response, as: UTF8.self)
}
