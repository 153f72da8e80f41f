/// Keeps face boxes alive across frames so that a face the detector misses for a few frames is still
/// blurred: each track moves with a constant-velocity prediction and grows a little per missed frame, and
/// is dropped once the detector has missed it and `keepFrames` frames have passed since its last detection
/// (a face the detector keeps seeing is never dropped, however rarely the detector runs).
///
/// Not thread-safe; one tracker per camera, fed frames in order.
public struct FaceTracker: Sendable {
    /// A tracked face: its box in pixels (doubles), velocity in pixels per frame, and frames since seen.
    public struct Track: Sendable, Equatable {
        public var id: Int
        public var left: Double
        public var top: Double
        public var right: Double
        public var bottom: Double
        public var velocityX: Double
        public var velocityY: Double
        public var missedFrames: Int
        public var lastFrame: UInt64
        /// Centre and frame of the last detection.
        var observedX: Double
        var observedY: Double
        var observedFrame: UInt64

        public var box: FaceBox { FaceBox(rounding: left, top, right, bottom) }
    }

    /// Frames a track survives without a detection.
    public let keepFrames: Int
    /// Minimum IoU between a detection and a predicted track to continue the track.
    public let matchIoU: Double
    /// Growth of a predicted box per missed frame, as a fraction of its size.
    public let growthPerMiss: Double
    public private(set) var tracks: [Track] = []
    private var nextID = 1

    public init(keepFrames: Int = 10, matchIoU: Double = 0.2, growthPerMiss: Double = 0.05) {
        precondition(keepFrames >= 0, "keepFrames must be ≥ 0")
        self.keepFrames = keepFrames
        self.matchIoU = matchIoU
        self.growthPerMiss = growthPerMiss
    }

    /// Advances to frame `frame` with the detector's boxes for it (pass `nil` when the detector did not run
    /// on this frame: tracks are predicted but do not count a miss). Returns every box to blur in the frame.
    @discardableResult
    public mutating func update(frame: UInt64, detections: [FaceBox]?) -> [FaceBox] {
        for index in tracks.indices {
            let elapsed = Double(frame &- tracks[index].lastFrame)
            guard elapsed > 0, elapsed < 1e6 else { continue }
            tracks[index].left += tracks[index].velocityX * elapsed
            tracks[index].right += tracks[index].velocityX * elapsed
            tracks[index].top += tracks[index].velocityY * elapsed
            tracks[index].bottom += tracks[index].velocityY * elapsed
            tracks[index].lastFrame = frame
        }
        guard let detections else {
            tracks.removeAll { $0.missedFrames > 0 && frame &- $0.observedFrame > UInt64(keepFrames) }
            return tracks.map(\.box)
        }
        var unmatched = Array(detections.indices)
        var matchedTracks = Set<Int>()
        // Greedy matching, best overlap first.
        var pairs: [(iou: Double, track: Int, detection: Int)] = []
        for (t, track) in tracks.enumerated() {
            for d in detections.indices {
                let iou = track.box.intersectionOverUnion(detections[d])
                if iou >= matchIoU { pairs.append((iou, t, d)) }
            }
        }
        for pair in pairs.sorted(by: { $0.iou > $1.iou })
        where !matchedTracks.contains(pair.track) && unmatched.contains(pair.detection) {
            matchedTracks.insert(pair.track)
            unmatched.removeAll { $0 == pair.detection }
            let box = detections[pair.detection]
            var track = tracks[pair.track]
            let frames = Double(frame &- track.observedFrame)
            if frames > 0, frames < 1e6 {
                // Velocity from the last detection, smoothed.
                track.velocityX = 0.5 * track.velocityX + 0.5 * (box.centerX - track.observedX) / frames
                track.velocityY = 0.5 * track.velocityY + 0.5 * (box.centerY - track.observedY) / frames
            }
            (track.observedX, track.observedY, track.observedFrame) = (box.centerX, box.centerY, frame)
            track.left = Double(box.left); track.top = Double(box.top)
            track.right = Double(box.right); track.bottom = Double(box.bottom)
            track.missedFrames = 0
            tracks[pair.track] = track
        }
        for index in tracks.indices where !matchedTracks.contains(index) {
            tracks[index].missedFrames += 1
            let growX = (tracks[index].right - tracks[index].left) * growthPerMiss / 2
            let growY = (tracks[index].bottom - tracks[index].top) * growthPerMiss / 2
            tracks[index].left -= growX; tracks[index].right += growX
            tracks[index].top -= growY; tracks[index].bottom += growY
        }
        tracks.removeAll { $0.missedFrames > 0 && frame &- $0.observedFrame > UInt64(keepFrames) }
        for d in unmatched {
            let box = detections[d]
            tracks.append(Track(id: nextID, left: Double(box.left), top: Double(box.top), right: Double(box.right),
                                bottom: Double(box.bottom), velocityX: 0, velocityY: 0, missedFrames: 0,
                                lastFrame: frame, observedX: box.centerX, observedY: box.centerY,
                                observedFrame: frame))
            nextID += 1
        }
        return tracks.map(\.box)
    }
}
