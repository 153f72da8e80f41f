/// What the traffic stage needs to know about one camera: where the signal lamps and the stop line
/// are, which way traffic moves, and how patient to be. Key `traffic:` of a camera entry.
///
/// All coordinates are in source-image pixels (the picture as captured, before any DCT scaling).
public struct TrafficConfiguration: Sendable, Equatable {
    /// Key `signal`: one polygon per lamp of the signal head that governs the stop line.
    public var signal: SignalLamps
    /// Key `stop_line`: the segment a vehicle's reference point must cross (not its infinite line).
    public var stopLine: TrafficSegment
    /// Key `direction`: the direction of travel that counts as crossing, as `[dx, dy]` (any length,
    /// not zero, not parallel to the stop line). `[0, -1]` is "up the image".
    public var direction: TrafficPoint
    /// Key `grace_seconds`, default 0.5: crossings this soon after red onset are not reported.
    public var graceSeconds: Double
    /// Key `min_area`, default 400: the smallest moving object counted, in source px².
    public var minArea: Double
    /// Key `lanes` (optional): lane polygons. When given, a blob is split along lane borders and only
    /// crossings with the reference point inside a lane count.
    public var lanes: [TrafficPolygon]
    /// Key `region` (optional): only motion inside this polygon is considered.
    public var region: TrafficPolygon?
    /// Key `tuning` (optional): the detector's tunables; the defaults suit 10–30 fps footage.
    public var tuning: TrafficTuning

    public init(
        signal: SignalLamps,
        stopLine: TrafficSegment,
        direction: TrafficPoint,
        graceSeconds: Double = 0.5,
        minArea: Double = 400,
        lanes: [TrafficPolygon] = [],
        region: TrafficPolygon? = nil,
        tuning: TrafficTuning = TrafficTuning()
    ) {
        self.signal = signal
        self.stopLine = stopLine
        self.direction = direction
        self.graceSeconds = graceSeconds
        self.minArea = minArea
        self.lanes = lanes
        self.region = region
        self.tuning = tuning
    }
}

/// The lamps of one signal head, each a polygon in source pixels. Key `signal`.
public struct SignalLamps: Sendable, Equatable {
    /// Key `red` (required).
    public var red: TrafficPolygon
    /// Key `amber` (optional: some heads have none).
    public var amber: TrafficPolygon?
    /// Key `green` (required).
    public var green: TrafficPolygon

    public init(red: TrafficPolygon, amber: TrafficPolygon?, green: TrafficPolygon) {
        self.red = red
        self.amber = amber
        self.green = green
    }
}

/// The detector's tunables. Key `tuning:` inside `traffic:`; every key optional.
public struct TrafficTuning: Sendable, Equatable {
    /// Key `lock_frames`, default 3: consecutive agreeing frames before a signal state is locked.
    public var lockFrames: Int
    /// Key `dark_seconds`, default 1.5: how long no lamp may be lit before the state becomes unknown.
    public var darkSeconds: Double
    /// Key `lamp_contrast`, default 30: how much brighter than its own unlit baseline (in luma levels,
    /// and at least 60 % of the baseline) a lamp must be to count as lit.
    public var lampContrast: Double
    /// Key `model_width`, default 160: width of the downscaled luma image the background model keeps.
    public var modelWidth: Int
    /// Key `threshold`, default 10: luma difference from the background (after 4 × 4-ish averaging) that
    /// makes a model pixel foreground; low enough for a black car in shade.
    public var threshold: Double
    /// Key `learning_rate`, default 0.03: per-frame background adaptation where there is no motion.
    public var learningRate: Double
    /// Key `confirm_hits`, default 3: observations before a track is confirmed.
    public var confirmHits: Int
    /// Key `coast_frames`, default 10: frames a track survives without an observation.
    public var coastFrames: Int

    public init(
        lockFrames: Int = 3,
        darkSeconds: Double = 1.5,
        lampContrast: Double = 30,
        modelWidth: Int = 160,
        threshold: Double = 10,
        learningRate: Double = 0.03,
        confirmHits: Int = 3,
        coastFrames: Int = 10
    ) {
        self.lockFrames = lockFrames
        self.darkSeconds = darkSeconds
        self.lampContrast = lampContrast
        self.modelWidth = modelWidth
        self.threshold = threshold
        self.learningRate = learningRate
        self.confirmHits = confirmHits
        self.coastFrames = coastFrames
    }
}
