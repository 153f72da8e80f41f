import Foundation
@testable import SightlineConfig
import Testing
import Traffic

/// The `traffic:` section of a camera: read into the camera's configuration, its mistakes reported with
/// the daemon's key paths and lines.
@Suite struct TrafficSectionTests {
    static let valid = """
        cameras:
          - id: crossing
            source: y4m:-
            traffic:
              signal:
                red:   [[602, 38], [622, 38], [622, 58], [602, 58]]
                amber: [[602, 62], [622, 62], [622, 82], [602, 82]]
                green: [[602, 86], [622, 86], [622, 106], [602, 106]]
              stop_line: [[140, 210], [500, 204]]
              direction: [0, -1]
              grace_seconds: 0.75
              min_area: 300
              tuning: {lock_frames: 4}
        """

    @Test func aValidSectionIsRead() throws {
        let configuration = try ConfigLoader.parse(yaml: Self.valid, file: "t.yaml")
        let traffic = try #require(configuration.cameras.first?.traffic)
        #expect(traffic.stopLine == TrafficSegment(TrafficPoint(140, 210), TrafficPoint(500, 204)))
        #expect(traffic.direction == TrafficPoint(0, -1))
        #expect(traffic.graceSeconds == 0.75)
        #expect(traffic.minArea == 300)
        #expect(traffic.tuning.lockFrames == 4)
        #expect(traffic.signal.amber?.vertices.count == 4)
        #expect(configuration.reservedSections.isEmpty)
    }

    /// Only the direction counts, read as a unit vector: one of tiny or huge components is still that direction (its
    /// squared length would underflow to 0 or overflow to infinity), and is judged against the stop line as such.
    @Test(arguments: [("[1e-300, -1e-300]", 0.5.squareRoot(), -(0.5.squareRoot())), ("[1e200, -1e200]", 0.5.squareRoot(), -(0.5.squareRoot())),
                      ("[0, -5e-324]", 0, -1), ("[3, -4]", 0.6, -0.8)] as [(String, Double, Double)])
    func aDirectionIsReadAsAUnitVector(written: String, x: Double, y: Double) throws {
        let yaml = Self.valid.replacingOccurrences(of: "direction: [0, -1]", with: "direction: \(written)")
        let traffic = try #require(try ConfigLoader.parse(yaml: yaml, file: "t.yaml").cameras.first?.traffic)
        #expect(abs(traffic.direction.x - x) < 1e-12 && abs(traffic.direction.y - y) < 1e-12, "\(traffic.direction)")
        // Along the stop line, however written, it is still refused as parallel.
        expectSingleIssue(Self.valid.replacingOccurrences(of: "direction: [0, -1]", with: "direction: [6e200, -1e199]"),
                          path: "cameras[0].traffic.direction", line: 10, "parallel to the stop line")
    }

    @Test func aCameraWithoutTrafficHasNone() throws {
        let configuration = try ConfigLoader.parse(yaml: "cameras: [{id: a, source: \"y4m:-\"}]", file: "t.yaml")
        #expect(configuration.cameras.first?.traffic == nil)
    }

    @Test func mistakesNameTheKeyAndTheLine() {
        expectSingleIssue(Self.valid.replacingOccurrences(of: "stop_line: [[140, 210], [500, 204]]",
                                                          with: "stop_line: [[140, 210]]"),
                          path: "cameras[0].traffic.stop_line", line: 9, "a segment", "list of 2 points")
        expectSingleIssue(Self.valid.replacingOccurrences(of: "grace_seconds: 0.75", with: "grace_seconds: soon"),
                          path: "cameras[0].traffic.grace_seconds", line: 11, "number of seconds", "'soon'")
        expectSingleIssue(Self.valid.replacingOccurrences(of: "direction: [0, -1]", with: "direction: [60, -1]"),
                          path: "cameras[0].traffic.direction", line: 10, "parallel to the stop line")
        expectSingleIssue(Self.valid.replacingOccurrences(of: "min_area: 300", with: "min_aera: 300"),
                          path: "cameras[0].traffic.min_aera", line: 12, "did you mean 'min_area'?")
        let redLine = "        red:   [[602, 38], [622, 38], [622, 58], [602, 58]]\n"
        expectSingleIssue(Self.valid.replacingOccurrences(of: redLine, with: ""),
                          path: "cameras[0].traffic.signal", line: 6, "'red' is missing")
        expectSingleIssue(Self.valid.replacingOccurrences(of: "green: [[602, 86], [622, 86], [622, 106], [602, 106]]",
                                                          with: "green: [[602, 86], [622, 86], [642, 86]]"),
                          path: "cameras[0].traffic.signal.green", line: 8, "encloses no area")
        expectSingleIssue(Self.valid.replacingOccurrences(of: "{lock_frames: 4}", with: "{lock_frames: 0}"),
                          path: "cameras[0].traffic.tuning.lock_frames", line: 13, "integer from 1 to 100")
    }
}
