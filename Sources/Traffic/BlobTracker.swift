/// An axis-aligned box in source pixels: left, top, right, bottom (right and bottom exclusive).
public struct TrafficBox: Sendable, Equatable {
    public var left: Double
    public var top: Double
    public var right: Double
    public var bottom: Double

    public init(left: Double, top: Double, right: Double, bottom: Double) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    public var width: Double { right - left }
    public var height: Double { bottom - top }
    public var area: Double { max(width, 0) * max(height, 0) }
    /// The reference point of a vehicle: the middle of the bottom edge.
    public var bottomCentre: TrafficPoint { TrafficPoint((left + right) / 2, bottom) }
    /// The four corners.
    var corners: [TrafficPoint] {
        [TrafficPoint(left, top), TrafficPoint(right, top), TrafficPoint(left, bottom), TrafficPoint(right, bottom)]
    }

    func shifted(_ dx: Double, _ dy: Double) -> TrafficBox {
        TrafficBox(left: left + dx, top: top + dy, right: right + dx, bottom: bottom + dy)
    }

    func intersectionArea(_ other: TrafficBox) -> Double {
        let w = min(right, other.right) - max(left, other.left)
        let h = min(bottom, other.bottom) - max(top, other.top)
        return w > 0 && h > 0 ? w * h : 0
    }

    func union(_ other: TrafficBox) -> TrafficBox {
        TrafficBox(left: min(left, other.left), top: min(top, other.top), right: max(right, other.right),
                   bottom: max(bottom, other.bottom))
    }

    func iou(_ other: TrafficBox) -> Double {
        let inter = intersectionArea(other)
        return inter > 0 ? inter / (area + other.area - inter) : 0
    }
}

/// One tracked moving object.
public struct Track: Sendable, Equatable {
    public let id: Int
    /// Where the object is now: measured this frame, or predicted while it coasts (or cut from a shared blob's top
    /// right after a coast: followed, not measured; see `measuredThisFrame`).
    public var box: TrafficBox
    /// Velocity of the box in source pixels per frame.
    public var velocity: TrafficPoint
    /// Smoothed height and width of the object when seen alone, for boxes cut out of merged blobs.
    public var size: (width: Double, height: Double)
    /// Frames with an observation.
    public var hits: Int
    /// Consecutive frames without one.
    public var misses: Int
    public var confirmed: Bool
    /// The last reference point measured (not predicted), and the frame it was measured in.
    public var lastReference: (point: TrafficPoint, frame: Int)?
    /// Whether the reference point of this frame was measured (so crossings may be judged on it): not while coasting,
    /// nor on the first cut from the top of a shared blob after a coast.
    public var measuredThisFrame: Bool

    public static func == (a: Track, b: Track) -> Bool { a.id == b.id && a.box == b.box }
}

/// Associates blobs with tracks frame by frame: overlap with the predicted box first, then distance;
/// tentative tracks are confirmed after `confirmHits` observations; tracks coast on their velocity
/// through up to `coastFrames` missed frames (occlusions, merges) before they are dropped.
///
/// When one blob holds several tracks (a queue, a platoon), the track nearest the blob's bottom takes
/// the blob's bottom and keeps its own height, the one nearest its top takes the top; so the reference
/// point of each vehicle stays measured while they touch. (At night, where lengths mean nothing, the top one does
/// only if its length fits the blob; otherwise it coasts. And the top one's first cut after a coast is followed but
/// not measured: it may be another object's top.)
public struct BlobTracker: Sendable {
    public let confirmHits: Int
    public let coastFrames: Int
    public private(set) var tracks: [Track] = []
    private var nextID = 1
    /// Rear slices that took their front's blob in the last update: the slice kept, the front gone (one vehicle).
    public private(set) var joined: [(kept: Int, gone: Int)] = []
    /// Each track's last measured reference points (frame, bottom centre), for its velocity.
    private var recentPoints: [Int: [(frame: Int, point: TrafficPoint)]] = [:]
    /// How many measured points the velocity is the mean over.
    static let velocityWindow = 6
    /// The widest gap (source pixels, along either axis) between pieces one track claims as one vehicle, when each is
    /// at least `vehicleLength` long.
    static let pieceGap = 40.0
    static let vehicleLength = 32.0
    /// The longest a vehicle is for its width, along the road: a long truck seen from above (a bus is longer, and its
    /// pieces, when its middle is lost against the road, are not joined beyond this).
    static let longest = 2.2

