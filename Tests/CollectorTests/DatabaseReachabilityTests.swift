import Collector
import Foundation
import Glibc
import Logging
import Testing

/// A PostgreSQL server that cannot be reached makes a command fail in seconds with an error naming the address,
/// never hang (an attack run saw `sightline-collector retention` take 68 s and end in a cryptic error). Needs no
/// PostgreSQL: the "servers" here are a port that accepts connections and never speaks, and a closed port.
@Suite(.timeLimit(.minutes(1))) struct DatabaseReachabilityTests {
    /// A listening socket on 127.0.0.1 that never accepts: the kernel completes connections, nobody answers.
    final class SilentPort {
        let fd: Int32
        let port: Int

        /// On `port`, or (0) one the kernel picks.
        init(port requested: Int = 0) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(clamping: requested).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            try #require(fd >= 0 && bound)
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(fd) }
    }

    static func quietLogger() -> Logger {
        var logger = Logger(label: "test.reachability")
        logger.logLevel = .critical
        return logger
    }

    @Test func aServerThatNeverAnswersFailsWithinTheTimeoutNamingTheAddress() async throws {
        let silent = try SilentPort()
        let store = try PostgresCollectorStore(
            url: "postgres://sightline:hunter2@127.0.0.1:\(silent.port)/sightline", logger: Self.quietLogger(),
            connectTimeoutSeconds: 1)
        do {
            try await store.migrate()
            Issue.record("migrate succeeded against a server that never answers")
        } catch let error as StoreError {
            guard case .unreachable = error else {
                Issue.record("expected unreachable, got \(error)")
                return
            }
            let text = "\(error)"
            #expect(text.contains("cannot reach PostgreSQL at 127.0.0.1:\(silent.port)"))
            #expect(text.contains("within 1 s"))
            #expect(!text.contains("hunter2"))
        }
        try await store.close()
    }

    @Test func aClosedPortFailsAsUnreachable() async throws {
        // A port that was listening a moment ago and is closed now: connections are refused.
        let port = try SilentPort().port
        let store = try PostgresCollectorStore(
            url: "postgres://sightline@127.0.0.1:\(port)/sightline", logger: Self.quietLogger(), connectTimeoutSeconds: 1)
        await #expect {
            try await store.checkReachable()
        } throws: { error in
            guard case StoreError.unreachable(let message)? = error as? StoreError else { return false }
            return message.contains("127.0.0.1:\(port)")
        }
        try await store.close()
    }
}
