import Foundation
import Imaging
import Logging
import SightlineConfig
import SightlineCore
@testable import SightlineRuntime
import SightlineTestKit
import Synchronization
import Testing

/// Privacy masks act before any stage: the stages see black where a mask lies, and the traffic stage cannot
/// see a crossing that happens under one.
@Suite struct PrivacyMaskPipelineTests {
    /// Keeps every frame it is given.
    final class KeepingStage: Stage, @unchecked Sendable {
        let name = "keep"
        let needsColor = true
        private(set) var frames: [Frame] = []
        func process(_ frame: Frame) throws -> [Detection] {
            frames.append(frame)
            return []
        }
    }

    @Test func stagesSeeBlackWhereTheMaskLies() async throws {
        let jpegs = SyntheticFootage.jpegFrames(count: 4, width: 320, height: 240)
        let stage = KeepingStage()
        let masks = PrivacyMasks([[[40, 40], [200, 40], [200, 160], [40, 160]]])
        let pipeline = CameraPipeline(
            settings: .init(camera: "door", queueDepth: 8, decode: .init(minWidth: 160, color: true),
                            privacyMasks: masks),
            source: ReplaySource(payloads: jpegs.map { .jpeg($0) }), stages: [stage],
            logger: Logger(label: "test"), sink: { _ in })
        await pipeline.run()
        #expect(stage.frames.count == 4)
        for frame in stage.frames {
            #expect(frame.gray.width == 160 && frame.scaleToSource == 2)
            // The mask is 20..<100 × 20..<80 at this size: all black, in luma and colour.
            for y in 20..<80 {
                for x in 20..<100 {
                    #expect(frame.gray.pixels[y * 160 + x] == 0)
                    #expect(frame.rgb!.pixels[(y * 160 + x) * 3..<(y * 160 + x) * 3 + 3].allSatisfy { $0 == 0 })
                }
            }
            // Away from it the synthetic picture is still there.
            let outside = (110..<120).flatMap { y in (120..<150).map { frame.gray.pixels[y * 160 + $0] } }
            #expect(outside.contains { $0 > 0 })
        }
    }

    @Test func aCrossingUnderAMaskIsNotSeen() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
            .standardizedFileURL
        let clip = SourceSpec.mjpeg(path: root.appendingPathComponent("Samples/intersection.mjpeg").path)
        var camera = try ConfigLoader.loadCamera(path: root.appendingPathComponent(
            "Samples/intersection.camera.yaml").path)
        let open = try FootageReplay(camera: camera, footage: clip).run()
        #expect(open.detections.filter { $0.type == .trafficRedLightCrossing }.count == 2)
        // The approach to the stop line (y = 300, vehicles moving up) hidden: no vehicle is ever seen to cross.
        camera.privacyMasks = PrivacyMasks([[[150, 292], [480, 292], [480, 480], [150, 480]]])
        let masked = try FootageReplay(camera: camera, footage: clip).run()
        #expect(masked.detections.filter { $0.type == .trafficRedLightCrossing }.isEmpty)
        // The signal, outside the mask, is still read.
        #expect(masked.detections.contains { $0.type == .trafficSignalState })
    }
}
