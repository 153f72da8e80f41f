@testable import SightlineConfig
import Testing
import Traffic
import Yams

/// The `traffic:` section read by the configuration's one reader: defaults, each mistake with its key path and
/// line, and merge keys inside the section (as everywhere else in the file).
@Suite struct TrafficConfigurationReaderTests {
    func read(_ yaml: String) throws -> (TrafficConfiguration?, [ConfigIssue]) {
        var reader = ConfigReader(file: "t.yaml")
        let node = try #require(try Yams.compose(yaml: yaml))
        return (reader.readTraffic(node, path: "traffic"), reader.issues)
    }

    @Test func aMinimalSectionGetsTheDefaults() throws {
        let (configuration, issues) = try read("""
            signal: {red: [[0, 0], [9, 0], [9, 9]], green: [[0, 20], [9, 20], [9, 29]]}
            stop_line: [[10, 100], [200, 100]]
            direction: [0, -1]
            """)
        #expect(issues.isEmpty)
        let c = try #require(configuration)
        #expect(c.graceSeconds == 0.5 && c.minArea == 400 && c.lanes.isEmpty && c.region == nil)
        #expect(c.signal.amber == nil)
        #expect(c.tuning == TrafficTuning())
    }

    @Test func everyMistakeIsReportedWithItsLine() throws {
        let (configuration, issues) = try read("""
            signal:
              red: [[0, 0], [9, 0]]
              green: [[0, 20], [9, 20], [9, 29]]
            stop_line: [[10, 100], [10, 100]]
            direction: [0, 0]
            min_area: -5
            lanes: [[[0, 0], [1, 1], [2, 2]]]
            region: yes
            tunning: {}
            """)
        #expect(configuration == nil)
        // Collected in walk order (unknown keys first); callers sort by position.
        let sorted = issues.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
        let found = sorted.map { "\($0.line) \($0.path)" }
        #expect(found == ["2 traffic.signal.red", "4 traffic.stop_line", "5 traffic.direction",
                          "6 traffic.min_area", "7 traffic.lanes[0]", "8 traffic.region", "9 traffic.tunning"])
        #expect(sorted.last?.message.contains("did you mean 'tuning'?") == true)
        #expect(sorted.first?.message.contains("3 to 1024 points") == true)
    }

    /// `<<:` inside `traffic:` (and inside its `signal:` and `tuning:`): keys written in the mapping win over
    /// merged ones, as in the rest of the file. The traffic module's own reader ignored merge keys.
    @Test func mergeKeysWorkInsideTraffic() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            x-head: &head
              red:   [[602, 38], [622, 38], [622, 58], [602, 58]]
              green: [[602, 86], [622, 86], [622, 106], [602, 106]]
            x-junction: &junction
              stop_line: [[140, 210], [500, 204]]
              direction: [0, -1]
              grace_seconds: 0.25
              tuning: {lock_frames: 5, threshold: 12}
            cameras:
              - id: north
                source: y4m:-
                traffic:
                  <<: *junction
                  grace_seconds: 1.5
                  signal:
                    <<: *head
                  tuning:
                    <<: {lock_frames: 5, threshold: 12}
                    threshold: 20
            """, file: "merge.yaml")
        let traffic = try #require(configuration.cameras.first?.traffic)
        #expect(traffic.stopLine == TrafficSegment(TrafficPoint(140, 210), TrafficPoint(500, 204)))
        #expect(traffic.direction == TrafficPoint(0, -1))
        #expect(traffic.graceSeconds == 1.5)
        #expect(traffic.signal.red.vertices.count == 4 && traffic.signal.amber == nil)
        #expect(traffic.tuning.lockFrames == 5 && traffic.tuning.threshold == 20)
    }

    @Test func aSingleCameraFileIsReadByTheSameLoader() throws {
        let camera = try ConfigLoader.parseCamera(yaml: """
            processing_width: 320
            traffic:
              signal: {red: [[0, 0], [9, 0], [9, 9]], green: [[0, 20], [9, 20], [9, 29]]}
              stop_line: [[10, 100], [200, 100]]
              direction: [0, -1]
            """, file: "camera.yaml")
        #expect(camera.processingWidth == 320 && camera.traffic != nil && camera.id == "camera")
        #expect(throws: ConfigError.self) {
            try ConfigLoader.parseCamera(yaml: "processing_width: 8\nfpz: 3\n", file: "camera.yaml")
        }
        do {
            _ = try ConfigLoader.parseCamera(yaml: "processing_width: 8\nfpz: 3\n", file: "camera.yaml")
        } catch {
            #expect(error.issues.map(\.path) == ["processing_width", "fpz"])
            #expect(error.issues.last?.message.contains("did you mean 'fps'?") == true)
        }
    }
}
