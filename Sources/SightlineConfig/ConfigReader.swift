import SightlineCore
import Yams

/// Walks a composed YAML tree and reads typed values out of it, collecting every mistake as a
/// `ConfigIssue` (key path plus the node's line and column) instead of stopping at the first.
///
/// Each accessor returns nil both when a key is absent and when its value is wrong; in the second
/// case it has already reported why. Callers apply defaults with `??`.
struct ConfigReader {
    /// The file name put into every issue.
    let file: String
    /// Everything found so far, in walk order.
    private(set) var issues: [ConfigIssue] = []

    init(file: String) {
        self.file = file
    }

    /// Records an issue at a 1-based line and column (0, 0 for the whole file).
    mutating func report(_ path: String, line: Int, column: Int, _ message: String) {
        issues.append(ConfigIssue(file: file, path: path, line: line, column: column, message: message))
    }

    /// Records an issue at a node's position (line 0 when the node has no mark).
    mutating func report(_ path: String, at mark: Mark?, _ message: String) {
        report(path, line: mark?.line ?? 0, column: mark?.column ?? 0, message)
    }

    /// Records an issue about `field` of `fields`, at its value's position.
    mutating func report(_ fields: MappingFields, _ field: String, _ message: String) {
        report(fields.path(field), at: fields[field]?.mark ?? fields.mark, message)
    }

