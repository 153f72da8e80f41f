/// Every event type Sightline writes, in one list: what stages detect, and what the event log and the
/// tools write about themselves. The raw value is the dotted type of the event envelope (`type`).
///
/// Stages build `Detection`s with one of the camera types; a camera's `events.types` may list only those
/// (`isCameraDetection`). The wire format keeps `type` a string, so a collector can store types of newer
/// devices; `init?(rawValue:)` is how a reader recognises the ones this build knows.
public enum DetectionType: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// Mean and spread of a frame's luma, every 25th processed frame (`FrameStatsStage`).
    case frameStats = "frame.stats"
    /// Faces at least `min_size` wide in a frame: boxes and scores, or the count alone when the camera
    /// recognises faces. Never an identity.
    case faceDetected = "face.detected"
    /// A confirmed match of an enrolled subject (recognition is opt-in).
    case faceMatch = "face.match"
    /// The locked state of the signal head changed.
    case trafficSignalState = "traffic.signal_state"
    /// A tracked vehicle crossed the stop line on red.
    case trafficRedLightCrossing = "traffic.red_light_crossing"
    /// A signed checkpoint over the event log (written by `EventLog`, not by a stage).
    case logCheckpoint = "log.checkpoint"
    /// A test event written by `sightline events test` / `emit-test`.
    case systemTest = "system.test"
    /// A camera went online or offline (written by the daemon when the state changes, not by a stage).
    case cameraStatus = "camera.status"

    /// The part before the dot: `frame`, `face`, `traffic`, `log`, `system`, `camera`.
    public enum Family: String, Sendable {
        case frame, face, traffic, log, system, camera
    }

    public var family: Family {
        switch self {
        case .frameStats: return .frame
        case .faceDetected, .faceMatch: return .face
        case .trafficSignalState, .trafficRedLightCrossing: return .traffic
        case .logCheckpoint: return .log
        case .systemTest: return .system
        case .cameraStatus: return .camera
        }
    }

    /// Whether a camera's stages produce this type, so that a camera's `events.types` may list it.
    public var isCameraDetection: Bool {
        switch family {
        case .frame, .face, .traffic: return true
        case .log, .system, .camera: return false
        }
    }

    /// The types a camera's stages produce, in this list's order.
    public static var cameraDetections: [DetectionType] { allCases.filter(\.isCameraDetection) }

    public var description: String { rawValue }
}
