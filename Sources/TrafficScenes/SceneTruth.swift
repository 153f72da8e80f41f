/// What happened in a synthetic scene, written beside its footage as `truth.json`.
public struct SceneTruth: Codable, Sendable, Equatable {
    /// One signal phase as shown by the lamps from `frame` on.
    public struct Phase: Codable, Sendable, Equatable {
        public var frame: Int
        public var pts: Double
        public var state: String
    }

    /// A vehicle's bottom edge crossing the stop line (whatever the signal).
    public struct Crossing: Codable, Sendable, Equatable {
        public var vehicle: Int
        /// 0-based index of the first frame with the bottom edge on or past the line.
        public var frame: Int
        public var pts: Double
        public var signal: String
        /// Seconds the signal had been red, when it was red.
        public var redFor: Double?
        /// Whether the rule must report it: red for at least the grace time.
        public var violation: Bool
        /// Within ±3 frames of the grace boundary: neither a hit nor a miss whichever way it goes.
        public var ambiguous: Bool
        /// The vehicle's box at `frame`: [left, top, right, bottom] in unshaken picture pixels (with a perspective
        /// camera, the box around its projected body).
        public var box: [Double]
        public var lane: Int
        /// With a perspective camera: how much of the vehicle's projected box nearer vehicles' boxes cover at
        /// `frame` (0–1, the largest single cover; from the simulation's geometry, not from pixels).
        public var occluded: Double? = nil
        /// The signal's state when the vehicle's front reached the stop line (it entered): a vehicle that entered on
        /// amber or green is lawful however long its rear takes to follow.
        public var entered: String? = nil

        enum CodingKeys: String, CodingKey {
            case vehicle, frame, pts, signal, redFor = "red_for", violation, ambiguous, box, lane, occluded, entered
        }
    }

    public var seed: UInt64
    public var kind: String
    public var width: Int
    public var height: Int
    public var fps: Double
    public var frames: Int
    public var graceSeconds: Double
    public var vehicles: Int
    public var pedestrians: Int
    public var phases: [Phase]
    public var crossings: [Crossing]
    /// `single` or `lanes` (nil in scenes written before lanes existed: single).
    public var layout: String?
    /// The featured nuisances of the scene (`side-by-side`, `night`, …), for per-nuisance scores.
    public var nuisances: [String]?
    /// In the lanes layout, the phases of the left lane's turn arrow (red and green only).
    public var arrowPhases: [Phase]?
    /// Cyclists and pedestrians that went up the lanes across the stop line (never crossings).
    public var cyclists: Int?
    /// The perspective camera (nil: the top-down view).
    public var camera: SceneCamera?

    enum CodingKeys: String, CodingKey {
        case seed, kind, width, height, fps, frames, graceSeconds = "grace_seconds", vehicles, pedestrians, phases,
             crossings, layout, nuisances, arrowPhases = "arrow_phases", cyclists, camera
    }

    /// What the scene is scored under besides the total: its featured nuisances, `lanes` for the lanes layout,
    /// `perspective` for a perspective camera, or `plain` for a scene with none of these (the default nuisances
    /// only).
    public var categories: [String] {
        let names = (nuisances ?? []) + (layout == "lanes" ? ["lanes"] : []) + (camera != nil ? ["perspective"] : [])
        return names.isEmpty ? ["plain"] : names
    }

    /// The crossings the rule must report.
    public var violations: [Crossing] { crossings.filter { $0.violation && !$0.ambiguous } }
}
