import EventLog
import MQTT
import SightlineCore
import Testing

/// The discovery configs against what Home Assistant's MQTT integration requires, written down from its docs:
/// - https://www.home-assistant.io/integrations/binary_sensor.mqtt/ and
///   https://www.home-assistant.io/integrations/sensor.mqtt/: `state_topic` is required for both components;
///   `availability` entries require `topic`; `device` "only works through MQTT discovery and when `unique_id` is
///   set", and needs at least one of `identifiers` or `connections`; `off_delay` is a positive integer (seconds);
///   a sensor with `device_class: enum` lists its states in `options`.
/// - https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery: the config topic is
///   `<discovery_prefix>/<component>/[<node_id>/]<object_id>/config`, node and object ids of `[a-zA-Z0-9_-]`.
@Suite struct HomeAssistantDiscoveryTests {
    static let required: [String: Set<String>] = [
        "binary_sensor": ["state_topic", "unique_id", "device", "name"],
        "sensor": ["state_topic", "unique_id", "device", "name"],
    ]

    let discovery = HomeAssistantDiscovery(
        topics: MQTTTopics(prefix: "sightline", device: "sl-0123456789abcdef0123456789abcdef",
                           discoveryPrefix: "homeassistant"),
        crossingOnSeconds: 7)

    @Test func everyEntityHasTheKeysItsComponentRequires() throws {
        let configs = discovery.configs(camera: "door")
        #expect(configs.count == 5)
        var components: [String] = []
        for (topic, payload) in configs {
            let levels = topic.split(separator: "/").map(String.init)
            #expect(levels.count == 5 && levels[0] == "homeassistant" && levels[4] == "config", "\(topic)")
            let safe = { (s: String) in
                s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
            }
            #expect(safe(levels[2]) && safe(levels[3]), "\(topic)")
            let component = levels[1]
            components.append(component)
            guard case .object(let o) = try JSONParser.parse(payload) else {
                Issue.record("\(topic): not an object")
                continue
            }
            let required = try #require(Self.required[component], "unexpected component \(component)")
            #expect(required.isSubset(of: Set(o.keys)), "\(topic) lacks \(required.subtracting(o.keys))")
            guard case .object(let device)? = o["device"], case .array(let ids)? = device["identifiers"] else {
                Issue.record("\(topic): device without identifiers")
                continue
            }
            #expect(!ids.isEmpty)
            guard case .array(let availability)? = o["availability"], case .object(let first)? = availability.first,
                  case .string(let availabilityTopic)? = first["topic"]
            else {
                Issue.record("\(topic): availability without topic")
                continue
            }
            #expect(availabilityTopic == "sightline/sl-0123456789abcdef0123456789abcdef/availability")
            if case .string("enum")? = o["device_class"] {
                guard case .array(let options)? = o["options"] else {
                    Issue.record("\(topic): enum sensor without options")
                    continue
                }
                #expect(options.contains(.string("red")))
            }
        }
        #expect(components.filter { $0 == "binary_sensor" }.count == 2)
        #expect(components.filter { $0 == "sensor" }.count == 3)
        guard case .object(let crossing) = discovery.config(.redLightCrossing, camera: "door") else {
            Issue.record("no crossing config")
            return
        }
        #expect(crossing["off_delay"] == .int(7))
    }

    @Test func uniqueIDsAreStableAndDistinct() {
        let again = HomeAssistantDiscovery(topics: discovery.topics, crossingOnSeconds: 30)
        var seen = Set<String>()
        for camera in ["door", "yard"] {
            for entity in HomeAssistantEntity.allCases {
                let id = discovery.uniqueID(entity, camera: camera)
                #expect(id == again.uniqueID(entity, camera: camera))
                #expect(seen.insert(id).inserted, "\(id) twice")
            }
        }
        #expect(discovery.removals(camera: "yard") == discovery.configs(camera: "yard").map(\.topic))
    }
}
