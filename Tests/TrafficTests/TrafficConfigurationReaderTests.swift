import Testing
import Traffic
import Yams

/// The `traffic:` reader on its own: defaults, and each mistake with its key path and line.
@Suite struct TrafficConfigurationReaderTests {
    func read(_ yaml: String) throws -> (TrafficConfiguration?, [TrafficConfigIssue]) {
        var reader = TrafficConfigurationReader()
        let node = try #require(try Yams.compose(yaml: yaml))
        return (reader.read(node, path: "traffic"), reader.issues)
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
        #expect(sorted.first?.message.contains("at least 3 points") == true)
    }
}
