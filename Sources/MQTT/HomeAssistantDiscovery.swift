import EventLog
import SightlineCore

/// The entities of one camera's Home Assistant device.
public enum HomeAssistantEntity: String, Sendable, CaseIterable {
    case redLightCrossing = "red_light_crossing"
    case crossingsToday = "crossings_today"
    case signalState = "signal_state"
    case cameraOnline = "camera_online"
    case facesDetected = "faces_detected"

    /// Home Assistant's MQTT component.
    public var component: String {
        switch self {
        case .redLightCrossing, .cameraOnline: "binary_sensor"
        case .crossingsToday, .signalState, .facesDetected: "sensor"
        }
    }

    var name: String {
        switch self {
        case .redLightCrossing: "Red-light crossing"
        case .crossingsToday: "Crossings today"
        case .signalState: "Signal state"
        case .cameraOnline: "Camera online"
        case .facesDetected: "Faces detected"
        }
    }

    var stateTopic: CameraStateTopic {
        switch self {
        case .redLightCrossing: .crossing
        case .crossingsToday: .crossingsToday
        case .signalState: .signal
        case .cameraOnline: .online
        case .facesDetected: .facesLastMinute
        }
    }
}

/// Home Assistant MQTT discovery (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery): per camera one
/// device, `sightline_DEVICE_CAMERA`, with five entities whose unique ids are made of the device id, the camera id
/// and the entity, so they stay the same across restarts; availability follows the device's availability topic.
public struct HomeAssistantDiscovery: Sendable {
    public let topics: MQTTTopics
    /// Seconds the crossing binary sensor stays on (`off_delay`).
    public let crossingOnSeconds: Int

    public init(topics: MQTTTopics, crossingOnSeconds: Int) {
        self.topics = topics
        self.crossingOnSeconds = crossingOnSeconds
    }

    /// The unique id of a camera's entity.
    public func uniqueID(_ entity: HomeAssistantEntity, camera: String) -> String {
        "sightline_\(topics.device)_\(camera)_\(entity.rawValue)"
    }

    /// The retained config message of each entity of `camera`: topic and canonical JSON.
    public func configs(camera: String) -> [(topic: String, payload: [UInt8])] {
        HomeAssistantEntity.allCases.map { entity in
            // Canonical JSON of a dictionary of strings, integers and nested objects cannot fail.
            let payload = (try? CanonicalJSON.encode(config(entity, camera: camera))) ?? []
            return (topics.discovery(entity, camera: camera), payload)
        }
    }

    /// The empty retained messages that remove `camera`'s entities from Home Assistant.
    public func removals(camera: String) -> [String] {
        HomeAssistantEntity.allCases.map { topics.discovery($0, camera: camera) }
    }

    /// One entity's config.
    public func config(_ entity: HomeAssistantEntity, camera: String) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(entity.name),
            "unique_id": .string(uniqueID(entity, camera: camera)),
            "object_id": .string("sightline_\(camera)_\(entity.rawValue)"),
            "state_topic": .string(topics.state(camera: camera, entity.stateTopic)),
            "availability": .array([.object([
                "topic": .string(topics.availability), "payload_available": .string("online"),
                "payload_not_available": .string("offline"),
            ])]),
            "device": .object([
                "identifiers": .array([.string("sightline_\(topics.device)_\(camera)")]),
                "name": .string("Sightline \(camera)"),
                "manufacturer": .string("Sightline"),
                "model": .string("edge camera"),
            ]),
            "origin": .object(["name": .string("Sightline")]),
        ]
        switch entity {
        case .redLightCrossing:
            o["payload_on"] = .string("ON")
            o["payload_off"] = .string("OFF")
            o["off_delay"] = .int(Int64(crossingOnSeconds))
            o["icon"] = .string("mdi:traffic-light")
        case .cameraOnline:
            o["device_class"] = .string("connectivity")
            o["payload_on"] = .string("online")
            o["payload_off"] = .string("offline")
        case .crossingsToday:
            o["state_class"] = .string("total_increasing")
            o["icon"] = .string("mdi:counter")
        case .signalState:
            o["device_class"] = .string("enum")
            o["options"] = .array(["unknown", "red", "amber", "green"].map { .string($0) })
        case .facesDetected:
            o["state_class"] = .string("measurement")
            o["icon"] = .string("mdi:face-recognition")
        }
        return .object(o)
    }
}
