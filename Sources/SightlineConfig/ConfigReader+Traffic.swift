import Traffic
import Yams

extension ConfigReader {
    /// Keys of `traffic:`.
    static let trafficKeys = ["signal", "stop_line", "direction", "grace_seconds", "min_area", "lanes", "region",
                              "tuning"]
    /// Keys of `traffic.signal:`.
    static let trafficSignalKeys = ["red", "amber", "green"]
    /// Keys of `traffic.tuning:`.
    static let trafficTuningKeys = ["lock_frames", "dark_seconds", "lamp_contrast", "model_width", "threshold",
                                    "learning_rate", "confirm_hits", "coast_frames"]

    /// Reads a camera's `traffic:` section (the CLI's camera file reads the same) into a `TrafficConfiguration`.
    /// Returns nil when a required part is missing or wrong, after reporting why. Merge keys work here as
    /// everywhere else in the file.
    mutating func readTraffic(_ node: Node, path: String) -> TrafficConfiguration? {
        guard let fields = fields(of: node, path: path, known: Self.trafficKeys) else { return nil }
        for key in ["signal", "stop_line", "direction"] where fields[key] == nil {
            report(path, at: fields.mark, "required key '\(key)' is missing")
        }
        let signal = fields["signal"].flatMap { readTrafficSignal($0, path: fields.path("signal")) }
        let stopLine = fields["stop_line"].flatMap { node -> TrafficSegment? in
            guard let points = points(node, path: fields.path("stop_line"), count: 2...2, what: "a segment") else {
                return nil
            }
            guard points[0] != points[1] else {
                report(fields.path("stop_line"), at: node.mark, "the two ends of the stop line are the same point")
                return nil
            }
            return TrafficSegment(points[0], points[1])
        }
        var direction = fields["direction"].flatMap { node -> TrafficPoint? in
            guard let point = point(node, path: fields.path("direction")) else { return nil }
            guard point.x != 0 || point.y != 0 else {
                report(fields.path("direction"), at: node.mark, "must not be [0, 0]; use [0, -1] for 'up the image'")
                return nil
            }
            return point
        }
        if let line = stopLine, let d = direction, let node = fields["direction"] {
            let along = line.end - line.start
            if abs(along.cross(d)) < 1e-6 * line.length * d.dot(d).squareRoot() {
                report(fields.path("direction"), at: node.mark, "is parallel to the stop line, so nothing can cross it")
                direction = nil
            }
        }
        let grace = number(fields, "grace_seconds", in: 0...60, "a number of seconds from 0 to 60")
        let minArea = number(fields, "min_area", in: 1...10_000_000, "an area in px² from 1 to 10000000")
        var lanes: [TrafficPolygon] = []
        if let node = fields["lanes"] {
            if case .sequence(let entries) = node, !entries.isEmpty {
                for (index, entry) in entries.enumerated() {
                    if let lane = polygon(entry, path: "\(fields.path("lanes"))[\(index)]") { lanes.append(lane) }
                }
            } else {
                report(fields, "lanes", "must be a list of lane polygons, got \(Self.describe(node))")
            }
        }
        let region = fields["region"].flatMap { polygon($0, path: fields.path("region")) }
        let tuning = fields["tuning"].map { readTrafficTuning($0, path: fields.path("tuning")) } ?? TrafficTuning()
        guard let signal, let stopLine, let direction else { return nil }
        let defaults = TrafficConfiguration(signal: signal, stopLine: stopLine, direction: direction)
        return TrafficConfiguration(
            signal: signal, stopLine: stopLine, direction: direction, graceSeconds: grace ?? defaults.graceSeconds,
            minArea: minArea ?? defaults.minArea, lanes: lanes, region: region, tuning: tuning)
    }

