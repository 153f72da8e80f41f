import Imaging
import Logging
import SightlineCore

/// The traffic stage: signal state, moving objects and the stop-line rule for one camera.
///
/// Emits `traffic.signal_state` when the locked signal state changes and
/// `traffic.red_light_crossing` when a confirmed track's reference point (bottom centre) crosses the
/// stop-line segment in the configured direction while the signal has been locked red for at least
/// `grace_seconds`; at most one crossing per track. Detections carry no identity of any kind.
///
/// Evidence (three frames: before, at, after the crossing) is kept only when an `EvidenceRedactor`
/// is given: a crossing then carries `.pending` evidence, which the stage fulfils on the next frame with the
/// redactor's output (never the raw frame), JPEG-encoded — unless the consumer cancelled it meanwhile.
/// Without a redactor the stage keeps no pixels beyond the current frame.
public final class TrafficStage: Stage {
    public let name = "traffic"
    public let needsColor = true
    public let configuration: TrafficConfiguration
    private let redactor: (any EvidenceRedactor)?
    private let logger: Logger

    private var signal: SignalClassifier
    private var debouncer: SignalDebouncer
    private var tracker: BlobTracker
    private let rule: CrossingRule
    private var geometry: Geometry?
    /// Locked state per recent frame, to judge crossings interpolated between observations.
    private var history: [(frame: Int, pts: Double, state: SignalState, onset: Double?)] = []
    /// Tracks whose reference point has crossed already (whatever the signal showed).
    private var crossed: Set<Int> = []
    /// Measured frames each track spent before the line.
    private var approach: [Int: Int] = [:]
    private var evidence = EvidenceBuffer()

    /// The model-resolution parts, made for the first frame's size.
    private struct Geometry {
        var model: BackgroundModel
        var extractor: BlobExtractor
        let imageWidth: Int
        let imageHeight: Int
        /// Source pixels per model pixel.
        let scale: Double
        let minCells: Int
    }

    /// A crossing on red, waiting to be reported.
    struct Violation {
        var track: Int
        var frame: Int
        var pts: Double
        var point: TrafficPoint
        var redFor: Double
        var box: TrafficBox
    }

    /// - Parameters:
    ///   - redactor: blurs what must not leave memory; nil keeps no evidence at all.
    public init(configuration: TrafficConfiguration, redactor: (any EvidenceRedactor)? = nil,
                logger: Logger = Logger(label: "traffic")) {
        self.configuration = configuration
        self.redactor = redactor
        self.logger = logger
        let tuning = configuration.tuning
        signal = SignalClassifier(lamps: configuration.signal, lampContrast: tuning.lampContrast)
        debouncer = SignalDebouncer(lockFrames: tuning.lockFrames, darkSeconds: tuning.darkSeconds)
        tracker = BlobTracker(confirmHits: tuning.confirmHits, coastFrames: tuning.coastFrames)
        rule = CrossingRule(stopLine: configuration.stopLine, direction: configuration.direction,
                            lanes: configuration.lanes)
    }

    /// Called once per frame with a one-line account of the signal and the tracks (`replay --trace`).
    public var trace: ((String) -> Void)?

    /// The signal state as locked now.
    public var signalState: SignalState { debouncer.state }
    /// The live tracks (for diagnostics and tests).
    public var tracks: [Track] { tracker.tracks }

    public func process(_ frame: Frame) throws -> [Detection] {
        let index = Int(frame.seq) - 1
        var detections: [Detection] = []
        let observation = signal.observe(frame)
        if let change = debouncer.observe(observation, frame: index, pts: frame.pts) {
            detections.append(signalDetection(change, frame))
        }
        history.append((index, frame.pts, debouncer.state, debouncer.onsetPTS))
        if history.count > 64 { history.removeFirst(history.count - 64) }

        let boxes = moving(frame)
        tracker.update(boxes: boxes, frame: index, pictureBottom: Double(frame.sourceHeight))
        var reported: [Violation] = []
        for track in tracker.tracks where track.measuredThisFrame {
            defer { tracker.commitReference(of: track.id, frame: index) }
            let point = track.box.bottomCentre
            // Only a track seen approaching for `confirmHits` frames may cross: a fragment that splits off a
            // vehicle at the painted line (a white truck over the white bar) is born there and must not count.
            let approached = approach[track.id, default: 0]
            if rule.isBefore(point) { approach[track.id] = approached + 1 }
            guard !crossed.contains(track.id), approached >= configuration.tuning.confirmHits,
                  let last = track.lastReference, let fraction = rule.crossing(from: last.point, to: point)
            else { continue }
            // A reference point that leaps (a vehicle's rear lost against paint of its own colour) is no
            // evidence of crossing: judge only steps the track's own motion explains.
            let frames = Double(max(index - last.frame, 1))
            let expected = (track.velocity.dot(track.velocity)).squareRoot() * frames
            let step = point - last.point
            guard step.dot(step).squareRoot() <= 2.5 * expected + 0.3 * track.box.height + 8 else { continue }
            crossed.insert(track.id)
            if let violation = judge(track, from: last, fraction: fraction, now: (index, frame.pts)) {
                reported.append(violation)
            }
        }
        if let trace {
            let tracks = tracker.tracks.map { t in
                "#\(t.id)\(t.confirmed ? "" : "?")\(t.measuredThisFrame ? "" : "~")["
                    + [t.box.left, t.box.top, t.box.right, t.box.bottom].map { String(Int($0)) }
                    .joined(separator: ",") + "]"
            }
            trace("frame \(index) signal \(debouncer.state.rawValue) lit \(signal.litLamps.map(\.rawValue)) "
                + "gain \(geometry.map { String(Self.round(Double($0.model.gain), 3)) } ?? "-") tracks "
                + tracks.joined(separator: " "))
        }
        let live = Set(tracker.tracks.map(\.id))
        crossed.formIntersection(live)
        approach = approach.filter { live.contains($0.key) }
        var pending: [PendingEvidence] = []
        for violation in reported {
            var crossing = crossingDetection(violation, frame)
            if redactor != nil {
                let evidence = PendingEvidence()
                crossing.evidence = .pending(evidence)
                pending.append(evidence)
            }
            detections.append(crossing)
        }
        if redactor != nil {
            deliverEvidence(frame: frame, crossings: pending)
        }
        return detections
    }