    public init(confirmHits: Int, coastFrames: Int) {
        precondition(confirmHits >= 1 && coastFrames >= 0, "bad tracker settings")
        self.confirmHits = confirmHits
        self.coastFrames = coastFrames
    }

    /// Advances every track to frame `frame` with this frame's blob boxes (source pixels). `pictureBottom` is the
    /// bottom edge of the picture, where objects enter partly seen. `widthLimit` gives the widest a vehicle can be with
    /// its rear at a point (wider than its lane is two objects); a track does not claim pieces that would make it
    /// wider, nor (when `lengthLimited`) longer than `longest` times its width. Without `lengthLimited` (at night: a
    /// blob is a vehicle and its beam) a track cut from the top of a blob it shares is measured only if its length fits
    /// the blob.
    public mutating func update(boxes: [TrafficBox], frame: Int, pictureBottom: Double,
                                widthLimit: (TrafficPoint) -> Double = { _ in .infinity }, lengthLimited: Bool = true) {
        let predicted = tracks.map { $0.box.shifted($0.velocity.x, $0.velocity.y) }
        joined = []
        var blobOfTrack = [Int?](repeating: nil, count: tracks.count)
        var tracksOfBlob = [[Int]](repeating: [], count: boxes.count)
        var observed = boxes
        // A vehicle whose paint matches the road in places falls apart into pieces. Established tracks
        // first claim every blob lying mostly inside their predicted box, and see the union of the pieces.
        var claimed = [Bool](repeating: false, count: boxes.count)
        let seniority = tracks.indices.filter { tracks[$0].confirmed }.sorted { tracks[$0].hits > tracks[$1].hits }
        for t in seniority {
            let margin = 0.1 * predicted[t].height
            let p = TrafficBox(left: predicted[t].left, top: predicted[t].top - margin, right: predicted[t].right,
                               bottom: predicted[t].bottom + margin)
            var union: TrafficBox?
            var first: Int?
            // The pieces most inside the prediction first; none that would make the vehicle wider than it can be.
            let inside = boxes.indices.filter { !claimed[$0] && p.intersectionArea(boxes[$0]) >= 0.6 * boxes[$0].area }
                .sorted { p.intersectionArea(boxes[$0]) > p.intersectionArea(boxes[$1]) }
            for b in inside {
                let grown = union.map { $0.union(boxes[b]) } ?? boxes[b]
                guard union == nil || grown.width <= widthLimit(grown.bottomCentre) else { continue }
                // Nor any that would make it longer than a vehicle can be for its width (a car and the one close
                // behind it, both entering the picture, held as one) — unless lengths mean nothing (at night a blob
                // is a vehicle and its beam ahead).
                guard union == nil || !lengthLimited || grown.height <= Self.longest * grown.width else { continue }
                // Two pieces each a vehicle long, further apart than a vehicle's middle lost against the road, are two
                // vehicles close behind each other whose joined blob this track held until they parted.
                // (Not when together they are no longer than this track's vehicle seen whole: a long truck's middle
                // lost under a cloud's shadow.)
                if let u = union, min(u.height, boxes[b].height) >= Self.vehicleLength,
                   max(boxes[b].top - u.bottom, u.top - boxes[b].bottom, boxes[b].left - u.right,
                       u.left - boxes[b].right) > Self.pieceGap,
                   grown.height > 1.1 * tracks[t].size.height { continue }
                claimed[b] = true
                union = grown
                if first == nil { first = b }
            }
            if let first, let union {
                blobOfTrack[t] = first
                tracksOfBlob[first] = [t]
                observed[first] = union
            }
        }
        // Then the rest by overlap with the predicted box, then closeness.
        var pairs: [(score: Double, track: Int, blob: Int)] = []
        for (t, p) in predicted.enumerated() where blobOfTrack[t] == nil {
            for (b, box) in boxes.enumerated() where !claimed[b] {
                let iou = p.iou(box)
                if iou > 0.05 {
                    pairs.append((iou, t, b))
                    continue
                }
                let d = (p.bottomCentre - box.bottomCentre).dot(p.bottomCentre - box.bottomCentre).squareRoot()
                let limit = 0.6 * max(p.width, p.height, 8)
                if d < limit { pairs.append((0.05 * (1 - d / limit), t, b)) }
            }
        }
        pairs.sort { $0.score > $1.score }
        for pair in pairs where blobOfTrack[pair.track] == nil && tracksOfBlob[pair.blob].isEmpty {
            blobOfTrack[pair.track] = pair.blob
            tracksOfBlob[pair.blob].append(pair.track)
        }
        let fragment = claimed.enumerated().map { $0.element && tracksOfBlob[$0.offset].isEmpty }
        // Unmatched confirmed tracks mostly inside a matched blob share it (merge).
        for t in tracks.indices where blobOfTrack[t] == nil && tracks[t].confirmed {
            let p = predicted[t]
            var best: (Int, Double)?
            for (b, box) in boxes.enumerated() where !tracksOfBlob[b].isEmpty {
                let inside = p.intersectionArea(box) / max(p.area, 1)
                if inside >= 0.5, inside > best?.1 ?? 0 { best = (b, inside) }
            }
            if let (b, _) = best {
                blobOfTrack[t] = b
                tracksOfBlob[b].append(t)
            }
        }
        for t in tracks.indices { tracks[t].measuredThisFrame = false }
        for (b, members) in tracksOfBlob.enumerated() where !members.isEmpty {
            if members.count == 1 {
                observeAlone(track: members[0], box: observed[b], predicted: predicted[members[0]], frame: frame,
                             pictureBottom: pictureBottom)
            } else {
                observeMerged(tracks: members, box: observed[b], predicted: predicted, frame: frame,
                              lengthsKnown: lengthLimited)
            }
        }
        for t in tracks.indices where blobOfTrack[t] == nil {
            tracks[t].box = predicted[t]
            tracks[t].misses += 1
        }
        // Two tracks measured on the same box are one object seen twice (a blob shared by two tracks whose ends
        // agree): the younger goes, so the object crosses once.
        var duplicate = Set<Int>()
        for a in tracks.indices where tracks[a].measuredThisFrame {
            for b in tracks.indices where b > a && tracks[b].measuredThisFrame && tracks[a].box.iou(tracks[b].box) > 0.7 {
                duplicate.insert(tracks[a].hits >= tracks[b].hits ? tracks[b].id : tracks[a].id)
            }
        }
        let absorbed = Set(joined.map(\.gone))
        tracks.removeAll {
            $0.misses > ($0.confirmed ? coastFrames : 1) || duplicate.contains($0.id) || absorbed.contains($0.id)
        }
        let live = Set(tracks.map(\.id))
        recentPoints = recentPoints.filter { live.contains($0.key) }
        for (b, box) in boxes.enumerated() where tracksOfBlob[b].isEmpty && !fragment[b] {
            tracks.append(Track(id: nextID, box: box, velocity: TrafficPoint(0, 0), size: (box.width, box.height),
                                hits: 1, misses: 0, confirmed: confirmHits <= 1,
                                lastReference: nil, measuredThisFrame: true))
            nextID += 1
        }
    }

