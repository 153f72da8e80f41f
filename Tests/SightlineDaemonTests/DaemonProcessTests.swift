import Foundation
import SightlineTestKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `sightlined` binary: READY over a notify socket, a metrics scrape, SIGTERM, a
/// clean exit, and the configuration errors it refuses to start with.
@Suite(.serialized) struct DaemonProcessTests {
    static var binDirectory: URL {
        // The test bundle sits beside the products in the build directory.
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    static var daemon: URL {
        var url = binDirectory.appendingPathComponent("sightlined")
        if !FileManager.default.fileExists(atPath: url.path) {
            url = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("sightlined")
        }
        return url
    }

    static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("sightlined-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func readyMetricsAndCleanShutdownOnSIGTERM() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A short clip, looped at recorded speed: the daemon runs until told to stop.
        let clip = dir.appendingPathComponent("clip.mjpeg")
        try Data(SyntheticFootage.jpegFrames(count: 10, width: 160, height: 120).joined()).write(to: clip)
        let config = dir.appendingPathComponent("sightlined.yaml")
        try """
        state_dir: \(dir.path)
        log_level: info
        metrics:
          listen: 127.0.0.1:0
        cameras:
          - id: door
            source: mjpeg:\(clip.path)
            replay: realtime
            loop: true
        """.write(to: config, atomically: true, encoding: .utf8)

        let notify = try NotifySocket(path: dir.appendingPathComponent("notify").path)
        let process = Process()
        process.executableURL = Self.daemon
        process.arguments = ["--config", config.path, "--summary", dir.appendingPathComponent("summary.json").path]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let ready = notify.receive(timeoutSeconds: 20)
        #expect(ready?.hasPrefix("READY=1") == true, "got \(ready ?? "nothing")")

        // The port was 0: read the one the daemon picked from its log line.
        var log = ""
        let deadline = Date().addingTimeInterval(10)
        var port: Int?
        while port == nil && Date() < deadline {
            log += String(decoding: stderr.fileHandleForReading.availableDataNonBlocking(), as: UTF8.self)
            if let range = log.range(of: #"127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":")[1].split(separator: "/")[0])
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let metricsPort = try #require(port, "no metrics address in the log:\n\(log)")
        Thread.sleep(forTimeInterval: 1.0)
        let metrics = try #require(httpGet(port: metricsPort, path: "/metrics"))
        #expect(metrics.contains("sightline_frames_captured_total{camera=\"door\"}"))
        #expect(metrics.contains("sightline_camera_online{camera=\"door\"} 1"))
        #expect(metrics.contains("sightline_decode_seconds_bucket"))
        #expect(httpGet(port: metricsPort, path: "/healthz")?.hasSuffix("ok\n") == true)

        kill(process.processIdentifier, SIGTERM)
        let stopping = notify.receive(timeoutSeconds: 10)
        #expect(stopping?.contains("STOPPING=1") == true)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("summary.json")))
        let cameras = try #require((summary as? [String: Any])?["cameras"] as? [[String: Any]])
        #expect((cameras.first?["decoded"] as? Int ?? 0) > 0)
    }

    /// A camera that fails for good (here footage that is not video) ends its pipeline; when that ends the run the
    /// daemon exits with an error, not 0, so that systemd's `Restart=on-failure` sees it (the attack run: a camera
    /// refused for a too-large picture left a daemon that exited 0 and was never restarted).
    @Test func aCameraThatFailsForGoodIsAnErrorExit() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let junk = dir.appendingPathComponent("junk.mp4")
        try Data(repeating: 0x42, count: 4096).write(to: junk)
        let config = dir.appendingPathComponent("sightlined.yaml")
        try """
        state_dir: \(dir.path)
        metrics:
          enabled: false
        cameras:
          - id: door
            source: video:\(junk.path)
        """.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Self.daemon
        process.arguments = ["--config", config.path]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(log)")
        #expect(log.contains("camera door failed"), "\(log)")
    }

    /// A metrics address that cannot be bound is a configuration error (78, EX_CONFIG), which systemd's
    /// `RestartPreventExitStatus=78` does not restart in a loop.
    @Test func aMetricsPortInUseExitsWithEXConfig() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Hold a port, then ask the daemon to listen on it.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(holder, $0, length) == 0 && listen(holder, 1) == 0 && getsockname(holder, $0, &length) == 0
            }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let clip = dir.appendingPathComponent("clip.mjpeg")
        try Data(SyntheticFootage.jpegFrames(count: 2, width: 160, height: 120).joined()).write(to: clip)
        let config = dir.appendingPathComponent("sightlined.yaml")
        try """
        state_dir: \(dir.path)
        metrics:
          listen: 127.0.0.1:\(port)
        cameras:
          - id: door
            source: mjpeg:\(clip.path)
        """.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Self.daemon
        process.arguments = ["--config", config.path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 78, "\(message)")
        #expect(message.contains("127.0.0.1:\(port)"), "\(message)")
    }

    @Test func checkConfigRefusesBadConfigurationWithTheLine() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("bad.yaml")
        try """
        cameras:
          - id: door
            source: mjpeg:/nonexistent.mjpeg
            fpz: 10
        """.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Self.daemon
        process.arguments = ["--check-config", config.path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 78)
        #expect(message.contains(":4:"), "message lacks the line: \(message)")
        #expect(message.contains("fpz"))
    }
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(rc == 0, "cannot bind \(path)")
    }

    func receive(timeoutSeconds: Int) -> String? {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

/// A minimal HTTP GET over loopback (no HTTP client in the test target on purpose).
func httpGet(port: Int, path: String) -> String? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.0\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response += buffer[..<n]
    }
    return String(decoding: response, as: UTF8.self)
}
