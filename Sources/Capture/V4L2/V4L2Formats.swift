/// A fraction of a second, as V4L2 gives frame intervals (`v4l2_fract`): 1/30 is 30 fps.
public struct V4L2Fraction: Hashable, Sendable, Codable, CustomStringConvertible {
    public var numerator: UInt32
    public var denominator: UInt32

    public init(_ numerator: UInt32, _ denominator: UInt32) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Seconds; 0 when the denominator is 0 (drivers that leave the field empty).
    public var seconds: Double { denominator == 0 ? 0 : Double(numerator) / Double(denominator) }

    /// Frames per second when this is a frame interval; 0 when undefined.
    public var framesPerSecond: Double { numerator == 0 ? 0 : Double(denominator) / Double(numerator) }

    public var description: String { "\(numerator)/\(denominator)" }
}

/// A frame size a format supports (`v4l2_frmsizeenum`).
public enum V4L2FrameSize: Hashable, Sendable, Codable, CustomStringConvertible {
    /// One fixed size.
    case discrete(width: Int, height: Int)
    /// Any size in the ranges, on the steps (`V4L2_FRMSIZE_TYPE_STEPWISE`; continuous is step 1).
    case stepwise(minWidth: Int, maxWidth: Int, stepWidth: Int, minHeight: Int, maxHeight: Int, stepHeight: Int)

    public var description: String {
        switch self {
        case .discrete(let w, let h): return "\(w)x\(h)"
        case .stepwise(let minW, let maxW, let stepW, let minH, let maxH, let stepH):
            return "\(minW)x\(minH) - \(maxW)x\(maxH) step \(stepW)x\(stepH)"
        }
    }

    /// The supported size closest to `width`×`height` (sum of absolute differences). For a
    /// stepwise range: the request clamped into the range and rounded to the nearest step.
    public func closest(toWidth width: Int, height: Int) -> (width: Int, height: Int) {
        switch self {
        case .discrete(let w, let h): return (w, h)
        case .stepwise(let minW, let maxW, let stepW, let minH, let maxH, let stepH):
            func snap(_ v: Int, _ lo: Int, _ hi: Int, _ step: Int) -> Int {
                let clamped = min(max(v, lo), hi)
                let s = max(step, 1)
                let down = lo + (clamped - lo) / s * s
                let up = down + s
                return (up <= hi && up - clamped < clamped - down) ? up : down
            }
            return (snap(width, minW, maxW, stepW), snap(height, minH, maxH, stepH))
        }
    }
}

/// The frame intervals a format supports at one size (`v4l2_frmivalenum`).
public enum V4L2FrameIntervals: Hashable, Sendable, Codable, CustomStringConvertible {
    case discrete([V4L2Fraction])
    /// Any interval from `min` to `max` on `step` (`V4L2_FRMIVAL_TYPE_STEPWISE` or `CONTINUOUS`).
    case stepwise(min: V4L2Fraction, max: V4L2Fraction, step: V4L2Fraction)

    public var description: String {
        func fps(_ f: V4L2Fraction) -> String {
            let tenths = Int((f.framesPerSecond * 10).rounded())
            return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
        }
        switch self {
        case .discrete(let list): return list.map { "\(fps($0)) fps" }.joined(separator: ", ")
        case .stepwise(let lo, let hi, _): return "\(fps(hi))-\(fps(lo)) fps"
        }
    }

    /// The interval closest to `fps` frames per second (compared as rates).
    public func closest(toFramesPerSecond fps: Double) -> V4L2Fraction? {
        switch self {
        case .discrete(let list):
            return list.filter { $0.numerator > 0 }.min {
                abs($0.framesPerSecond - fps) < abs($1.framesPerSecond - fps)
            }
        case .stepwise(let lo, let hi, _):
            guard fps > 0 else { return nil }
            // Asking for 1000/(1000·fps) and letting the driver round to its step is what
            // drivers with continuous intervals expect.
            let wanted = min(max(1 / fps, lo.seconds), hi.seconds)
            return V4L2Fraction(1000, UInt32((1000 / wanted).rounded()))
        }
    }
}
