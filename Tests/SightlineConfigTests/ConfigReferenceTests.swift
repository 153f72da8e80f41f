import Foundation
import Testing
@testable import SightlineConfig

/// docs/CONFIGURATION.md is generated from `ConfigReference`; these tests keep the reference, the loader and
/// the file in agreement.
@Suite struct ConfigReferenceTests {
    @Test func everySectionDocumentsExactlyTheKeysTheLoaderAccepts() {
        for section in ConfigReference.sections {
            let documented = section.entries.map(\.key)
            let accepted = section.acceptedKeys.filter { !section.traps.contains($0) }
            #expect(Set(documented) == Set(accepted), "section \(section.path)")
            #expect(documented.count == Set(documented).count, "duplicate key in section \(section.path)")
            for entry in section.entries {
                #expect(!entry.meaning.isEmpty && !entry.type.isEmpty && !entry.defaultValue.isEmpty,
                        "\(section.path).\(entry.key) lacks a type, default or meaning")
            }
        }
    }

    @Test func referenceCoversEveryMappingTheLoaderReads() {
        let paths = Set(ConfigReference.sections.map(\.path))
        #expect(paths == ["(top level)", "metrics", "events", "collector", "mqtt", "cameras[]", "cameras[].events",
                          "cameras[].faces", "cameras[].faces.recognize", "cameras[].traffic",
                          "cameras[].traffic.signal", "cameras[].traffic.lanes[]", "cameras[].traffic.tuning"])
    }

    @Test func defaultsInTheReferenceLoadAsTheStructDefaults() throws {
        // A file giving every documented numeric default explicitly loads to the same values as one giving none.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfgref-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func defaults(_ path: String) -> [String: String] {
            let section = ConfigReference.sections.first { $0.path == path }!
            return Dictionary(uniqueKeysWithValues: section.entries.compactMap { entry in
                let value = entry.defaultValue.trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                return Double(value) != nil || value == "true" || value == "false" ? (entry.key, value) : nil
            })
        }
        func yaml(_ values: [String: String]) -> String {
            "{" + values.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
        let camera = defaults("cameras[]").filter { !["loop"].contains($0.key) }
        let explicit = """
            events: \(yaml(defaults("events")))
            cameras:
              - id: a
                source: mjpeg:/dev/null
                \(camera.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n    "))
                faces: \(yaml(defaults("cameras[].faces")).dropLast()), recognize: \(yaml(defaults("cameras[].faces.recognize")))}
            """
        let implicit = """
            events: {}
            cameras:
              - id: a
                source: mjpeg:/dev/null
                faces: {recognize: {}}
            """
        let explicitPath = directory.appendingPathComponent("explicit.yaml").path
        let implicitPath = directory.appendingPathComponent("implicit.yaml").path
        try explicit.write(toFile: explicitPath, atomically: true, encoding: .utf8)
        try implicit.write(toFile: implicitPath, atomically: true, encoding: .utf8)
        #expect(defaults("events").count >= 5 && defaults("cameras[].faces").count >= 5)
        #expect(try ConfigLoader.load(path: explicitPath) == ConfigLoader.load(path: implicitPath))
    }

    @Test func docsFileIsTheGeneratedReference() throws {
        let docs = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/CONFIGURATION.md").path
        let text = try String(contentsOfFile: docs, encoding: .utf8)
        #expect(text == ConfigReference.markdown(),
                "docs/CONFIGURATION.md is stale: regenerate with `sightlined --config-reference > docs/CONFIGURATION.md`")
    }
}
