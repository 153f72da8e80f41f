import SightlineCore

/// Mean and spread of the luma plane, reported every `interval` frames: a heartbeat that shows a camera's
/// pipeline runs end to end (and what its picture looks like) whatever the detectors find.
final class FrameStatsStage: Stage {
    let name = "stats"
    let needsColor = false
    let interval: UInt64
    private var seen: UInt64 = 0

    init(interval: UInt64 = 25) {
        precondition(interval >= 1, "interval must be at least 1")
        self.interval = interval
    }

    func process(_ frame: Frame) throws -> [Detection] {
        seen += 1
        guard seen % interval == 0 else { return [] }
        let (mean, deviation) = Self.meanAndDeviation(frame.gray)
        return [Detection(.frameStats, of: frame,
                          body: ["width": .int(Int64(frame.gray.width)), "height": .int(Int64(frame.gray.height)),
                                 "luma_mean": .double((mean * 100).rounded() / 100),
                                 "luma_stddev": .double((deviation * 100).rounded() / 100)])]
    }

    static func meanAndDeviation(_ image: Image) -> (Double, Double) {
        guard !image.pixels.isEmpty else { return (0, 0) }
        var sum: UInt64 = 0, squares: UInt64 = 0
        image.pixels.withUnsafeBufferPointer { p in
            for v in p {
                let x = UInt64(v)
                sum &+= x
                squares &+= x &* x
            }
        }
        let n = Double(image.pixels.count)
        let mean = Double(sum) / n
        return (mean, (max(Double(squares) / n - mean * mean, 0)).squareRoot())
    }
}
