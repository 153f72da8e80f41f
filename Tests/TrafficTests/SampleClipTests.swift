import Foundation
import Imaging
import SightlineConfig
import SightlineCore
import Testing
import Traffic

/// The bundled demo clip (Samples/intersection.mjpeg, drawn by Tools/samples/make_intersection.py) with
/// its camera file: the stage finds exactly the crossings its truth file says happened on red.
@Suite struct SampleClipTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func cameraTraffic() throws -> TrafficConfiguration {
        // Read by the daemon's loader, as `sightline replay --camera-config` reads it.
        let camera = try ConfigLoader.loadCamera(path: root.appendingPathComponent("Samples/intersection.camera.yaml").path)
        return try #require(camera.traffic)
    }

    /// The JPEGs of a concatenated MJPEG file (each SOI … EOI).
    static func jpegs(_ data: [UInt8]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var i = 0
        while i + 1 < data.count {
            guard data[i] == 0xFF && data[i + 1] == 0xD8 else { i += 1; continue }
            var j = i + 2
            while j + 1 < data.count && !(data[j] == 0xFF && data[j + 1] == 0xD9) { j += 1 }
            frames.append(Array(data[i..<min(j + 2, data.count)]))
            i = j + 2
        }
        return frames
    }

    @Test func theDemoClipsRedLightCrossingsAreFound() throws {
        let clip = try Data(contentsOf: Self.root.appendingPathComponent("Samples/intersection.mjpeg"))
        let truthData = try Data(contentsOf: Self.root.appendingPathComponent("Samples/intersection.truth.json"))
        let truth = try #require(try JSONSerialization.jsonObject(with: truthData) as? [String: Any])
        let crossings = try #require(truth["crossings"] as? [[String: Any]])
        let onRed = crossings.filter { $0["signal"] as? String == "red" }.compactMap { $0["frame"] as? Int }
        #expect(onRed.count == 2)

        let stage = TrafficStage(configuration: try Self.cameraTraffic())
        let decoder = FrameDecoder(camera: "intersection", options: .init(minWidth: 640, color: true))
        var reported: [Int] = []
        var states: [String] = []
        for (index, jpeg) in Self.jpegs([UInt8](clip)).enumerated() {
            let frame = try decoder.decode(CapturedFrame(seq: UInt64(index + 1), monotonicNanos: 0, wallNanos: 0,
                                                         pts: Double(index) / 15, payload: .jpeg(jpeg)))
            for detection in try stage.process(frame) {
                if detection.type == .trafficRedLightCrossing, case .int(let f) = detection.body["frame"] {
                    reported.append(Int(f))
                }
                if detection.type == .trafficSignalState, case .string(let s) = detection.body["state"] {
                    states.append(s)
                }
            }
        }
        #expect(states == ["green", "amber", "red"])
        #expect(reported.count == onRed.count, "reported \(reported), truth \(onRed)")
        for (got, want) in zip(reported.sorted(), onRed.sorted()) {
            #expect(abs(got - want) <= 3, "reported frame \(got), truth \(want)")
        }
    }
}
