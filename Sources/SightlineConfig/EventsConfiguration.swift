import EventLog
import Forwarder
import SightlineCore

/// The daemon's `events:` and `collector:` sections, mapped onto the event log's and forwarder's own
/// configuration structs. Absent `events:` (or `enabled: false`) keeps the event log off entirely.
public struct EventsConfiguration: Sendable, Equatable {
    /// The event log (`events:`); its state directory is the daemon's `state_dir`.
    public var log: EventLogConfiguration
    /// Default limit of events per camera and type per minute (`events.max_per_minute`); a camera's
    /// `events.max_per_minute` overrides it. Detections beyond it are dropped and counted in
    /// `sightline_events_rate_limited_total`, never silently.
    public var maxPerMinute: Int
    /// Where events are delivered (`collector:`); nil keeps them in the spool only.
    public var collector: ForwarderConfiguration?

    /// The event types the daemon's stages emit, which a camera's `events.types` may list.
    public static let knownTypes = DetectionType.cameraDetections.map(\.rawValue)

    public init(log: EventLogConfiguration, maxPerMinute: Int = 120, collector: ForwarderConfiguration? = nil) {
        self.log = log
        self.maxPerMinute = maxPerMinute
        self.collector = collector
    }
}

/// A camera's `events:` section: which event types it emits and how fast.
public struct CameraEventsConfiguration: Sendable, Equatable {
    /// The event types this camera turns into events (`types`); nil means all. Detections of other
    /// types still reach the detections file but are not signed nor forwarded.
    public var types: Set<DetectionType>?
    /// Limit per type per minute (`max_per_minute`); nil uses `events.max_per_minute`.
    public var maxPerMinute: Int?

    public init(types: Set<DetectionType>? = nil, maxPerMinute: Int? = nil) {
        self.types = types
        self.maxPerMinute = maxPerMinute
    }
}
