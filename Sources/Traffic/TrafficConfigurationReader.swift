import Yams

/// One mistake in a `traffic:` section: the key path, where it was written, and what is wrong.
///
/// `line` and `column` are 1-based, from the YAML node's mark (0 when the node has none). The daemon's
/// loader turns these into its own `ConfigIssue`s; the CLI prints them as `FILE:LINE:COLUMN: PATH: MESSAGE`.
public struct TrafficConfigIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(path: String, line: Int, column: Int, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(line):\(column): \(path): \(message)" }
}

/// Reads a `traffic:` YAML node into a `TrafficConfiguration`, collecting every mistake with its line.
///
/// Shared by the daemon's configuration loader and the CLI's single-camera file, so both accept the
/// same keys and say the same things about them.
public struct TrafficConfigurationReader {
    /// Keys of `traffic:`.
    public static let keys = ["signal", "stop_line", "direction", "grace_seconds", "min_area", "lanes", "region",
                              "tuning"]
    /// Keys of `traffic.signal:`.
    public static let signalKeys = ["red", "amber", "green"]
    /// Keys of `traffic.tuning:`.
    public static let tuningKeys = ["lock_frames", "dark_seconds", "lamp_contrast", "model_width", "threshold",
                             "learning_rate", "confirm_hits", "coast_frames"]

    /// Everything found so far, in walk order.
    public private(set) var issues: [TrafficConfigIssue] = []

    public init() {}

    /// Reads `node` found at key path `path` (such as `cameras[0].traffic`). Returns nil when a
    /// required part is missing or wrong; `issues` then says why.
    public mutating func read(_ node: Node, path: String) -> TrafficConfiguration? {
        guard let fields = mapping(node, path: path, known: Self.keys) else { return nil }
        for key in ["signal", "stop_line", "direction"] where fields.values[key] == nil {
            report(path, fields.mark, "required key '\(key)' is missing")
        }
        let signal = fields.values["signal"].flatMap { readSignal($0, path: fields.path("signal")) }
        let stopLine = fields.values["stop_line"].flatMap { node -> TrafficSegment? in
            guard let points = points(node, path: fields.path("stop_line"), count: 2...2, what: "a segment") else {
                return nil
            }
            guard points[0] != points[1] else {
                report(fields.path("stop_line"), node.mark, "the two ends of the stop line are the same point")
                return nil
            }
            return TrafficSegment(points[0], points[1])
        }
        var direction = fields.values["direction"].flatMap { node -> TrafficPoint? in
            guard let point = point(node, path: fields.path("direction")) else { return nil }
            guard point.x != 0 || point.y != 0 else {
                report(fields.path("direction"), node.mark, "must not be [0, 0]; use [0, -1] for 'up the image'")
                return nil
            }
            return point
        }
        if let line = stopLine, let d = direction, let node = fields.values["direction"] {
            let along = line.end - line.start
            if abs(along.cross(d)) < 1e-6 * line.length * d.dot(d).squareRoot() {
                report(fields.path("direction"), node.mark, "is parallel to the stop line, so nothing can cross it")
                direction = nil
            }
        }
        let grace = number(fields, "grace_seconds", in: 0...60, "a number of seconds from 0 to 60")
        let minArea = number(fields, "min_area", in: 1...10_000_000, "an area in px² from 1 to 10000000")
        var lanes: [TrafficPolygon] = []
        if let node = fields.values["lanes"] {
            if case .sequence(let entries) = node, !entries.isEmpty {
                for (index, entry) in entries.enumerated() {
                    if let lane = polygon(entry, path: "\(fields.path("lanes"))[\(index)]") { lanes.append(lane) }
                }
            } else {
                report(fields.path("lanes"), node.mark, "must be a list of lane polygons, got \(Self.describe(node))")
            }
        }
        let region = fields.values["region"].flatMap { polygon($0, path: fields.path("region")) }
        let tuning = fields.values["tuning"].map { readTuning($0, path: fields.path("tuning")) } ?? TrafficTuning()
        guard let signal, let stopLine, let direction else { return nil }
        return TrafficConfiguration(
            signal: signal, stopLine: stopLine, direction: direction, graceSeconds: grace ?? 0.5,
            minArea: minArea ?? 400, lanes: lanes, region: region, tuning: tuning)
    }

    private mutating func readSignal(_ node: Node, path: String) -> SignalLamps? {
        guard let fields = mapping(node, path: path, known: Self.signalKeys) else { return nil }
        for key in ["red", "green"] where fields.values[key] == nil {
            report(path, fields.mark, "required key '\(key)' is missing (a polygon around that lamp)")
        }
        let red = fields.values["red"].flatMap { polygon($0, path: fields.path("red")) }
        let amber = fields.values["amber"].flatMap { polygon($0, path: fields.path("amber")) }
        let green = fields.values["green"].flatMap { polygon($0, path: fields.path("green")) }
        guard let red, let green, fields.values["amber"] == nil || amber != nil else { return nil }
        return SignalLamps(red: red, amber: amber, green: green)
    }