    /// A blob that belongs to one track. A blob much taller than the track (another vehicle joined it
    /// unseen) gives only the edge that agrees with the prediction.
    private mutating func observeAlone(track t: Int, box: TrafficBox, predicted: TrafficBox, frame: Int,
                                       pictureBottom: Double) {
        var measured = box
        let size = tracks[t].size
        // Only an object entering across the bottom edge (its box there last frame) grows with its blob there; a blob
        // that reaches the edge under a track seen whole above it is that track merged with something entering.
        let v = tracks[t].velocity
        let entering = !tracks[t].confirmed
            || tracks[t].box.bottom >= pictureBottom - 1 - max(4, 2 * abs(v.y))
            || box.height < 3 * size.height
        let atEdge = box.bottom >= pictureBottom - 1 && entering
        // A moving track known only as a slice much shorter than it is wide (its rear was lost against the road when it
        // was born, so its length was never seen) whose blob, from a quarter narrower to 40 % wider (the slice may have
        // been its roof), now reaches back from where its top is predicted to no more than a vehicle's length (2.2
        // times its width): the rest of that vehicle, seen again. It takes the whole blob, and that length from now on.
        // (A standing slice's blob that grows behind it is a car pulling up behind, as is what grows behind a vehicle
        // seen whole.)
        let sliceGrown = size.height < 0.6 * size.width && box.height <= Self.longest * box.width && v.dot(v) >= 1
            && box.width >= 0.75 * size.width && box.width <= 1.4 * size.width
            && abs(box.top - predicted.top) < abs(box.bottom - predicted.bottom)
        if tracks[t].confirmed, !atEdge, box.height > 1.4 * size.height, sliceGrown {
            tracks[t].size = (box.width, box.height)
        } else if tracks[t].confirmed, !atEdge, box.height > 1.4 * size.height {
            if abs(box.top - predicted.top) < abs(box.bottom - predicted.bottom) {
                measured.bottom = box.top + size.height
            } else {
                measured.top = box.bottom - size.height
            }
        } else if atEdge || (box.height < 1.25 * size.height && box.height > 0.75 * size.height) {
            let k = atEdge ? 1.0 : 0.2
            tracks[t].size = (size.width + k * (box.width - size.width), size.height + k * (box.height - size.height))
        }
        apply(measured, to: t, frame: frame, clippedBottom: atEdge)
    }

