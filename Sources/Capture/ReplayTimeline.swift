import SightlineCore

/// Numbers, stamps and paces the frames of one recorded-footage source.
///
/// Sequence numbers start at 1 and never skip; capture timestamps are the moment of delivery.
/// With `.realtime` pacing a frame with pts `p` is held until `start + (p - firstPTS)` on the
/// monotonic clock, where `start` is when the first frame was delivered: a slow consumer makes
/// later frames come at once rather than drift, like a camera whose queue filled up.
struct ReplayTimeline {
    let pacing: ReplayPacing
    private(set) var seq: UInt64 = 0
    private var start: UInt64?
    private var firstPTS = 0.0

    init(pacing: ReplayPacing) {
        self.pacing = pacing
    }

    /// Waits as the pacing asks, then stamps `payload` as the next frame.
    mutating func deliver(pts: Double, payload: CapturedFrame.Payload) -> CapturedFrame {
        if pacing == .realtime {
            if let start {
                let offset = max(pts - firstPTS, 0)
                FileInput.sleep(untilMonotonicNanos: start &+ UInt64(offset * 1e9))
            } else {
                start = Clocks.monotonicNanos()
                firstPTS = pts
            }
        }
        seq += 1
        return CapturedFrame(seq: seq, monotonicNanos: Clocks.monotonicNanos(), wallNanos: Clocks.wallNanos(),
                             pts: pts, payload: payload)
    }
}
