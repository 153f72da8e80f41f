import EventLog
import Foundation
import Imaging
import Logging
import Metrics
import SightlineConfig
import SightlineCore
import Synchronization

/// Turns the pipelines' detections into signed events: per-camera type filter, a rate limit per camera
/// and type, and the evidence each detection carries attached as blobs (already redacted by its stage).
///
/// A detection whose evidence is still pending (a crossing waits one frame for its "after" picture) is
/// held until its stage fulfils it, and emitted then; `flush` emits those still waiting without pictures.
/// A detection that is filtered out or over the rate limit is dropped with its evidence at once: a pending
/// one is cancelled, so its stage never even encodes it. Thread-safe: pipelines call it from their own threads.
final class EventSink: Sendable {
    /// What the sink does per camera: the event types it signs and its rate limit. Built with each set of
    /// pipelines; replaced on a reload.
    struct Rules: Sendable, Equatable {
        var types: [String: Set<DetectionType>] = [:]
        var limits: [String: Int] = [:]

        /// No camera listed: every type is emitted, without a rate limit.
        init() {}

        init(configuration: EventsConfiguration, cameras: [CameraConfiguration]) {
            for camera in cameras {
                types[camera.id] = camera.events.types
                limits[camera.id] = camera.events.maxPerMinute ?? configuration.maxPerMinute
            }
        }

        /// Whether `camera` emits `type` at all (its `events.types`).
        func emits(_ type: DetectionType, camera: String) -> Bool {
            types[camera].map { $0.contains(type) } ?? true
        }
    }

    private struct State {
        var rules: Rules
        var windows: [String: (minute: Int64, count: Int)] = [:]
        /// Detections waiting for their pending evidence, by the identity of that evidence.
        var waiting: [ObjectIdentifier: (detection: Detection, evidence: PendingEvidence)] = [:]
    }

    private let log: EventLog
    private let logger: Logger
    private let state: Mutex<State>
    /// The monotonic clock the rate limit's minutes are counted on (injectable for tests).
    private let monotonicNanos: @Sendable () -> UInt64

    init(log: EventLog, rules: Rules, logger: Logger,
         monotonicNanos: @escaping @Sendable () -> UInt64 = { Clocks.monotonicNanos() }) {
        self.log = log
        self.logger = logger
        self.state = Mutex(State(rules: rules))
        self.monotonicNanos = monotonicNanos
    }

    /// Replaces the per-camera rules (a configuration reload, between two sets of pipelines).
    func apply(_ rules: Rules) {
        state.withLock { $0.rules = rules }
    }

    /// Whether `camera` emits `type` under the current rules.
    func emits(_ type: DetectionType, camera: String) -> Bool {
        state.withLock { $0.rules.emits(type, camera: camera) }
    }

    func write(_ detection: Detection) {
        let now = monotonicNanos()
        let admitted = state.withLock { state -> Bool in
            guard state.rules.emits(detection.type, camera: detection.camera),
                  admit(detection, now: now, state: &state) else { return false }
            if case .pending(let evidence) = detection.evidence {
                state.waiting[ObjectIdentifier(evidence)] = (detection, evidence)
            }
            return true
        }
        switch detection.evidence {
        case .pending(let evidence):
            guard admitted else { return evidence.cancel() }
            // Outside the lock: the handler runs at once when the pictures are already here.
            evidence.whenReady { [self] images in complete(evidence, images) }
        case .images(let images):
            if admitted { emit(detection, images) }
        case .none:
            if admitted { emit(detection, []) }
        }
    }

    /// Signs a camera's change of state as `camera.status` (`online`/`offline` and why): past the type filter and
    /// the rate limit, since an outage must be seen whatever a camera's `events.types` say.
    func status(camera: String, online: Bool, reason: String) {
        do {
            try log.emit(camera: camera, type: DetectionType.cameraStatus.rawValue,
                         body: ["state": .string(online ? "online" : "offline"), "reason": .string(reason)])
        } catch {
            logger.error("camera status not recorded", metadata: ["camera": "\(camera)", "error": "\(error)"])
        }
    }

    /// A pending evidence came: emits its detection with the pictures (none when they could not be made).
    private func complete(_ evidence: PendingEvidence, _ images: [[UInt8]]) {
        let waiting = state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(evidence)) }
        guard let waiting else { return }  // flushed meanwhile: emitted without pictures
        emit(waiting.detection, images)
    }

    /// Bytes of evidence the sink holds for detections not yet emitted.
    var retainedEvidenceBytes: Int {
        state.withLock { $0.waiting.values.reduce(0) { $0 + $1.evidence.heldBytes } }
    }

    /// Emits the detections still waiting for evidence (without it); call when the pipelines stopped.
    func flush() {
        let waiting = state.withLock { state in
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for entry in waiting { entry.evidence.cancel() }
        for entry in waiting.sorted(by: { $0.detection.frameSeq < $1.detection.frameSeq }) {
            emit(entry.detection, [])
        }
    }

    /// Counts the detection in its camera and type's minute; false (counted, logged once a minute)
    /// when over the limit.
    private func admit(_ detection: Detection, now: UInt64, state: inout State) -> Bool {
        let limit = state.rules.limits[detection.camera] ?? Int.max
        let key = detection.camera + "\u{0}" + detection.type.rawValue
        let minute = Int64(now / 60_000_000_000)
        var window: (minute: Int64, count: Int) = (minute, 0)
        if let current = state.windows[key], current.minute == minute { window = current }
        window.count += 1
        state.windows[key] = window
        guard window.count > limit else { return true }
        Counter(label: "sightline_events_rate_limited_total",
                dimensions: [("camera", detection.camera), ("type", detection.type.rawValue)]).increment()
        if window.count == limit + 1 {
            logger.warning("event rate limit reached: more of this type are dropped (and counted) this minute",
                           metadata: ["camera": "\(detection.camera)", "type": "\(detection.type)",
                                      "max_per_minute": "\(limit)"])
        }
        return false
    }

    private func emit(_ detection: Detection, _ images: [[UInt8]]) {
        do {
            try log.emit(detection, evidence: images.map {
                EvidenceBlob(data: $0, mediaType: MotionJPEG.isClip($0) ? MotionJPEG.mediaType : "image/jpeg")
            })
        } catch {
            logger.error("event not recorded", metadata: ["camera": "\(detection.camera)",
                                                          "type": "\(detection.type)", "error": "\(error)"])
        }
    }
}
