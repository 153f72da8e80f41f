import Foundation
import Testing

/// Privacy line 1 (docs/PRIVACY.md): no score, rank, reputation, list or trust level of any person exists in
/// the event format. `Schema/event.schema.json` allows no property it does not name
/// (`additionalProperties: false` wherever a body is described), and `EventSchemaTests` holds every event of a
/// real run to it; this test holds the schema itself to the line.
struct NoScoringTests {
    static let schemaURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Schema/event.schema.json")

    /// Words that would judge a person. A property whose name contains one is refused, with two exceptions
    /// that describe a detection rather than a person, each documented as such in the schema.
    static let judgingWords = [
        "score", "rank", "reputation", "rating", "risk", "trust", "blacklist", "blocklist", "watchlist",
        "suspect", "suspicious", "threat", "offender", "wanted", "priority",
    ]
    /// `face.detected`'s `scores`: the HOG detector's confidence per box ("not a score of a person").
    static let detectionMeasures: Set<String> = ["scores"]

    static func propertyNames(in node: Any, into names: inout [(name: String, description: String)]) {
        if let object = node as? [String: Any] {
            if let properties = object["properties"] as? [String: Any] {
                for (name, value) in properties {
                    let description = ((value as? [String: Any])?["description"] as? String) ?? ""
                    names.append((name, description))
                }
            }
            for value in object.values { propertyNames(in: value, into: &names) }
        } else if let array = node as? [Any] {
            for value in array { propertyNames(in: value, into: &names) }
        }
    }

    @Test func noPropertyOfTheEventFormatJudgesAPerson() throws {
        let data = try Data(contentsOf: Self.schemaURL)
        let schema = try JSONSerialization.jsonObject(with: data)
        var names: [(name: String, description: String)] = []
        Self.propertyNames(in: schema, into: &names)
        #expect(names.count > 20, "the walk found the schema's properties")
        for (name, description) in names {
            let lower = name.lowercased()
            guard let word = Self.judgingWords.first(where: { lower.contains($0) }) else { continue }
            if Self.detectionMeasures.contains(name) {
                #expect(description.contains("not a score of a person"),
                        "\(name) must say it measures a detection, not a person")
            } else {
                Issue.record("event schema property '\(name)' contains '\(word)': events are observations")
            }
        }
    }

    @Test func everyDescribedBodyRefusesPropertiesItDoesNotName() throws {
        let data = try Data(contentsOf: Self.schemaURL)
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(schema["additionalProperties"] as? Bool == false, "the envelope")
        let definitions = (schema["$defs"] as? [String: Any]) ?? (schema["definitions"] as? [String: Any]) ?? [:]
        var bodies = 0
        for (name, value) in definitions {
            guard let body = value as? [String: Any], body["properties"] != nil else { continue }
            bodies += 1
            #expect(body["additionalProperties"] as? Bool == false, "\(name) allows properties it does not name")
        }
        #expect(bodies >= 4, "the schema describes the bodies of the event types")
    }
}
