import Capture
import Foundation
import SightlineCore
import SightlineTestKit
import Synchronization
import Testing

/// A real RTSP server (GStreamer's, through `Tools/rtsp-test-server`) on loopback: frames arrive over TCP
/// and UDP; the server is killed mid-stream and started again, and the camera goes offline and comes back;
/// the password in the URL is in no log line.
@Suite(.serialized, .enabled(if: RequiredFixtures.programs(RTSPTestServer.isAvailable),
                             "GStreamer's RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0) is not installed"))
struct RTSPCameraTests {
    static let password = "pa:ss w0rd"
    static let encodedPassword = "pa%3Ass%20w0rd"

    /// Cancels `source` after `seconds`, so that a test whose server never comes back ends on its own.
    static func watchdog(_ source: ReconnectingSource, seconds: Double) -> StopWatch {
        let watch = StopWatch()
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline && !watch.done.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.1) }
            if !watch.done.load(ordering: .relaxed) { source.cancel() }
        }
        return watch
    }

    final class StopWatch: Sendable {
        let done = Atomic(false)
        func finish() { done.store(true, ordering: .relaxed) }
    }

    final class States: Sendable {
        let all = Mutex<[String]>([])
        func record(_ state: ReconnectingSource.State) {
            all.withLock {
                switch state {
                case .online: $0.append("online")
                case .offline(let error): $0.append("offline: \(error)")
                }
            }
        }
    }

    static func camera(_ url: String, options: SourceOptions, logs: LogCapture, states: States) throws
        -> ReconnectingSource
    {
        let spec = try SourceSpec(parsing: url)
        let logger = logs.logger("rtsp")
        return ReconnectingSource(description: spec.description, initialDelay: .milliseconds(200),
                                  maximumDelay: .seconds(1), logger: logger, onStateChange: { states.record($0) },
                                  factory: { VideoSource(spec: spec, options: options, logger: logger) })
    }

    static func frames(_ source: ReconnectingSource, count: Int) throws -> [CapturedFrame] {
        var frames: [CapturedFrame] = []
        while frames.count < count, let frame = try source.next() { frames.append(frame) }
        return frames
    }

    @Test(arguments: [RTSPTransport.tcp, .udp])
    func framesArrive(transport: RTSPTransport) throws {
        let server = try RTSPTestServer()
        try server.start()
        let logs = LogCapture(), states = States()
        let source = try Self.camera(server.url(), options: SourceOptions(deviceTimeoutSeconds: 5,
                                                                          processingWidth: 160,
                                                                          transport: transport),
                                     logs: logs, states: states)
        let watch = Self.watchdog(source, seconds: 30)
        defer { watch.finish() }
        try source.open()
        let frames = try Self.frames(source, count: 5)
        source.close()
        #expect(frames.count == 5)
        for frame in frames {
            guard case .decoded(let picture) = frame.payload else {
                Issue.record("not a decoded frame")
                continue
            }
            #expect(picture.gray.width == 160 && picture.gray.height == 120)
            #expect(picture.sourceWidth == 320 && picture.sourceHeight == 240)
        }
        #expect(states.all.withLock { $0 } == ["online"])
    }

    @Test func serverKilledMidStreamGoesOfflineAndComesBack() throws {
        let server = try RTSPTestServer(user: "admin", password: Self.password)
        try server.start()
        let logs = LogCapture(), states = States()
        let url = server.url(credentials: "admin:" + Self.encodedPassword)
        let source = try Self.camera(url, options: SourceOptions(deviceTimeoutSeconds: 2), logs: logs, states: states)
        let watch = Self.watchdog(source, seconds: 60)
        defer { watch.finish() }
        try source.open()
        let before = try Self.frames(source, count: 3)
        #expect(before.count == 3)
        server.stop()
        // The server comes back a little later, on the same port; meanwhile next() keeps reconnecting.
        let restarted = Mutex<(any Error)?>(nil)
        let back = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 1.5)
            do { try server.start() } catch { restarted.withLock { $0 = error } }
            back.signal()
        }
        // Frames already on their way (socket and decoder buffers) may still come before the end is noticed.
        var all = before, after: [CapturedFrame] = []
        while after.count < 3, let frame = try source.next() {
            all.append(frame)
            if source.reconnections >= 1 { after.append(frame) }
        }
        back.wait()
        source.close()
        #expect(restarted.withLock { $0 } == nil)
        #expect(after.count == 3, "no frame after the restart: \(states.all.withLock { $0 })")
        #expect(all.map(\.seq) == (1...UInt64(all.count)).map { $0 })
        let seen = states.all.withLock { $0 }
        #expect(seen.first == "online" && seen.last == "online")
        #expect(seen.contains { $0.hasPrefix("offline") }, "\(seen)")
        #expect(source.reconnections >= 1)
        // The password, encoded or not, is in no log line and no state message; the user is masked too.
        let text = (logs.all + seen).joined(separator: "\n")
        #expect(!text.contains(Self.encodedPassword) && !text.contains(Self.password) && !text.contains("admin"),
                "\(text)")
        #expect(text.contains("rtsp://***@127.0.0.1:\(server.port)/test"))
    }

    @Test func passwordFileAndAWrongPassword() throws {
        let server = try RTSPTestServer(user: "admin", password: Self.password)
        try server.start()
        let dir = try TemporaryDirectory()
        let file = try dir.write("camera.password", Array((Self.password + "\n").utf8))
        let spec = try SourceSpec(parsing: server.url(credentials: "admin"))
        let source = VideoSource(spec: spec, options: SourceOptions(deviceTimeoutSeconds: 5, passwordFile: file))
        try source.open()
        #expect(try source.next() != nil)
        source.close()

        let wrong = try SourceSpec(parsing: server.url(credentials: "admin:nottheone"))
        let refused = VideoSource(spec: wrong, options: SourceOptions(deviceTimeoutSeconds: 5))
        #expect {
            try refused.open()
        } throws: { error in
            guard case CaptureError.cannotOpen(let path, let reason) = error else { return false }
            return reason.contains("401") && !path.contains("nottheone") && !"\(error)".contains("nottheone")
        }
        let outcome = NetworkCameraCheck.check(wrong, seconds: 3)
        guard case .failed(let reason, let message) = outcome else {
            Issue.record("expected a refusal, got \(outcome)")
            return
        }
        #expect(reason == .unauthorized && !message.contains("nottheone"))
        #expect(NetworkCameraCheck.check(spec, options: SourceOptions(passwordFile: file)) != .timedOut(seconds: 3))
        server.stop()
        guard case .failed(.refused, _) = NetworkCameraCheck.check(spec, seconds: 3) else {
            Issue.record("a stopped server should refuse the connection")
            return
        }
    }

    /// rtsps://: Sightline verifies the camera's certificate itself (FFmpeg 5.1's RTSP client would accept any):
    /// the camera's own CA lets frames through, with credentials; no CA, another CA or another name is refused
    /// with a message that says why.
    @Test func rtspsTrustsOnlyAVerifiedCamera() throws {
        let dir = try TemporaryDirectory()
        let camera = try TestCertificate.selfSigned(in: dir.path, name: "camera",
                                                    alternativeNames: ["DNS:localhost", "IP:127.0.0.1"])
        let impostor = try TestCertificate.selfSigned(in: dir.path, name: "impostor",
                                                      alternativeNames: ["DNS:localhost", "IP:127.0.0.1"])
        let elsewhere = try TestCertificate.selfSigned(in: dir.path, name: "elsewhere",
                                                       alternativeNames: ["DNS:camera.example"])
        let server = try RTSPTestServer(user: "admin", password: Self.password, certificate: camera)
        try server.start()
        let credentials = "admin:\(Self.encodedPassword)"
        #expect(server.url(credentials: credentials).hasPrefix("rtsps://"))

        for host in ["127.0.0.1", "localhost"] {
            let spec = try SourceSpec(parsing: server.url(host: host, credentials: credentials))
            let source = VideoSource(spec: spec, options: SourceOptions(deviceTimeoutSeconds: 5, processingWidth: 160,
                                                                        tlsCAFile: camera.certificate))
            try source.open()
            var frames: [CapturedFrame] = []
            while frames.count < 3, let frame = try source.next() { frames.append(frame) }
            source.close()
            #expect(frames.count == 3, "over \(host)")
            if case .decoded(let picture) = frames.first?.payload {
                #expect(picture.gray.width == 160 && picture.sourceWidth == 320)
            } else {
                Issue.record("not a decoded frame over \(host)")
            }
        }
        // The doctor's check goes through the same verified connection.
        let spec = try SourceSpec(parsing: server.url(credentials: credentials))
        let answer = NetworkCameraCheck.check(spec, options: SourceOptions(tlsCAFile: camera.certificate), seconds: 3)
        guard case .answered = answer else {
            Issue.record("the doctor's check over rtsps:// got \(answer)")
            return
        }

        func refusal(_ caFile: String?) -> String? {
            let source = VideoSource(spec: spec, options: SourceOptions(deviceTimeoutSeconds: 5, tlsCAFile: caFile))
            do {
                try source.open()
                source.close()
                return nil
            } catch CaptureError.cannotOpen(let path, let reason) {
                #expect(!path.contains("w0rd") && !reason.contains("w0rd"))
                return reason
            } catch {
                Issue.record("unexpected \(error)")
                return nil
            }
        }
        // The system's trust store does not know a self-signed camera; another certificate is not the camera's.
        for caFile in [nil, impostor.certificate] {
            let reason = refusal(caFile)
            #expect(reason?.contains("certificate was refused") == true, "\(reason ?? "opened")")
            #expect(reason?.contains("NOT trusted") == true, "\(reason ?? "opened")")
        }
        // The doctor's check names the cause, so that it can say what to fix.
        guard case .failed(.untrustedCertificate, _) = NetworkCameraCheck.check(spec, options: SourceOptions(),
                                                                                 seconds: 3) else {
            Issue.record("an untrusted camera should be told apart from other failures")
            return
        }
        // A certificate the CA vouches for, but for another host name.
        let other = try RTSPTestServer(certificate: elsewhere)
        try other.start()
        let otherSpec = try SourceSpec(parsing: other.url())
        let source = VideoSource(spec: otherSpec, options: SourceOptions(deviceTimeoutSeconds: 5,
                                                                         tlsCAFile: elsewhere.certificate))
        #expect {
            try source.open()
        } throws: { error in
            guard case CaptureError.cannotOpen(_, let reason) = error else { return false }
            return reason.contains("certificate was refused") && reason.contains("name")
        }
        other.stop()
        server.stop()
        // An unreadable CA file is a clear error too.
        let missing = refusal(dir.path + "/no-such-ca.pem")
        #expect(missing?.contains("no trusted certificate could be read from \(dir.path)/no-such-ca.pem") == true,
                "\(missing ?? "opened")")
    }

    /// A "camera" that accepts TCP and drips its TLS handshake a byte every 0.4 s: the open still ends at its
    /// deadline (the review measured 84 s for a 5 s timeout before), and a CA path that is not a small regular file
    /// is refused before anything is read from it or sent.
    @Test func aDrippingHandshakeEndsAtTheDeadlineAndOnlyARealCAFileIsRead() throws {
        let port = try RTSPTestServer.freePort()
        let drip = Process()
        drip.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        drip.arguments = ["-c", """
            import socket, sys, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); print("ready", flush=True)
            while True:
                c, _ = s.accept()
                try:
                    for b in bytes([0x16, 0x03, 0x03, 0x40, 0x00]) + bytes(4000):
                        c.send(bytes([b])); time.sleep(0.4)
                except OSError:
                    pass
            """, "\(port)"]
        let ready = Pipe()
        drip.standardOutput = ready
        try drip.run()
        defer {
            // SIGKILL: a child of the test process inherits its blocked SIGTERM.
            kill(drip.processIdentifier, SIGKILL)
            drip.waitUntilExit()
        }
        _ = ready.fileHandleForReading.availableData
        let dir = try TemporaryDirectory()
        let ca = try TestCertificate.selfSigned(in: dir.path, name: "ca", alternativeNames: ["IP:127.0.0.1"])
        let spec = try SourceSpec(parsing: "rtsps://127.0.0.1:\(port)/test")
        let source = VideoSource(spec: spec, options: SourceOptions(deviceTimeoutSeconds: 2, tlsCAFile: ca.certificate))
        let started = Date()
        #expect(throws: CaptureError.self) { try source.open() }
        // Generous: the deadline is 2 s; the old bridge restarted its clock at every byte.
        #expect(Date().timeIntervalSince(started) < 15, "the open took \(Date().timeIntervalSince(started)) s")

        mkfifo(dir.path + "/fifo.pem", 0o600)
        for bad in ["/dev/zero", dir.path, dir.path + "/fifo.pem"] {
            let source = VideoSource(spec: spec, options: SourceOptions(deviceTimeoutSeconds: 2, tlsCAFile: bad))
            #expect {
                try source.open()
            } throws: { error in
                guard case CaptureError.cannotOpen(_, let reason) = error else { return false }
                return reason.contains("a PEM file of at most 1 MiB")
            }
        }
    }
}
