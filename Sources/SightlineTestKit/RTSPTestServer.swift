import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real RTSP server on loopback for the tests: `Tools/rtsp-test-server` (GStreamer's RTSP server through
/// python3-gi) streaming H.264 at `rtsp://127.0.0.1:PORT/test`, optionally behind basic authentication.
/// `stop()` kills it mid-stream (SIGKILL, as a camera losing power); `start()` brings it back on the same port.
public final class RTSPTestServer: @unchecked Sendable {
    /// The script, found from this file's place in the repository.
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Tools/rtsp-test-server").standardizedFileURL.path
    /// Debian's interpreter, for which python3-gi is installed.
    public static let python = "/usr/bin/python3"

    /// Whether GStreamer's RTSP server can be started here (python3-gi, gir1.2-gst-rtsp-server-1.0).
    public static let isAvailable: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import gi; gi.require_version('GstRtspServer', '1.0'); "
            + "from gi.repository import GstRtspServer; gi.require_version('Gst', '1.0'); from gi.repository import Gst; "
            + "Gst.init(None); import sys; sys.exit(0 if Gst.ElementFactory.find('x264enc') else 1)"]
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    /// Whether it serves rtsps:// (TLS with the certificate it was given).
    public let tls: Bool
    private let arguments: [String]
    private var process: Process?

    /// A server for a free loopback port (not started).
    /// With `certificate`, it serves rtsps:// with that PEM certificate and key.
    public init(user: String? = nil, password: String? = nil, size: String = "320x240", fps: Int = 10,
                certificate: TestCertificate? = nil) throws {
        port = try Self.freePort()
        var arguments = ["--port", "\(port)", "--size", size, "--fps", "\(fps)"]
        if let user { arguments += ["--user", user, "--password", password ?? ""] }
        if let certificate { arguments += ["--tls-cert", certificate.certificate, "--tls-key", certificate.key] }
        tls = certificate != nil
        self.arguments = arguments
    }

    deinit { stop() }

    /// The stream's URL, with `credentials` (`user:password`) when given.
    public func url(credentials: String? = nil) -> String {
        url(host: "127.0.0.1", credentials: credentials)
    }

    /// The stream's URL naming `host` (which must reach 127.0.0.1: "localhost", "127.0.0.1").
    public func url(host: String, credentials: String? = nil) -> String {
        (tls ? "rtsps://" : "rtsp://") + (credentials.map { $0 + "@" } ?? "") + "\(host):\(port)/test"
    }

    /// Starts the server and waits (at most 20 s) until it says it listens.
    public func start() throws {
        stop()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let ready = DispatchSemaphore(value: 0)
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread {
            _ = reader.availableData  // the "ready PORT" line, or end of file when it died
            ready.signal()
        }
        guard ready.wait(timeout: .now() + 20) == .success, process.isRunning else {
            stop()
            throw Failure(description: "Tools/rtsp-test-server did not start")
        }
    }

    /// Kills the server at once (no RTSP TEARDOWN), and waits for it to end.
    public func stop() {
        guard let process, process.isRunning else {
            self.process = nil
            return
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure(description: "bind failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
