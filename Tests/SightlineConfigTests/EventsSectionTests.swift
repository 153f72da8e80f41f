import EventLog
import Forwarder
import SightlineCore
@testable import SightlineConfig
import Testing

@Suite struct EventsSectionTests {
    @Test func eventsAndCollectorMapOntoTheModuleConfigurations() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            state_dir: /srv/sl
            events:
              checkpoint_every: 50
              checkpoint_seconds: 30
              retention_days: 2
              disk_budget_mb: 64
              max_per_minute: 20
            collector:
              url: https://collector.example:8470
              pin: /etc/sightline/collector.pem
              batch: 25
              timeout: 5
              max_backoff: 120
            cameras:
              - id: a
                source: y4m:-
                events:
                  types: [traffic.red_light_crossing, frame.stats]
                  max_per_minute: 3
              - id: b
                source: y4m:-
            """, file: "events.yaml")
        let events = try #require(configuration.events)
        #expect(events.log == EventLogConfiguration(
            stateDirectory: "/srv/sl", checkpointEvery: 50, checkpointIntervalSeconds: 30,
            retentionSeconds: 2 * 86400, diskBudgetBytes: 64 << 20))
        #expect(events.maxPerMinute == 20)
        #expect(events.collector == ForwarderConfiguration(
            collectorURL: "https://collector.example:8470", batchSize: 25, maxBackoffSeconds: 120,
            requestTimeoutSeconds: 5, pinnedCertificatePath: "/etc/sightline/collector.pem"))
        #expect(configuration.cameras[0].events
            == CameraEventsConfiguration(types: [.trafficRedLightCrossing, .frameStats], maxPerMinute: 3))
        #expect(configuration.cameras[1].events == CameraEventsConfiguration())
        #expect(configuration.reservedSections.isEmpty)
    }

    @Test func eventsAreOffWithoutTheSectionOrWhenDisabled() throws {
        let absent = try ConfigLoader.parse(yaml: "cameras: [{id: a, source: \"y4m:-\"}]", file: "a.yaml")
        #expect(absent.events == nil)
        let disabled = try ConfigLoader.parse(yaml: """
            events: {enabled: false}
            cameras: [{id: a, source: "y4m:-"}]
            """, file: "b.yaml")
        #expect(disabled.events == nil)
        let defaults = try ConfigLoader.parse(yaml: """
            events: {}
            cameras: [{id: a, source: "y4m:-"}]
            """, file: "c.yaml")
        #expect(defaults.events?.log == EventLogConfiguration(stateDirectory: DaemonConfiguration.defaultStateDirectory))
        #expect(defaults.events?.collector == nil)
    }

    @Test func mistakesAreReportedAtTheirLine() {
        expectSingleIssue("""
            collector: {url: "https://c.example"}
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "collector", line: 1, "needs an 'events:' section")
        expectSingleIssue("""
            events:
              checkpoint_every: 0
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "events.checkpoint_every", line: 2, "from 1 to 1000000")
        expectSingleIssue("""
            events: {}
            collector:
              url: collector.example
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "collector.url", line: 3, "must start with https://")
        expectSingleIssue("""
            events: {}
            collector:
              pin: /etc/c.pem
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "collector.url", line: 3, "required key 'url'")
        expectSingleIssue("""
            events: {}
            cameras:
              - id: a
                source: y4m:-
                events:
                  types: [traffic.red_light_crosing]
            """, path: "cameras[0].events.types[0]", line: 6, "did you mean 'traffic.red_light_crossing'")
        expectSingleIssue("""
            events: {}
            cameras:
              - id: a
                source: y4m:-
                events: {max_per_minute: 0}
            """, path: "cameras[0].events.max_per_minute", line: 5, "from 1 to 60000")
    }
}
