import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A `sightline-collector serve` process on a free loopback port, for tests that run the built binaries.
public final class LoopbackCollector {
    public let process: Process
    /// The port the collector reported it listens on.
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    /// The bootstrap admin token the collector was started with (`SIGHTLINE_ADMIN_TOKEN`): every read needs a
    /// token, so tests send `Authorization: Bearer` with it.
    public let adminToken: String

    /// Starts `binary serve --listen 127.0.0.1:0 --database DATABASE [arguments]` with a fresh admin token in
    /// its environment and waits (up to `timeout` seconds) for the `port=N` line of its log; throws with the log
    /// so far when none comes. Rate limits are off unless `arguments` set them (`--rate-address`, `--rate-device`).
    public init(binary: URL, database: String, arguments: [String] = [], timeout: TimeInterval = 20) throws {
        process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--database", database,
                             "--rate-address", "0", "--rate-device", "0"] + arguments
        adminToken = "test-" + UUID().uuidString
        var environment = ProcessInfo.processInfo.environment
        environment["SIGHTLINE_ADMIN_TOKEN"] = adminToken
        process.environment = environment
        let log = Pipe()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        var text = ""
        var found: Int?
        let deadline = Date().addingTimeInterval(timeout)
        while found == nil && Date() < deadline && process.isRunning {
            text += String(decoding: log.fileHandleForReading.availableDataNonBlocking(), as: UTF8.self)
            if let range = text.range(of: #"port=(\d+)"#, options: .regularExpression) {
                found = Int(text[range].dropFirst(5))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey:
                "sightline-collector did not report its port:\n\(text)"])
        }
        port = found
    }

    /// A request to the collector carrying the admin token.
    public func request(path: String) -> URLRequest {
        var request = URLRequest(url: URL(string: url + path)!)
        request.setValue("Bearer \(adminToken)", forHTTPHeaderField: "Authorization")
        return request
    }

    /// Stops the collector and waits for it.
    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

extension FileHandle {
    /// What is readable now, without blocking.
    public func availableDataNonBlocking() -> Data {
        let fd = fileDescriptor
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(fd, F_SETFL, flags) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[..<n])
        }
        return data
    }
}