    /// A blob shared by several tracks: the nearest to each end takes that end.
    private mutating func observeMerged(tracks members: [Int], box: TrafficBox, predicted: [TrafficBox], frame: Int,
                                        lengthsKnown: Bool) {
        let bottomTrack = members.min {
            abs(predicted[$0].bottom - box.bottom) < abs(predicted[$1].bottom - box.bottom)
        }!
        let topTrack = members.min { abs(predicted[$0].top - box.top) < abs(predicted[$1].top - box.top) }!
        // Two tracks, the one at the bottom a short slice as wide as the other, in a blob no longer than a vehicle
        // of the other's size and the slice, whose bottom it is: the slice is the rear of that vehicle, tracked apart
        // while its middle was lost against the road. The slice, whose reference point is the vehicle's rear, takes
        // the whole blob and the vehicle's length; the front is gone.
        if members.count == 2, bottomTrack != topTrack {
            let (slice, body) = (tracks[bottomTrack], tracks[topTrack])
            // Parts of one vehicle move together, and it moves (over its last measured step too, as the mean lags
            // a vehicle that just stopped): a slice that pulled up behind a vehicle standing at the line is something
            // else.
            let mean = body.velocity.dot(body.velocity).squareRoot()
            let (step, sliceStep) = (lastStep(of: body.id) ?? .init(0, 0), lastStep(of: slice.id) ?? slice.velocity)
            let speed = min(mean, step.dot(step).squareRoot())
            func apart(_ a: TrafficPoint, _ b: TrafficPoint) -> Double { (a - b).dot(a - b).squareRoot() }
            if slice.size.height < Self.vehicleLength, slice.size.height < 0.5 * body.size.height,
               slice.size.width >= 0.6 * body.size.width,
               abs(predicted[bottomTrack].bottom - box.bottom) < 0.5 * slice.size.height,
               box.height <= body.size.height + slice.size.height + Self.pieceGap,
               speed >= 1.5, apart(slice.velocity, body.velocity) <= 0.5 * mean + 3,
               apart(sliceStep, step) <= 0.5 * speed + 1 {
                let p = predicted[topTrack].union(predicted[bottomTrack])
                tracks[bottomTrack].size = (body.size.width, box.height)
                tracks[bottomTrack].confirmed = true
                apply(TrafficBox(left: max(p.left, box.left), top: box.top, right: min(p.right, box.right),
                                 bottom: box.bottom), to: bottomTrack, frame: frame)
                joined.append((kept: slice.id, gone: body.id))
                return
            }
        }
        for t in members {
            let p = predicted[t]
            let h = tracks[t].size.height
            let left = max(p.left, box.left), right = min(p.right, box.right)
            // Where lengths mean nothing (at night), a track's own length cut down from the blob's top measures its
            // rear only if that lies inside the blob. (The track at the blob's bottom has its rear there, measured,
            // whatever its length.)
            let fits = lengthsKnown || h <= box.height
            if t == bottomTrack, abs(p.bottom - box.bottom) < 0.5 * h {
                let cut = TrafficBox(left: left, top: box.bottom - h, right: right, bottom: box.bottom)
                apply(cut, to: t, frame: frame)
            } else if t == topTrack, abs(p.top - box.top) < 0.5 * h, fits {
                // The first cut after a coast may be another object's top (a pedestrian's, cross traffic's) that lies
                // where the track was predicted: the track follows it (its box, hits and velocity take the cut), but
                // its rear counts as measured only from the next frame it is observed again.
                let coasted = tracks[t].misses > 0
                apply(TrafficBox(left: left, top: box.top, right: right, bottom: box.top + h), to: t, frame: frame)
                if coasted { tracks[t].measuredThisFrame = false }
            } else {
                // Hidden inside the merge: coast, but the blob vouches that it is still there.
                tracks[t].box = p
                tracks[t].misses = min(tracks[t].misses + 1, coastFrames)
            }
        }
    }