    private mutating func readTrafficSignal(_ node: Node, path: String) -> SignalLamps? {
        guard let fields = fields(of: node, path: path, known: Self.trafficSignalKeys) else { return nil }
        for key in ["red", "green"] where fields[key] == nil {
            report(path, at: fields.mark, "required key '\(key)' is missing (a polygon around that lamp)")
        }
        let red = fields["red"].flatMap { polygon($0, path: fields.path("red")) }
        let amber = fields["amber"].flatMap { polygon($0, path: fields.path("amber")) }
        let green = fields["green"].flatMap { polygon($0, path: fields.path("green")) }
        guard let red, let green, fields["amber"] == nil || amber != nil else { return nil }
        return SignalLamps(red: red, amber: amber, green: green)
    }

    private mutating func readTrafficTuning(_ node: Node, path: String) -> TrafficTuning {
        var tuning = TrafficTuning()
        guard let fields = fields(of: node, path: path, known: Self.trafficTuningKeys) else { return tuning }
        func range(_ r: ClosedRange<Int>) -> String { "an integer from \(r.lowerBound) to \(r.upperBound)" }
        tuning.lockFrames = integer(fields, "lock_frames", in: 1...100, range(1...100)) ?? tuning.lockFrames
        tuning.darkSeconds = number(fields, "dark_seconds", in: 0.05...60, "seconds from 0.05 to 60")
            ?? tuning.darkSeconds
        tuning.lampContrast = number(fields, "lamp_contrast", in: 1...255, "luma levels from 1 to 255")
            ?? tuning.lampContrast
        tuning.modelWidth = integer(fields, "model_width", in: 32...1920, range(32...1920)) ?? tuning.modelWidth
        tuning.threshold = number(fields, "threshold", in: 1...255, "luma levels from 1 to 255") ?? tuning.threshold
        tuning.learningRate = number(fields, "learning_rate", in: 0.0001...1, "a rate from 0.0001 to 1")
            ?? tuning.learningRate
        tuning.confirmHits = integer(fields, "confirm_hits", in: 1...100, range(1...100)) ?? tuning.confirmHits
        tuning.coastFrames = integer(fields, "coast_frames", in: 0...1000, range(0...1000)) ?? tuning.coastFrames
        return tuning
    }

    /// `[x, y]` in pixels.
    private mutating func point(_ node: Node, path: String) -> TrafficPoint? {
        guard case .sequence(let items) = node, items.count == 2,
              let x = Self.numeric(items[0]), let y = Self.numeric(items[1])
        else {
            report(path, at: node.mark, "must be a point [x, y] of two numbers, got \(Self.describe(node))")
            return nil
        }
        return TrafficPoint(x, y)
    }

    /// A list of `[x, y]` points in source pixels whose length is in `count`.
    private mutating func points(_ node: Node, path: String, count: ClosedRange<Int>, what: String)
        -> [TrafficPoint]?
    {
        let shape = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "at least \(count.lowerBound)"
        guard case .sequence(let items) = node, count.contains(items.count) else {
            report(path, at: node.mark,
                   "must be \(what): a list of \(shape) points [[x, y], …], got \(Self.describe(node))")
            return nil
        }
        var result: [TrafficPoint] = []
        for (index, item) in items.enumerated() {
            guard let p = point(item, path: "\(path)[\(index)]") else { return nil }
            guard p.x >= 0, p.y >= 0, p.x <= 16384, p.y <= 16384 else {
                report("\(path)[\(index)]", at: item.mark,
                       "lies outside any picture (coordinates are source pixels ≥ 0)")
                return nil
            }
            result.append(p)
        }
        return result
    }

    /// A polygon of at least three points enclosing some area.
    mutating func polygon(_ node: Node, path: String) -> TrafficPolygon? {
        guard let vertices = points(node, path: path, count: 3...1024, what: "a polygon") else { return nil }
        let polygon = TrafficPolygon(vertices)
        guard abs(polygon.doubleSignedArea) >= 2 else {
            report(path, at: node.mark, "encloses no area (its points are on one line)")
            return nil
        }
        return polygon
    }

    /// The value of an unquoted integer or finite decimal.
    static func numeric(_ node: Node) -> Double? {
        let tag = node.tag.rawValue
        if tag == Tag.Name.int.rawValue { return node.int.map(Double.init) }
        if tag == Tag.Name.float.rawValue { return node.float.flatMap { $0.isFinite ? $0 : nil } }
        return nil
    }
}
