import Imaging
import Logging
import SightlineCore

/// The traffic stage: signal states, moving objects and the stop-line rule for one camera.
///
/// Emits `traffic.signal_state` when a signal group's locked state changes (naming the group, `group`,
/// when there are several) and `traffic.red_light_crossing` when a confirmed track's reference point
/// (bottom centre, taken half a model pixel inside the blob's edge) crosses a lane's stop-line segment in the
/// configured direction (within one lane area, when areas are given) while that lane's signal
/// group has been locked red for at least `grace_seconds` (never in a `turn_on_red` lane), unless the track's front
/// was seen entering over the line while amber or green was lit (a long vehicle that entered before the red; judged
/// seen from above by day only: `noteEntry`); at most one crossing per track while its box is past the line it
/// crossed. In the lanes form the crossing names its lane
/// (`lane`). Detections carry no identity of any kind.
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

    /// One classifier, debouncer and recent history per signal group.
    private var groups: [GroupState]
    private var tracker: BlobTracker
    /// One rule per lane, and the index of the group governing it (nil: unknown group, never red).
    private let rules: [(lane: TrafficLane, rule: CrossingRule, group: Int?)]
    private var geometry: Geometry?
    /// The direction of travel, of unit length.
    private let travel: TrafficPoint
    /// Whether the camera looks down the road (`looksDownTheRoad`): vehicles are wider than tall in the picture.
    private let lookingDownTheRoad: Bool
    /// Tracks whose reference point has crossed already (whatever the signal showed), with the lane whose line it was.
    private var crossed: [Int: Int] = [:]
    /// Crossed tracks that left their crossing to the track behind them (their rear).
    private var leftToRear: Set<Int> = []
    /// Measured frames each track spent before the line.
    private var approach: [Int: Int] = [:]
    /// Each track's last measured front (`noteEntry`), and its frame; and the frame (and lane) in which that front
    /// first crossed a stop line: where the vehicle entered.
    private var fronts: [Int: (point: TrafficPoint, frame: Int)] = [:]
    private var entries: [Int: (frame: Int, lane: Int)] = [:]
    /// Each track's last reference point judged, and its frame.
    private var references: [Int: (point: TrafficPoint, frame: Int)] = [:]
    /// Tracks whose last reference point was their tail lamps (`tailLampRear`).
    private var byLamps: Set<Int> = []
    /// The violations reported, kept while a crossing judged late may still be placed near their frames.
    private var recentViolations: [Violation] = []
    /// How far apart in time one vehicle's crossing may be reported by two tracks (3 frames at 15 frames/s).
    static let sameCrossingSeconds = 0.21
    /// Tracks whose reference point this frame was lamps found by `lampSearchArea`.
    private var followingLamps: Set<Int> = []
    /// The last rows (and frames) of the tail lamps each track in `byLamps` was judged by (`recordLamps`).
    private var lampRows: [Int: [(frame: Int, y: Double)]] = [:]
    /// The columns of the last of those lamps: the middle between them, and how far apart they are (`recordLamps`).
    private var lampColumns: [Int: (centre: Double, span: Double)] = [:]
    /// Each track's last `creepWindow` measured reference points: frame, distance along the direction of travel, and
    /// that of the box's furthest point along it (its front edge: the top, for traffic moving up the picture).
    private var rears: [Int: [(frame: Int, along: Double, front: Double)]] = [:]
    /// How many measured reference points the creeping check looks at.
    static let creepWindow = 12
    /// How many of them (the last) the steadiness checks look at.
    static let steadyWindow = 7
    /// The slowest a crossing vehicle's rear advances over that window before it crosses, source pixels a frame.
    static let slowest = 1.5
    private var evidence = EvidenceBuffer()
    /// Crossings foreseen for a later frame, judged when the stream reaches it.
    private var foreseen: [SeenCrossing] = []
    /// The furthest ahead a crossing is foreseen, frames (a rear that lost its last rows further back than its pace
    /// covers in that time is judged as it is seen).
    static let foresight = 8
    /// Crossings of tracks measured again more than `coast_frames` + 1 frames after they were last (hidden inside another
    /// object's blob), with where the rear was along the direction of travel when seen: judged once the track has moved
    /// on from there.
    private var emerging: [(seen: SeenCrossing, along: Double)] = []
    /// Crossings seen only as a creep (`creptSteadily`), with where the rear was along the direction of travel: judged
    /// once the rear has crept on by another model pixel (however long it stood first) or its track is gone, dropped
    /// when it falls back before the line (a standing rear whose last mask row flickered onto the line once).
    private var creepingOver: [(seen: SeenCrossing, along: Double)] = []
    /// Crossings of short fronts waiting for a rear to be seen behind them (`followedByItsRear`).
    private var awaitingRear: [SeenCrossing] = []
    /// How many frames a track that came out of hiding past a line has to show that it moves on (`emerging`), and a
    /// short front's crossing waits for its rear (`awaitingRear`).
    static let emergingFrames = 3
    /// Crossings on a red that another colour was replacing when they were seen: judged once the signal settles.
    private var unsettled: [SeenCrossing] = []
    /// The last frame's index, once a frame was seen.
    private var lastIndex: Int?

    /// A crossing seen: the track, its lane, the step that crossed and when it was seen. Judged at once, unless its
    /// lane's signal was red by its lock but already showed another colour: whether the red had ended is known only
    /// once that colour locks (its onset back-dated) or its run breaks. (A stream that ends within those few frames
    /// leaves it unreported: `streamEnded`.)
    struct SeenCrossing {
        var track: Track
        var lane: Int
        var last: (point: TrafficPoint, frame: Int)
        var fraction: Double
        var now: (frame: Int, pts: Double)
        /// Where its track's front entered (`entries`), kept with the crossing: a crossing judged late may outlive
        /// its track.
        var entered: (frame: Int, lane: Int)? = nil
        /// The frame of a crossing foreseen: a rear that lost its last rows against the road crosses in the frame
        /// its steady motion takes it over the line, judged once the stream reaches that frame.
        var foreseen: Int? = nil
        /// The frame in which the point was first on or past the line, interpolated over coasting gaps.
        var frame: Int {
            if let foreseen { return foreseen }
            return min(now.frame, last.frame + TrafficStage.framesInto(fraction, of: now.frame - last.frame))
        }
    }

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

    /// A signal group's reading of the lamps, and its locked state per recent frame (to judge crossings
    /// interpolated between observations).
    struct GroupState {
        let name: String
        var classifier: SignalClassifier
        var debouncer: SignalDebouncer
        /// Per frame: the locked state (back-dated when a change locks), its onset, and the lamp seen lit alone in
        /// that frame (nil: none, or several).
        var history: [(frame: Int, pts: Double, state: SignalState, onset: Double?, lit: SignalState?)] = []
    }

    /// A crossing on red, waiting to be reported.
    struct Violation {
        var track: Int
        var lane: Int
        var frame: Int
        var pts: Double
        var point: TrafficPoint
        var redFor: Double
        var box: TrafficBox
        /// Whether its track's rear was lamps it followed outside its own box or above another pair (`lampSearchArea`):
        /// a track that may hold another vehicle's crossing.
        var byFollowedLamps = false
    }

    /// - Parameters:
    ///   - redactor: blurs what must not leave memory; nil keeps no evidence at all.
    public init(configuration: TrafficConfiguration, redactor: (any EvidenceRedactor)? = nil,
                logger: Logger = Logger(label: "traffic")) {
        self.configuration = configuration
        self.redactor = redactor
        self.logger = logger
        let tuning = configuration.tuning
        groups = configuration.signalGroups.map {
            GroupState(name: $0.name, classifier: SignalClassifier(lamps: $0.lamps, lampContrast: tuning.lampContrast),
                       debouncer: SignalDebouncer(lockFrames: tuning.lockFrames, darkSeconds: tuning.darkSeconds))
        }
        tracker = BlobTracker(confirmHits: tuning.confirmHits, coastFrames: tuning.coastFrames)
        travel = configuration.direction * (1 / configuration.direction.dot(configuration.direction).squareRoot())
        lookingDownTheRoad = Self.looksDownTheRoad(configuration)
        let names = configuration.signalGroups.map(\.name)
        rules = configuration.laneRules.map { lane in
            (lane, CrossingRule(stopLine: lane.stopLine, direction: configuration.direction,
                                lanes: configuration.lanes),
             names.firstIndex(of: lane.signal))
        }
    }

    /// Called once per frame with a one-line account of the signal and the tracks (`replay --trace`).
    public var trace: ((String) -> Void)?

    /// The first signal group's state as locked now (the only one in the single-lane form).
    public var signalState: SignalState { groups[0].debouncer.state }
    /// Every signal group's locked state, by name.
    public var signalStates: [String: SignalState] {
        Dictionary(groups.map { ($0.name, $0.debouncer.state) }, uniquingKeysWith: { a, _ in a })
    }
    /// Called once per frame with what the stage saw (`replay --masks`): the picture, the motion mask, the blobs and
    /// the tracks. Copies the mask when set; nothing when nil.
    public var inspect: ((TrafficInspection) -> Void)?

    /// The live tracks (for diagnostics and tests).
    public var tracks: [Track] { tracker.tracks }

    public func process(_ frame: Frame) throws -> [Detection] {
        let index = Int(clamping: frame.seq) - 1
        var detections: [Detection] = []
        lastIndex = index
        for g in groups.indices {
            let observation = groups[g].classifier.observe(frame)
            if let change = groups[g].debouncer.observe(observation, frame: index, pts: frame.pts) {
                detections.append(signalDetection(change, group: g, frame))
                // The new state began with its run: the frames since then are judged on it (a crossing seen late,
                // after coasting, is placed back among them).
                for k in groups[g].history.indices where groups[g].history[k].frame >= change.onsetFrame {
                    groups[g].history[k].state = change.state
                    groups[g].history[k].onset = change.onsetPTS
                }
            }
            let debouncer = groups[g].debouncer
            let lit: SignalState? = if case .lit(let colour) = observation { colour } else { nil }
            groups[g].history.append((index, frame.pts, debouncer.state, debouncer.onsetPTS, lit))
            // Enough frames back for a coasting gap, and for a crossing that waited for the signal to settle.
            let keep = 64 + configuration.tuning.lockFrames
            if groups[g].history.count > keep { groups[g].history.removeFirst(groups[g].history.count - keep) }
        }

        let boxes = moving(frame)
        tracker.update(boxes: boxes, frame: index, pictureBottom: Double(frame.sourceHeight),
                       widthLimit: { [self] in widestVehicle(at: $0) }, lengthLimited: !(geometry?.model.dark ?? false))
        // A rear slice that took its front's blob is that vehicle: crossed if the front crossed for it (not when the
        // front left its crossing to this rear).
        for join in tracker.joined where !leftToRear.contains(join.gone) {
            if let lane = crossed[join.gone] { crossed[join.kept] = lane }
        }
        // The front that a rear slice took in entered for it.
        for join in tracker.joined where entries[join.kept] == nil {
            entries[join.kept] = entries[join.gone]
        }
        var reported: [Violation] = []
        // Why crossings seen this frame were not reported (for the trace only).
        var refusals: [String] = []
        // A crossing seen while its lane's red is giving way waits for the signal to settle.
        func submit(_ seen: SeenCrossing) {
            if let group = rules[seen.lane].group, let change = groups[group].debouncer.changing,
               groups[group].debouncer.state == .red, change.colour != .red, change.since <= seen.frame {
                unsettled.append(seen)
            } else {
                record(seen)
            }
        }
        func record(_ seen: SeenCrossing) {
            switch judge(seen) {
            case .violation(var violation):
                violation.byFollowedLamps = followingLamps.contains(seen.track.id)
                // Two tracks on one vehicle (one following its lamps from behind) report it once.
                if let earlier = recentViolations.first(where: { Self.sameCrossing($0, violation) }) {
                    if trace != nil { refusals.append("#\(seen.track.id) crossed where #\(earlier.track) did") }
                    return
                }
                recentViolations.append(violation)
                reported.append(violation)
            case .lawful(let why):
                if trace != nil { refusals.append("#\(seen.track.id) crossed \(rules[seen.lane].lane.name): \(why)") }
            }
        }
        // A blob's edge is the edge of its last model pixel, which the rear covers only in part: the rear is half a
        // model pixel further along, on average (otherwise a stop line just inside a model row is crossed a row late).
        let ahead = travel * ((geometry?.scale ?? 0) * 0.5)
        // At night the rear of a vehicle moving up the picture, seen from above, is where its tail lamps are: its blob
        // may run on behind it into the beam of the vehicle following. (Looking down the road the lamps stand above the
        // ground on the rear face: their image crosses the line before the vehicle does.)
        let lampsShowRears = (geometry?.model.dark ?? false) && travel.y < -0.5 && !lookingDownTheRoad
        followingLamps = []
        for track in tracker.tracks where track.measuredThisFrame {
            noteEntry(of: track, frame: index)
            var point = track.box.bottomCentre + ahead
            var lampsHidden = false
            if lampsShowRears, let rgb = frame.rgb {
                // Behind the lamps by more than half the vehicle's width: not its bumper, a beam or what follows.
                let beyond = max(8, 0.5 * track.box.width)
                if let lamps = Self.tailLamps(in: track.box, rgb: rgb, scale: frame.scaleToSource),
                   lamps.rear < point.y - beyond {
                    point = TrafficPoint(point.x, lamps.rear)
                    byLamps.insert(track.id)
                    recordLamps(lamps, of: track.id, frame: index)
                } else if byLamps.contains(track.id), let column = lampColumns[track.id],
                          let lamps = Self.tailLamps(in: Self.lampSearchArea(around: track.box,
                                                                             lastRow: lampRows[track.id]?.last?.y,
                                                                             beyond: beyond, below: point.y - beyond),
                                                     rgb: rgb, scale: frame.scaleToSource, accepting: { lamps in
                                                         Self.lampsAtTheirPace(lampRows[track.id] ?? [], rear: lamps.rear,
                                                                               frame: index)
                                                             && Self.lampsInTheirColumn(lamps, column)
                                                     }),
                          lamps.rear < point.y - beyond {
                    // The lowest pair of lamps where the pace of those it was judged by takes them, in their column,
                    // with another pair come into its box below (the vehicle behind, one blob with it), or gone on out
                    // of its box (the vehicle out of a beam that stays, a box narrowed by a blob's change): taken for
                    // the same lamps, its rear. (A pair lower down that is not them, beside its lane, hides nothing.)
                    point = TrafficPoint(point.x, lamps.rear)
                    recordLamps(lamps, of: track.id, frame: index)
                    followingLamps.insert(track.id)
                } else if byLamps.contains(track.id), let last = references[track.id], index - last.frame <= 3,
                          point.y - last.point.y > beyond {
                    // The lamps it was judged by are hidden this frame (rain, spray): not measured, for up to three
                    // frames; the next lamp point is judged over the whole span.
                    lampsHidden = true
                } else {
                    byLamps.remove(track.id)
                    lampRows[track.id] = nil
                    lampColumns[track.id] = nil
                }
            }
            defer {
                tracker.commitReference(of: track.id, frame: index)
                if !lampsHidden { references[track.id] = (point, index) }
            }
            if lampsHidden { continue }
            var recent = rears[track.id, default: []]
            recent.append((index, point.dot(travel), Self.extent(of: track.box, along: travel).front))
            if recent.count > Self.creepWindow { recent.removeFirst() }
            rears[track.id] = recent
            // A track that crossed and whose whole box (every corner, by more than a model pixel) is now before the
            // line it crossed is no longer that vehicle: it was handed from one object to the next (cross traffic, a
            // vehicle in another lane). It may cross again, once it is seen approaching.
            if let lane = crossed[track.id], track.box.corners.allSatisfy({
                rules[lane].rule.distanceBefore($0) > (geometry?.scale ?? 0)
            }) {
                crossed[track.id] = nil
                leftToRear.remove(track.id)
                approach[track.id] = 0
                rears[track.id] = [recent[recent.count - 1]]
            }
            // Only a track seen approaching for `confirmHits` frames may cross: a fragment that splits off a
            // vehicle at the painted line (a white truck over the white bar) is born there and must not count.
            let approached = approach[track.id, default: 0]
            if rules.contains(where: { $0.rule.isBefore(point) }) { approach[track.id] = approached + 1 }
            guard crossed[track.id] == nil, var last = references[track.id] else { continue }
            // A step that ends past its lane area's far end (outside every area) is judged only as a rear that lost its
            // last rows, below: otherwise it is a coasting track measured again on something else past the line.
            let inArea = crossing(from: last.point, to: point)
            guard var hit = inArea ?? crossing(from: last.point, to: point, pastTheAreas: true) else { continue }
            guard approached >= configuration.tuning.confirmHits else {
                if trace != nil { refusals.append("#\(track.id) seen approaching \(approached) frames") }
                continue
            }
            // A reference point that leaps (a vehicle's rear lost against paint of its own colour) is no
            // evidence of crossing: judge only steps the track's own motion explains.
            let frames = Double(max(index - last.frame, 1))
            let expected = (track.velocity.dot(track.velocity)).squareRoot() * frames
            let step = point - last.point
            let leap = step.dot(step).squareRoot(), explained = 2.5 * expected + 0.3 * track.box.height + 8
            guard leap <= explained else {
                if trace != nil {
                    refusals.append("#\(track.id) leapt \(Self.px(leap)) px (motion explains \(Self.px(explained)))")
                }
                continue
            }
            // A rear that leapt over the line further than steady motion explains (more than twice, and 8 px) lost its
            // last rows against the road: it crosses when its steady motion before the leap takes it over the line.
            let lostRows = leap > 2 * expected + 8
                ? foreseenCrossing(of: track, from: last, lane: hit.lane, now: index) : nil
            guard inArea != nil || lostRows != nil else {
                if trace != nil { refusals.append("#\(track.id) stepped past its lane area's end") }
                continue
            }
            // Nor is a rear that stood still and then reached the line in a jump or two (a queue's blob that lost
            // a waiting vehicle's rear, a pedestrian's blob joining it): over the last measured frames the rear must
            // have advanced by steps its typical (median) step explains (a leap of lost rows is explained).
            var crept = false
            switch unsteadyAdvance(of: track.id) {
            case nil: break
            case .standing? where creptSteadily(track.id): crept = true
            case .standing(let why)?:
                if trace != nil { refusals.append("#\(track.id) \(why)") }
                continue
            case .leapt? where lostRows != nil: break
            case .leapt(let why)?:
                // Unless the rear was held back by something it touched (a shadow, a stationary blob behind it) and
                // caught up with a front that advanced steadily all along: then the vehicle crossed when the rear
                // its front implies did.
                guard let caughtUp = rearCaughtUp(track, at: point) else {
                    if trace != nil { refusals.append("#\(track.id) \(why)") }
                    continue
                }
                (last, hit) = caughtUp
            }
            // A cyclist or a pedestrian is no vehicle: narrower than a motorbike (80 % of the side of `min_area`).
            guard track.box.width >= 0.8 * configuration.minArea.squareRoot() else {
                if trace != nil { refusals.append("#\(track.id) too narrow for a vehicle") }
                continue
            }
            crossed[track.id] = hit.lane
            // The front of a vehicle whose middle is lost against the road crosses before its rear: when another
            // track follows right behind at the same speed, that one is the rear, and its crossing the vehicle's.
            if followedByItsRear(track) {
                leftToRear.insert(track.id)
                if trace != nil { refusals.append("#\(track.id) crossed, left to the track behind (its rear)") }
                continue
            }
            var seen = SeenCrossing(track: track, lane: hit.lane, last: last, fraction: hit.fraction,
                                    now: (index, frame.pts), entered: entries[track.id])
            // A track unseen for longer than a lone track may coast (measured again `coast_frames` + 1 frames on, at the
            // latest) was hidden inside another object's blob, which vouched for it while it coasted on at its pace: a
            // vehicle passing behind a bus. Where it is measured again is its own only if it then moves on from there
            // at a vehicle's pace; something standing where the coasting track happened to be (a beam ahead of a queue
            // it coasted through) is not it.
            if index - last.frame > configuration.tuning.coastFrames + 1 {
                emerging.append((seen, point.dot(travel)))
                continue
            }
            // A rear that crept onto the line must creep on: a standing one whose last row flickered onto it goes back.
            if crept {
                creepingOver.append((seen, point.dot(travel)))
                continue
            }
            // A short front's rear may be seen again only now, a new track behind it: the crossing waits a few frames
            // for it. (Not a rear that lost its last rows, the box shrinking from behind: its pace foresees it.)
            if lostRows == nil, mayBeAFront(track), track.box.height < 0.8 * track.box.width, !lookingDownTheRoad,
               !(geometry?.model.dark ?? false) {
                awaitingRear.append(seen)
                continue
            }
            seen.foreseen = lostRows
            if let lostRows {
                if trace != nil {
                    refusals.append("#\(track.id) lost its rear's last rows: deferred to frame \(lostRows), where its pace takes it over")
                }
                foreseen.append(seen)
                continue
            }
            submit(seen)
        }
        // Short fronts whose rear may yet be seen behind them: left to that rear once it is, judged as seen when it is
        // not within `emergingFrames` (or their track is gone).
        awaitingRear.removeAll { seen in
            guard let now = tracker.tracks.first(where: { $0.id == seen.track.id }) else {
                submit(seen)
                return true
            }
            if now.measuredThisFrame, followedByItsRear(now) {
                leftToRear.insert(now.id)
                if trace != nil {
                    refusals.append("#\(now.id) crossed, left to the track behind (its rear, seen since)")
                }
                return true
            }
            guard index - seen.now.frame >= Self.emergingFrames else { return false }
            submit(seen)
            return true
        }
        // Rears that crept onto the line: judged once they have crept on by a model pixel, dropped (and free to cross
        // again) when they fall back before the line.
        creepingOver.removeAll { entry in
            // Its track gone (joined into another, lost) while its rear was still past the line: judged as seen.
            guard let now = tracker.tracks.first(where: { $0.id == entry.seen.track.id }) else {
                submit(entry.seen)
                return true
            }
            guard now.measuredThisFrame, let reference = references[now.id], reference.frame == index else {
                return false
            }
            if reference.point.dot(travel) >= entry.along + (geometry?.scale ?? 0) - 0.01 {
                submit(entry.seen)
                return true
            }
            // However long it stands past the line first (a vehicle that crept over at red, waited, then drove on).
            guard rules[entry.seen.lane].rule.isBefore(reference.point) else { return false }
            crossed[now.id] = nil
            if trace != nil {
                refusals.append("#\(now.id) crept onto the line at frame \(entry.seen.frame) and fell back before it")
            }
            return true
        }
        // Tracks that came out of hiding past a line: judged once they have moved on `emergingFrames` at the slowest
        // pace (less a model pixel of rounding), dropped when they have not.
        emerging.removeAll { entry in
            guard let now = tracker.tracks.first(where: { $0.id == entry.seen.track.id }) else { return true }
            let frames = index - entry.seen.now.frame
            guard now.measuredThisFrame || frames > Self.emergingFrames else { return false }
            let advance = references[now.id].map { $0.point.dot(travel) - entry.along } ?? 0
            if frames >= Self.emergingFrames, advance >= Self.slowest * Double(frames) - (geometry?.scale ?? 0) {
                submit(entry.seen)
                return true
            }
            guard frames >= Self.emergingFrames else { return false }
            if trace != nil {
                refusals.append("#\(now.id) came out of hiding past the line and advanced \(Self.px(advance)) px in "
                    + "\(frames) frames: not the vehicle hidden")
            }
            return true
        }
        // Crossings foreseen for this frame, judged now (with the box the vehicle has now, while it is tracked).
        foreseen.removeAll { seen in
            guard let at = seen.foreseen, at <= index else { return false }
            var due = seen
            if let now = tracker.tracks.first(where: { $0.id == seen.track.id }) { due.track = now }
            submit(due)
            return true
        }
        // Crossings seen as the red was giving way, once the new colour has locked (the history back-dated to its
        // first frame) or its run has broken: judged on the history of their frame.
        unsettled.removeAll { seen in
            if let group = rules[seen.lane].group, let change = groups[group].debouncer.changing,
               change.since <= seen.frame { return false }
            record(seen)
            return true
        }
        if let trace {
            let tracks = tracker.tracks.map { t in
                "#\(t.id)\(t.confirmed ? "" : "?")\(t.measuredThisFrame ? "" : "~")["
                    + [t.box.left, t.box.top, t.box.right, t.box.bottom].map { Self.px($0) }
                    .joined(separator: ",") + "]"
            }
            let signals = groups.map {
                (groups.count > 1 ? "\($0.name):" : "") + "\($0.debouncer.state.rawValue) lit "
                    + "\($0.classifier.litLamps.map(\.rawValue))"
            }
            trace("frame \(index) signal \(signals.joined(separator: " ")) "
                + "gain \(geometry.map { String(Self.round(Double($0.model.gain), 3)) } ?? "-") tracks "
                + tracks.joined(separator: " ") + " blobs "
                + boxes.map { b in
                    "[" + [b.left, b.top, b.right, b.bottom].map { Self.px($0) }.joined(separator: ",") + "]"
                }.joined(separator: " ")
                + reported.map { " reported #\($0.track) \(rules[$0.lane].lane.name) frame \($0.frame)" }.joined()
                + (refusals.isEmpty ? "" : " not reported: " + refusals.joined(separator: "; ")))
        }
        if let inspect, let geometry {
            inspect(TrafficInspection(
                frame: index, picture: frame.gray, pictureScale: frame.scaleToSource,
                mask: Image(width: geometry.model.width, height: geometry.model.height, channels: 1,
                            pixels: geometry.extractor.cleanedMask),
                maskScale: geometry.scale, stopLines: configuration.laneRules.map(\.stopLine), blobs: boxes,
                tracks: tracker.tracks, reported: Set(reported.map(\.track))))
        }
        let live = Set(tracker.tracks.map(\.id))
        crossed = crossed.filter { live.contains($0.key) }
        leftToRear.formIntersection(live)
        approach = approach.filter { live.contains($0.key) }
        rears = rears.filter { live.contains($0.key) }
        fronts = fronts.filter { live.contains($0.key) }
        entries = entries.filter { live.contains($0.key) }
        references = references.filter { live.contains($0.key) }
        byLamps.formIntersection(live)
        // Kept as long as a crossing judged late (emerging, waiting for its rear or the signal) may be placed back in
        // time: as far as the signal's history reaches.
        let reach = 72 + min(max(configuration.tuning.lockFrames, 0), 1_000)
        recentViolations.removeAll { index - $0.frame > reach }
        lampRows = lampRows.filter { live.contains($0.key) }
        lampColumns = lampColumns.filter { live.contains($0.key) }
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
        deliverEvidence(frame: frame, crossings: pending)
        return detections
    }

    /// The stream ended (the footage ran out, or the daemon stopped or reloaded). A crossing still waiting for the
    /// colour lit in place of the red to lock is not reported: that colour was lit from the crossing's frame to the
    /// end, and only the stream's end kept it from locking — the benefit of the doubt goes to the driver, so that
    /// where a stream is cut never makes a violation (the trace says so); nor is a crossing foreseen for a frame after
    /// the end. Evidence still waiting for its "after"
    /// frame is completed with the frames there are (before and at the crossing).
    public func streamEnded() throws -> [Detection] {
        guard let lastIndex else { return [] }
        if let trace {
            let waiting = unsettled.map { seen in
                let change = rules[seen.lane].group.flatMap { groups[$0].debouncer.changing }
                let signal = change.map { "signal \($0.colour.rawValue) lit since frame \($0.since), not locked" }
                return "#\(seen.track.id) crossed \(rules[seen.lane].lane.name) at frame \(seen.frame): "
                    + (signal ?? "signal unsettled")
            }
            let ahead = foreseen.map { "#\($0.track.id) foreseen to cross at frame \($0.frame), after the end" }
            let fronts = awaitingRear.map {
                "#\($0.track.id) crossed at frame \($0.frame), a short front still waiting for its rear"
            }
            let hidden = emerging.map {
                "#\($0.seen.track.id) crossed at frame \($0.seen.frame), out of hiding, not yet seen moving on"
            }
            let creeping = creepingOver.map {
                "#\($0.seen.track.id) crept onto the line at frame \($0.seen.frame), not yet seen creeping on"
            }
            let all = waiting + ahead + fronts + hidden + creeping
            trace("stream ended after frame \(lastIndex)"
                + (all.isEmpty ? "" : " not reported: " + all.joined(separator: "; ")))
        }
        unsettled = []
        foreseen = []
        awaitingRear = []
        emerging = []
        creepingOver = []
        deliver(evidence.finish())
        return []
    }

    /// Whether `track` has the shape of a front whose rear is lost (`followedByItsRear`): moving, and shorter along the
    /// road than 80 % of its width, or at night.
    private func mayBeAFront(_ track: Track) -> Bool {
        track.velocity.dot(travel) > 0 && (track.box.height < 0.8 * track.box.width || (geometry?.model.dark ?? false))
    }

    /// Whether `track` is the front of a vehicle whose middle went missing against the road (rain, snow, paint like
    /// the asphalt): shorter along the road than 80 % of its width (a vehicle seen whole is longer than wide, or about
    /// as long in perspective), with a measured track right behind it (overlapping it across, its front within
    /// `track`'s width of `track`'s rear) moving at its speed. Then the rear's crossing is the vehicle's. A vehicle
    /// following close behind another is not taken for its rear: the one ahead is seen whole. At night (the model's
    /// dark mode) the front may be longer — a dark body's blob is its headlight beam and lit front — when the track
    /// behind is itself shorter than 80 % of its width (the slice of its tail lamps).
    private func followedByItsRear(_ track: Track) -> Bool {
        guard mayBeAFront(track) else { return false }
        let d = travel
        let speed = track.velocity.dot(d)
        let short = track.box.height < 0.8 * track.box.width
        return tracker.tracks.contains { other in
            guard other.id != track.id, other.measuredThisFrame, other.hits >= 2 else { return false }
            guard short || other.box.height < 0.8 * other.box.width else { return false }
            let across = min(track.box.right, other.box.right) - max(track.box.left, other.box.left)
            guard across >= 0.5 * min(track.box.width, other.box.width) else { return false }
            // Along the direction of travel: how far the other's front is behind this one's rear.
            let gap = (track.box.bottomCentre - TrafficPoint((other.box.left + other.box.right) / 2, other.box.top)).dot(d)
            guard gap >= -4, gap <= (lookingDownTheRoad ? 0.25 : 1) * track.box.width else { return false }
            // A short front and its rear are one vehicle: seen from above, together no longer than a vehicle can be.
            guard !short || lookingDownTheRoad || track.box.union(other.box).height <= BlobTracker.longest * track.box.width
            else { return false }
            return abs(other.velocity.dot(d) - speed) <= 0.5 * speed + 3
        }
    }

    /// The frame in which the rear of `track`, which leapt from `last` over the line of `lane`, crosses at the pace it
    /// kept before (its median step over its last measured frames before this one, at least `slowest`). Nil when that
    /// pace takes it over the line by this frame (the step's own crossing stands), or only more than `foresight` frames
    /// on (too far ahead to foresee: the vehicle may yet stop).
    private func foreseenCrossing(of track: Track, from last: (point: TrafficPoint, frame: Int), lane: Int,
                                  now index: Int) -> Int? {
        guard let points = steadyRears(track.id), points.count >= 3 else { return nil }
        var steps: [Double] = []
        for k in 1..<(points.count - 1) {
            steps.append((points[k].along - points[k - 1].along) / Double(max(points[k].frame - points[k - 1].frame, 1)))
        }
        steps.sort()
        let pace = steps[steps.count / 2]
        guard pace >= Self.slowest else { return nil }
        // The pace is along the road, the distance straight across the line: the road meets the line at an angle.
        let closing = pace * rules[lane].rule.normal.dot(travel)
        return Self.foreseenFrame(from: last.frame, distance: rules[lane].rule.distanceBefore(last.point),
                                  closing: closing, now: index)
    }

    /// How many frames into a gap of `gap` frames (at least 1) the fraction `fraction` of it reaches, rounded up: at
    /// least 1, at most the gap. Computed so that no gap and no fraction (NaN, infinite, beyond 1 or below 0)
    /// traps.
    static func framesInto(_ fraction: Double, of gap: Int) -> Int {
        guard gap > 1 else { return max(gap, 1) }
        let steps = (fraction * Double(gap)).rounded(.up)
        guard steps.isFinite else { return gap }
        return steps < 1 ? 1 : steps < Double(gap) ? Int(steps) : gap
    }

    /// The frame in which a rear `distance` before a line on frame `last`, closing on it `closing` a frame, crosses it
    /// (at least one frame on: a rear already past the line, however far, crosses on the next), when that frame is
    /// after `index` and at most `foresight` frames after it; else nil (also when `closing` is not positive or NaN).
    /// A road nearly parallel to its line (a configuration built in code skips the camera file's check) closes on it
    /// barely at all: the quotient is bounded before it becomes an `Int`, and the frames are added and compared with
    /// overflow checked (nil where one would overflow), so no value traps.
    static func foreseenFrame(from last: Int, distance: Double, closing: Double, now index: Int) -> Int? {
        guard closing > 0 else { return nil }
        let quotient = (distance / closing).rounded(.up)
        guard !quotient.isNaN, quotient < 0x1p63 else { return nil }
        let frames = quotient < 1 ? 1 : Int(quotient)
        let (gap, gapOverflow) = index.subtractingReportingOverflow(last)
        let (beyond, beyondOverflow) = frames.subtractingReportingOverflow(gap)
        let (at, atOverflow) = last.addingReportingOverflow(frames)
        guard !gapOverflow, !beyondOverflow, !atOverflow, beyond > 0, beyond <= foresight else { return nil }
        return at
    }

    /// Why the advance of track `id`'s rear over its last measured frames is no vehicle's steady motion, or nil when
    /// it is. Before the step that crosses, the rear must have advanced at least `slowest` a frame, less a model pixel
    /// of rounding, and by something (a rear standing at the line moves a model pixel or two to and fro; a track born
    /// there a few frames ago has too short a history for the rounding to leave room) — or, over at least four steps
    /// before it, its middle step must be `slowest` with no step back but the last (a piece behind that joined the
    /// blob for the frame before the crossing pulled that measurement back, not the vehicle); and the whole advance
    /// must be within twice what the median step (at least one source pixel a frame) covers over the span, plus 8 px
    /// and a model pixel (a rear that jumps to the line from a standstill is another object's edge). A vehicle approaching
    /// or pulling away advances every frame or two and passes both.
    private func unsteadyAdvance(of id: Int) -> Unsteady? {
        guard let points = steadyRears(id), points.count >= 3, let first = points.first, let last = points.last,
              last.frame > first.frame else { return nil }
        let rounding = geometry?.scale ?? 0
        let before = points[points.count - 2]
        let advanceBefore = before.along - first.along, spanBefore = Double(before.frame - first.frame)
        var steps: [Double] = []
        for k in 1..<points.count {
            steps.append((points[k].along - points[k - 1].along) / Double(max(points[k].frame - points[k - 1].frame, 1)))
        }
        let earlier = Array(steps.dropLast())
        let typicalBefore = earlier.isEmpty ? 0 : earlier.sorted()[earlier.count / 2]
        let onlyTheLastFellBack = earlier.dropLast().allSatisfy { $0 >= 0 }
        guard advanceBefore >= Self.slowest * spanBefore - rounding && advanceBefore > 0
              || earlier.count >= 4 && onlyTheLastFellBack && typicalBefore >= Self.slowest else {
            return .standing(
                "advanced \(Self.px(advanceBefore)) px in the \(Self.px(spanBefore)) frames before: standing at the line")
        }
        steps.sort()
        let n = steps.count
        let median = n % 2 == 1 ? steps[n / 2] : (steps[n / 2 - 1] + steps[n / 2]) / 2
        let span = Double(last.frame - first.frame)
        let advance = last.along - first.along
        let explained = 2 * max(median, 1) * span + 8 + rounding
        guard advance > explained else { return nil }
        return .leapt("advanced \(Self.px(advance)) px in \(Self.px(span)) frames, "
            + "steady motion explains \(Self.px(explained))")
    }

    /// Whether the rear of track `id` crept up to the line: over its last `creepWindow` measured frames it advanced by
    /// at least three model pixels, half a pixel a frame, in at least three steps, none back and none longer than a
    /// model pixel. A rear a little slower than `slowest` moves a model row every few frames, and a pause of five frames
    /// before the row that crosses reads as standing over the shorter window; something standing at the line moves to
    /// and fro, and a rear that jumps to it from a standstill takes a step longer than a model pixel.
    private func creptSteadily(_ id: Int) -> Bool {
        guard let points = rears[id], points.count >= Self.creepWindow,
              let first = points.first, let last = points.last else { return false }
        let rounding = geometry?.scale ?? 0
        var advancing = 0
        for k in 1..<points.count {
            let step = points[k].along - points[k - 1].along
            if step < -0.01 || step > rounding + 0.01 { return false }
            if step > 0.01 { advancing += 1 }
        }
        guard advancing >= 3 else { return false }
        let span = Double(last.frame - first.frame)
        return last.along - first.along >= 3 * rounding && last.along - first.along >= 0.5 * span
    }

    /// The last `steadyWindow` of track `id`'s measured reference points (`rears`), which the steadiness checks read.
    private func steadyRears(_ id: Int) -> [(frame: Int, along: Double, front: Double)]? {
        rears[id].map { Array($0.suffix(Self.steadyWindow)) }
    }

    /// Why a rear's advance is no vehicle's steady motion.
    enum Unsteady {
        /// It stood at the line before the step that crossed.
        case standing(String)
        /// It advanced more than its typical step explains.
        case leapt(String)
    }

    /// Where the rear of `track`, now at `point`, crossed if it was held back by something it touched and has just
    /// caught up with its front (the box's furthest point along the road), when the reference point is the rear
    /// (in the box's back quarter along the road: traffic moving up the picture): over the last measured frames the
    /// front advanced by steps (per frame) whose median is at least `slowest`, none back by more than a model pixel,
    /// and by no more in all than twice that median covers over the span, plus 8 px and a model pixel; and the box is
    /// now no longer than 1.25 times the vehicle's length seen alone (the rear is the vehicle's again, nothing behind
    /// it). The rear was then the front less today's length at each of those frames, and the crossing is that rear's:
    /// the step that crossed and the fraction along it. Nil otherwise, or when that rear crossed no stop line.
    private func rearCaughtUp(_ track: Track, at point: TrafficPoint)
        -> (last: (point: TrafficPoint, frame: Int), hit: (lane: Int, fraction: Double))?
    {
        guard let points = steadyRears(track.id), points.count >= 3, let first = points.first, let now = points.last,
              now.frame > first.frame, track.box.height <= 1.25 * track.size.height else { return nil }
        let extent = Self.extent(of: track.box, along: travel)
        guard now.front - now.along >= 0.75 * (extent.front - extent.rear) else { return nil }
        let rounding = geometry?.scale ?? 0
        let steps = (1..<points.count).map { k in
            (points[k].front - points[k - 1].front) / Double(max(points[k].frame - points[k - 1].frame, 1))
        }.sorted()
        let n = steps.count
        let median = n % 2 == 1 ? steps[n / 2] : (steps[n / 2 - 1] + steps[n / 2]) / 2
        let span = Double(now.frame - first.frame)
        guard median >= Self.slowest, steps[0] >= -rounding,
              now.front - first.front <= 2 * median * span + 8 + rounding else { return nil }
        // The implied rear at each frame: this frame's reference point moved back by how far the front has come since.
        func rear(_ k: Int) -> TrafficPoint { point - travel * (now.front - points[k].front) }
        for k in 1..<points.count {
            guard let hit = crossing(from: rear(k - 1), to: rear(k)) else { continue }
            // As a fraction of the span from that frame to this one (`SeenCrossing.frame` interpolates over it).
            let from = points[k - 1].frame
            let frames = Self.framesInto(hit.fraction, of: points[k].frame - from)
            return ((rear(k - 1), from), (hit.lane, (Double(frames) - 0.5) / Double(max(now.frame - from, 1))))
        }
        return nil
    }

    /// The rear edge (source pixels down the picture) of the lowest pair of tail lamps inside `box`: a row with a lamp
    /// in the left third and one in the right third of where red is in it and the three rows above (spanning at least
    /// 30 % of the box's width, with a column free of red between them: two lamps, not one wide red light), each at least
    /// two pixels of a saturated red (red at least 150 and more than twice green and blue) within those four rows; the
    /// rear is half a source pixel below the pair's lowest row (a lamp's last row is a pixel or two inside the body's
    /// edge). Nil without such a pair.
    static func tailLampRear(in box: TrafficBox, rgb: Image, scale: Double) -> Double? {
        tailLamps(in: box, rgb: rgb, scale: scale)?.rear
    }

    /// A pair of tail lamps (`tailLamps`), in source pixels: the rear edge below them, and the first and last columns
    /// of all the red in their rows within the area searched (the outer edges of the two lamps when they are the only
    /// red there).
    struct LampPair: Equatable {
        var rear: Double
        var left: Double
        var right: Double
        var centre: Double { (left + right) / 2 }
    }

    /// The lowest pair of tail lamps in `box` that `accepting` takes, as `tailLampRear` finds them, with its columns.
    static func tailLamps(in box: TrafficBox, rgb: Image, scale: Double,
                          accepting: (LampPair) -> Bool = { _ in true }) -> LampPair? {
        guard rgb.channels == 3, scale.isFinite, scale > 0 else { return nil }
        // Clamped to the picture before any conversion to Int (huge finite edges, a tiny scale).
        func column(_ x: Double, _ rule: FloatingPointRoundingRule) -> Int {
            Int(min(max((x / scale).rounded(rule), 0), Double(rgb.width)))
        }
        func row(_ y: Double, _ rule: FloatingPointRoundingRule) -> Int {
            Int(min(max((y / scale).rounded(rule), 0), Double(rgb.height)))
        }
        guard box.left.isFinite, box.right.isFinite, box.top.isFinite, box.bottom.isFinite else { return nil }
        let (left, right) = (column(box.left, .down), column(box.right, .up))
        let (top, bottom) = (row(box.top, .down), row(box.bottom, .up))
        guard right - left >= 6, bottom > top else { return nil }
        return rgb.pixels.withUnsafeBufferPointer { px -> LampPair? in
            func red(_ y: Int, _ x: Int) -> Bool {
                let i = (y * rgb.width + x) * 3
                let (r, g, b) = (Int(px[i]), Int(px[i + 1]), Int(px[i + 2]))
                return r >= 150 && r > 2 * g && r > 2 * b
            }
            func lit(_ y: Int, _ from: Int, _ to: Int) -> Int {
                let (a, b) = (max(from, left), min(to, right))
                guard a < b else { return 0 }
                var n = 0
                for x in a..<b where red(y, x) { n += 1 }
                return n
            }
            // Each row's first and last red column in the box (nil: none).
            let extent: [(first: Int, last: Int)?] = (top..<bottom).map { y in
                guard let first = (left..<right).first(where: { red(y, $0) }),
                      let last = (left..<right).last(where: { red(y, $0) }) else { return nil }
                return (first, last)
            }
            // The lowest row of either lamp, with the other lamp on that row or the three above it: over those rows,
            // the red spans at least 30 % of the box's width (a car's lamps are at its corners, but its box may hold
            // more beside it: the beam of a vehicle in the next lane), with a lamp in the span's left third and one in
            // its right third, and a gap between them.
            var y = bottom - 1
            while y >= top {
                let rows = max(top, y - 3)...y
                let spans = rows.compactMap { extent[$0 - top] }
                if extent[y - top] != nil, let first = spans.map(\.first).min(), let last = spans.map(\.last).max(),
                   Double(last + 1 - first) >= 0.3 * Double(right - left) {
                    let third = max((last + 1 - first) / 3, 1)
                    let (one, other) = (first..<(first + third), (last + 1 - third)..<(last + 1))
                    // Two lamps, not one red light as wide (a high brake lamp, the signal's own lamp): some column of
                    // the span's middle third holds no red in those rows.
                    let middle = (first + third)..<max(first + third, last + 1 - third)
                    guard middle.contains(where: { x in !rows.contains { red($0, x) } }) else {
                        y -= 1
                        continue
                    }
                    func pair(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
                        lit(y, a.lowerBound, a.upperBound) >= 2 && rows.contains { lit($0, b.lowerBound, b.upperBound) >= 2 }
                    }
                    if pair(one, other) || pair(other, one) {
                        let lamps = LampPair(rear: Double(y + 1) * scale + 0.5, left: Double(first) * scale,
                                             right: Double(last + 1) * scale)
                        if accepting(lamps) { return lamps }
                        // Refused: not the same lamps again a row or two higher (a rear biased forward), but on above
                        // the rows with red within their columns.
                        while y >= top, lit(y, first, last + 1) > 0 { y -= 1 }
                        continue
                    }
                }
                y -= 1
            }
            return nil
        }
    }

    /// Notes that track `id` was judged by the tail lamps `lamps` in frame `frame`. The rows of the same lamps, up to
    /// four: a pair further back than the last one (more than 4 px) is another vehicle's, and starts anew. Their columns,
    /// the last pair's.
    private func recordLamps(_ lamps: LampPair, of id: Int, frame: Int) {
        var rows = lampRows[id, default: []]
        if let last = rows.last, lamps.rear > last.y + 4 { rows = [] }
        rows.append((frame, lamps.rear))
        if rows.count > 4 { rows.removeFirst(rows.count - 4) }
        lampRows[id] = rows
        lampColumns[id] = (lamps.centre, lamps.right - lamps.left)
    }

    /// Whether a pair of lamps is in the column of those a track followed (`column`, as `recordLamps` keeps it): its
    /// middle within half their span of theirs. A vehicle keeps to its lane from one frame to the next; a pair in the
    /// band beside the box (a vehicle in the next lane) is not its lamps, whatever its row.
    static func lampsInTheirColumn(_ lamps: LampPair, _ column: (centre: Double, span: Double)) -> Bool {
        abs(lamps.centre - column.centre) <= 0.5 * column.span
    }

    /// Where the lamps a track followed are looked for once they are not the lowest pair in its box: its box, widened by
    /// a quarter of its width on each side and reaching up twice `beyond` above their last row (`lastRow`) where that
    /// is above the box's top (the lamps may have gone on out of the box), but never more than twice `beyond` above the
    /// box's top (a box that stays, a beam, does not follow lamps up the picture); down to `below` (above the pair now
    /// at the box's bottom).
    static func lampSearchArea(around box: TrafficBox, lastRow: Double?, beyond: Double, below: Double) -> TrafficBox {
        let top = max(min(box.top, (lastRow ?? .infinity) - 2 * beyond), box.top - 2 * beyond)
        return TrafficBox(left: box.left - 0.25 * box.width, top: top, right: box.right + 0.25 * box.width,
                          bottom: below)
    }

    /// Whether two violations are one vehicle's crossing reported by two tracks, one of them following its lamps from
    /// behind (`byFollowedLamps`): the same lane, within `sameCrossingSeconds`, their points within half the wider box's
    /// width across.
    static func sameCrossing(_ a: Violation, _ b: Violation) -> Bool {
        (a.byFollowedLamps || b.byFollowedLamps) && a.lane == b.lane && abs(a.pts - b.pts) <= sameCrossingSeconds
            && abs(a.point.x - b.point.x) < 0.5 * max(a.box.width, b.box.width)
    }

    /// Whether a pair of lamps with its rear at row `rear` in frame `frame` lies where the pace of the lamps a track
    /// was judged by (`rows`, as `recordLamps` keeps them) takes them from where they were last seen (up to three
    /// frames before), within half a frame's advance and 4 px. Their own pace, not the box's: the box may run from the
    /// picture's top edge to its bottom (a column and its beams) and not move. False without two rows of the same
    /// lamps.
    static func lampsAtTheirPace(_ rows: [(frame: Int, y: Double)], rear: Double, frame: Int) -> Bool {
        guard rows.count >= 2, let first = rows.first, let last = rows.last,
              frame > last.frame, frame - last.frame <= 3, last.frame > first.frame else { return false }
        // Rows up the picture: lamps moving on come up (a smaller row); a pace backwards is none.
        let pace = max(0, (first.y - last.y) / Double(last.frame - first.frame))
        return abs((last.y - rear) - pace * Double(frame - last.frame)) <= 0.5 * pace + 4
    }

    /// How far along the unit vector `direction` the box reaches: its nearest and furthest corners.
    static func extent(of box: TrafficBox, along direction: TrafficPoint) -> (rear: Double, front: Double) {
        let centre = TrafficPoint((box.left + box.right) / 2, (box.top + box.bottom) / 2).dot(direction)
        let reach = (abs(box.width * direction.x) + abs(box.height * direction.y)) / 2
        return (centre - reach, centre + reach)
    }

    /// The widest a vehicle may be with its rear at `point`: 1.5 times the widest lane there (the lane areas' width
    /// across the direction of travel at that point, or the stop lines' lengths without areas); unlimited with one
    /// lane. Two vehicles side by side are twice a lane wide.
    private func widestVehicle(at point: TrafficPoint) -> Double {
        guard rules.count > 1 else { return .infinity }
        var widest = 0.0
        if configuration.lanes.isEmpty {
            for rule in rules { widest = max(widest, rule.lane.stopLine.length) }
        } else {
            let along = point.dot(travel)
            for area in configuration.lanes { widest = max(widest, area.width(across: travel, at: along)) }
        }
        return widest > 0 ? 1.5 * widest : .infinity
    }

    /// The model pixels the background model keeps out of its regional light factor: where each confirmed track shaped
    /// like a vehicle (no wider than `widest` allows at its rear, no longer than `BlobTracker.longest` times its
    /// width) is now and where one frame of its velocity takes it, with a model pixel around. A box of another shape
    /// may be a shadow's edge taken for motion, and holding it would keep it motion. `scale`: source pixels per model
    /// pixel.
    static func heldAreas(of tracks: [Track], scale: Double, widest: (TrafficPoint) -> Double)
        -> [BackgroundModel.Area]
    {
        guard scale > 0 else { return [] }
        return tracks.compactMap { track in
            let (box, v) = (track.box, track.velocity)
            let (width, length) = (box.right - box.left, box.bottom - box.top)
            // Model pixels, for boxes within a (generous) range of the picture: nothing here may overflow.
            func cell(_ x: Double, _ rule: FloatingPointRoundingRule) -> Int? {
                let c = (x / scale).rounded(rule)
                return c.isFinite && abs(c) < 1e9 ? Int(c) : nil
            }
            guard track.confirmed, length <= BlobTracker.longest * width, width <= widest(box.bottomCentre),
                  let left = cell(box.left + min(v.x, 0), .down), let top = cell(box.top + min(v.y, 0), .down),
                  let right = cell(box.right + max(v.x, 0), .up), let bottom = cell(box.bottom + max(v.y, 0), .up)
            else { return nil }
            return BackgroundModel.Area(left: left - 1, top: top - 1, right: right + 1, bottom: bottom + 1)
        }
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
            let areas = configuration.lanes.isEmpty
                ? Self.laneBands(configuration) : configuration.lanes.map { Self.sweptOn($0, configuration.direction) }
            let extractor = BlobExtractor(width: model.width, height: model.height,
                                          lanes: areas.map { $0.scaled(by: 1 / scale) },
                                          region: configuration.region?.scaled(by: 1 / scale))
            let minCells = max(1, Int((configuration.minArea / (scale * scale)).rounded(.up)))
            geometry = Geometry(model: model, extractor: extractor, imageWidth: gray.width, imageHeight: gray.height,
                                scale: scale, minCells: minCells)
        }
        // The tracks are last frame's: the vehicles the model must not take for light.
        let held = Self.heldAreas(of: tracker.tracks, scale: geometry!.scale, widest: { [self] in widestVehicle(at: $0) })
        let mask = geometry!.model.update(gray: gray.pixels, imageWidth: gray.width, held: held)
        let blobs = geometry!.extractor.extract(mask, minArea: geometry!.minCells)
        let s = geometry!.scale
        return blobs.map {
            TrafficBox(left: Double($0.minX) * s, top: Double($0.minY) * s,
                       right: Double($0.maxX + 1) * s, bottom: Double($0.maxY + 1) * s)
        }
    }

    /// The lane whose stop line the motion `from` → `to` crosses (the earliest along the motion when it
    /// crosses several), with the fraction along the motion.
    private func crossing(from: TrafficPoint, to: TrafficPoint, pastTheAreas: Bool = false)
        -> (lane: Int, fraction: Double)?
    {
        var best: (lane: Int, fraction: Double)?
        for (index, entry) in rules.enumerated() {
            if let fraction = entry.rule.crossing(from: from, to: to, pastTheAreas: pastTheAreas),
               fraction < best?.fraction ?? .infinity {
                best = (index, fraction)
            }
        }
        return best
    }

    /// Without lane areas, several lanes still keep their vehicles apart: each lane's stop line swept along
    /// the direction of travel is a band, bands meeting halfway between neighbouring stop lines, so that two
    /// vehicles side by side in adjacent lanes never merge into one blob. Empty for a single lane.
    public static func laneBands(_ configuration: TrafficConfiguration) -> [TrafficPolygon] {
        guard configuration.laneRules.count > 1 else { return [] }
        let d = configuration.direction * (1 / configuration.direction.dot(configuration.direction).squareRoot())
        let across = TrafficPoint(-d.y, d.x)
        var extents = configuration.laneRules.map { lane -> (lo: Double, hi: Double) in
            let a = lane.stopLine.start.dot(across), b = lane.stopLine.end.dot(across)
            return (min(a, b), max(a, b))
        }
        extents.sort { $0.lo + $0.hi < $1.lo + $1.hi }
        let far = 1e5
        var bands: [TrafficPolygon] = []
        for (i, extent) in extents.enumerated() {
            let lo = i == 0 ? -far : (extents[i - 1].hi + extent.lo) / 2
            let hi = i == extents.count - 1 ? far : (extent.hi + extents[i + 1].lo) / 2
            guard hi > lo else { continue }
            bands.append(TrafficPolygon([across * lo + d * -far, across * hi + d * -far, across * hi + d * far,
                                         across * lo + d * far]))
        }
        return bands
    }

    /// Whether the camera looks down the road: some lane area is at least 1.3 times as wide at its near end as at
    /// its far end (vehicles grow as they come nearer, and a whole car is wider than tall in the picture).
    static func looksDownTheRoad(_ configuration: TrafficConfiguration) -> Bool {
        let d = configuration.direction * (1 / configuration.direction.dot(configuration.direction).squareRoot())
        return configuration.lanes.contains { area in
            let along = area.vertices.map { $0.dot(d) }
            guard let lo = along.min(), let hi = along.max(), hi - lo > 4 else { return false }
            let near = area.width(across: d, at: lo + 1), far = area.width(across: d, at: hi - 1)
            return far > 0 && near >= 1.3 * far
        }
    }

    /// A lane area swept on past its far end along the direction of travel, for splitting blobs: seen from behind
    /// and above, a body rises in the picture beyond its footprint, so a tall vehicle near the far end of its lane's
    /// area reaches past it (where it would join the cross traffic and the bodies of the other lanes). The far end
    /// (the vertices furthest along the direction, within a pixel, one run of the outline) is drawn out far along the
    /// direction, keeping its width; an area whose far end is a single vertex, or is not one run, stays as it is.
    /// Only the split uses it: the crossing rule keeps the area.
    static func sweptOn(_ area: TrafficPolygon, _ direction: TrafficPoint) -> TrafficPolygon {
        let n = area.vertices.count
        let unit = direction * (1 / direction.dot(direction).squareRoot())
        let along = area.vertices.map { $0.dot(unit) }
        guard n >= 3, let top = along.max() else { return area }
        let far = along.map { $0 >= top - 1 }
        // The run of far vertices, in outline order: it starts where the previous vertex is not far.
        guard far.filter({ $0 }).count >= 2,
              let start = (0..<n).first(where: { far[$0] && !far[($0 + n - 1) % n] }) else { return area }
        var end = start
        while far[(end + 1) % n] && (end + 1) % n != start { end = (end + 1) % n }
        let runLength = (end - start + n) % n + 1
        guard runLength == far.filter({ $0 }).count else { return area }
        let d = unit * 1e5
        var out: [TrafficPoint] = []
        var k = (end + 1) % n
        // From the vertex after the run round to its start, then out along the direction and back at its end.
        while k != start {
            out.append(area.vertices[k])
            k = (k + 1) % n
        }
        out += [area.vertices[start], area.vertices[start] + d, area.vertices[end] + d, area.vertices[end]]
        return TrafficPolygon(out)
    }

    /// The violation if crossing `seen` happened on a red of its lane's signal group that had lasted
    /// `grace_seconds`; never in a lane where turning on red is lawful.
    private func judge(_ seen: SeenCrossing) -> Judgement {
        let (track, lane, frame) = (seen.track, seen.lane, seen.frame)
        guard !rules[lane].lane.turnOnRed else { return .lawful("turning on red is lawful there") }
        guard let group = rules[lane].group else { return .lawful("no signal group") }
        guard let entry = groups[group].history.last(where: { $0.frame <= frame }) else {
            return .lawful("no signal history at frame \(frame)")
        }
        guard entry.state == .red, let onset = entry.onset else {
            return .lawful("signal \(entry.state.rawValue) at frame \(entry.frame)")
        }
        let redFor = entry.pts - onset
        guard redFor >= configuration.graceSeconds else {
            return .lawful("red for \(Self.round(redFor, 3)) s at frame \(entry.frame), within the grace time")
        }
        // A vehicle that entered before the red (its front over the line on amber, or on a turn arrow's green) is
        // lawful however long its rear takes to follow: a long truck entering late on amber. Only where the entry is
        // known under the same signal group, and the lamp was seen: amber or green lit alone in the frame of the entry
        // or the one before, red in neither, and the state then amber or green too (a head hidden across the change to
        // red holds its last colour until red is seen: no entry in those frames is let off; nor one where red was seen
        // before a flicker delayed its lock).
        if let entered = seen.entered ?? entries[track.id], entered.frame <= frame,
           rules[entered.lane].group == group,
           let first = groups[group].history.first, first.frame <= entered.frame - 1,
           let then = groups[group].history.last(where: { $0.frame <= entered.frame }),
           then.state == .amber || then.state == .green {
            let seenLit = groups[group].history.filter { $0.frame >= entered.frame - 1 && $0.frame <= entered.frame }
                .map(\.lit)
            if seenLit.contains(then.state), !seenLit.contains(.red) {
                return .lawful("entered on \(then.state.rawValue) at frame \(entered.frame)")
            }
        }
        return .violation(Violation(track: track.id, lane: lane, frame: entry.frame, pts: entry.pts,
                                    point: track.box.bottomCentre, redFor: redFor, box: track.box))
    }

    /// Notes where `track`'s front first crosses a stop line (`entries`): the frame in which it is first seen on or
    /// past it (after a coasting gap, the latest frame it may have entered in, so that no entry is placed early).
    /// The front is the point furthest along the direction of travel on the box's middle line. Not in the dark (a
    /// blob's front there is its beam's), nor looking down the road (the box's top is the roof, which reaches the line
    /// in the picture while the bumper is metres short of it).
    private func noteEntry(of track: Track, frame index: Int) {
        guard !(geometry?.model.dark ?? false), !lookingDownTheRoad else { return }
        let box = track.box
        let reach = (abs(box.width * travel.x) + abs(box.height * travel.y)) / 2
        let front = TrafficPoint((box.left + box.right) / 2, (box.top + box.bottom) / 2) + travel * reach
        defer { fronts[track.id] = (front, index) }
        // A front back before the line it crossed (by more than a model pixel) enters anew: the track was handed to
        // another object, or the vehicle backed up.
        if let entered = entries[track.id], rules[entered.lane].rule.distanceBefore(front) > (geometry?.scale ?? 0) {
            entries[track.id] = nil
        }
        guard entries[track.id] == nil, let last = fronts[track.id], index > last.frame,
              let hit = crossing(from: last.point, to: front) else { return }
        entries[track.id] = (index, hit.lane)
    }

    /// A crossing judged: a violation, or lawful and why.
    enum Judgement {
        case violation(Violation)
        case lawful(String)
    }

    private func signalDetection(_ change: SignalDebouncer.Change, group: Int, _ frame: Frame) -> Detection {
        var body: [String: JSONValue] = [
            "state": .string(change.state.rawValue), "previous": .string(change.previous.rawValue),
            "frame": .int(Int64(change.onsetFrame)), "pts": .double(Self.round(change.onsetPTS, 3)),
        ]
        if groups.count > 1 { body["group"] = .string(groups[group].name) }
        return Detection(.trafficSignalState, of: frame, body: body)
    }

    private func crossingDetection(_ v: Violation, _ frame: Frame) -> Detection {
        let box: [JSONValue] = [v.box.left, v.box.top, v.box.right, v.box.bottom].map { .double(Self.round($0, 1)) }
        var body: [String: JSONValue] = [
            "track": .int(Int64(v.track)), "frame": .int(Int64(v.frame)), "pts": .double(Self.round(v.pts, 3)),
            "point": .array([.double(Self.round(v.point.x, 1)), .double(Self.round(v.point.y, 1))]),
            "signal": .object(["state": .string("red"), "red_for": .double(Self.round(v.redFor, 3))]),
            "box": .array(box), "stop_line": Self.json(rules[v.lane].lane.stopLine),
            "source_size": .array([.int(Int64(frame.sourceWidth)), .int(Int64(frame.sourceHeight))]),
        ]
        if configuration.isMultiLane { body["lane"] = .string(rules[v.lane].lane.name) }
        return Detection(.trafficRedLightCrossing, of: frame, body: body)
    }

    /// The stop line as `[[x1, y1], [x2, y2]]`, source pixels (what a reviewer draws over the evidence).
    static func json(_ line: TrafficSegment) -> JSONValue {
        .array([line.start, line.end].map { .array([.double(round($0.x, 1)), .double(round($0.y, 1))]) })
    }

    /// Completes the evidence of the crossings reported on the previous frame, now that their "after" frame
    /// is here; an evidence that cannot be made is fulfilled empty (its crossing goes without pictures). Without a
    /// redactor nothing is kept, not even the previous frame.
    private func deliverEvidence(frame: Frame, crossings: [PendingEvidence]) {
        guard redactor != nil else { return }
        deliver(evidence.advance(frame: frame, crossings: crossings))
    }

    /// Redacts and encodes finished evidence, and fulfils it (empty when that fails).
    private func deliver(_ finished: [EvidenceBuffer.Finished]) {
        guard let redactor else { return }
        for finished in finished {
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

    /// A length or count for the trace and the verdicts' reasons, in whole pixels or frames. A value no `Int` holds
    /// (NaN, infinite, beyond 2^53) is written as the `Double` it is, never converted: text must not trap.
    static func px(_ value: Double) -> String {
        abs(value) < 0x1p53 ? String(Int(value)) : String(value)
    }
}

