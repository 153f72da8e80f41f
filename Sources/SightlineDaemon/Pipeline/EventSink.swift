import EventLog
import Foundation
import Logging
import Metrics
import SightlineConfig
import SightlineCore
import Traffic

/// Turns the pipelines' detections into signed events: per-camera type filter, a rate limit per camera
/// and type, and evidence attached as blobs (already redacted by the stage that made it).
///
/// A `face.match` names its evidence by `evidence_sha256`; the JPEG is handed over by `keep` just before
/// the detection, from the same pipeline thread. A `traffic.red_light_crossing` on a camera whose traffic
/// stage keeps evidence waits for its three frames, which the stage delivers while it processes the next
/// frame; it is emitted without them if a later traffic detection of that camera, or `flush`, comes
/// first. Thread-safe: pipelines call it from their own threads.
final class EventSink: @unchecked Sendable {
    /// What the sink does per camera: the event types it signs, its rate limit, and whether its traffic
    /// stage delivers crossing evidence. Built with each set of pipelines; replaced on a reload.
    struct Rules: Sendable, Equatable {
        var types: [String: Set<DetectionType>] = [:]
        var limits: [String: Int] = [:]
        /// Cameras whose crossings wait for the traffic stage's redacted frames.
        var trafficEvidenceCameras: Set<String> = []

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

    private let log: EventLog
    private let logger: Logger
    private let lock = NSLock()
    private var rules: Rules
    private var windows: [String: (minute: Int64, count: Int)] = [:]
    private var faceEvidence: [String: [UInt8]] = [:]
    private var waitingCrossings: [String: [Detection]] = [:]
    /// The monotonic clock the rate limit's minutes are counted on (injectable for tests).
    private let monotonicNanos: @Sendable () -> UInt64

    init(log: EventLog, rules: Rules, logger: Logger,
         monotonicNanos: @escaping @Sendable () -> UInt64 = { Clocks.monotonicNanos() }) {
        self.log = log
        self.logger = logger
        self.rules = rules
        self.monotonicNanos = monotonicNanos
    }

    /// Replaces the per-camera rules (a configuration reload, between two sets of pipelines).
    func apply(_ rules: Rules) {
        lock.withLock { self.rules = rules }
    }

    /// Whether `camera` emits `type` under the current rules.
    func emits(_ type: DetectionType, camera: String) -> Bool {
        lock.withLock { rules.emits(type, camera: camera) }
    }

    func write(_ detection: Detection) {
        guard emits(detection.type, camera: detection.camera) else { return }
        var ready: [(Detection, [EvidenceBlob])] = []
        lock.withLock {
            if detection.type.family == .traffic {
                let earlier = waitingCrossings[detection.camera, default: []]
                ready += earlier.filter { $0.frameSeq < detection.frameSeq }.map { ($0, [EvidenceBlob]()) }
                waitingCrossings[detection.camera] = earlier.filter { $0.frameSeq >= detection.frameSeq }
            }
            guard admit(detection) else { return }
            if detection.type == .trafficRedLightCrossing,
               rules.trafficEvidenceCameras.contains(detection.camera) {
                waitingCrossings[detection.camera, default: []].append(detection)
                return
            }
            var blobs: [EvidenceBlob] = []
            if detection.type == .faceMatch, case .string(let sha)? = detection.body["evidence_sha256"],
               let jpeg = faceEvidence.removeValue(forKey: sha) {
                blobs.append(EvidenceBlob(data: jpeg))
            }
            ready.append((detection, blobs))
        }
        for (detection, blobs) in ready { emit(detection, blobs) }
    }

    /// Takes a `face.match`'s redacted frame; its detection follows from the same thread.
    func keep(_ evidence: FaceMatchEvidence) {
        guard emits(.faceMatch, camera: evidence.detection.camera) else { return }
        lock.withLock { faceEvidence[evidence.sha256] = evidence.jpeg }
    }

    /// Takes a crossing's three redacted frames and emits the crossing with them.
    func keep(_ evidence: TrafficEvidence) {
        let camera = evidence.detection.camera
        let waiting: Detection? = lock.withLock {
            guard var list = waitingCrossings[camera],
                  let index = list.firstIndex(where: { $0.frameSeq == evidence.detection.frameSeq
                                                   && $0.body["track"] == evidence.detection.body["track"] })
            else { return nil }
            let detection = list.remove(at: index)
            waitingCrossings[camera] = list
            return detection
        }
        guard let waiting else { return }
        emit(waiting, evidence.jpegFrames.map { EvidenceBlob(data: $0) })
    }

    /// Bytes of evidence the sink holds for detections not yet emitted (match images, crossing frames).
    var retainedEvidenceBytes: Int {
        lock.withLock { faceEvidence.values.reduce(0) { $0 + $1.count } }
    }

    /// Emits the crossings still waiting for evidence (without it); call when the pipelines stopped.
    func flush() {
        let waiting = lock.withLock {
            let all = waitingCrossings.values.flatMap { $0 }
            waitingCrossings = [:]
            faceEvidence = [:]
            return all
        }
        for detection in waiting.sorted(by: { $0.frameSeq < $1.frameSeq }) { emit(detection, []) }
    }

    /// Counts the detection in its camera and type's minute; false (counted, logged once a minute)
    /// when over the limit. Call with the lock held.
    private func admit(_ detection: Detection) -> Bool {
        let limit = rules.limits[detection.camera] ?? Int.max
        let key = detection.camera + "\u{0}" + detection.type.rawValue
        let minute = Int64(monotonicNanos() / 60_000_000_000)
        var window: (minute: Int64, count: Int) = (minute, 0)
        if let current = windows[key], current.minute == minute { window = current }
        window.count += 1
        windows[key] = window
        guard window.count > limit else { return true }
        Counter(label: "sightline_events_rate_limited_total",
                dimensions: [("camera", detection.camera), ("type", detection.type.rawValue)]).increment()
        if window.count == limit + 1 {
            logger.warning("event rate limit reached: more of this type are dropped (and counted) this minute",
                           metadata: ["camera": "\(detection.camera)", "type": "\(detection.type)", "max_per_minute": "\(limit)"])
        }
        return false
    }

    private func emit(_ detection: Detection, _ evidence: [EvidenceBlob]) {
        do {
            try log.emit(detection, evidence: evidence)
        } catch {
            logger.error("event not recorded", metadata: ["camera": "\(detection.camera)",
                                                          "type": "\(detection.type)", "error": "\(error)"])
        }
    }
}
