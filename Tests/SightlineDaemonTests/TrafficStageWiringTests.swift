import Foundation
import SightlineConfig
@testable import SightlineRuntime
import Testing

/// A camera's `traffic:` section gives it a traffic stage; a camera without one has none.
@Suite struct TrafficStageWiringTests {
    static let valid = """
        cameras:
          - id: crossing
            source: y4m:-
            traffic:
              signal:
                red:   [[602, 38], [622, 38], [622, 58], [602, 58]]
                green: [[602, 86], [622, 86], [622, 106], [602, 106]]
              stop_line: [[140, 210], [500, 204]]
              direction: [0, -1]
        """

    @Test func theTrafficStageIsWiredOnlyWhereConfigured() throws {
        let configuration = try ConfigLoader.parse(yaml: Self.valid, file: "t.yaml")
        let camera = try #require(configuration.cameras.first)
        let rules = EventSink.Rules()
        #expect(trafficStages(for: camera, redactor: nil, events: nil, rules: rules, logger: .init(label: "t"))
            .map(\.name) == ["traffic"])
        var plain = camera
        plain.traffic = nil
        #expect(trafficStages(for: plain, redactor: nil, events: nil, rules: rules, logger: .init(label: "t")).isEmpty)
    }
}