    /// Opens a mapping node, reporting (with suggestions) every key not in `known`.
    ///
    /// YAML merge keys are honoured (`<<: *defaults`, or a list of aliases, earlier ones winning);
    /// keys written in the mapping itself override merged ones. With `extensions`, keys starting
    /// with `x-` are skipped unread: a place for anchors, as in Compose files.
    /// Returns nil, after reporting, when `node` is not a mapping.
    mutating func fields(of node: Node, path: String, known: [String], extensions: Bool = false) -> MappingFields? {
        guard case .mapping(let mapping) = node else {
            report(path, at: node.mark, "must be a mapping of keys, got \(Self.describe(node))")
            return nil
        }
        var fields = MappingFields(path: path, mark: mapping.mark)
        var merged: [Node] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let key) = keyNode, !Self.isNull(keyNode) else {
                report(path, at: keyNode.mark, "keys must be plain names, got \(Self.describe(keyNode))")
                continue
            }
            if key.string == "<<" && key.style == .plain {
                if case .sequence(let sources) = value {
                    merged += sources
                } else {
                    merged.append(value)
                }
            } else if !(extensions && key.string.hasPrefix("x-")) {
                add(key.string, keyNode, value, to: &fields, known: known)
            }
        }
        for source in merged {
            guard case .mapping(let entries) = source else {
                report(fields.path("<<"), at: source.mark,
                       "'<<' merges a mapping or a list of mappings, got \(Self.describe(source))")
                continue
            }
            for (keyNode, value) in entries {
                guard case .scalar(let key) = keyNode, fields[key.string] == nil else { continue }
                add(key.string, keyNode, value, to: &fields, known: known)
            }
        }
        return fields
    }

    /// Enters one key into `fields`, or reports it as unknown with the closest known key.
    private mutating func add(_ key: String, _ keyNode: Node, _ value: Node, to fields: inout MappingFields,
                              known: [String]) {
        guard known.contains(key) else {
            var message = "unknown key '\(key)'"
            if let guess = Suggestion.closest(to: key, among: known) {
                message += "; did you mean '\(guess)'?"
            } else {
                message += "; expected one of: " + known.joined(separator: ", ")
            }
            report(fields.path(key), at: keyNode.mark, message)
            return
        }
        // The parser refuses duplicate keys, so only a merged key can meet one already entered.
        if fields.values[key] == nil {
            fields.values[key] = value
        }
    }

    /// Reports a required key that is absent, at the line of its mapping.
    mutating func require(_ fields: MappingFields, _ field: String, _ hint: String = "") {
        guard fields[field] == nil else { return }
        report(fields.path(field), at: fields.mark, "required key '\(field)' is missing" + hint)
    }

    /// A scalar as text (`id: 7` is the string "7"); lists, mappings and null are refused.
    mutating func text(_ fields: MappingFields, _ field: String) -> String? {
        guard let node = fields[field] else { return nil }
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            report(fields, field, "must be a text value, got \(Self.describe(node))")
            return nil
        }
        return scalar.string
    }

    /// A YAML boolean (`true`/`false`; YAML 1.1's yes/no/on/off are accepted as well).
    mutating func flag(_ fields: MappingFields, _ field: String) -> Bool? {
        guard let node = fields[field] else { return nil }
        guard node.tag.rawValue == Tag.Name.bool.rawValue, let value = node.bool else {
            report(fields, field, "must be true or false, got \(Self.describe(node))" + Self.quoteHint(node))
            return nil
        }
        return value
    }

    /// An unquoted integer within `range`; `expectation` completes "must be …" in messages.
    mutating func integer(
        _ fields: MappingFields, _ field: String, in range: ClosedRange<Int>, _ expectation: String
    ) -> Int? {
        guard let node = fields[field] else { return nil }
        guard node.tag.rawValue == Tag.Name.int.rawValue, let value = node.int, range.contains(value) else {
            report(fields, field, "must be \(expectation), got \(Self.describe(node))" + Self.quoteHint(node))
            return nil
        }
        return value
    }

    /// An unquoted number (integer or decimal) greater than 0 and at most `maximum`.
    mutating func positiveNumber(_ fields: MappingFields, _ field: String, atMost maximum: Double) -> Double? {
        guard let node = fields[field] else { return nil }
        let tag = node.tag.rawValue
        let value: Double?
        if tag == Tag.Name.int.rawValue {
            value = node.int.map(Double.init)
        } else if tag == Tag.Name.float.rawValue {
            value = node.float
        } else {
            value = nil
        }
        guard let value, value > 0, value <= maximum else {
            let limit = maximum.rounded() == maximum ? String(Int(maximum)) : String(maximum)
            report(fields, field,
                   "must be a positive number (at most \(limit)), got \(Self.describe(node))" + Self.quoteHint(node))
            return nil
        }
        return value
    }

    /// One word out of `choices`, with a suggestion when the value is close to one of them.
    mutating func choice(_ fields: MappingFields, _ field: String, among choices: [String]) -> String? {
        guard let node = fields[field] else { return nil }
        if case .scalar(let scalar) = node, choices.contains(scalar.string) {
            return scalar.string
        }
        var message = "must be one of " + choices.joined(separator: ", ") + ", got \(Self.describe(node))"
        if case .scalar(let scalar) = node, let guess = Suggestion.closest(to: scalar.string, among: choices) {
            message += "; did you mean '\(guess)'?"
        }
        report(fields, field, message)
        return nil
    }

    /// How a value is quoted back in messages: `'fast'`, `a list`, `a mapping`, `nothing`.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            return isNull(node) ? "nothing" : "'\(scalar.string)'"
        case .mapping:
            return "a mapping"
        case .sequence:
            return "a list"
        case .alias:
            return "an alias"
        }
    }

    /// "; remove the quotes …" for a quoted scalar where a number or boolean is expected.
    static func quoteHint(_ node: Node) -> String {
        guard case .scalar(let scalar) = node, scalar.style == .singleQuoted || scalar.style == .doubleQuoted else {
            return ""
        }
        return " (quoted, so it is text; remove the quotes)"
    }

    /// Whether a node is YAML null (`~`, `null`, or an empty value after `key:`).
    static func isNull(_ node: Node) -> Bool {
        node.tag.rawValue == Tag.Name.null.rawValue
    }
}

/// The entries of one YAML mapping by key, with its key path and position.
struct MappingFields {
    /// Key path of the mapping itself; empty for the top level.
    let path: String
    /// Position of the mapping (its first key, for block mappings).
    let mark: Mark?
    /// Value node per known key.
    var values: [String: Node] = [:]

    /// The value node of `field`, nil when absent.
    subscript(field: String) -> Node? { values[field] }

    /// Key path of `field` inside this mapping: `metrics.listen`, `cameras[1].fps`, `state_dir`.
    func path(_ field: String) -> String {
        path.isEmpty ? field : "\(path).\(field)"
    }
}
