import Collector
import Foundation
import SightlineTestKit
import Logging
import Testing

/// TLS between the collector and PostgreSQL: libpq's `sslmode`/`sslrootcert` in the `--database` URL. The
/// throwaway test server (Tools/test-postgres) runs with TLS on and hands out a URL that pins its certificate,
/// so every PostgreSQL collector test runs over verified TLS; here, the refusals.
@Suite(.serialized) struct PostgresTLSTests {
    static var logger: Logger {
        var logger = Logger(label: "test.pg")
        logger.logLevel = .critical
        return logger
    }

    @Test func badParametersAreRefusedWithTheirReason() {
        for (url, words) in [
            ("postgres://u@127.0.0.1/db?sslmode=prefer", "sslmode must be one of"),
            ("postgres://u@127.0.0.1/db?sslmode=verify-full&sslrootcert=/nonexistent.pem", "cannot read sslrootcert"),
            ("postgres://u@127.0.0.1/db?sslrootcert=/etc/ca.pem", "needs sslmode=verify-ca or verify-full"),
            ("postgres://u@127.0.0.1/db?connect_timeout=3", "unknown parameter 'connect_timeout'"),
        ] {
            do {
                _ = try PostgresCollectorStore(url: url, logger: Self.logger)
                Issue.record("\(url) was accepted")
            } catch {
                #expect("\(error)".contains(words), "\(url): \(error)")
            }
        }
    }

    /// Runs `migrate()` against `url`, giving up after `seconds` (a refused handshake may be retried). The
    /// default is a liveness bound, not a speed expectation: `make test` runs this beside every other suite on
    /// two cores, where a first verified handshake to a fresh server has taken more than 10 s.
    static func connects(_ url: String, seconds: Double = 60) async -> Bool {
        guard let store = try? PostgresCollectorStore(url: url, logger: logger, connectTimeoutSeconds: seconds)
        else { return false }
        defer { Task { try? await store.close() } }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await store.migrate()) != nil }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test(.enabled(if: Backend.postgresURL?.contains("sslrootcert=") == true, "no TLS test server"))
    func verifiedTLSConnectsAndAnotherCertificateIsRefused() async throws {
        let url = try #require(Backend.postgresURL)
        #expect(url.contains("sslmode=verify-full"))
        #expect(await Self.connects(url))
        // The same server under a certificate it does not have: the handshake fails, no connection is made.
        let dir = temporaryDirectory("pg-tls")
        let other = dir + "/other.pem"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                       "-keyout", dir + "/other.key", "-out", other, "-days", "2", "-subj", "/CN=127.0.0.1",
                       "-addext", "subjectAltName=IP:127.0.0.1"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        let pinned = url.replacingOccurrences(of: #"sslrootcert=[^&]*"#, with: "sslrootcert=\(other)",
                                              options: .regularExpression)
        #expect(!(await Self.connects(pinned, seconds: 5)))
        // Encryption without verification (sslmode=require) connects, as libpq's does.
        let unverified = url.replacingOccurrences(of: #"\?.*$"#, with: "?sslmode=require", options: .regularExpression)
        #expect(await Self.connects(unverified))
    }
}
