import Foundation
import SightlineConfig
import SightlineCore
import SightlineRuntime
import SightlineTestKit
import Testing

/// Real street footage: OpenCV's sample `vtest.avi` (Debian's `opencv-doc`; 795 frames of people walking across a
/// plaza, 768 × 576, MS-MPEG4 v3 read through FFmpeg), with a signal head drawn in by Debian's ffmpeg that stays
/// green, and a lane under a group whose lamps never light. Real noise, real people crossing the stop lines back
/// and forth: the stage must report no crossing, through `sightline replay`'s pipeline. `make test` installs
/// `opencv-doc`; under its strictness the test fails when the video or ffmpeg is missing.
enum VTestFootage {
    static let path = ProcessInfo.processInfo.environment["SIGHTLINE_VTEST"]
        ?? "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
    static var present: Bool { FileManager.default.fileExists(atPath: path) && FFmpeg.path != nil }
}

@Suite(.serialized, .enabled(if: RequiredFixtures.programs(VTestFootage.present),
                             "opencv-doc's vtest.avi or ffmpeg is not installed"))
struct RealFootageTrafficTests {
    static let vtest = VTestFootage.path

    /// A signal head at the top right: housing, dim red and amber lamps, a lit green lamp.
    static let overlay = [
        "drawbox=x=716:y=8:w=40:h=100:color=0x101010:t=fill",
        "drawbox=x=726:y=14:w=20:h=20:color=0x3a0a08:t=fill",
        "drawbox=x=726:y=44:w=20:h=20:color=0x3a2a04:t=fill",
        "drawbox=x=726:y=74:w=20:h=20:color=0x28eb78:t=fill",
    ].joined(separator: ",")

    static func lamps(_ y: Int) -> String { "[[728, \(y + 2)], [744, \(y + 2)], [744, \(y + 18)], [728, \(y + 18)]]" }

    /// The lanes form: `walk-left` under the green head, `walk-right` under a group whose lamps are on the floor
    /// (never lit, so never red). Stop lines across the plaza's middle, people crossing both ways.
    static let lanesCamera = """
        id: vtest
        source: "y4m:-"
        processing_width: 640
        traffic:
          lanes:
            - {name: walk-left, stop_line: [[20, 300], [380, 300]], signal: main}
            - {name: walk-right, stop_line: [[384, 300], [748, 300]], signal: floor}
          signals:
            main: {red: \(lamps(14)), amber: \(lamps(44)), green: \(lamps(74))}
            floor: {red: [[20, 540], [40, 540], [40, 560], [20, 560]], green: [[50, 540], [70, 540], [70, 560]]}
          direction: [0, -1]
          min_area: 400
        """

    /// The single-lane form, traffic moving down the picture.
    static let singleCamera = """
        id: vtest
        source: "y4m:-"
        processing_width: 640
        traffic:
          signal: {red: \(lamps(14)), amber: \(lamps(44)), green: \(lamps(74))}
          stop_line: [[20, 260], [748, 260]]
          direction: [0, 1]
          min_area: 400
        """

    static func overlaid(in dir: ScratchDirectory) throws -> String {
        try VideoFixtures.ffmpeg(["-i", vtest, "-vf", overlay, "-c:v", "mjpeg", "-q:v", "3", "-an", "vtest-green.avi"],
                                 in: dir.path)
        return dir.path + "/vtest-green.avi"
    }

    @Test(arguments: ["lanes", "single"])
    func noCrossingWhileTheSignalStaysGreen(form: String) throws {
        let dir = try ScratchDirectory()
        let clip = try Self.overlaid(in: dir)
        let camera = try ConfigLoader.parseCamera(yaml: form == "lanes" ? Self.lanesCamera : Self.singleCamera,
                                                  file: "vtest.camera.yaml")
        let result = try FootageReplay(camera: camera, footage: .video(path: clip)).run()
        #expect(result.frames >= 790 && result.width == 640, "\(result.frames) frames, \(result.width) wide")
        #expect(result.detections.filter { $0.type == .trafficRedLightCrossing }.isEmpty)
        // Not vacuous: the drawn head is read, and locks green.
        let states = result.detections.filter { $0.type == .trafficSignalState }
        #expect(states.contains { $0.body["state"] == .string("green") && $0.body["group"] != .string("floor") })
        #expect(!states.contains { $0.body["state"] == .string("red") })
        print("vtest.avi (\(form)): \(result.frames) frames, traffic stage \(Int(result.fps(of: "traffic"))) fps")
    }
}
