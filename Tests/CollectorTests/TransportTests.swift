import AsyncHTTPClient
import Collector
import Foundation
import SightlineTestKit
import NIOCore
import NIOSSL
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// F9, F11, F12, F23: TLS 1.2 at least, plain HTTP on loopback only, slow headers cut off, the database 0600.
@Suite struct TransportTests {
    @Test func plainHTTPIsRefusedOffLoopbackUnlessAskedFor() throws {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] {
            #expect(throws: Never.self) { try CollectorConfiguration(host: host).validate() }
        }
        for host in ["0.0.0.0", "203.0.113.7", "::", "collector.example", "127.0.0.1.example", "1270.0.0.1"] {
            #expect(throws: CollectorConfigurationError.plainHTTPOffLoopback(host)) {
                try CollectorConfiguration(host: host).validate()
            }
            #expect(throws: Never.self) { try CollectorConfiguration(host: host, insecureHTTP: true).validate() }
            #expect(throws: Never.self) {
                try CollectorConfiguration(host: host, tlsCertificatePath: "c.pem", tlsKeyPath: "k.pem").validate()
            }
        }
        #expect(throws: CollectorConfigurationError.tlsNeedsCertificateAndKey) {
            try CollectorConfiguration(tlsCertificatePath: "c.pem").validate()
        }
        // Limits from the command line are checked before they reach a conversion that could trap.
        for bad in [Double.nan, .infinity, 1e300, 0, -1] {
            #expect(throws: CollectorConfigurationError.self) {
                try CollectorConfiguration(headerTimeoutSeconds: bad).validate()
            }
            #expect(throws: CollectorConfigurationError.self) {
                try CollectorConfiguration(idleTimeoutSeconds: bad).validate()
            }
        }
        #expect(throws: CollectorConfigurationError.self) { try CollectorConfiguration(maxConnections: 0).validate() }
        #expect(throws: CollectorConfigurationError.self) {
            try CollectorConfiguration(requestsPerSecondPerAddress: .nan).validate()
        }
        let router = CollectorRouter(
            store: try SQLiteCollectorStore(path: temporaryDirectory("plain") + "/c.sqlite"),
            configuration: CollectorConfiguration(host: "0.0.0.0", port: 0), logger: .init(label: "test"))
        #expect(throws: CollectorConfigurationError.self) { try router.application() }
    }

    @Test func tls10And11AreRefused() async throws {
        let dir = temporaryDirectory("tlsver")
        let (cert, key) = try TLSPinningTests.selfSigned(in: dir, name: "collector")
        let collector = try await LiveCollector(backend: .sqlite, tlsCertificate: cert, tlsKey: key)
        try await collector.start()
        defer { Task { await collector.stop() } }
        func connects(max: TLSVersion) async -> Bool {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            tls.minimumTLSVersion = .tlsv1
            tls.maximumTLSVersion = max
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            var ok = false
            do {
                let r = try await client.execute(HTTPClientRequest(url: collector.url + "/healthz"), timeout: .seconds(10))
                ok = r.status.code == 200
            } catch {}
            try? await client.shutdown()
            return ok
        }
        #expect(await connects(max: .tlsv1) == false)
        #expect(await connects(max: .tlsv11) == false)
        #expect(await connects(max: .tlsv12))
        try await collector.store.close()
    }

    @Test func theDatabaseIsCreatedOwnerOnly() throws {
        let path = temporaryDirectory("mode") + "/c.sqlite"
        let old = umask(0o022)
        defer { umask(old) }
        let store = try SQLiteCollectorStore(path: path)
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600)
        _ = store
    }

    /// A client that never finishes its headers is disconnected after the header timeout (slowloris).
    @Test func slowHeadersAreCutOff() async throws {
        let collector = try await LiveCollector(backend: .sqlite) { $0.headerTimeoutSeconds = 0.3 }
        try await collector.start()
        defer { Task { await collector.stop() } }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(collector.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        let partial = Array("GET /healthz HTTP/1.1\r\nHost: x\r\n".utf8)
        #expect(write(fd, partial, partial.count) == partial.count)
        // The collector closes the connection: read returns 0 (EOF). A generous receive timeout keeps a broken
        // collector from hanging the test; it is not what is measured.
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buffer, buffer.count)
        #expect(n == 0, "read \(n) (errno \(errno)): the connection stayed open")
        try await collector.store.close()
    }
}
