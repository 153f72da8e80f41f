import Imaging
import SightlineConfig
import SightlineCore
@testable import SightlineRuntime
import Testing

/// The pixel cap a camera's decoder gets (SECURITY-REVIEW F14): from the camera's configured size where it
/// has one, never above 8192×8192, and never an overflow from a hostile configuration.
@Suite struct DecodeCapWiringTests {
    static func camera(_ yaml: String) throws -> CameraConfiguration {
        let configuration = try ConfigLoader.parse(yaml: "cameras:\n  - id: door\n" + yaml, file: "t.yaml")
        return try #require(configuration.cameras.first)
    }

    @Test func aSizedCameraIsCappedAtFourTimesItsArea() throws {
        let options = PipelineBuilder.decodeOptions(
            for: try Self.camera("    source: v4l2:/dev/video0\n    width: 640\n    height: 480\n"))
        #expect(options.maxPixels == 4 * 640 * 480)
        #expect(options.minWidth == 640)
        #expect(!options.color)
    }

    @Test func footageAndUnsizedCamerasKeepTheGlobalCap() throws {
        for yaml in ["    source: mjpeg:/tmp/x.mjpeg\n", "    source: v4l2:/dev/video0\n",
                     "    source: v4l2:/dev/video0\n    width: 8192\n    height: 8192\n"] {
            #expect(PipelineBuilder.decodeOptions(for: try Self.camera(yaml)).maxPixels == 8192 * 8192, "\(yaml)")
        }
    }

    @Test func aFrameOverTheCameraCapIsRefusedAfterItsHeader() throws {
        // A real JPEG of 128×96 decoded under the cap a 32×24 camera gets (4 × 768 = 3072 < 12288 pixels).
        let gray = Image(width: 128, height: 96, channels: 1, pixels: [UInt8](repeating: 90, count: 128 * 96))
        let jpeg = try JPEGEncoder.encode(gray)
        let cap = PipelineBuilder.decodeOptions(
            for: try Self.camera("    source: v4l2:/dev/video0\n    width: 32\n    height: 24\n")).maxPixels
        #expect(throws: JPEGError.self) { _ = try JPEGDecoder().decode(jpeg, scale: 1, gray: true, maxPixels: cap) }
        #expect(try JPEGDecoder().decode(jpeg, scale: 1, gray: true).image.width == 128)
    }
}
