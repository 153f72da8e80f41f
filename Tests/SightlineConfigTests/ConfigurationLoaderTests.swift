import Foundation
@testable import SightlineConfig
import Testing

/// Valid configurations: defaults, every key, the shipped example.
@Suite struct ConfigurationLoaderTests {
    @Test func minimalConfigurationGetsEveryDefault() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            cameras:
              - id: door
                source: v4l2:/dev/video0
            """, file: "minimal.yaml")
        #expect(configuration == DaemonConfiguration(
            stateDirectory: "/var/lib/sightline",
            logLevel: "info",
            metrics: MetricsConfiguration(enabled: true, host: "127.0.0.1", port: 9464, allowRemote: false),
            cameras: [CameraConfiguration(
                id: "door", source: .v4l2(device: "/dev/video0"), width: nil, height: nil, fps: nil, processFPS: nil,
                processingWidth: 640, deviceTimeout: 10, queueDepth: 4, replay: .realtime, loop: false,
                enabled: true
            )],
            reservedSections: []
        ))
    }

    @Test func everyKeyIsRead() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            state_dir: /srv/sightline
            log_level: debug
            metrics:
              enabled: false
              listen: "[::1]:9100"
            cameras:
              - id: front_door-1
                source: v4l2:/dev/video2
                width: 1280
                height: 720
                fps: 30
                process_fps: 7.5
                processing_width: 0
                device_timeout: 2.5
                queue_depth: 64
                enabled: false
              - id: replay
                source: jpegdir:/srv/footage
                replay: fast
                loop: yes
              - id: stdin
                source: y4m:-
              - id: clip
                source: avi:/srv/clip.avi
                loop: true
              - id: raw
                source: mjpeg:/srv/raw.mjpeg
                fps: 12.5
            """, file: "full.yaml")
        #expect(configuration.stateDirectory == "/srv/sightline")
        #expect(configuration.logLevel == "debug")
        #expect(configuration.metrics == MetricsConfiguration(enabled: false, host: "::1", port: 9100))
        #expect(configuration.cameras == [
            CameraConfiguration(
                id: "front_door-1", source: .v4l2(device: "/dev/video2"), width: 1280, height: 720, fps: 30,
                processFPS: 7.5, processingWidth: 0, deviceTimeout: 2.5, queueDepth: 64, enabled: false
            ),
            // jpegdir and mjpeg files record no rate: fps defaults to 25.
            CameraConfiguration(id: "replay", source: .jpegDirectory(path: "/srv/footage"), fps: 25,
                                replay: .asFastAsPossible, loop: true),
            CameraConfiguration(id: "stdin", source: .y4m(path: "-")),
            CameraConfiguration(id: "clip", source: .avi(path: "/srv/clip.avi"), loop: true),
            CameraConfiguration(id: "raw", source: .mjpeg(path: "/srv/raw.mjpeg"), fps: 12.5),
        ])
        #expect(configuration.cameras.map(\.source.kind) == [.v4l2, .jpegdir, .y4m, .avi, .mjpeg])
        #expect(configuration.cameras.map(\.source.path)
            == ["/dev/video2", "/srv/footage", "-", "/srv/clip.avi", "/srv/raw.mjpeg"])
        #expect(configuration.reservedSections.isEmpty)
    }

    @Test func metricsListenAcceptsBarePortAndHostNames() throws {
        let barePort = try ConfigLoader.parse(yaml: """
            metrics: {listen: 9200}
            cameras: [{id: a, source: "y4m:-"}]
            """, file: "port.yaml")
        #expect(barePort.metrics == MetricsConfiguration(host: "127.0.0.1", port: 9200))

        let localhost = try ConfigLoader.parse(yaml: """
            metrics: {listen: "localhost:9300"}
            cameras: [{id: a, source: "y4m:-"}]
            """, file: "localhost.yaml")
        #expect(localhost.metrics == MetricsConfiguration(host: "localhost", port: 9300))

        let remote = try ConfigLoader.parse(yaml: """
            metrics:
              listen: 0.0.0.0:9464
              allow_remote: true
            cameras: [{id: a, source: "y4m:-"}]
            """, file: "remote.yaml")
        #expect(remote.metrics == MetricsConfiguration(host: "0.0.0.0", port: 9464, allowRemote: true))
    }

    @Test func reservedSectionsAreAcceptedWhenMappings() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            faces: {}
            traffic:
              anything: goes
            cameras:
              - id: a
                source: y4m:-
                faces: {}
            """, file: "reserved.yaml")
        #expect(configuration.reservedSections.sorted() == ["faces", "traffic"])
        #expect(configuration.cameras.count == 1)
        #expect(configuration.cameras[0].faces == FaceConfiguration())
        #expect(configuration.events == nil)
    }

    @Test func mergeKeysShareSettingsAndExtensionKeysAreSkipped() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            x-footage: &footage
              replay: fast
              loop: true
              queue_depth: 8
            x-notes: anything at all
            cameras:
              - <<: *footage
                id: a
                source: avi:/srv/a.avi
              - <<: [*footage, {processing_width: 320}]
                id: b
                source: avi:/srv/b.avi
                loop: false
            """, file: "merge.yaml")
        #expect(configuration.cameras == [
            CameraConfiguration(id: "a", source: .avi(path: "/srv/a.avi"), queueDepth: 8, replay: .asFastAsPossible, loop: true),
            CameraConfiguration(
                id: "b", source: .avi(path: "/srv/b.avi"), processingWidth: 320, queueDepth: 8, replay: .asFastAsPossible, loop: false
            ),
        ])
    }

    @Test func shippedExampleParsesWithoutIssues() throws {
        let example = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Systemd/sightlined.example.yaml").path
        let configuration = try ConfigLoader.load(path: example)
        #expect(configuration.cameras.map(\.id) == ["front-door", "replay-crossing", "gate", "gate-tls"])
        #expect(configuration.cameras[3].tlsCAFile == "/etc/sightline/gate-ca.pem")
        #expect(configuration.cameras[0].privacyMasks.polygons.count == 1)
        #expect(configuration.cameras[0].evidenceClip == EvidenceClip(before: 2, after: 2))
        #expect(configuration.cameras[2].source.kind == .rtsp && configuration.cameras[2].passwordFile != nil)
        #expect(configuration.cameras[0].width == 1280 && configuration.cameras[0].height == 720)
        #expect(configuration.cameras[1].loop && !configuration.cameras[1].enabled)
        #expect(configuration.metrics == MetricsConfiguration())
        #expect(configuration.reservedSections.isEmpty)
    }

    @Test func exampleDocumentsEveryKey() throws {
        // Every key the loader reads appears in the example, so operators can discover it there.
        let example = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Systemd/sightlined.example.yaml").path
        let text = try String(contentsOfFile: example, encoding: .utf8)
        let keys = ConfigReader.topLevelKeys + ConfigReader.metricsKeys + ConfigReader.cameraKeys
            + ConfigReader.reservedTopLevelKeys + ConfigReader.reservedCameraKeys + ConfigReader.eventsKeys
            + ConfigReader.collectorKeys + ConfigReader.cameraEventsKeys
        for key in keys {
            #expect(text.contains("\(key):"), "example lacks \(key)")
        }
    }
}
