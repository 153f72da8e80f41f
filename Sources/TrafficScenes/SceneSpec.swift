/// What to render: which scene, how long, and which nuisances are on.
public struct SceneSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Signal cycles; some vehicles stop at red, some run it, some cross on amber or green.
        case mixed
        /// The signal stays green; every vehicle crosses on green.
        case allGreen = "all-green"
        /// Signal cycles; every vehicle crosses on green or amber, or stops at the line.
        case allStop = "all-stop"
    }

    /// The street: today's three lanes under one head, or three lanes with their own signals (a left lane
    /// under a turn arrow without amber, a straight lane and a right-turn lane where turning on red is lawful).
    public enum Layout: String, Sendable, CaseIterable {
        case single
        case lanes
    }

    /// The nuisances, each of which can be switched off to measure what it costs. The first six are on by
    /// default; the rest are featured one at a time (or all at once) so the evaluation can score each.
    public struct Nuisances: Sendable, Equatable {
        public var noise = true
        public var lightDrift = true
        public var shadows = true
        public var shake = true
        public var pedestrians = true
        public var crossTraffic = true
        /// Vehicles arriving side by side in adjacent lanes, crossing 0–8 frames apart.
        public var sideBySide = false
        /// Short headways: vehicles following closely, queues touching.
        public var closeFollowing = false
        /// Dusk to night: dark bodies, tail lamps, headlight beams and their glare on the road.
        public var night = false
        /// Rain streaks over the picture.
        public var rain = false
        /// Snowflakes drifting over the picture.
        public var snow = false
        /// Soft cloud shadows passing over the road.
        public var cloudShadows = false
        /// The camera's auto exposure jumping by ±15–30 % and settling back.
        public var exposureJumps = false
        /// Cyclists and pedestrians going up the lanes across the stop line (never a crossing).
        public var cyclists = false
        /// Buses, some with a red-light runner in the lane beside them, on the far side from the camera: seen at an
        /// angle (a perspective camera), the bus hides the runner as it crosses.
        public var occlusion = false
        /// An overcast sky: no sun, so no vehicle, pedestrian, cross-traffic body or tree casts a hard shadow (the
        /// default scenes are sunny, and a shadow gives many a body a rear it would otherwise lose against the road).
        /// No cloud shadows either: `scenes synth` refuses the two together.
        public var overcast = false

        public init() {}

        /// The featured nuisances of the first, top-down suite by name: what `scenes synth --with all` switches on.
        /// Occlusion stays apart (a bus hides nothing seen from straight above) so that `all` renders the scenes it
        /// always did.
        public static let featuredNames = ["side-by-side", "close-following", "night", "rain", "snow",
                                           "cloud-shadows", "exposure-jumps", "cyclists"]

        /// Every featured nuisance by name (`scenes synth --with`, truth.json's `nuisances`). Occlusion and overcast
        /// are not part of `all`.
        public static let everyName = featuredNames + ["occlusion", "overcast"]

        /// Switches a featured nuisance on by name; false when there is none of that name.
        public mutating func feature(_ name: String) -> Bool {
            switch name {
            case "side-by-side": sideBySide = true
            case "close-following": closeFollowing = true
            case "night": night = true
            case "rain": rain = true
            case "snow": snow = true
            case "cloud-shadows": cloudShadows = true
            case "exposure-jumps": exposureJumps = true
            case "cyclists": cyclists = true
            case "occlusion": occlusion = true
            case "overcast": overcast = true
            default: return false
            }
            return true
        }

        /// The featured nuisances that are on, by name.
        public var featured: [String] {
            let on = [sideBySide, closeFollowing, night, rain, snow, cloudShadows, exposureJumps, cyclists, occlusion,
                      overcast]
            return zip(Self.everyName, on).filter(\.1).map(\.0)
        }

        /// Every nuisance off.
        public static var none: Nuisances {
            var n = Nuisances()
            n.noise = false; n.lightDrift = false; n.shadows = false; n.shake = false
            n.pedestrians = false; n.crossTraffic = false
            return n
        }
    }

    public var seed: UInt64
    public var seconds: Double
    public var fps: Double
    public var kind: Kind
    public var graceSeconds: Double
    public var nuisances: Nuisances
    public var layout: Layout
    /// The perspective camera, or nil for the top-down view of the first suite.
    public var camera: SceneCamera?

    public init(seed: UInt64, seconds: Double = 60, fps: Double = 15, kind: Kind = .mixed, graceSeconds: Double = 0.5,
                nuisances: Nuisances = Nuisances(), layout: Layout = .single, camera: SceneCamera? = nil) {
        self.layout = layout
        self.camera = camera
        self.seed = seed
        self.seconds = seconds
        self.fps = fps
        self.kind = kind
        self.graceSeconds = graceSeconds
        self.nuisances = nuisances
    }

    public var frameCount: Int { Int((seconds * fps).rounded()) }

    /// The y (top-down layout pixels) where vehicles, cyclists and sidewalk pedestrians come into view: just below
    /// the top-down picture, or the road at the bottom of a perspective camera's picture.
    public var nearEdge: Double { max(Double(SceneLayout.height), camera?.nearGroundY ?? 0) }
}