    /// Boxes of this frame's moving objects, in source pixels.
    private func moving(_ frame: Frame) -> [TrafficBox] {
        let gray = frame.gray
        if geometry == nil || geometry?.imageWidth != gray.width || geometry?.imageHeight != gray.height {
            let model = BackgroundModel(imageWidth: gray.width, imageHeight: gray.height,
                                        modelWidth: configuration.tuning.modelWidth,
                                        threshold: configuration.tuning.threshold,
                                        learningRate: configuration.tuning.learningRate)
            let scale = Double(model.factor) * frame.scaleToSource
            let extractor = BlobExtractor(width: model.width, height: model.height,
                                          lanes: configuration.lanes.map { $0.scaled(by: 1 / scale) },
                                          region: configuration.region?.scaled(by: 1 / scale))
            let minCells = max(1, Int((configuration.minArea / (scale * scale)).rounded(.up)))
            geometry = Geometry(model: model, extractor: extractor, imageWidth: gray.width, imageHeight: gray.height,
                                scale: scale, minCells: minCells)
        }
        let mask = geometry!.model.update(gray: gray.pixels, imageWidth: gray.width)
        let blobs = geometry!.extractor.extract(mask, minArea: geometry!.minCells)
        let s = geometry!.scale
        return blobs.map {
            TrafficBox(left: Double($0.minX) * s, top: Double($0.minY) * s,
                       right: Double($0.maxX + 1) * s, bottom: Double($0.maxY + 1) * s)
        }
    }

    /// The violation if the crossing happened on a red that had lasted `grace_seconds`.
    private func judge(_ track: Track, from last: (point: TrafficPoint, frame: Int), fraction: Double,
                       now: (frame: Int, pts: Double)) -> Violation? {
        // The frame in which the point was first on or past the line, interpolated over coasting gaps.
        let span = Double(now.frame - last.frame)
        let frame = min(now.frame, last.frame + max(1, Int((fraction * span).rounded(.up))))
        guard let entry = history.last(where: { $0.frame <= frame }) else { return nil }
        guard entry.state == .red, let onset = entry.onset else { return nil }
        let redFor = entry.pts - onset
        guard redFor >= configuration.graceSeconds else { return nil }
        return Violation(track: track.id, frame: entry.frame, pts: entry.pts, point: track.box.bottomCentre,
                         redFor: redFor, box: track.box)
    }

    private func signalDetection(_ change: SignalDebouncer.Change, _ frame: Frame) -> Detection {
        Detection(.trafficSignalState, of: frame,
                  body: ["state": .string(change.state.rawValue), "previous": .string(change.previous.rawValue),
                         "frame": .int(Int64(change.onsetFrame)), "pts": .double(Self.round(change.onsetPTS, 3))])
    }

    private func crossingDetection(_ v: Violation, _ frame: Frame) -> Detection {
        let box: [JSONValue] = [v.box.left, v.box.top, v.box.right, v.box.bottom].map { .double(Self.round($0, 1)) }
        return Detection(
            .trafficRedLightCrossing, of: frame,
            body: ["track": .int(Int64(v.track)), "frame": .int(Int64(v.frame)), "pts": .double(Self.round(v.pts, 3)),
                   "point": .array([.double(Self.round(v.point.x, 1)), .double(Self.round(v.point.y, 1))]),
                   "signal": .object(["state": .string("red"), "red_for": .double(Self.round(v.redFor, 3))]),
                   "box": .array(box), "stop_line": Self.json(rule.stopLine),
                   "source_size": .array([.int(Int64(frame.sourceWidth)), .int(Int64(frame.sourceHeight))])])
    }

    /// The stop line as `[[x1, y1], [x2, y2]]`, source pixels (what a reviewer draws over the evidence).
    static func json(_ line: TrafficSegment) -> JSONValue {
        .array([line.start, line.end].map { .array([.double(round($0.x, 1)), .double(round($0.y, 1))]) })
    }

    /// Completes the evidence of the crossings reported on the previous frame, now that their "after" frame
    /// is here; an evidence that cannot be made is fulfilled empty (its crossing goes without pictures).
    private func deliverEvidence(frame: Frame, crossings: [PendingEvidence]) {
        guard let redactor else { return }
        for finished in evidence.advance(frame: frame, crossings: crossings) {
            do {
                let jpegs = try finished.frames.map {
                    try JPEGEncoder.encode(redactor.redact($0), quality: evidenceJPEGQuality)
                }
                finished.evidence.fulfil(jpegs)
            } catch {
                finished.evidence.fulfil([])
                logger.warning("evidence dropped: redaction or encoding failed", metadata: ["error": "\(error)"])
            }
        }
    }

    static func round(_ value: Double, _ digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
