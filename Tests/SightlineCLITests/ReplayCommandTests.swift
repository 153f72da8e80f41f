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

/// `sightline replay --masks DIR`: each frame as the traffic stage saw it, as a JPEG, for the frames asked for.
@Suite(.serialized) struct ReplayMasksTests {
    static func temporary() throws -> String {
        let dir = NSTemporaryDirectory() + "sightline-cli-masks-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func replay(_ extra: [String]) throws -> GalleryCommandTests.Result {
        let top = CLIFixtures.top.path
        return try GalleryCommandTests.sightline([
            "replay", top + "/Samples/intersection.mjpeg", "--camera-config", top + "/Samples/intersection.camera.yaml",
        ] + extra)
    }

    @Test func theFramesAskedForAreWrittenAsPictures() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Self.replay(["--masks", dir + "/masks", "--mask-frames", "10-14"])
        #expect(run.status == 0, "\(run.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/masks").sorted()
        #expect(names == (10...14).map { String(format: "frame-%08d.jpg", $0) })
        let jpeg = try #require(FileManager.default.contents(atPath: dir + "/masks/frame-00000012.jpg"))
        #expect(jpeg.starts(with: [0xFF, 0xD8]) && jpeg.count > 1000)
        // The detections are the same with pictures as without.
        #expect(run.stdout.split(separator: "\n").filter { $0.contains("\"traffic.red_light_crossing\"") }.count == 2)
    }

    @Test func oneFrameIsAskedForByItsIndex() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Self.replay(["--masks", dir, "--mask-frames", "7"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["frame-00000007.jpg"])
    }

    /// A picture that cannot be written (here a directory stands where it goes) stops the writing and fails the run,
    /// after the detections and the summary are out.
    @Test func aPictureThatCannotBeWrittenFailsTheRunButLosesNothingElse() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/frame-00000012.jpg", withIntermediateDirectories: false)
        let run = try Self.replay(["--masks", dir, "--mask-frames", "10-20", "--json"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("--masks: cannot write") && run.stderr.contains("frame-00000012.jpg"), "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").filter { $0.contains("\"traffic.red_light_crossing\"") }.count == 2)
        #expect(run.stdout.contains("\"summary\""))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names == ["frame-00000010.jpg", "frame-00000011.jpg", "frame-00000012.jpg"])
    }

    @Test func framesOutsideTheFootageAreSaidToBeNone() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = try Self.replay(["--masks", dir, "--mask-frames", "500-600"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("--masks: no frame written (150 frames replayed)"), "\(run.stderr)")
    }

    @Test(arguments: [["--mask-frames", "3-1", "--masks", "/tmp"], ["--mask-frames", "x", "--masks", "/tmp"],
                      ["--mask-frames", "1-2"], ["--mask-frames", "+1-+3", "--masks", "/tmp"],
                      ["--mask-frames", "1-2-3", "--masks", "/tmp"], ["--masks", ""]])
    func aBadFrameRangeIsRefusedBeforeTheRun(arguments: [String]) throws {
        let run = try Self.replay(arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(arguments[0]), "\(run.stderr)")
    }

    @Test func aDirectoryThatCannotBeMadeIsAnError() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/file"))
        let run = try Self.replay(["--masks", dir + "/file/masks"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--masks: cannot write into \(dir)/file/masks: \(dir)/file is a file"), "\(run.stderr)")
    }
}
