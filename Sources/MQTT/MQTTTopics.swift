/// The topics of one device: `PREFIX/DEVICE/...` for events, states and availability, and Home Assistant's
/// `DISCOVERY/COMPONENT/DEVICE/CAMERA_ENTITY/config` for discovery.
public struct MQTTTopics: Sendable, Equatable {
    public let prefix: String
    public let device: String
    public let discoveryPrefix: String

    public init(prefix: String, device: String, discoveryPrefix: String) {
        self.prefix = prefix
        self.device = device
        self.discoveryPrefix = discoveryPrefix
    }

    /// `online` / `offline`, retained; `offline` is also the last will.
    public var availability: String { "\(prefix)/\(device)/availability" }

    /// Whether `level` can stand as one topic level: not empty, no `/`, no wildcard, no NUL, at most 256 bytes.
    public static func isValidLevel(_ level: String) -> Bool {
        !level.isEmpty && level.utf8.count <= 256
            && !level.contains { $0 == "/" || $0 == "+" || $0 == "#" || $0 == "\0" }
    }

    /// Where each event goes: the signed envelope, exactly as spooled.
    public func event(camera: String, type: String) -> String { "\(prefix)/\(device)/\(camera)/event/\(type)" }

    /// A retained state of a camera.
    public func state(camera: String, _ state: CameraStateTopic) -> String {
        "\(prefix)/\(device)/\(camera)/state/\(state.rawValue)"
    }

    /// The discovery config of one entity of a camera.
    public func discovery(_ entity: HomeAssistantEntity, camera: String) -> String {
        "\(discoveryPrefix)/\(entity.component)/\(device)/\(camera)_\(entity.rawValue)/config"
    }
}

/// The state topics of a camera.
public enum CameraStateTopic: String, Sendable, CaseIterable {
    /// The signal head's state: `unknown`, `red`, `amber`, `green` (retained).
    case signal
    /// `online` / `offline` (retained).
    case online
    /// Red-light crossings since local midnight (retained).
    case crossingsToday = "crossings_today"
    /// Faces detected in the last minute, a count (retained).
    case facesLastMinute = "faces_last_minute"
    /// `ON` for each recent crossing (not retained; Home Assistant turns it off after `off_delay`).
    case crossing
}
