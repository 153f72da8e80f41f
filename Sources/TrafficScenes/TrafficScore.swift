import Traffic

/// Precision and recall of reported crossings against a scene's truth.
///
/// A detection matches a truth violation when its crossing frame is within `frameTolerance` frames of
/// the truth frame and its reference point lies within the truth vehicle's box (widened by `slack`
/// pixels) at the truth frame: same vehicle, same moment. Matching is one-to-one, nearest frames first.
/// Truth crossings marked ambiguous (within the tolerance of the grace boundary, or past it by a vehicle that entered
/// within the tolerance of the red's onset) count neither way.
public struct TrafficScore: Sendable, Equatable {
    public var truePositives = 0
    public var falsePositives = 0
    public var falseNegatives = 0
    /// Detections that matched an ambiguous truth crossing (not counted either way).
    public var ambiguous = 0

    public init() {}

    public var precision: Double {
        truePositives + falsePositives == 0 ? 1 : Double(truePositives) / Double(truePositives + falsePositives)
    }
    public var recall: Double {
        truePositives + falseNegatives == 0 ? 1 : Double(truePositives) / Double(truePositives + falseNegatives)
    }
    public var f1: Double {
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    }

    public static func += (a: inout TrafficScore, b: TrafficScore) { a = a + b }

    public static func + (a: TrafficScore, b: TrafficScore) -> TrafficScore {
        var s = a
        s.truePositives += b.truePositives
        s.falsePositives += b.falsePositives
        s.falseNegatives += b.falseNegatives
        s.ambiguous += b.ambiguous
        return s
    }

    /// A reported crossing: the frame and reference point of its body.
    public struct Reported: Sendable, Equatable {
        public var frame: Int
        public var x: Double
        public var y: Double

        public init(frame: Int, x: Double, y: Double) {
            self.frame = frame
            self.x = x
            self.y = y
        }
    }

    /// Scores `reported` against `truth`.
    public static func score(_ reported: [Reported], truth: SceneTruth, frameTolerance: Int = 3,
                             slack: Double = 12)
        -> (score: TrafficScore, unmatched: [Reported], missed: [SceneTruth.Crossing])
    {
        let candidates = truth.crossings.filter { $0.violation || $0.ambiguous }
        var pairs: [(distance: Int, detection: Int, truth: Int)] = []
        for (d, r) in reported.enumerated() {
            for (t, c) in candidates.enumerated() {
                let distance = abs(r.frame - c.frame)
                guard distance <= frameTolerance else { continue }
                let box = c.box
                guard r.x >= box[0] - slack, r.x <= box[2] + slack else { continue }
                pairs.append((distance, d, t))
            }
        }
        pairs.sort { ($0.distance, $0.detection) < ($1.distance, $1.detection) }
        var usedDetection = Set<Int>(), usedTruth = Set<Int>()
        var score = TrafficScore()
        for pair in pairs where !usedDetection.contains(pair.detection) && !usedTruth.contains(pair.truth) {
            usedDetection.insert(pair.detection)
            usedTruth.insert(pair.truth)
            if candidates[pair.truth].ambiguous { score.ambiguous += 1 } else { score.truePositives += 1 }
        }
        let unmatched = reported.enumerated().filter { !usedDetection.contains($0.offset) }.map(\.element)
        let missed = candidates.enumerated().filter { !usedTruth.contains($0.offset) && !$0.element.ambiguous }
            .map(\.element)
        score.falsePositives = unmatched.count
        score.falseNegatives = missed.count
        return (score, unmatched, missed)
    }

    /// Frames around an error searched for what it is.
    public static let explainFrames = 30

    /// What an unmatched detection is, as the truth shows it: the nearest crossing (whatever the signal) of a
    /// vehicle whose box (widened by `slack`) holds its point, and how far in frames — a violation reported outside
    /// the score's tolerance, a lawful crossing judged red — or nothing crossing there at all.
    public static func explain(unmatched r: Reported, truth: SceneTruth, slack: Double = 12) -> String {
        let near = truth.crossings.filter { r.x >= $0.box[0] - slack && r.x <= $0.box[2] + slack }
            .min { (abs($0.frame - r.frame), $0.vehicle) < (abs($1.frame - r.frame), $1.vehicle) }
        guard let c = near, abs(c.frame - r.frame) <= explainFrames else {
            return "no vehicle crossed there within \(explainFrames) frames"
        }
        let what = c.violation ? "violation" : c.ambiguous ? "crossing (ambiguous)" : "lawful crossing (\(c.signal))"
        return "\(offset(r.frame - c.frame)) vehicle \(c.vehicle)'s \(what)"
    }

