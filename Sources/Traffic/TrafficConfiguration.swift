/// What the traffic stage needs to know about one camera: where the signal lamps and the stop lines
/// are, which way traffic moves, and how patient to be. Key `traffic:` of a camera entry.
///
/// Two forms. The single-lane form (`signal`, `stop_line`) is one lane governed by one signal head; the
/// lanes form (`lanes:` entries with a name, a stop line and a signal group, and `signals:` naming the
/// groups) judges each vehicle against its own lane's stop line and signal. The single-lane form is held
/// as one lane named `main` governed by one group named `main`.
///
/// All coordinates are in source-image pixels (the picture as captured, before any DCT scaling).
public struct TrafficConfiguration: Sendable, Equatable {
    /// Key `signals` (or `signal` in the single-lane form): the signal groups, each with its lamps. At least
    /// one; names unique.
    public var signalGroups: [SignalGroup]
    /// Key `lanes` entries (or `stop_line` in the single-lane form): each lane's stop line and the group
    /// that governs it. At least one; names unique.
    public var laneRules: [TrafficLane]
    /// Key `direction`: the direction of travel that counts as crossing, as `[dx, dy]` (any length,
    /// not zero, not parallel to a stop line). `[0, -1]` is "up the image".
    public var direction: TrafficPoint
    /// Key `grace_seconds`, default 0.5: crossings this soon after red onset are not reported.
    public var graceSeconds: Double
    /// Key `min_area`, default 400: the smallest moving object counted, in source px².
    public var minArea: Double
    /// Lane areas: key `lanes` as a list of polygons (single-lane form), or the lanes' `area` keys. A blob is
    /// split along their borders, and only crossings with the reference point inside one count.
    public var lanes: [TrafficPolygon]
    /// Key `region` (optional): only motion inside this polygon is considered.
    public var region: TrafficPolygon?
    /// Key `tuning` (optional): the detector's tunables; the defaults suit 10–30 fps footage.
    public var tuning: TrafficTuning

    /// The single-lane form: one stop line governed by one signal head (lane and group named `main`).
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
        self.init(laneRules: [TrafficLane(name: TrafficLane.single, stopLine: stopLine, signal: TrafficLane.single)],
                  signalGroups: [SignalGroup(name: TrafficLane.single, lamps: signal)], direction: direction,
                  graceSeconds: graceSeconds, minArea: minArea, lanes: lanes, region: region, tuning: tuning)
    }

    /// The lanes form. Every lane's `signal` must name one of `signalGroups` (the reader checks; the stage
    /// treats a lane with an unknown group as never red).
    public init(
        laneRules: [TrafficLane],
        signalGroups: [SignalGroup],
        direction: TrafficPoint,
        graceSeconds: Double = 0.5,
        minArea: Double = 400,
        lanes: [TrafficPolygon] = [],
        region: TrafficPolygon? = nil,
        tuning: TrafficTuning = TrafficTuning()
    ) {
        precondition(!laneRules.isEmpty && !signalGroups.isEmpty, "a traffic configuration needs a lane and a signal")
        self.laneRules = laneRules
        self.signalGroups = signalGroups
        self.direction = direction
        self.graceSeconds = graceSeconds
        self.minArea = minArea
        self.lanes = lanes
        self.region = region
        self.tuning = tuning
    }

    /// Whether this is the lanes form (several lanes or groups, or named ones): events then name their lane
    /// and, with several groups, their signal group.
    public var isMultiLane: Bool {
        laneRules.count > 1 || signalGroups.count > 1 || laneRules[0].name != TrafficLane.single
            || laneRules[0].turnOnRed
    }

    /// The first group's lamps (the single-lane form's `signal`).
    public var signal: SignalLamps {
        get { signalGroups[0].lamps }
        set { signalGroups[0].lamps = newValue }
    }

    /// The first lane's stop line (the single-lane form's `stop_line`).
    public var stopLine: TrafficSegment {
        get { laneRules[0].stopLine }
        set { laneRules[0].stopLine = newValue }
    }
}

/// One lane of the lanes form: key `lanes:` entry.
public struct TrafficLane: Sendable, Equatable {
    /// The name the single-lane form's lane and signal group get.
    public static let single = "main"

    /// Key `name`: unique among the lanes; crossings name it (`lane`).
    public var name: String
    /// Key `stop_line`: the segment a vehicle's reference point must cross in this lane.
    public var stopLine: TrafficSegment
    /// Key `signal`: the name of the signal group that governs this lane.
    public var signal: String
    /// Key `turn_on_red`, default false: a turn lane where turning on red is lawful, so a crossing on red
    /// here is not reported.
    public var turnOnRed: Bool

    public init(name: String, stopLine: TrafficSegment, signal: String, turnOnRed: Bool = false) {
        self.name = name
        self.stopLine = stopLine
        self.signal = signal
        self.turnOnRed = turnOnRed
    }
}

/// One signal group of the lanes form: key `signals:` entry (name to lamps).
public struct SignalGroup: Sendable, Equatable {
    /// The group's name; `traffic.signal_state` names it when there are several.
    public var name: String
    public var lamps: SignalLamps

    public init(name: String, lamps: SignalLamps) {
        self.name = name
        self.lamps = lamps
    }
}

/// The lamps of one signal head, each a polygon in source pixels. Key `signal` (or a `signals:` entry).
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
