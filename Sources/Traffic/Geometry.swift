/// A point in source-image pixels (x to the right, y down).
public struct TrafficPoint: Sendable, Equatable, Hashable {
    public var x: Double
    public var y: Double

    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }

    public static func - (a: TrafficPoint, b: TrafficPoint) -> TrafficPoint { TrafficPoint(a.x - b.x, a.y - b.y) }
    static func + (a: TrafficPoint, b: TrafficPoint) -> TrafficPoint { TrafficPoint(a.x + b.x, a.y + b.y) }
    static func * (a: TrafficPoint, k: Double) -> TrafficPoint { TrafficPoint(a.x * k, a.y * k) }

    /// Dot product, treating both points as vectors.
    public func dot(_ other: TrafficPoint) -> Double { x * other.x + y * other.y }
    /// z of the cross product, treating both points as vectors.
    public func cross(_ other: TrafficPoint) -> Double { x * other.y - y * other.x }
}

/// A closed polygon in source-image pixels (at least three vertices, not repeated at the end).
public struct TrafficPolygon: Sendable, Equatable {
    public var vertices: [TrafficPoint]

    public init(_ vertices: [TrafficPoint]) {
        self.vertices = vertices
    }

    /// Whether some point of `line` (sampled along the segment) has the polygon holding both the point a pixel before
    /// it (back against `direction`) and the one `past` pixels on along `direction`: a vehicle's step over the line
    /// can start and end inside it. False for a zero or non-finite direction.
    public func straddles(_ line: TrafficSegment, towards direction: TrafficPoint, past: Double = 2) -> Bool {
        guard let unit = Self.unit(direction) else { return false }
        return (1..<32).contains { k in
            let point = line.start + (line.end - line.start) * (Double(k) / 32)
            return contains(point - unit) && contains(point + unit * past)
        }
    }

    /// Whether the polygon holds some point up to `within` pixels before `line` (back against `direction`, sampled
    /// along the segment): it is drawn up to the line, if not over it.
    public func approaches(_ line: TrafficSegment, towards direction: TrafficPoint, within: Double) -> Bool {
        guard let unit = Self.unit(direction) else { return false }
        return (1..<32).contains { k in
            let point = line.start + (line.end - line.start) * (Double(k) / 32)
            return stride(from: 1.0, through: within, by: 1).contains { contains(point - unit * $0) }
        }
    }

    private static func unit(_ direction: TrafficPoint) -> TrafficPoint? {
        let length = direction.dot(direction).squareRoot()
        guard length > 0, length.isFinite else { return nil }
        return direction * (1 / length)
    }

    /// Whether `point` lies inside (even-odd rule; points on an edge may go either way).
    public func contains(_ point: TrafficPoint) -> Bool {
        var inside = false
        var j = vertices.count - 1
        for i in 0..<vertices.count {
            let a = vertices[i], b = vertices[j]
            if (a.y > point.y) != (b.y > point.y) {
                let xCross = a.x + (point.y - a.y) * (b.x - a.x) / (b.y - a.y)
                if point.x < xCross { inside.toggle() }
            }
            j = i
        }
        return inside
    }

    /// Twice the signed area (positive for counter-clockwise in a y-up frame).
    public var doubleSignedArea: Double {
        var sum = 0.0
        var j = vertices.count - 1
        for i in 0..<vertices.count {
            sum += vertices[j].cross(vertices[i])
            j = i
        }
        return sum
    }

    /// The smallest axis-aligned box holding every vertex: (minX, minY, maxX, maxY).
    var bounds: (minX: Double, minY: Double, maxX: Double, maxY: Double) {
        var b = (minX: Double.infinity, minY: Double.infinity, maxX: -Double.infinity, maxY: -Double.infinity)
        for v in vertices {
            b = (min(b.minX, v.x), min(b.minY, v.y), max(b.maxX, v.x), max(b.maxY, v.y))
        }
        return b
    }

    /// How wide the polygon is across `direction` (unit length) at `along` (the coordinate along it): the spread of
    /// its outline's crossings of that line; 0 where it does not reach.
    func width(across direction: TrafficPoint, at along: Double) -> Double {
        let across = TrafficPoint(-direction.y, direction.x)
        var lo = Double.infinity, hi = -Double.infinity
        var j = vertices.count - 1
        for i in 0..<vertices.count {
            let a = vertices[j], b = vertices[i]
            let ta = a.dot(direction), tb = b.dot(direction)
            if (ta - along) * (tb - along) <= 0, ta != tb {
                let x = a.dot(across) + (along - ta) / (tb - ta) * (b.dot(across) - a.dot(across))
                lo = min(lo, x)
                hi = max(hi, x)
            }
            j = i
        }
        return hi > lo ? hi - lo : 0
    }

    /// The polygon's coordinates multiplied by `factor` (source pixels to processing pixels).
    func scaled(by factor: Double) -> TrafficPolygon {
        TrafficPolygon(vertices.map { $0 * factor })
    }
}

/// A line segment in source-image pixels: the stop line is one, not a half-plane.
public struct TrafficSegment: Sendable, Equatable {
    public var start: TrafficPoint
    public var end: TrafficPoint

    public init(_ start: TrafficPoint, _ end: TrafficPoint) {
        self.start = start
        self.end = end
    }

    public var length: Double { (end - start).dot(end - start).squareRoot() }

    /// Where the motion `from` → `to` meets this segment, as the fraction along the motion (0...1),
    /// or nil when it does not meet it (parallel motion, or a meeting point beyond either end).
    ///
    /// A motion that starts exactly on the segment counts as meeting it at 0; one that ends on it,
    /// at 1. Callers decide which of the two counts as the crossing.
    public func intersection(from: TrafficPoint, to: TrafficPoint) -> Double? {
        let motion = to - from
        let line = end - start
        let denominator = motion.cross(line)
        guard abs(denominator) > 1e-12 else { return nil }
        let offset = start - from
        let alongMotion = offset.cross(line) / denominator
        let alongSegment = offset.cross(motion) / denominator
        guard (0...1).contains(alongMotion), (0...1).contains(alongSegment) else { return nil }
        return alongMotion
    }

    /// Signed distance-like side of `point`: positive on the side the normal `direction` points to.
    ///
    /// The value is the projection onto the line's normal chosen to agree with `direction`, in pixels.
    func side(of point: TrafficPoint, towards direction: TrafficPoint) -> Double {
        (point - start).dot(normal(towards: direction))
    }

    /// The segment's unit normal on the side `direction` points to; zero for a segment of no length.
    func normal(towards direction: TrafficPoint) -> TrafficPoint {
        let line = end - start
        var normal = TrafficPoint(-line.y, line.x)
        if normal.dot(direction) < 0 { normal = normal * -1 }
        let length = normal.dot(normal).squareRoot()
        return length > 0 ? normal * (1 / length) : TrafficPoint(0, 0)
    }
}
