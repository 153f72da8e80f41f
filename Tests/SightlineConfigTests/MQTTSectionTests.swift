import SightlineCore
@testable import SightlineConfig
import Testing

@Suite struct MQTTSectionTests {
    static func load(_ mqtt: String, events: Bool = true) throws -> DaemonConfiguration {
        try ConfigLoader.parse(yaml: (events ? "events: {}\n" : "") + mqtt + """

            cameras:
              - id: door
                source: y4m:-
            """, file: "mqtt.yaml")
    }

    static func issues(_ mqtt: String, events: Bool = true) -> [String] {
        do {
            _ = try load(mqtt, events: events)
            return []
        } catch let error as ConfigError {
            return error.issues.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func theIssueSectionMapsOntoTheConfiguration() throws {
        let configuration = try Self.load("""
            mqtt:
              url: mqtts://broker.example:8883
              username: sightline
              password_file: /etc/sightline/mqtt.password
              ca: /etc/sightline/broker-ca.pem
              client_id: sightline-door
              topic_prefix: sightline
              qos: 1
              discovery: true
              discovery_prefix: homeassistant
              types: [traffic.red_light_crossing, traffic.signal_state, camera.status, face.detected]
            """)
        #expect(configuration.mqtt == MQTTConfiguration(
            tls: true, host: "broker.example", port: 8883, username: "sightline",
            passwordFile: "/etc/sightline/mqtt.password", caFile: "/etc/sightline/broker-ca.pem",
            clientID: "sightline-door", types: [.trafficRedLightCrossing, .trafficSignalState, .cameraStatus,
                                                 .faceDetected]))
    }

    @Test func defaultsLeaveFaceMatchOut() throws {
        let mqtt = try #require(try Self.load("mqtt:\n  url: mqtt://127.0.0.1\n").mqtt)
        #expect(mqtt.port == 1883 && !mqtt.tls && mqtt.qos == 1 && mqtt.discovery && mqtt.clientID == nil)
        #expect(!mqtt.types.contains(.faceMatch))
        #expect(mqtt.topicPrefix == "sightline" && mqtt.discoveryPrefix == "homeassistant")
        let listed = try #require(try Self.load("mqtt:\n  url: mqtt://[::1]:1884\n  types: [face.match]\n").mqtt)
        #expect(listed.types == [.faceMatch] && listed.host == "::1" && listed.port == 1884)
    }

    @Test func plainMQTTOffLoopbackNeedsInsecure() throws {
        let refused = Self.issues("mqtt:\n  url: mqtt://broker.example\n")
        #expect(refused.count == 1 && refused[0].contains("insecure: true"), "\(refused)")
        let allowed = try Self.load("mqtt:\n  url: mqtt://broker.example\n  insecure: true\n")
        #expect(allowed.mqtt?.insecure == true)
    }

    @Test func badValuesAreClearIssues() {
        #expect(Self.issues("mqtt:\n  url: mqtts://b.example\n").first?.contains("needs ca:") == true)
        #expect(Self.issues("mqtt:\n  url: http://b.example\n").first?.contains("mqtts://HOST") == true)
        #expect(Self.issues("mqtt:\n  url: mqtts://user:pw@b.example\n  ca: /c.pem\n").first?
            .contains("mqtts://HOST") == true)
        #expect(Self.issues("mqtt:\n  url: mqtt://localhost\n  qos: 2\n").first?.contains("0 or 1") == true)
        #expect(Self.issues("mqtt:\n  url: mqtt://localhost\n  types: [face.matches]\n").first?
            .contains("did you mean 'face.match'") == true)
        #expect(Self.issues("mqtt:\n  url: mqtt://localhost\n  password_file: rel.txt\n  username: u\n").first?
            .contains("absolute path") == true)
        #expect(Self.issues("mqtt:\n  url: mqtt://localhost\n  topic_prefix: a/+/b\n").first?
            .contains("topic levels") == true)
        #expect(Self.issues("mqtt:\n  url: mqtts://b.example\n  ca: /a.pem\n  pin: /b.pem\n").first?
            .contains("not both") == true)
        #expect(Self.issues("mqtt:\n  url: mqtt://localhost\n", events: false).first?
            .contains("needs an 'events:' section") == true)
    }

    @Test func brokerDescriptionNamesNoCredential() throws {
        let mqtt = try #require(try Self.load("""
            mqtt:
              url: mqtts://broker.example
              pin: /etc/sightline/broker.pem
              username: sightline
              password_file: /etc/sightline/mqtt.password
            """).mqtt)
        #expect(mqtt.brokerDescription == "mqtts://broker.example:8883")
        #expect(mqtt.pinFile == "/etc/sightline/broker.pem")
    }
}
