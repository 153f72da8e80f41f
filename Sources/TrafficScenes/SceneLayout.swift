import Traffic

/// The fixed geometry of the synthetic intersection, in source pixels of a 640 × 360 picture.
///
/// A camera behind northbound traffic looks up a three-lane road: vehicles move up the image
/// (direction [0, -1]) towards a slightly tilted stop line, a zebra crossing and a cross street; the
/// signal head hangs top right; sidewalks run along both sides.
public enum SceneLayout {
    public static let width = 640
    public static let height = 360
    public static let roadLeft = 150.0
    public static let roadRight = 490.0
    /// x ranges of the three northbound lanes.
    public static let lanes: [(Double, Double)] = [(152, 262), (265, 375), (378, 488)]
    /// The stop line's upper edge, left and right ends (the painted bar lies just below it).
    public static let stopLine = TrafficSegment(TrafficPoint(150, 232), TrafficPoint(490, 226))
    public static let stopBarThickness = 6.0
    public static let crosswalk = (top: 190.0, bottom: 214.0)
    public static let crossStreet = (top: 100.0, bottom: 182.0)
    /// y ranges of the cross street's two lanes (westbound, eastbound).
    public static let crossLanes: [(Double, Double)] = [(108, 138), (146, 176)]
    public static let housing = (left: 556.0, top: 10.0, right: 584.0, bottom: 96.0)
    /// Lamp centres (red, amber, green) and radius.
    public static let lampCentres: [(Double, Double)] = [(570, 25), (570, 53), (570, 81)]
    public static let lampRadius = 10.0
    /// The lanes layout's second head, the left lane's turn arrow: housing, and red and green lamp centres.
    public static let arrowHousing = (left: 524.0, top: 10.0, right: 548.0, bottom: 96.0)
    public static let arrowLampCentres: [(Double, Double)] = [(536, 25), (536, 81)]
    /// The lanes layout's lane names, left to right: the left-arrow lane, straight on, and the right-turn lane.
    public static let laneNames = ["left", "straight", "right"]

    /// y of the stop line's upper edge at `x`.
    public static func stopLineY(at x: Double) -> Double {
        let a = stopLine.start, b = stopLine.end
        return a.y + (x - a.x) * (b.y - a.y) / (b.x - a.x)
    }

    /// The lanes as polygons over the whole picture height.
    public static var lanePolygons: [TrafficPolygon] {
        lanes.map { lane in
            TrafficPolygon([TrafficPoint(lane.0, 0), TrafficPoint(lane.1, 0), TrafficPoint(lane.1, Double(height)),
                            TrafficPoint(lane.0, Double(height))])
        }
    }

    /// The square polygon around lamp `index` (0 red, 1 amber, 2 green).
    public static func lampPolygon(_ index: Int) -> TrafficPolygon {
        let (cx, cy) = lampCentres[index]
        let r = lampRadius
        return TrafficPolygon([TrafficPoint(cx - r, cy - r), TrafficPoint(cx + r, cy - r),
                               TrafficPoint(cx + r, cy + r), TrafficPoint(cx - r, cy + r)])
    }

    /// The square polygon around the turn arrow's lamp `index` (0 red, 1 green).
    public static func arrowLampPolygon(_ index: Int) -> TrafficPolygon {
        let (cx, cy) = arrowLampCentres[index]
        let r = lampRadius
        return TrafficPolygon([TrafficPoint(cx - r, cy - r), TrafficPoint(cx + r, cy - r),
                               TrafficPoint(cx + r, cy + r), TrafficPoint(cx - r, cy + r)])
    }

    /// Each lane's part of the stop line (its x range).
    public static func laneStopLine(_ lane: Int) -> TrafficSegment {
        let (lo, hi) = lanes[lane]
        return TrafficSegment(TrafficPoint(lo, stopLineY(at: lo)), TrafficPoint(hi, stopLineY(at: hi)))
    }

