@testable import SightlineConfig
import Testing
import Traffic
import Yams

/// The lanes form of `traffic:` (lanes with their own stop line and signal group, `signals:` naming the groups):
/// read as the issue shows it, the single-lane form still one lane under one group, and each mistake reported
/// with its key path and line.
@Suite struct TrafficLanesConfigurationTests {
    func read(_ yaml: String) throws -> (TrafficConfiguration?, [ConfigIssue]) {
        var reader = ConfigReader(file: "t.yaml")
        let node = try #require(try Yams.compose(yaml: yaml))
        let configuration = reader.readTraffic(node, path: "traffic")
        return (configuration, reader.issues.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
    }

    static let valid = """
        lanes:
          - name: straight-1
            stop_line: [[200, 300], [330, 300]]
            signal: main
            turn_on_red: false
          - name: right
            stop_line: [[335, 300], [460, 300]]
            signal: main
            turn_on_red: true
          - name: left
            stop_line: [[60, 302], [195, 302]]
            signal: left-arrow
            area: [[60, 0], [195, 0], [195, 360], [60, 360]]
        signals:
          main: {red: [[600, 10], [620, 10], [620, 30]], amber: [[600, 40], [620, 40], [620, 60]],
                 green: [[600, 70], [620, 70], [620, 90]]}
          left-arrow: {red: [[560, 10], [580, 10], [580, 30]], green: [[560, 70], [580, 70], [580, 90]]}
        direction: [0, -1]
        grace_seconds: 0.25
        """

    @Test func theLanesFormIsReadAsTheIssueShowsIt() throws {
        let (configuration, issues) = try read(Self.valid)
        #expect(issues.isEmpty, "\(issues)")
        let c = try #require(configuration)
        #expect(c.laneRules.map(\.name) == ["straight-1", "right", "left"])
        #expect(c.laneRules.map(\.signal) == ["main", "main", "left-arrow"])
        #expect(c.laneRules.map(\.turnOnRed) == [false, true, false])
        #expect(c.laneRules[0].stopLine == TrafficSegment(TrafficPoint(200, 300), TrafficPoint(330, 300)))
        #expect(c.signalGroups.map(\.name) == ["main", "left-arrow"])
        #expect(c.signalGroups[1].lamps.amber == nil && c.signalGroups[0].lamps.amber != nil)
        #expect(c.lanes.count == 1, "the one lane area given")
        #expect(c.graceSeconds == 0.25 && c.isMultiLane)
    }

    @Test func theSingleLaneFormIsOneLaneUnderOneGroup() throws {
        let (configuration, issues) = try read("""
            signal: {red: [[0, 0], [9, 0], [9, 9]], green: [[0, 20], [9, 20], [9, 29]]}
            stop_line: [[10, 100], [200, 100]]
            direction: [0, -1]
            lanes: [[[0, 0], [100, 0], [100, 200], [0, 200]]]
            """)
        #expect(issues.isEmpty)
        let c = try #require(configuration)
        #expect(c.laneRules.count == 1 && c.signalGroups.count == 1 && !c.isMultiLane)
        #expect(c.laneRules[0].signal == c.signalGroups[0].name)
        #expect(c.stopLine == TrafficSegment(TrafficPoint(10, 100), TrafficPoint(200, 100)))
        #expect(c.lanes.count == 1)
    }

    @Test func anUnknownGroupIsReportedWithItsLineAndASuggestion() throws {
        let (configuration, issues) = try read(Self.valid.replacingOccurrences(of: "signal: left-arrow",
                                                                                with: "signal: left-arow"))
        #expect(configuration == nil)
        #expect(issues.map { "\($0.line) \($0.path)" } == ["12 traffic.lanes[2].signal"])
        #expect(issues.first?.message.contains("did you mean 'left-arrow'?") == true)
    }

    @Test func duplicateLaneNamesAreRefused() throws {
        let (configuration, issues) = try read(Self.valid.replacingOccurrences(of: "name: right", with: "name: left"))
        #expect(configuration == nil)
        #expect(issues.map { "\($0.line) \($0.path)" } == ["10 traffic.lanes[2].name"])
        #expect(issues.first?.message.contains("names two lanes (the other at line 6)") == true)
    }

    @Test func degenerateStopLinesAreRefused() throws {
        let (same, sameIssues) = try read(Self.valid.replacingOccurrences(of: "[[335, 300], [460, 300]]",
                                                                          with: "[[335, 300], [335, 300]]"))
        #expect(same == nil)
        #expect(sameIssues.map { "\($0.line) \($0.path)" } == ["7 traffic.lanes[1].stop_line"])
        #expect(sameIssues.first?.message.contains("same point") == true)
        let (short, shortIssues) = try read(Self.valid.replacingOccurrences(of: "[[335, 300], [460, 300]]",
                                                                            with: "[[335, 300], [336, 300.5]]"))
        #expect(short == nil)
        #expect(shortIssues.first?.message.contains("shorter than 2 px") == true)
        let (parallel, parallelIssues) = try read(Self.valid.replacingOccurrences(of: "[[60, 302], [195, 302]]",
                                                                                  with: "[[60, 302], [60, 250]]"))
        #expect(parallel == nil)
        #expect(parallelIssues.map(\.path) == ["traffic.direction"])
    }

    @Test func formsDoNotMix() throws {
        let (withSignal, signalIssues) = try read(Self.valid + "\nsignal: {red: [[0, 0], [9, 0], [9, 9]]}\n")
        #expect(withSignal == nil)
        #expect(signalIssues.map(\.path) == ["traffic.signal"])
        #expect(signalIssues.first?.message.contains("single-lane form") == true)
        let (mixed, mixedIssues) = try read(Self.valid.replacingOccurrences(
            of: "  - name: right\n", with: "  - [[0, 0], [9, 0], [9, 9]]\n  - name: right\n"))
        #expect(mixed == nil)
        #expect(mixedIssues.map { "\($0.line) \($0.path)" } == ["6 traffic.lanes[1]"])
        let (singleWithGroups, groupIssues) = try read("""
            signal: {red: [[0, 0], [9, 0], [9, 9]], green: [[0, 20], [9, 20], [9, 29]]}
            stop_line: [[10, 100], [200, 100]]
            direction: [0, -1]
            signals: {}
            """)
        #expect(singleWithGroups == nil)
        #expect(groupIssues.map(\.path) == ["traffic.signals"])
    }

    @Test func badNamesMissingKeysAndBadGroupsAreReported() throws {
        let (configuration, issues) = try read("""
            lanes:
              - name: "a b"
                stop_line: [[200, 300], [330, 300]]
                signal: main
              - stop_line: [[335, 300], [460, 300]]
                signal: main
                turn_on_red: maybe
            signals:
              main: {red: [[600, 10], [620, 10], [620, 30]]}
            direction: [0, -1]
            """)
        #expect(configuration == nil)
        #expect(issues.map { "\($0.line) \($0.path)" } == [
            "2 traffic.lanes[0].name", "5 traffic.lanes[1].name", "7 traffic.lanes[1].turn_on_red",
            "9 traffic.signals.main",
        ])
        #expect(issues.last?.message.contains("'green' is missing") == true)
    }

    /// A crossing counts only when the rear's step over the line ends inside the lane area it started in, so an area
    /// drawn up to its stop line (the natural way to draw an approach lane), or just short of it, could never count
    /// one: refused, with its path and line, in both forms; an area that reaches on past the line is read as before.
    @Test(arguments: [302, 300, 299, 290])
    func aLaneAreaThatEndsAtItsStopLineIsRefused(farEnd: Int) throws {
        let (configuration, issues) = try read("""
            lanes:
              - name: straight
                stop_line: [[200, 300], [330, 300]]
                signal: main
                area: [[200, \(farEnd)], [330, \(farEnd)], [330, 360], [200, 360]]
            signals:
              main: {red: [[600, 10], [620, 10], [620, 30]], green: [[600, 70], [620, 70], [620, 90]]}
            direction: [0, -1]
            """)
        if farEnd == 290 {
            #expect(issues.isEmpty, "\(issues)")
            #expect(configuration?.lanes.count == 1)
        } else {
            #expect(configuration == nil)
            #expect(issues.map { "\($0.line) \($0.path)" } == ["5 traffic.lanes[0].area"])
            #expect(issues.first?.message.contains("does not straddle the stop line [[200, 300], [330, 300]]") == true,
                    "\(issues)")
        }
        let (single, singleIssues) = try read("""
            signal: {red: [[0, 0], [9, 0], [9, 9]], green: [[0, 20], [9, 20], [9, 29]]}
            stop_line: [[10, 100], [200, 100]]
            direction: [0, -1]
            lanes:
              - [[0, 0], [100, 0], [100, 200], [0, 200]]
              - [[100, \(farEnd - 200)], [210, \(farEnd - 200)], [210, 200], [100, 200]]
            """)
        if farEnd == 290 {
            #expect(singleIssues.isEmpty, "\(singleIssues)")
            #expect(single?.lanes.count == 2)
        } else {
            #expect(single == nil)
            #expect(singleIssues.map { "\($0.line) \($0.path)" } == ["6 traffic.lanes[1]"])
        }
    }

    /// Staggered lines whose ends overlap: the left lane's area ends at the straight lane's line but reaches 50 px past
    /// its own, which is the one its crossings are judged on. Read without an issue.
    @Test func aLaneAreaIsCheckedAgainstItsOwnStopLine() throws {
        let (configuration, issues) = try read("""
            lanes:
              - name: left
                stop_line: [[60, 300], [200, 300]]
                signal: main
                area: [[60, 250], [200, 250], [200, 360], [60, 360]]
              - name: straight
                stop_line: [[180, 250], [330, 250]]
                signal: main
                area: [[200, 150], [330, 150], [330, 360], [200, 360]]
            signals:
              main: {red: [[600, 10], [620, 10], [620, 30]], green: [[600, 70], [620, 70], [620, 90]]}
            direction: [0, -1]
            """)
        #expect(issues.isEmpty, "\(issues.map(\.message))")
        #expect(configuration?.lanes.count == 2)
    }
}
