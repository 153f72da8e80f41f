@testable import SightlineConfig
import SightlineCore
import Testing

/// `rtsp://` cameras and `video:` files in the configuration: `transport`, `hwaccel`, `password_file`, and the
/// keys that mean nothing for them.
@Suite struct NetworkCameraConfigTests {
    @Test func rtspCameraKeysAreRead() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            cameras:
              - id: gate
                source: rtsp://viewer@192.0.2.10:554/Streaming/Channels/101
                transport: udp
                hwaccel: vaapi
                password_file: /etc/sightline/gate.password
                device_timeout: 5
              - id: clip
                source: video:/srv/footage/clip.mp4
                hwaccel: auto
                replay: fast
            """, file: "cameras.yaml")
        let gate = try #require(configuration.cameras.first)
        #expect(gate.source == .rtsp(url: "rtsp://viewer@192.0.2.10:554/Streaming/Channels/101"))
        #expect(gate.transport == .udp && gate.hardwareDecoding == .vaapi)
        #expect(gate.passwordFile == "/etc/sightline/gate.password" && gate.deviceTimeout == 5)
        let clip = try #require(configuration.cameras.last)
        #expect(clip.source == .video(path: "/srv/footage/clip.mp4") && clip.hardwareDecoding == .auto)
        #expect(clip.transport == .tcp && clip.fps == nil)
    }

    @Test func defaultsAreTCPAndSoftware() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            cameras:
              - id: gate
                source: rtsp://192.0.2.10/live
            """, file: "cameras.yaml")
        #expect(configuration.cameras.first?.transport == .tcp)
        #expect(configuration.cameras.first?.hardwareDecoding == HardwareDecoding.none)
    }

    @Test func keysThatDoNotApplyAreRefused() {
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                transport: udp
            """, path: "cameras[0].transport", line: 4, "rtsp:// cameras only")
        expectSingleIssue("""
            cameras:
              - id: a
                source: mjpeg:clip.mjpeg
                hwaccel: auto
            """, path: "cameras[0].hwaccel", line: 4, "video: files and rtsp:// cameras only")
        expectSingleIssue("""
            cameras:
              - id: a
                source: rtsp://cam/live
                loop: true
            """, path: "cameras[0].loop", line: 4, "file sources only")
        let sized = configIssues("""
            cameras:
              - id: a
                source: rtsp://cam/live
                width: 640
                height: 480
            """)
        #expect(sized.map(\.path) == ["cameras[0].width", "cameras[0].height"])
        #expect(sized.allSatisfy { $0.message.contains("network camera sets its own frame size") }, "\(sized)")
        expectSingleIssue("""
            cameras:
              - id: a
                source: video:clip.mp4
                fps: 10
            """, path: "cameras[0].fps", line: 4, "record their own frame rate")
        expectSingleIssue("""
            cameras:
              - id: a
                source: rtsp://cam/live
                transport: quic
            """, path: "cameras[0].transport", line: 4, "tcp")
    }

    @Test func passwordFileNeedsAUserAndNoPasswordInTheURL() {
        expectSingleIssue("""
            cameras:
              - id: a
                source: rtsp://cam/live
                password_file: /etc/sightline/a.password
            """, path: "cameras[0].password_file", line: 4, "needs the user in the URL")
        let issues = configIssues("""
            cameras:
              - id: a
                source: rtsp://admin:hunter2@cam/live
                password_file: /etc/sightline/a.password
            """)
        #expect(issues.count == 1 && issues.first?.message.contains("already holds a password") == true)
        // No issue ever quotes the password.
        #expect(!issues.contains { $0.description.contains("hunter2") })
    }

    @Test func rtspsCamerasTakeTheirCAAndStayOnTCP() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            cameras:
              - id: gate
                source: rtsps://viewer@gate.example:322/live
                password_file: /etc/sightline/gate.password
                ca: /etc/sightline/gate-ca.pem
            """, file: "cameras.yaml")
        #expect(configuration.cameras.first?.tlsCAFile == "/etc/sightline/gate-ca.pem")
        expectSingleIssue("""
            cameras:
              - id: a
                source: rtsp://cam/live
                ca: /etc/sightline/ca.pem
            """, path: "cameras[0].ca", line: 4, "rtsps:// cameras only")
        expectSingleIssue("""
            cameras:
              - id: a
                source: rtsps://cam/live
                transport: udp
            """, path: "cameras[0].transport", line: 4, "in the clear")
        // A device, a directory or a FIFO is refused by --check-config, not only when the camera opens.
        for special in ["/dev/zero", "/tmp"] {
            expectSingleIssue("""
                cameras:
                  - id: a
                    source: rtsps://cam/live
                    ca: \(special)
                """, path: "cameras[0].ca", line: 4, "not a regular file")
        }
    }

    @Test func sourceIssuesNeverQuoteCredentials() {
        let issues = configIssues("""
            cameras:
              - id: a
                source: rtsp://admin:hunter2@/live
            """)
        #expect(issues.count == 1)
        #expect(!issues.contains { $0.description.contains("hunter2") }, "\(issues)")
    }
}
