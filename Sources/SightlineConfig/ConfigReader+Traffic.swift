import SightlineCore
import Traffic
import Yams

extension ConfigReader {
    /// Keys of `traffic:`.
    static let trafficKeys = ["signal", "signals", "stop_line", "direction", "grace_seconds", "min_area", "lanes",
                              "region", "tuning"]
    /// Keys of `traffic.signal:` and of each `traffic.signals:` group.
    static let trafficSignalKeys = ["red", "amber", "green"]
    /// Keys of each `traffic.lanes:` entry in the lanes form.
    static let trafficLaneKeys = ["name", "stop_line", "signal", "turn_on_red", "area"]
    /// Keys of `traffic.tuning:`.
    static let trafficTuningKeys = ["lock_frames", "dark_seconds", "lamp_contrast", "model_width", "threshold",
                                    "learning_rate", "confirm_hits", "coast_frames"]
    /// At most this many lanes and signal groups per camera.
    static let trafficMaxLanes = 16

    /// Reads a camera's `traffic:` section (the CLI's camera file reads the same) into a `TrafficConfiguration`.
    /// Returns nil when a required part is missing or wrong, after reporting why. Merge keys work here as
    /// everywhere else in the file.
    ///
    /// Two forms: `signal` + `stop_line` (+ optional lane polygons under `lanes`) is one lane under one
    /// signal head; `lanes` entries that are mappings (name, stop_line, signal, turn_on_red, area) with the
    /// groups they name under `signals` is the lanes form.
    mutating func readTraffic(_ node: Node, path: String) -> TrafficConfiguration? {
        guard let fields = fields(of: node, path: path, known: Self.trafficKeys) else { return nil }
        var laneForm = false
        var mixed = false
        if case .sequence(let entries)? = fields["lanes"], let first = entries.first, case .mapping = first {
            laneForm = true
        }
        if laneForm {
            for key in ["signals", "direction"] where fields[key] == nil {
                report(path, at: fields.mark, "required key '\(key)' is missing")
            }
            for key in ["signal", "stop_line"] where fields[key] != nil {
                mixed = true
                report(fields, key, "belongs to the single-lane form; with lanes: entries, each lane has its own "
                    + "stop_line and names its group of signals:")
            }
        } else {
            for key in ["signal", "stop_line", "direction"] where fields[key] == nil {
                report(path, at: fields.mark, "required key '\(key)' is missing")
            }
            if fields["signals"] != nil {
                mixed = true
                report(fields, "signals", "belongs to the lanes form: give lanes: as entries with name, stop_line "
                    + "and signal (or use signal: for one head)")
            }
        }
        let signal = laneForm ? nil : fields["signal"].flatMap { readTrafficSignal($0, path: fields.path("signal")) }
        let stopLine = laneForm ? nil : fields["stop_line"].flatMap { segment($0, path: fields.path("stop_line")) }
        let direction = fields["direction"].flatMap { node -> TrafficPoint? in
            guard let point = point(node, path: fields.path("direction")) else { return nil }
            guard point.x != 0 || point.y != 0 else {
                report(fields.path("direction"), at: node.mark, "must not be [0, 0]; use [0, -1] for 'up the image'")
                return nil
            }
            // Only the direction counts: read as a unit vector, scaled first by its larger component so that neither a
            // tiny one ([1e-300, -1e-300], whose squared length underflows to 0) nor a huge one ([1e200, -1e200], whose
            // squares overflow) loses it.
            let largest = max(abs(point.x), abs(point.y))
            let (x, y) = (point.x / largest, point.y / largest)
            let length = (x * x + y * y).squareRoot()
            return TrafficPoint(x / length, y / length)
        }
        let groups = laneForm ? fields["signals"].flatMap { readSignalGroups($0, path: fields.path("signals")) } : nil
        // Each lane area with where it was written and, in the lanes form, its own lane's stop line.
        var areas: [(polygon: TrafficPolygon, path: String, mark: Mark?, line: TrafficSegment?)] = []
        var laneRules: [TrafficLane]?
        if laneForm, let node = fields["lanes"] {
            laneRules = readLanes(node, path: fields.path("lanes"), groups: groups, areas: &areas)
        } else if let node = fields["lanes"] {
            if case .sequence(let entries) = node, !entries.isEmpty {
                for (index, entry) in entries.enumerated() {
                    let path = "\(fields.path("lanes"))[\(index)]"
                    if let lane = polygon(entry, path: path) { areas.append((lane, path, entry.mark, nil)) }
                }
            } else {
                report(fields, "lanes", "must be a list of lane polygons, or of lanes (name, stop_line, signal), "
                    + "got \(Self.describe(node))")
            }
        }
        var parallel = false
        if let d = direction, let node = fields["direction"] {
            let lines = laneRules.map { $0.map(\.stopLine) } ?? stopLine.map { [$0] } ?? []
            for line in lines {
                let along = line.end - line.start
                if abs(along.cross(d)) < 1e-6 * line.length * d.dot(d).squareRoot() {
                    report(fields.path("direction"), at: node.mark,
                           "is parallel to the stop line, so nothing can cross it")
                    parallel = true
                    break
                }
            }
        }
        // A crossing counts when the rear's step over its stop line starts and ends inside one lane area, so a lane's
        // area (lanes form), or a lane polygon drawn up to the stop line (single-lane form), must straddle that line:
        // one that ends at the line, or just short of it, could never hold a crossing.
        var areasMissTheirLine = false
        if let d = direction, !parallel {
            for area in areas {
                guard let line = area.line ?? stopLine else { continue }
                if area.line == nil && !area.polygon.approaches(line, towards: d, within: 8) { continue }
                guard !area.polygon.straddles(line, towards: d) else { continue }
                report(area.path, at: area.mark, "does not straddle the stop line "
                    + "[[\(Self.format(line.start.x)), \(Self.format(line.start.y))], "
                    + "[\(Self.format(line.end.x)), \(Self.format(line.end.y))]]: a crossing counts only when the "
                    + "vehicle's step over the line starts and ends inside one area, so the area must hold the line's "
                    + "near side and reach on past it, 2 px at least along the direction of travel (better further than "
                    + "a vehicle moves in a frame)")
                areasMissTheirLine = true
            }
        }
        let grace = number(fields, "grace_seconds", in: 0...60, "a number of seconds from 0 to 60")
        let minArea = number(fields, "min_area", in: 1...10_000_000, "an area in px² from 1 to 10000000")
        let region = fields["region"].flatMap { polygon($0, path: fields.path("region")) }
        let tuning = fields["tuning"].map { readTrafficTuning($0, path: fields.path("tuning")) } ?? TrafficTuning()
        guard let direction, !parallel, !mixed, !areasMissTheirLine else { return nil }
        if laneForm {
            guard let groups, let laneRules else { return nil }
            return TrafficConfiguration(laneRules: laneRules, signalGroups: groups, direction: direction,
                                        graceSeconds: grace ?? 0.5, minArea: minArea ?? 400, lanes: areas.map(\.polygon),
                                        region: region, tuning: tuning)
        }
        guard let signal, let stopLine else { return nil }
        let defaults = TrafficConfiguration(signal: signal, stopLine: stopLine, direction: direction)
        return TrafficConfiguration(
            signal: signal, stopLine: stopLine, direction: direction, graceSeconds: grace ?? defaults.graceSeconds,
            minArea: minArea ?? defaults.minArea, lanes: areas.map(\.polygon), region: region, tuning: tuning)
    }

