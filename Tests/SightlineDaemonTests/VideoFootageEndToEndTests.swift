import Foundation
import SightlineConfig
import SightlineCore
@testable import SightlineRuntime
import SightlineTestKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The bundled intersection clip converted to H.264 by Debian's ffmpeg gives the red-light crossings of the
/// MJPEG original (frame numbers within ±1) through `sightline replay`'s pipeline and through `sightlined`; and
/// the credentials of an RTSP camera reach no log line, metric or run summary of the daemon.
@Suite(.serialized, .enabled(if: RequiredFixtures.programs(FFmpeg.path != nil), "ffmpeg is not installed"))
struct VideoFootageEndToEndTests {
    static let root = FootageReplayTests.root

    /// The sample as H.264 in MP4 (15 fps, as its camera file plays it; B-frames on).
    static func h264Clip(in dir: ScratchDirectory) throws -> String {
        try VideoFixtures.ffmpeg(["-framerate", "15", "-f", "mjpeg", "-i",
                                  root.appendingPathComponent("Samples/intersection.mjpeg").path,
                                  "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-bf", "2",
                                  "-pix_fmt", "yuv420p", "intersection.mp4"], in: dir.path)
        return dir.path + "/intersection.mp4"
    }

    static func crossings(_ detections: [Detection]) -> [UInt64] {
        detections.filter { $0.type == .trafficRedLightCrossing }.map(\.frameSeq)
    }

    static func expectSameCrossings(_ got: [UInt64], _ expected: [UInt64],
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == expected.count, "\(got) vs \(expected)", sourceLocation: sourceLocation)
        for (a, b) in zip(got, expected) {
            #expect(a + 1 >= b && a <= b + 1, "crossing at frame \(a), MJPEG at \(b)", sourceLocation: sourceLocation)
        }
    }

    @Test func replayFindsTheMJPEGCrossingsInH264() throws {
        let dir = try ScratchDirectory()
        let clip = try Self.h264Clip(in: dir)
        let camera = try FootageReplayTests.camera()
        let mjpeg = try FootageReplay(camera: camera, footage: FootageReplayTests.clip).run()
        let h264 = try FootageReplay(camera: camera, footage: .video(path: clip)).run()
        let expected = Self.crossings(mjpeg.detections)
        #expect(expected.count == 2)
        Self.expectSameCrossings(Self.crossings(h264.detections), expected)
        #expect(h264.frames == mjpeg.frames && h264.width == 640 && h264.corrupt == 0)
        // pts travels from the stream to the detections: frame n of a 15 fps clip is at (n - 1) / 15 s.
        for detection in h264.detections where detection.type == .trafficRedLightCrossing {
            let pts = try #require(detection.pts)
            #expect(abs(pts - Double(detection.frameSeq - 1) / 15) < 1e-6)
        }
    }

    @Test func theDaemonFindsThemToo() throws {
        let dir = try ScratchDirectory()
        let clip = try Self.h264Clip(in: dir)
        let mjpeg = try FootageReplay(camera: try FootageReplayTests.camera(), footage: FootageReplayTests.clip).run()
        let config = dir.path + "/sightlined.yaml"
        try """
        state_dir: \(dir.path)/state
        metrics:
          enabled: false
        cameras:
          - id: intersection
            source: video:\(clip)
            replay: fast
            processing_width: 640
        \(try DaemonEventsEndToEndTests.sampleTrafficSection())
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = DaemonProcessTests.daemon
        process.arguments = ["--config", config, "--detections", dir.path + "/detections.jsonl"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = try String(contentsOfFile: dir.path + "/detections.jsonl", encoding: .utf8).split(separator: "\n")
        var frames: [UInt64] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if object["type"] as? String == "traffic.red_light_crossing" {
                frames.append(try #require((object["frame_seq"] as? NSNumber)?.uint64Value))
                #expect(object["pts"] is NSNumber)
            }
        }
        Self.expectSameCrossings(frames, Self.crossings(mjpeg.detections))
    }

    @Test func rtspCredentialsReachNoLogMetricOrSummary() throws {
        let dir = try ScratchDirectory()
        let cameraPort = try RTSPTestServer.freePort()  // nothing listens: the camera stays offline and retries
        let config = dir.path + "/sightlined.yaml"
        try """
        state_dir: \(dir.path)/state
        log_level: debug
        metrics:
          listen: 127.0.0.1:0
        cameras:
          - id: gate
            source: rtsp://admin:hunter2@127.0.0.1:\(cameraPort)/Streaming/101?password=hunter2
            device_timeout: 2
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let logPath = dir.path + "/sightlined.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = DaemonProcessTests.daemon
        process.arguments = ["--config", config, "--summary", dir.path + "/summary.json"]
        process.standardError = logFile
        process.standardOutput = logFile
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        // Until the camera has been reported offline and retried at least once (bounded: 30 s).
        var scrapes: [String] = []
        var port: Int?
        for _ in 0..<300 {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if port == nil, let range = log.range(of: #"127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression) {
                port = Int(log[range].split(separator: ":")[1].split(separator: "/")[0])
            }
            if let port, let scrape = httpGet(port: port, path: "/metrics") { scrapes.append(scrape) }
            if log.contains("still offline") && !scrapes.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        process.waitUntilExit()
        try logFile.close()
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        let summary = (try? String(contentsOfFile: dir.path + "/summary.json", encoding: .utf8)) ?? ""
        #expect(log.contains("offline"), "\(log)")
        #expect(log.contains("rtsp://***@127.0.0.1"), "\(log)")
        #expect(!scrapes.isEmpty && !summary.isEmpty)
        for (name, text) in [("log", log), ("summary", summary), ("metrics", scrapes.joined())] {
            #expect(!text.contains("hunter2") && !text.contains("admin"), "\(name) holds the credentials")
        }
    }
}
