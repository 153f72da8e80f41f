import Foundation
import Testing

/// Schema/event.schema.json against what the daemon really signs: every envelope and body of the privacy run
/// (traffic, faces, recognition, checkpoints) is checked against the schema, so the published format cannot
/// drift from the code.
@Suite(.serialized, .enabled(if: RecognitionFixtures.available, "Models/fetch has not been run"))
struct EventSchemaTests {
    static let schemaPath = FaceStagePaths.top.appendingPathComponent("Schema/event.schema.json").path

    @Test func everyEventOfARealRunConformsToThePublishedSchema() throws {
        let run = try PrivacyRun.shared.get()
        let schema = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.schemaPath)))
                as? [String: Any])
        let definitions = try #require(schema["$defs"] as? [String: Any])
        var validator = SchemaSubset(definitions: definitions)
        var root = schema
        root.removeValue(forKey: "allOf")
        var types = Set<String>()
        for event in run.events {
            let envelope = try JSONSerialization.jsonObject(with: Data(event.line.utf8))
            validator.check(envelope, against: root, at: "event \(event.type) of frame \(event.frameSeq)")
            let definition = try #require(definitions[event.type], "the schema has no body for \(event.type)")
            validator.check(event.body, against: try #require(definition as? [String: Any]), at: "\(event.type) body")
            types.insert(event.type)
        }
        #expect(types.isSuperset(of: ["face.detected", "face.match", "traffic.signal_state",
                                      "traffic.red_light_crossing", "log.checkpoint"]), "\(types)")
        #expect(validator.problems.isEmpty, "\(validator.problems.prefix(10))")
    }

    @Test func theCheckerRefusesWhatTheSchemaForbids() {
        // The subset checker itself: an extra key, a missing required key, a wrong type and a bad enum are found.
        let definition: [String: Any] = [
            "type": "object", "additionalProperties": false, "required": ["state", "n"],
            "properties": ["state": ["enum": ["red", "green"]], "n": ["type": "integer", "minimum": 0],
                           "box": ["type": "array", "items": ["type": "integer"], "minItems": 4, "maxItems": 4]],
        ]
        var validator = SchemaSubset(definitions: [:])
        validator.check(["state": "red", "n": 3, "box": [1, 2, 3, 4]], against: definition, at: "good")
        #expect(validator.problems.isEmpty)
        validator.check(["state": "blue", "n": 1.5, "extra": true, "box": [1, 2]], against: definition, at: "bad")
        validator.check(["n": -1], against: definition, at: "worse")
        #expect(validator.problems.count == 6, "\(validator.problems)")
    }
}

/// The part of JSON Schema the event schema uses: type, required, properties, additionalProperties: false, enum,
/// const, items, minItems/maxItems, minimum/maximum, pattern and local `$ref`s.
struct SchemaSubset {
    let definitions: [String: Any]
    private(set) var problems: [String] = []

    mutating func check(_ value: Any, against schema: [String: Any], at path: String) {
        if let reference = schema["$ref"] as? String {
            let name = String(reference.dropFirst("#/$defs/".count))
            guard let target = definitions[name] as? [String: Any] else {
                problems.append("\(path): unresolved \(reference)")
                return
            }
            check(value, against: target, at: path)
            return
        }
        if let type = schema["type"] as? String, !Self.matches(value, type: type) {
            problems.append("\(path): \(value) is not \(type)")
            return
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { Self.equal($0, value) }) {
            problems.append("\(path): \(value) not in \(allowed)")
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            problems.append("\(path): \(value) is not \(constant)")
        }
        if let number = value as? NSNumber {
            if let minimum = schema["minimum"] as? NSNumber, number.doubleValue < minimum.doubleValue {
                problems.append("\(path): \(number) < \(minimum)")
            }
            if let maximum = schema["maximum"] as? NSNumber, number.doubleValue > maximum.doubleValue {
                problems.append("\(path): \(number) > \(maximum)")
            }
        }
        if let text = value as? String, let pattern = schema["pattern"] as? String,
           text.range(of: pattern, options: .regularExpression) == nil {
            problems.append("\(path): '\(text)' does not match \(pattern)")
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): required key '\(key)' is missing")
            }
            for (key, member) in object {
                if let property = properties[key] as? [String: Any] {
                    check(member, against: property, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): key '\(key)' is not in the schema")
                }
            }
        }
        if let array = value as? [Any] {
            if let least = schema["minItems"] as? Int, array.count < least {
                problems.append("\(path): \(array.count) items, fewer than \(least)")
            }
            if let most = schema["maxItems"] as? Int, array.count > most {
                problems.append("\(path): \(array.count) items, more than \(most)")
            }
            if let items = schema["items"] as? [String: Any] {
                for (index, item) in array.enumerated() { check(item, against: items, at: "\(path)[\(index)]") }
            }
        }
    }

    static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "integer", "number":
            // (The event schema has no booleans, so JSON's true/false need not be told from numbers here.)
            guard let number = value as? NSNumber else { return false }
            return type == "number" || number.doubleValue == number.doubleValue.rounded()
        default: return true
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if let x = a as? NSNumber, let y = b as? NSNumber { return x == y }
        return false
    }
}
