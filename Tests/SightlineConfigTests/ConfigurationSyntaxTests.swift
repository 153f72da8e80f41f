import Foundation
@testable import SightlineConfig
import Testing

/// YAML syntax errors, duplicate keys, unreadable files and the `--check-config` text.
@Suite struct ConfigurationSyntaxTests {
    @Test func syntaxErrorCarriesLibyamlLine() {
        // An unclosed flow sequence: libyaml notices at the start of line 4.
        expectSingleIssue("""
            cameras:
              - id: a
                source: [y4m
            log_level: info
            """, path: "", line: 4, "invalid YAML", "flow sequence")
    }

    @Test func tabIndentationGetsAHint() {
        expectSingleIssue("cameras:\n  - id: a\n\tsource: y4m:-\n", path: "", line: 3, "invalid YAML", "tabs")
    }

    @Test func unquotedColonAtTheEndOfASourceIsASyntaxError() {
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:/x: y
            """, path: "", line: 3, "mapping values are not allowed")
    }

    @Test func emptyFileAndNonMappingRoot() {
        expectSingleIssue("", path: "", line: 1, "the file is empty")
        expectSingleIssue("# only a comment\n", path: "", line: 1, "the file is empty")
        expectSingleIssue("- a\n- b\n", path: "", line: 1, "must be a mapping", "got a list")
    }

    @Test func everyDuplicateKeyIsReportedAtItsSecondOccurrence() {
        let issues = configIssues("""
            log_level: info
            cameras:
              - id: a
                source: y4m:-
                fps: 1
                queue_depth: 2
                fps: 2
              - id: b
                source: y4m:-
            log_level: debug
            """)
        #expect(issues.map(\.path) == ["cameras[0].fps", "cameras[0].fps", "log_level"])
        // The first cameras[0].fps issue is about fps on y4m (which the walk still checks), then
        // the duplicate at line 7, then the duplicate log_level at line 10.
        #expect(issues.map(\.line) == [5, 7, 10])
        #expect(issues[1].message.contains("duplicate key 'fps' (first on line 5)"))
        #expect(issues[2].message.contains("duplicate key 'log_level' (first on line 1)"))
        #expect(issues[2].column == 1)
    }

    @Test func duplicateBlockWithNestedValueIsSkippedWhole() {
        // The repeated `cameras:` spans three lines; the rest of the file is still checked.
        let issues = configIssues("""
            cameras:
              - id: a
                source: y4m:-
            cameras:
              - id: b
                source: y4m:-
            metrics:
              listen: 0.0.0.0:1
            """)
        #expect(issues.map(\.path) == ["cameras", "metrics.listen"])
        #expect(issues.map(\.line) == [4, 8])
    }

    @Test func duplicateInFlowMappingIsReportedAtTheFirstKey() {
        expectSingleIssue("""
            metrics: {listen: "127.0.0.1:1", listen: "127.0.0.1:2"}
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "listen", line: 1, column: 11, "duplicate key 'listen'")
    }

    @Test func windowsLineEndingsKeepLineNumbers() {
        let yaml = "cameras:\r\n  - id: a\r\n    source: y4m:-\r\n    enabled: 2\r\n    enabled: true\r\n"
        let issues = configIssues(yaml)
        #expect(issues.map(\.path) == ["cameras[0].enabled", "cameras[0].enabled"])
        #expect(issues.map(\.line) == [4, 5])
        #expect(issues.last?.message.contains("duplicate key") == true)
    }

    @Test func descriptionIsOneIssuePerLine() {
        let error = ConfigError(file: "/etc/sightline/sightlined.yaml", issues: [
            ConfigIssue(file: "/etc/sightline/sightlined.yaml", path: "cameras[1].fps", line: 12, column: 10,
                        message: "must be a positive number, got 'fast'"),
            ConfigIssue(file: "/etc/sightline/sightlined.yaml", path: "", line: 20, column: 1,
                        message: "invalid YAML: oops"),
        ])
        #expect(error.description == """
            /etc/sightline/sightlined.yaml:12:10: cameras[1].fps: must be a positive number, got 'fast'
            /etc/sightline/sightlined.yaml:20:1: invalid YAML: oops
            """)
        let wholeFile = ConfigIssue(file: "x.yaml", path: "", line: 0, column: 0, message: "cannot read")
        #expect(wholeFile.description == "x.yaml: cannot read")
    }

    @Test func parseErrorNamesTheFileInEveryIssue() {
        do {
            _ = try ConfigLoader.parse(yaml: "cameras: []\nlog_level: 3\n", file: "site.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "site.yaml")
            #expect(error.description.split(separator: "\n").count == 2)
            #expect(error.issues.allSatisfy { $0.file == "site.yaml" })
            #expect(error.description.hasPrefix("site.yaml:1:10: cameras: "))
        }
    }

    @Test func unreadableFilesGiveOneIssueAtLineZero() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sightline-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let missing = directory.appendingPathComponent("missing.yaml").path
        #expect(throws: ConfigError(file: missing, issues: [ConfigIssue(
            file: missing, path: "", line: 0, column: 0, message: "cannot read the configuration: no such file"
        )])) {
            try ConfigLoader.load(path: missing)
        }
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: directory.path) }

        let binary = directory.appendingPathComponent("binary.yaml")
        try Data([0x63, 0x61, 0xFF, 0xFE, 0x0A]).write(to: binary)
        do {
            _ = try ConfigLoader.load(path: binary.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.map(\.line) == [0])
            #expect(error.issues.first?.message.contains("not UTF-8") == true)
        }

        let valid = directory.appendingPathComponent("ok.yaml")
        try Data("cameras:\n  - id: a\n    source: y4m:-\n".utf8).write(to: valid)
        #expect(try ConfigLoader.load(path: valid.path).cameras.map(\.id) == ["a"])

        let invalid = directory.appendingPathComponent("bad.yaml")
        try Data("cameras:\n  - id: a\n    source: y4m:-\n    fps: 5\n".utf8).write(to: invalid)
        do {
            _ = try ConfigLoader.load(path: invalid.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("\(invalid.path):4:10: cameras[0].fps: "))
        }
    }
}
