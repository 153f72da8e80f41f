/// The geometry of the rule: when does a reference point's motion cross the stop line?
///
/// A crossing is a motion from the near side of the line (against `direction`) to its far side
/// (on it counts as far) that meets the stop-line *segment*: passing beyond either end of the
/// segment is not a crossing, whatever the infinite line says. With lanes configured, the motion
/// must start and end inside the same one.
public struct CrossingRule: Sendable {
    public let stopLine: TrafficSegment
    public let direction: TrafficPoint
    public let lanes: [TrafficPolygon]

    public init(stopLine: TrafficSegment, direction: TrafficPoint, lanes: [TrafficPolygon] = []) {
        self.stopLine = stopLine
        self.direction = direction
        self.lanes = lanes
    }

    /// Whether `point` is on the near side of the stop line (where vehicles come from).
    public func isBefore(_ point: TrafficPoint) -> Bool {
        stopLine.side(of: point, towards: direction) < 0
    }

    /// The stop line's unit normal, pointing the way of `direction` (towards its far side).
    public var normal: TrafficPoint { stopLine.normal(towards: direction) }

    /// How far `point` is before the stop line's (infinite) line, in pixels along its normal; negative past it.
    public func distanceBefore(_ point: TrafficPoint) -> Double {
        -stopLine.side(of: point, towards: direction)
    }

    /// The fraction (0...1] along the motion `from` → `to` where it crosses, or nil when it does not. With
    /// `pastTheAreas`, a motion that starts in a lane area and meets the line inside it may end past the area's far end
    /// (outside every area, further along the direction of travel than all its corners: a step longer than the area
    /// reaches beyond the line), not out through its side.
    public func crossing(from: TrafficPoint, to: TrafficPoint, pastTheAreas: Bool = false) -> Double? {
        guard stopLine.side(of: from, towards: direction) < 0, stopLine.side(of: to, towards: direction) >= 0
        else { return nil }
        guard let fraction = stopLine.intersection(from: from, to: to) else { return nil }
        // With lane areas, the motion stays in one of them: a step from one lane into the next at the line is a
        // box that slid over (a coasting track caught by a neighbour's blob), not a vehicle crossing.
        if !lanes.isEmpty, !lanes.contains(where: { $0.contains(to) && $0.contains(from) }) {
            // Past the far end: outside every area, further along the direction of travel than any of the area's
            // corners, having met the line inside the area it started in (the meeting point, or a hair before it:
            // it is computed, and may round onto the wrong side of a slanted edge).
            guard pastTheAreas, !lanes.contains(where: { $0.contains(to) }) else { return nil }
            let meets = from + (to - from) * fraction, before = from + (to - from) * max(fraction - 1e-6, 0)
            guard lanes.contains(where: { area in
                area.contains(from) && (area.contains(meets) || area.contains(before))
                    && area.vertices.allSatisfy { to.dot(direction) > $0.dot(direction) }
            }) else { return nil }
        }
        return fraction
    }
}
