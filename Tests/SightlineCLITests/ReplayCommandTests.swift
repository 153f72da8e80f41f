import Foundation
import Testing

/// `sightline replay` through the built binary, on the bundled clip and its camera file.
@Suite(.serialized) struct ReplayCommandTests {
    @Test func theBundledClipReportsItsTwoCrossings() throws {
        let top = CLIFixtures.top.path
        let run = try GalleryCommandTests.sightline([
            "replay", top + "/Samples/intersection.mjpeg", "--camera-config", top + "/Samples/intersection.camera.yaml",
            "--json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let summary = try #require(lines.last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
            as? [String: Any])
        let counts = try #require(summary["summary"] as? [String: Any])
        #expect(counts["crossings"] as? Int == 2)
        #expect(lines.dropLast().filter { $0.contains("\"traffic.red_light_crossing\"") }.count == 2)
        #expect(!lines.contains { $0.contains("\"frame.stats\"") })
    }

    @Test func aCameraFileMistakeIsReportedWithItsLine() throws {
        let dir = NSTemporaryDirectory() + "sightline-cli-replay-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "processing_width: 640\nprocess_fsp: 5\n".write(toFile: dir + "/camera.yaml", atomically: true,
                                                              encoding: .utf8)
        let run = try GalleryCommandTests.sightline([
            "replay", CLIFixtures.top.path + "/Samples/intersection.mjpeg", "--camera-config", dir + "/camera.yaml",
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("camera.yaml:2:1: process_fsp: unknown key 'process_fsp'; did you mean 'process_fps'?"),
                "\(run.stderr)")
    }
}
