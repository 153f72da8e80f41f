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
}