    /// The traffic configuration of the lanes layout, as its camera file describes it (no lane areas: the
    /// stop lines keep the lanes apart).
    public static func lanesConfiguration(graceSeconds: Double) -> TrafficConfiguration {
        TrafficConfiguration(
            laneRules: lanes.indices.map {
                TrafficLane(name: laneNames[$0], stopLine: laneStopLine($0), signal: $0 == 0 ? "left-arrow" : "main",
                            turnOnRed: $0 == 2)
            },
            signalGroups: [
                SignalGroup(name: "main", lamps: SignalLamps(red: lampPolygon(0), amber: lampPolygon(1),
                                                             green: lampPolygon(2))),
                SignalGroup(name: "left-arrow", lamps: SignalLamps(red: arrowLampPolygon(0), amber: nil,
                                                                   green: arrowLampPolygon(1))),
            ],
            direction: TrafficPoint(0, -1), graceSeconds: graceSeconds, minArea: 400)
    }

    /// The traffic configuration a scene's camera file describes.
    public static func configuration(for spec: SceneSpec) -> TrafficConfiguration {
        if let camera = spec.camera { return perspectiveConfiguration(for: spec, camera) }
        if spec.layout == .lanes { return lanesConfiguration(graceSeconds: spec.graceSeconds) }
        var configuration = TrafficConfiguration(
            signal: SignalLamps(red: lampPolygon(0), amber: lampPolygon(1), green: lampPolygon(2)),
            stopLine: stopLine, direction: TrafficPoint(0, -1), graceSeconds: spec.graceSeconds, minArea: 400)
        configuration.lanes = lanePolygons
        return configuration
    }

    /// The camera file of the lanes layout.
    public static func lanesCameraYAML(source: String, graceSeconds: Double) -> String {
        func polygon(_ p: TrafficPolygon) -> String {
            "[" + p.vertices.map { "[\(Int($0.x)), \(Int($0.y))]" }.joined(separator: ", ") + "]"
        }
        func point(_ p: TrafficPoint) -> String { "[\(p.x), \(p.y)]" }
        let lanes = lanesConfiguration(graceSeconds: graceSeconds).laneRules.map { lane in
            """
                - name: \(lane.name)
                  stop_line: [\(point(lane.stopLine.start)), \(point(lane.stopLine.end))]
                  signal: \(lane.signal)
                  turn_on_red: \(lane.turnOnRed)
            """
        }
        return """
            # Camera of a synthetic intersection with per-lane signals (sightline scenes synth --layout lanes).
            id: synthetic
            source: \(source)
            processing_width: 640
            traffic:
              lanes:
            \(lanes.joined(separator: "\n"))
              signals:
                main:
                  red:   \(polygon(lampPolygon(0)))
                  amber: \(polygon(lampPolygon(1)))
                  green: \(polygon(lampPolygon(2)))
                left-arrow:
                  red:   \(polygon(arrowLampPolygon(0)))
                  green: \(polygon(arrowLampPolygon(1)))
              direction: [0, -1]
              grace_seconds: \(graceSeconds)
              min_area: 400

            """
    }

    /// The camera configuration (the `traffic:` keys of a camera file) that matches this layout.
    public static func cameraYAML(source: String, graceSeconds: Double) -> String {
        func polygon(_ p: TrafficPolygon) -> String {
            "[" + p.vertices.map { "[\(Int($0.x)), \(Int($0.y))]" }.joined(separator: ", ") + "]"
        }
        func lane(_ range: (Double, Double)) -> String {
            "[[\(Int(range.0)), 0], [\(Int(range.1)), 0], [\(Int(range.1)), \(height)], [\(Int(range.0)), \(height)]]"
        }
        return """
            # Camera of a synthetic intersection scene (sightline scenes synth).
            id: synthetic
            source: \(source)
            processing_width: 640
            traffic:
              signal:
                red:   \(polygon(lampPolygon(0)))
                amber: \(polygon(lampPolygon(1)))
                green: \(polygon(lampPolygon(2)))
              stop_line: [[\(Int(stopLine.start.x)), \(Int(stopLine.start.y))], \
            [\(Int(stopLine.end.x)), \(Int(stopLine.end.y))]]
              direction: [0, -1]
              grace_seconds: \(graceSeconds)
              min_area: 400
              lanes:
            \(lanes.map { "    - " + lane($0) }.joined(separator: "\n"))

            """
    }
}
