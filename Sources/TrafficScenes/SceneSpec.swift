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

    /// The nuisances, each of which can be switched off to measure what it costs.
    public struct Nuisances: Sendable, Equatable {
        public var noise = true
        public var lightDrift = true
        public var shadows = true
        public var shake = true
        public var pedestrians = true
        public var crossTraffic = true

        public init() {}

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

    public init(seed: UInt64, seconds: Double = 60, fps: Double = 15, kind: Kind = .mixed, graceSeconds: Double = 0.5,
                nuisances: Nuisances = Nuisances()) {
        self.seed = seed
        self.seconds = seconds
        self.fps = fps
        self.kind = kind
        self.graceSeconds = graceSeconds
        self.nuisances = nuisances
    }

    public var frameCount: Int { Int((seconds * fps).rounded()) }
}
