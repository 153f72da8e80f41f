import Foundation
import SightlineConfig
import SightlineCore
@testable import SightlineRuntime
import Testing

/// `sightline replay` and `eval` run the daemon's own pipeline: the bundled clip's crossings are found as the
/// stage alone finds them, and the camera's `process_fps` and `processing_width` apply as they do in production.
@Suite struct FootageReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let clip = SourceSpec.mjpeg(path: root.appendingPathComponent("Samples/intersection.mjpeg").path)

    static func camera() throws -> CameraConfiguration {
        try ConfigLoader.loadCamera(path: root.appendingPathComponent("Samples/intersection.camera.yaml").path)
    }

    @Test func theSampleClipsCrossingsAreFoundThroughThePipeline() throws {
        let result = try FootageReplay(camera: try Self.camera(), footage: Self.clip).run()
        let crossings = result.detections.filter { $0.type == .trafficRedLightCrossing }
        #expect(crossings.count == 2)
        #expect(result.skipped == 0 && result.corrupt == 0)
        #expect(result.frames > 0 && result.detections.contains { $0.type == .frameStats })
        #expect(result.width == 640)
        // Without an event log no evidence is made.
        #expect(crossings.allSatisfy { $0.evidence == .none })
    }

    @Test func processFPSThinsTheReplayAsItThinsTheCamera() throws {
        let all = try FootageReplay(camera: try Self.camera(), footage: Self.clip).run()
        var camera = try Self.camera()
        camera.processFPS = 5  // the clip plays at 15 fps: every third frame
        let thinned = try FootageReplay(camera: camera, footage: Self.clip).run()
        #expect(thinned.skipped > 0)
        #expect(thinned.frames + thinned.skipped == all.frames)
        #expect(abs(thinned.frames * 3 - all.frames) <= 3, "\(thinned.frames) of \(all.frames)")
    }

    @Test func unreadableFootageIsAnError() throws {
        #expect(throws: (any Error).self) {
            try FootageReplay(camera: try Self.camera(), footage: .mjpeg(path: "/nonexistent/clip.mjpeg")).run()
        }
    }
}
