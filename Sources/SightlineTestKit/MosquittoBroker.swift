import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real Mosquitto broker (Debian's `mosquitto`) on loopback for the tests: a free port, a password file made
/// with `mosquitto_passwd`, persistence in its own directory (so that a restart keeps sessions and retained
/// messages), and optionally a TLS listener whose certificate a throwaway CA made with openssl issued.
///
/// `stop()` ends it with SIGTERM (it saves its state); `start()` brings it back on the same ports. A missing
/// `mosquitto` is an error, never a skip: `make test` installs it (TEST_PACKAGES).
public final class MosquittoBroker: @unchecked Sendable {
    public static let executable = "/usr/sbin/mosquitto"
    public static let passwordTool = "/usr/bin/mosquitto_passwd"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let directory: String
    /// The plain listener, 127.0.0.1.
    public let port: Int
    /// The TLS listener (nil without TLS), 127.0.0.1, with a certificate for `127.0.0.1` and `localhost`.
    public let tlsPort: Int?
    /// The CA certificate that issued the broker's (nil without TLS).
    public let caCertificate: String?
    /// A CA certificate that issued nothing the broker uses (a wrong trust anchor), nil without TLS.
    public let otherCACertificate: String?
    public let username = "sightline"
    public let password: String
    /// A file holding `password` and a newline, as an operator's `password_file`.
    public let passwordFile: String
    private var pid: pid_t?

    /// Writes the configuration, the password file and (with `tls`) the certificates; does not start.
    public init(tls: Bool = false) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable),
              FileManager.default.isExecutableFile(atPath: Self.passwordTool)
        else {
            throw Failure(description: "\(Self.executable) is missing: install Debian's mosquitto (make test does)")
        }
        directory = NSTemporaryDirectory() + "sightline-mosquitto-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = try RTSPTestServer.freePort()
        password = "pw-" + UUID().uuidString
        passwordFile = directory + "/client.password"
        try (password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        try Self.run(Self.passwordTool, ["-b", "-c", directory + "/passwd", username, password])
        var conf = """
            user root
            persistence true
            persistence_location \(directory)/
            log_dest file \(directory)/broker.log
            per_listener_settings false
            allow_anonymous false
            password_file \(directory)/passwd
            listener \(port) 127.0.0.1

            """
        if tls {
            let tlsPort = try RTSPTestServer.freePort()
            self.tlsPort = tlsPort
            let ca = try Self.makeCA(in: directory, name: "ca")
            otherCACertificate = try Self.makeCA(in: directory, name: "other-ca").cert
            caCertificate = ca.cert
            let server = try Self.issue(in: directory, name: "broker", ca: ca)
            conf += """
                listener \(tlsPort) 127.0.0.1
                cafile \(ca.cert)
                certfile \(server.cert)
                keyfile \(server.key)

                """
        } else {
            tlsPort = nil
            caCertificate = nil
            otherCACertificate = nil
        }
        try conf.write(toFile: directory + "/mosquitto.conf", atomically: true, encoding: .utf8)
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts the broker and waits (at most 10 s) until its plain port accepts connections.
    ///
    /// Spawned with an empty signal mask: a test process's threads block SIGTERM, a child started with
    /// Foundation's `Process` inherits that, and then cannot be stopped gracefully.
    public func start() throws {
        stop()
        let arguments = [Self.executable, "-c", directory + "/mosquitto.conf"]
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, Self.executable, &actions, &attributes, &argv, environ)
        guard rc == 0 else { throw Failure(description: "cannot start mosquitto: \(String(cString: strerror(rc)))") }
        self.pid = pid
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port: port) { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                self.pid = nil
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        stop()
        throw Failure(description: "mosquitto did not start: \(log.suffix(600))")
    }

    /// Stops the broker (SIGTERM: it saves sessions and retained messages) and waits for it to end.
    public func stop() {
        guard let pid else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        self.pid = nil
    }

    /// What the broker logged so far.
    public var log: String { (try? String(contentsOfFile: directory + "/broker.log", encoding: .utf8)) ?? "" }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : "/usr/bin/env")
        p.arguments = tool.hasPrefix("/") ? arguments : [tool] + arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "\(tool) \(arguments.first ?? "") failed (\(p.terminationStatus))")
        }
        return p.terminationStatus
    }

    /// A self-signed CA made with openssl.
    static func makeCA(in dir: String, name: String) throws -> (cert: String, key: String) {
        let cert = "\(dir)/\(name).pem"
        let key = "\(dir)/\(name).key"
        try run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", cert, "-days", "2", "-subj", "/CN=\(name)", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return (cert, key)
    }

    /// A server certificate for 127.0.0.1 and localhost issued by `ca`.
    static func issue(in dir: String, name: String, ca: (cert: String, key: String)) throws
        -> (cert: String, key: String)
    {
        let cert = "\(dir)/\(name).pem"
        let key = "\(dir)/\(name).key"
        let csr = "\(dir)/\(name).csr"
        let ext = "\(dir)/\(name).ext"
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: ext, atomically: true, encoding: .utf8)
        try run("openssl", [
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", csr, "-subj", "/CN=\(name)",
        ])
        try run("openssl", [
            "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", cert,
            "-days", "2", "-extfile", ext,
        ])
        return (cert, key)
    }
}