    private mutating func readTuning(_ node: Node, path: String) -> TrafficTuning {
        var tuning = TrafficTuning()
        guard let fields = mapping(node, path: path, known: Self.tuningKeys) else { return tuning }
        tuning.lockFrames = integer(fields, "lock_frames", in: 1...100) ?? tuning.lockFrames
        tuning.darkSeconds = number(fields, "dark_seconds", in: 0.05...60, "seconds from 0.05 to 60")
            ?? tuning.darkSeconds
        tuning.lampContrast = number(fields, "lamp_contrast", in: 1...255, "luma levels from 1 to 255")
            ?? tuning.lampContrast
        tuning.modelWidth = integer(fields, "model_width", in: 32...1920) ?? tuning.modelWidth
        tuning.threshold = number(fields, "threshold", in: 1...255, "luma levels from 1 to 255") ?? tuning.threshold
        tuning.learningRate = number(fields, "learning_rate", in: 0.0001...1, "a rate from 0.0001 to 1")
            ?? tuning.learningRate
        tuning.confirmHits = integer(fields, "confirm_hits", in: 1...100) ?? tuning.confirmHits
        tuning.coastFrames = integer(fields, "coast_frames", in: 0...1000) ?? tuning.coastFrames
        return tuning
    }
}

// MARK: node walking

extension TrafficConfigurationReader {
    /// The known entries of one mapping, with its key path and position.
    struct Fields {
        let path: String
        let mark: Mark?
        var values: [String: Node] = [:]

        func path(_ key: String) -> String { "\(path).\(key)" }
    }

    mutating func report(_ path: String, _ mark: Mark?, _ message: String) {
        issues.append(TrafficConfigIssue(path: path, line: mark?.line ?? 0, column: mark?.column ?? 0,
                                         message: message))
    }

    /// Opens a mapping, reporting each unknown key with the list of known ones.
    mutating func mapping(_ node: Node, path: String, known: [String]) -> Fields? {
        guard case .mapping(let mapping) = node else {
            report(path, node.mark, "must be a mapping of keys, got \(Self.describe(node))")
            return nil
        }
        var fields = Fields(path: path, mark: mapping.mark)
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode else {
                report(path, keyNode.mark, "keys must be plain names, got \(Self.describe(keyNode))")
                continue
            }
            if known.contains(key.string) {
                fields.values[key.string] = value
            } else {
                report(fields.path(key.string), keyNode.mark,
                       "unknown key '\(key.string)'" + Self.guess(key.string, known))
            }
        }
        return fields
    }

    /// An unquoted integer or decimal within `range`.
    mutating func number(_ fields: Fields, _ key: String, in range: ClosedRange<Double>, _ expectation: String)
        -> Double?
    {
        guard let node = fields.values[key] else { return nil }
        guard let value = Self.numeric(node), range.contains(value) else {
            report(fields.path(key), node.mark, "must be \(expectation), got \(Self.describe(node))")
            return nil
        }
        return value
    }

    /// An unquoted integer within `range`.
    mutating func integer(_ fields: Fields, _ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let node = fields.values[key] else { return nil }
        guard node.tag.rawValue == Tag.Name.int.rawValue, let value = node.int, range.contains(value) else {
            report(fields.path(key), node.mark,
                   "must be an integer from \(range.lowerBound) to \(range.upperBound), got \(Self.describe(node))")
            return nil
        }
        return value
    }

    /// `[x, y]` in pixels.
    mutating func point(_ node: Node, path: String) -> TrafficPoint? {
        guard case .sequence(let items) = node, items.count == 2,
              let x = Self.numeric(items[0]), let y = Self.numeric(items[1])
        else {
            report(path, node.mark, "must be a point [x, y] of two numbers, got \(Self.describe(node))")
            return nil
        }
        return TrafficPoint(x, y)
    }

    /// A list of `[x, y]` points whose length is in `count`.
    mutating func points(_ node: Node, path: String, count: ClosedRange<Int>, what: String) -> [TrafficPoint]? {
        let shape = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "at least \(count.lowerBound)"
        guard case .sequence(let items) = node, count.contains(items.count) else {
            report(path, node.mark,
                   "must be \(what): a list of \(shape) points [[x, y], …], got \(Self.describe(node))")
            return nil
        }
        var result: [TrafficPoint] = []
        for (index, item) in items.enumerated() {
            guard let p = point(item, path: "\(path)[\(index)]") else { return nil }
            guard p.x >= 0, p.y >= 0, p.x <= 16384, p.y <= 16384 else {
                report("\(path)[\(index)]", item.mark, "lies outside any picture (coordinates are source pixels ≥ 0)")
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
            report(path, node.mark, "encloses no area (its points are on one line)")
            return nil
        }
        return polygon
    }

    static func numeric(_ node: Node) -> Double? {
        let tag = node.tag.rawValue
        if tag == Tag.Name.int.rawValue { return node.int.map(Double.init) }
        if tag == Tag.Name.float.rawValue { return node.float.flatMap { $0.isFinite ? $0 : nil } }
        return nil
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if node.tag.rawValue == Tag.Name.null.rawValue { return "nothing" }
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            return "'\(scalar.string)'" + (quoted ? " (quoted, so it is text)" : "")
        case .mapping: return "a mapping"
        case .sequence(let items): return "a list of \(items.count)"
        case .alias: return "an alias"
        }
    }

    /// "; did you mean 'x'?" by a small edit distance, else the list of known keys.
    static func guess(_ word: String, _ known: [String]) -> String {
        let lowered = String(word.lowercased().map { $0 == "-" ? "_" : $0 })
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var previous = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var current = [i] + [Int](repeating: 0, count: b.count)
                for j in stride(from: 1, through: b.count, by: 1) {
                    current[j] = min(previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), previous[j] + 1,
                                     current[j - 1] + 1)
                }
                previous = current
            }
            return a.isEmpty ? b.count : previous[b.count]
        }
        let scored = known.map { ($0, distance(Array(lowered), Array($0))) }.min { $0.1 < $1.1 }
        if let (best, d) = scored, d <= max(1, min(3, lowered.count / 3)) {
            return "; did you mean '\(best)'?"
        }
        return "; expected one of: " + known.joined(separator: ", ")
    }
}