    /// How track `id`'s reference point moved a frame between its last two measurements, or nil.
    private func lastStep(of id: Int) -> TrafficPoint? {
        guard let points = recentPoints[id], points.count >= 2 else { return nil }
        let (a, b) = (points[points.count - 2], points[points.count - 1])
        return (b.point - a.point) * (1 / Double(max(b.frame - a.frame, 1)))
    }

    /// Takes `box` as this frame's observation. While the object enters across the picture's bottom edge
    /// its bottom stays put, so its speed is read from its top instead.
    private mutating func apply(_ box: TrafficBox, to t: Int, frame: Int, clippedBottom: Bool = false) {
        let old = tracks[t].box
        let frames = Double(max(frame - (tracks[t].lastReference?.frame ?? frame - 1), 1))
        var motion = (box.bottomCentre - (tracks[t].lastReference?.point ?? old.bottomCentre)) * (1 / frames)
        if clippedBottom { motion = TrafficPoint((box.left + box.right - old.left - old.right) / 2, box.top - old.top) }
        // The velocity is the mean over the last measured frames (up to `velocityWindow`): a merge or a lost rear
        // moves one measurement, and a coasting track should not carry half of that jump on for frames. While the
        // object enters across the bottom edge (its bottom stuck there), and for the first frames, a running average.
        var history = clippedBottom ? [] : recentPoints[tracks[t].id, default: []]
        history.append((frame, box.bottomCentre))
        if history.count > Self.velocityWindow { history.removeFirst(history.count - Self.velocityWindow) }
        recentPoints[tracks[t].id] = history
        if history.count >= 3, let first = history.first, frame > first.frame {
            tracks[t].velocity = (box.bottomCentre - first.point) * (1 / Double(frame - first.frame))
        } else if tracks[t].hits == 1 {
            tracks[t].velocity = motion
        } else {
            tracks[t].velocity = tracks[t].velocity * 0.5 + motion * 0.5
        }
        tracks[t].box = box
        tracks[t].hits += 1
        tracks[t].misses = 0
        tracks[t].measuredThisFrame = true
        if tracks[t].hits >= confirmHits { tracks[t].confirmed = true }
    }

    /// Records that the crossing rule has looked at this frame's reference point of track `id`.
    public mutating func commitReference(of id: Int, frame: Int) {
        guard let t = tracks.firstIndex(where: { $0.id == id }) else { return }
        tracks[t].lastReference = (tracks[t].box.bottomCentre, frame)
    }
}
