/// How picture sizes change along a road seen by a camera looking down it: what stands on the ground appears
/// in proportion to how far below the horizon its footprint is. A lane of constant width narrows in the picture
/// towards the row where its borders meet (the horizon); a vehicle's picture height, at its rear's row `y`, is
/// its height at another row `y0` times `(y − horizon) / (y0 − horizon)`.
///
/// The horizon is read from the lane areas (their width across the picture at two rows); with no lane areas,
/// lanes that keep their width (a camera looking straight down), or a road that does not run up the picture,
/// there is no perspective and every size stays as it is.
public struct RoadPerspective: Sendable, Equatable {
    /// The picture row where the lanes' borders meet (above the lanes).
    public let horizon: Double

    public init(horizon: Double) {
        self.horizon = horizon
    }

    /// The perspective of the lane areas, or nil when they show none. `direction` is the direction of travel:
    /// the road must run up the picture (away from the camera) within 37° of the vertical.
    public init?(lanes: [TrafficPolygon], direction: TrafficPoint) {
        let length = direction.dot(direction).squareRoot()
        guard length > 0, -direction.y >= 0.8 * length else { return nil }
        var estimates: [Double] = []
        for lane in lanes {
            let b = lane.bounds
            let span = b.maxY - b.minY
            guard span > 8 else { continue }
            // Two rows in the far part of the area (its near end is often cut by the picture's edge).
            let (y1, y2) = (b.minY + 0.05 * span, b.minY + 0.4 * span)
            guard let w1 = Self.width(of: lane, atRow: y1), let w2 = Self.width(of: lane, atRow: y2),
                  w1 > 1, w2 > w1 * 1.05 else { continue }
            // w = c (y − horizon) through both rows.
            let horizon = y1 - w1 * (y2 - y1) / (w2 - w1)
            if horizon < b.minY - 1 { estimates.append(horizon) }
        }
        guard !estimates.isEmpty else { return nil }
        estimates.sort()
        self.init(horizon: estimates[estimates.count / 2])
    }

    /// The ratio of picture sizes at rear row `y` to those at rear row `y0` (clamped to 0.25...4; 1 at or above
    /// the horizon).
    public func scale(from y0: Double, to y: Double) -> Double {
        let a = y0 - horizon, b = y - horizon
        guard a > 1, b > 1 else { return 1 }
        return min(max(b / a, 0.25), 4)
    }

    /// The rear row of an object whose top is at `top`, whose height at rear row `y0` was `height`: the row `y`
    /// where `y − top = height (y − horizon) / (y0 − horizon)`. Nil when that has no answer below the top.
    public func bottom(top: Double, height: Double, measuredAt y0: Double) -> Double? {
        let k = height / (y0 - horizon)
        guard y0 - horizon > 1, k > 0, k < 0.95 else { return nil }
        let y = (top - k * horizon) / (1 - k)
        return y > top ? y : nil
    }

    /// The horizontal extent of `polygon` along picture row `y`, nil when the row misses it.
    static func width(of polygon: TrafficPolygon, atRow y: Double) -> Double? {
        var lo = Double.infinity, hi = -Double.infinity
        var j = polygon.vertices.count - 1
        for i in polygon.vertices.indices {
            let a = polygon.vertices[i], b = polygon.vertices[j]
            j = i
            guard (a.y <= y && b.y >= y) || (b.y <= y && a.y >= y) else { continue }
            let x = a.y == b.y ? min(a.x, b.x) : a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)
            let x2 = a.y == b.y ? max(a.x, b.x) : x
            lo = min(lo, x)
            hi = max(hi, x2)
        }
        return hi > lo ? hi - lo : nil
    }
}