    /// A coordinate as written: without a fraction when it is whole.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(value)
    }

    /// A stop line: two distinct points at least 2 px apart.
    private mutating func segment(_ node: Node, path: String) -> TrafficSegment? {
        guard let points = points(node, path: path, count: 2...2, what: "a segment") else { return nil }
        guard points[0] != points[1] else {
            report(path, at: node.mark, "the two ends of the stop line are the same point")
            return nil
        }
        let line = TrafficSegment(points[0], points[1])
        guard line.length >= 2 else {
            report(path, at: node.mark, "is shorter than 2 px, so no vehicle can be seen crossing it")
            return nil
        }
        return line
    }

    /// `signals:`: a mapping of group name to lamps (a group may lack amber).
    private mutating func readSignalGroups(_ node: Node, path: String) -> [SignalGroup]? {
        guard case .mapping(let mapping) = node, !mapping.isEmpty else {
            report(path, at: node.mark, "must be a mapping of signal group names to their lamps "
                + "({red: polygon, amber: polygon, green: polygon}), got \(Self.describe(node))")
            return nil
        }
        var groups: [SignalGroup] = []
        var valid = true
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode, !Self.isNull(keyNode), let name = laneName(key.string) else {
                report(path, at: keyNode.mark, "a signal group's name must be 1–64 letters, digits, '-', '_' or '.', "
                    + "got \(Self.describe(keyNode))")
                valid = false
                continue
            }
            if let lamps = readTrafficSignal(value, path: "\(path).\(name)") {
                groups.append(SignalGroup(name: name, lamps: lamps))
            } else {
                valid = false
            }
        }
        if mapping.count > Self.trafficMaxLanes {
            report(path, at: node.mark, "has \(mapping.count) signal groups; at most \(Self.trafficMaxLanes)")
            return nil
        }
        return valid ? groups : nil
    }

    /// The lanes form's `lanes:` entries; each names a group of `groups` (nil: the groups were wrong, so
    /// only the names' shape is checked).
    private mutating func readLanes(_ node: Node, path: String, groups: [SignalGroup]?,
                                    areas: inout [(polygon: TrafficPolygon, path: String, mark: Mark?, line: TrafficSegment?)])
        -> [TrafficLane]?
    {
        guard case .sequence(let entries) = node else { return nil }
        guard entries.count <= Self.trafficMaxLanes else {
            report(path, at: node.mark, "has \(entries.count) lanes; at most \(Self.trafficMaxLanes)")
            return nil
        }
        var lanes: [TrafficLane] = []
        var valid = true
        var seen: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let lanePath = "\(path)[\(index)]"
            guard case .mapping = entry else {
                report(lanePath, at: entry.mark, "must be a lane (name, stop_line, signal) like the lanes before it, "
                    + "got \(Self.describe(entry))")
                valid = false
                continue
            }
            guard let fields = fields(of: entry, path: lanePath, known: Self.trafficLaneKeys) else {
                valid = false
                continue
            }
            for key in ["name", "stop_line", "signal"] { require(fields, key) }
            var name = text(fields, "name")
            if let raw = name {
                name = laneName(raw)
                if name == nil {
                    report(fields, "name", "must be 1–64 letters, digits, '-', '_' or '.', got '\(raw)'")
                } else if let line = seen[raw] {
                    report(fields, "name", "'\(raw)' names two lanes (the other at line \(line)); lane names "
                        + "must be unique")
                    name = nil
                } else {
                    seen[raw] = fields["name"]?.mark?.line ?? 0
                }
            }
            let stopLine = fields["stop_line"].flatMap { segment($0, path: fields.path("stop_line")) }
            var signal = text(fields, "signal")
            if let raw = signal, let groups, !groups.contains(where: { $0.name == raw }) {
                let known = groups.map(\.name)
                var message = "names the signal group '\(raw)', which signals: does not define"
                if let guess = Suggestion.closest(to: raw, among: known) {
                    message += "; did you mean '\(guess)'?"
                } else {
                    message += "; defined: " + known.joined(separator: ", ")
                }
                report(fields, "signal", message)
                signal = nil
            }
            let turnOnRed = flag(fields, "turn_on_red")
            let area = fields["area"].flatMap { polygon($0, path: fields.path("area")) }
            if fields["area"] != nil && area == nil { valid = false }
            if fields["turn_on_red"] != nil && turnOnRed == nil { valid = false }
            guard let name, let stopLine, let signal else {
                valid = false
                continue
            }
            if let area { areas.append((area, fields.path("area"), fields["area"]?.mark, stopLine)) }
            lanes.append(TrafficLane(name: name, stopLine: stopLine, signal: signal, turnOnRed: turnOnRed ?? false))
        }
        return valid && groups != nil ? lanes : nil
    }

    /// A lane or signal group name as events carry it, or nil when it is not one.
    private func laneName(_ raw: String) -> String? {
        guard (1...64).contains(raw.count),
              raw.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                  || "-_.".unicodeScalars.contains($0)) })
        else { return nil }
        return raw
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
            report(path, at: node.mark, "must be a point [x, y] of two finite numbers, got \(Self.describe(node))")
            return nil
        }
        return TrafficPoint(x, y)
    }

    /// A list of `[x, y]` points in source pixels whose length is in `count`.
    private mutating func points(_ node: Node, path: String, count: ClosedRange<Int>, what: String)
        -> [TrafficPoint]?
    {
        let shape = count.lowerBound == count.upperBound
            ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
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
            report(path, at: node.mark, "encloses no area: its points are on one line, or its outline crosses "
                + "itself so that the parts cancel (list the points once around the outline)")
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