    /// What became of a missed violation: the nearest detection whose point its box (widened by `slack`) holds, and,
    /// given what the stage saw of the vehicle in its crossing frame, that too; with a perspective camera, how much of
    /// its box a nearer vehicle's box covered then (from the truth's boxes, not pixels; when a tenth or more).
    public static func explain(missed m: SceneTruth.Crossing, reported: [Reported], sight: Sight? = nil,
                               slack: Double = 12) -> String {
        let near = reported.filter { $0.x >= m.box[0] - slack && $0.x <= m.box[2] + slack }
            .min { (abs($0.frame - m.frame), $0.frame) < (abs($1.frame - m.frame), $1.frame) }
        var seen = sight.map { "; " + $0.description } ?? ""
        if let cover = m.occluded, cover.isFinite, cover >= 0.1 {
            seen += "; a nearer vehicle's box covers \(Int((min(cover, 1) * 100).rounded())) % of its box"
        }
        guard let r = near, abs(r.frame - m.frame) <= explainFrames else {
            return "no detection there within \(explainFrames) frames" + seen
        }
        return "a detection \(offset(r.frame - m.frame)) it" + seen
    }

    /// What the stage saw of a vehicle in the frame it crossed: how much of its box was motion, and the track that
    /// held most of it. It tells a vehicle the motion never showed (a body the grey of the road, one hidden behind
    /// another) from one that was seen but not tracked as itself (merged with the vehicle behind it, cut in pieces).
    public struct Sight: Sendable, Equatable {
        /// The fraction of the motion mask's cells inside the box that were motion (0 when no cell's centre is in it).
        public var motion: Double
        /// The track whose box covers the most of the vehicle's box, at least a third of it: its id, its box
        /// (source pixels) and whether it was coasting (not measured in that frame).
        public var track: Int?
        public var trackBox: TrafficBox?
        public var coasting = false

        public init(motion: Double, track: Int? = nil, trackBox: TrafficBox? = nil, coasting: Bool = false) {
            self.motion = motion
            self.track = track
            self.trackBox = trackBox
            self.coasting = coasting
        }

        /// "motion on 12 % of its box, no track on it", "motion on 80 % of its box, held by track #4 [10,20,60,140]".
        public var description: String {
            let held = track.map { id in
                let b = trackBox.map { " [\(Int($0.left)),\(Int($0.top)),\(Int($0.right)),\(Int($0.bottom))]" } ?? ""
                return "held by \(coasting ? "coasting " : "")track #\(id)\(b)"
            } ?? "no track on it"
            return "motion on \(Int((motion * 100).rounded())) % of its box, \(held)"
        }
    }

    /// What `inspection` (the stage's view of one frame) shows of the vehicle box `box` ([left, top, right, bottom],
    /// source pixels), the part of it inside the picture. A box that is not four finite numbers shows nothing.
    public static func sight(of box: [Double], in inspection: TrafficInspection) -> Sight {
        guard box.count == 4, box.allSatisfy(\.isFinite), box[2] > box[0], box[3] > box[1] else { return Sight(motion: 0) }
        let mask = inspection.mask, scale = inspection.maskScale
        var cells = 0, moving = 0
        if scale.isFinite, scale > 0, mask.channels == 1 {
            // The cells whose centre lies in the box, clamped to the mask before any conversion to Int.
            func range(_ low: Double, _ high: Double, _ count: Int) -> Range<Int> {
                let first = min(max((low / scale - 0.5).rounded(.up), 0), Double(count))
                let last = min(max((high / scale - 0.5).rounded(.down) + 1, first), Double(count))
                return Int(first)..<Int(last)
            }
            let (columns, rows) = (range(box[0], box[2], mask.width), range(box[1], box[3], mask.height))
            for y in rows {
                for x in columns {
                    cells += 1
                    if mask.pixels[y * mask.width + x] != 0 { moving += 1 }
                }
            }
        }
        var sight = Sight(motion: cells == 0 ? 0 : Double(moving) / Double(cells))
        // The share of the vehicle's box inside the picture (tracks and blobs stop at its edges).
        let (width, height) = scale.isFinite && scale > 0
            ? (Double(mask.width) * scale, Double(mask.height) * scale) : (Double.infinity, Double.infinity)
        let vehicle = TrafficBox(left: max(box[0], 0), top: max(box[1], 0), right: min(box[2], width),
                                 bottom: min(box[3], height))
        guard vehicle.width > 0, vehicle.height > 0 else { return sight }
        var best = 1.0 / 3
        for track in inspection.tracks {
            let b = track.box
            let overlap = max(min(b.right, vehicle.right) - max(b.left, vehicle.left), 0)
                * max(min(b.bottom, vehicle.bottom) - max(b.top, vehicle.top), 0)
            let share = overlap / vehicle.area
            guard share >= best else { continue }
            best = share
            (sight.track, sight.trackBox, sight.coasting) = (track.id, b, !track.measuredThisFrame)
        }
        return sight
    }

    /// "3 frames after", "1 frame before", "in the same frame as".
    static func offset(_ frames: Int) -> String {
        frames == 0 ? "in the same frame as"
            : "\(abs(frames)) frame\(abs(frames) == 1 ? "" : "s") \(frames > 0 ? "after" : "before")"
    }
}
