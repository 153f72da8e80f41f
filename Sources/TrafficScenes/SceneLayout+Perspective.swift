import Traffic

extension SceneLayout {
    /// The camera file of a scene: the top-down single-lane or lanes form, or a perspective camera's.
    public static func cameraYAML(for spec: SceneSpec, source: String) -> String {
        if let camera = spec.camera { return perspectiveCameraYAML(for: spec, camera, source: source) }
        return spec.layout == .lanes ? lanesCameraYAML(source: source, graceSeconds: spec.graceSeconds)
            : cameraYAML(source: source, graceSeconds: spec.graceSeconds)
    }

    /// A ground point (top-down pixels) in the picture of `camera`. The layout's ground points near the stop line
    /// are always in front of a valid camera.
    static func picturePoint(_ x: Double, _ y: Double, _ camera: SceneCamera) -> TrafficPoint {
        guard let p = camera.project(x, y) else { preconditionFailure("ground point (\(x), \(y)) behind the camera") }
        return TrafficPoint((p.u * 10).rounded() / 10, (p.v * 10).rounded() / 10)
    }

    /// A ground segment in the picture.
    static func pictureSegment(_ segment: TrafficSegment, _ camera: SceneCamera) -> TrafficSegment {
        TrafficSegment(picturePoint(segment.start.x, segment.start.y, camera),
                       picturePoint(segment.end.x, segment.end.y, camera))
    }

    /// Lane `index`'s area in the picture: its ground strip from the cross street's near kerb to the near edge,
    /// cut to the picture (a camera file's coordinates lie in it).
    static func pictureLaneArea(_ index: Int, _ camera: SceneCamera) -> TrafficPolygon {
        let (lo, hi) = lanes[index]
        let far = crossStreet.bottom, near = camera.nearGroundY
        let quad = [picturePoint(lo, far, camera), picturePoint(hi, far, camera), picturePoint(hi, near, camera),
                    picturePoint(lo, near, camera)]
        return TrafficPolygon(clip(quad, width: Double(width), height: Double(height)).map {
            TrafficPoint(($0.x * 10).rounded() / 10, ($0.y * 10).rounded() / 10)
        })
    }

    /// A convex polygon cut to the rectangle [0, width] × [0, height] (Sutherland–Hodgman).
    static func clip(_ polygon: [TrafficPoint], width: Double, height: Double) -> [TrafficPoint] {
        // Each edge of the rectangle as (inside test, intersection of a segment with its line).
        typealias Edge = (inside: (TrafficPoint) -> Bool, cut: (TrafficPoint, TrafficPoint) -> TrafficPoint)
        func atX(_ x: Double) -> (TrafficPoint, TrafficPoint) -> TrafficPoint {
            { a, b in TrafficPoint(x, a.y + (x - a.x) * (b.y - a.y) / (b.x - a.x)) }
        }
        func atY(_ y: Double) -> (TrafficPoint, TrafficPoint) -> TrafficPoint {
            { a, b in TrafficPoint(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y), y) }
        }
        let edges: [Edge] = [({ $0.x >= 0 }, atX(0)), ({ $0.x <= width }, atX(width)), ({ $0.y >= 0 }, atY(0)),
                             ({ $0.y <= height }, atY(height))]
        var points = polygon
        for edge in edges where !points.isEmpty {
            let input = points
            points = []
            for (i, current) in input.enumerated() {
                let previous = input[(i + input.count - 1) % input.count]
                if edge.inside(current) {
                    if !edge.inside(previous) { points.append(edge.cut(previous, current)) }
                    points.append(current)
                } else if edge.inside(previous) {
                    points.append(edge.cut(previous, current))
                }
            }
        }
        return points
    }

    /// The traffic configuration of a perspective scene: the layout's stop lines and lanes as the camera sees
    /// them (lane areas given, since the lanes converge in the picture), the signal heads where they hang.
    static func perspectiveConfiguration(for spec: SceneSpec, _ camera: SceneCamera) -> TrafficConfiguration {
        let areas = lanes.indices.map { pictureLaneArea($0, camera) }
        var configuration = spec.layout == .lanes ? lanesConfiguration(graceSeconds: spec.graceSeconds)
            : TrafficConfiguration(signal: SignalLamps(red: lampPolygon(0), amber: lampPolygon(1), green: lampPolygon(2)),
                                   stopLine: stopLine, direction: TrafficPoint(0, -1), graceSeconds: spec.graceSeconds,
                                   minArea: 400)
        for index in configuration.laneRules.indices {
            configuration.laneRules[index].stopLine = pictureSegment(configuration.laneRules[index].stopLine, camera)
        }
        configuration.lanes = areas
        return configuration
    }

    /// The camera file of a perspective scene, in the lanes form for the lanes layout and the single-lane form
    /// otherwise.
    static func perspectiveCameraYAML(for spec: SceneSpec, _ camera: SceneCamera, source: String) -> String {
        let configuration = perspectiveConfiguration(for: spec, camera)
        func points(_ p: [TrafficPoint]) -> String { "[" + p.map { "[\($0.x), \($0.y)]" }.joined(separator: ", ") + "]" }
        func polygon(_ p: TrafficPolygon) -> String { points(p.vertices) }
        func segment(_ s: TrafficSegment) -> String { points([s.start, s.end]) }
        var lines = [
            "# Camera of a synthetic intersection seen in perspective (sightline scenes synth --camera perspective):",
            "# \(camera.height) m up, tilted \(camera.tilt) degrees down, focal \(camera.focal) px, over ground x \(camera.x).",
            "id: synthetic",
            "source: \(source)",
            "processing_width: 640",
            "traffic:",
        ]
        let lamps = ["red:   \(polygon(lampPolygon(0)))", "amber: \(polygon(lampPolygon(1)))",
                     "green: \(polygon(lampPolygon(2)))"]
        if spec.layout == .lanes {
            lines.append("  lanes:")
            for (index, lane) in configuration.laneRules.enumerated() {
                lines += ["    - name: \(lane.name)", "      stop_line: \(segment(lane.stopLine))",
                          "      signal: \(lane.signal)", "      turn_on_red: \(lane.turnOnRed)",
                          "      area: \(polygon(configuration.lanes[index]))"]
            }
            lines += ["  signals:", "    main:"] + lamps.map { "      " + $0 }
            lines += ["    left-arrow:", "      red:   \(polygon(arrowLampPolygon(0)))",
                      "      green: \(polygon(arrowLampPolygon(1)))"]
        } else {
            lines += ["  signal:"] + lamps.map { "    " + $0 }
            lines += ["  stop_line: \(segment(configuration.stopLine))", "  lanes:"]
            lines += configuration.lanes.map { "    - " + polygon($0) }
        }
        lines += ["  direction: [0, -1]", "  grace_seconds: \(spec.graceSeconds)", "  min_area: 400", ""]
        return lines.joined(separator: "\n")
    }
}
