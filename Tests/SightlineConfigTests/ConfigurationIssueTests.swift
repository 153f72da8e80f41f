@testable import SightlineConfig
import Testing

/// The issues of parsing `yaml` as `test.yaml`; empty when it parses.
func configIssues(_ yaml: String) -> [ConfigIssue] {
    do {
        _ = try ConfigLoader.parse(yaml: yaml, file: "test.yaml")
        return []
    } catch {
        return error.issues
    }
}

/// Expects exactly one issue, at `path` and `line` (and `column` when given), whose message
/// contains every one of `fragments`.
func expectSingleIssue(
    _ yaml: String, path: String, line: Int, column: Int? = nil, _ fragments: String...,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let issues = configIssues(yaml)
    guard issues.count == 1, let issue = issues.first else {
        Issue.record("expected one issue, got \(issues.count):\n\(issues.map(\.description).joined(separator: "\n"))",
                     sourceLocation: sourceLocation)
        return
    }
    #expect(issue.path == path, sourceLocation: sourceLocation)
    #expect(issue.line == line, sourceLocation: sourceLocation)
    if let column {
        #expect(issue.column == column, sourceLocation: sourceLocation)
    }
    for fragment in fragments {
        #expect(issue.message.contains(fragment), "\(issue.message)", sourceLocation: sourceLocation)
    }
}

/// Each kind of mistake, alone in an otherwise valid file, gives one issue at the right place.
@Suite struct ConfigurationIssueTests {
    @Test func unknownKeySuggestsTheClosestKnownKey() {
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                processfps: 5
            """, path: "cameras[0].processfps", line: 4, column: 5, "unknown key 'processfps'",
            "did you mean 'process_fps'?")
        expectSingleIssue("""
            metrics:
              enable: false
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "metrics.enable", line: 2, "did you mean 'enabled'?")
        expectSingleIssue("""
            cameras: [{id: a, source: "y4m:-"}]
            logging: debug
            """, path: "logging", line: 2, "unknown key 'logging'", "expected one of: state_dir, log_level")
    }

    @Test func wrongTypesNameWhatWasFound() {
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                fps: fast
            """, path: "cameras[0].fps", line: 4, column: 10, "must be a positive number", "got 'fast'")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                queue_depth: 2.5
            """, path: "cameras[0].queue_depth", line: 4, "must be an integer", "got '2.5'")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                process_fps: "5"
            """, path: "cameras[0].process_fps", line: 4, "must be a positive number", "remove the quotes")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                enabled: maybe
            """, path: "cameras[0].enabled", line: 4, "must be true or false", "got 'maybe'")
        expectSingleIssue("""
            cameras:
              - id: a
                source: [y4m, "-"]
            """, path: "cameras[0].source", line: 3, "must be a text value, got a list")
        expectSingleIssue("""
            metrics: on
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "metrics", line: 1, "must be a mapping", "got 'on'")
        expectSingleIssue("""
            cameras:
              id: a
              source: y4m:-
            """, path: "cameras", line: 2, "must be a list of cameras", "got a mapping")
    }

    @Test func valuesOutOfRange() {
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                queue_depth: 65
            """, path: "cameras[0].queue_depth", line: 4, "from 1 to 64", "got '65'")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                device_timeout: 0
            """, path: "cameras[0].device_timeout", line: 4, "must be a positive number")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                process_fps: -1
            """, path: "cameras[0].process_fps", line: 4, "must be a positive number", "got '-1'")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                process_fps: .nan
            """, path: "cameras[0].process_fps", line: 4, "must be a positive number")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                processing_width: 8
            """, path: "cameras[0].processing_width", line: 4, "0 (full size) or a width", "got '8'")
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                width: 100000
                height: 480
            """, path: "cameras[0].width", line: 4, "from 16 to 8192")
        expectSingleIssue("""
            state_dir: relative/dir
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "state_dir", line: 1, "absolute path")
        expectSingleIssue("""
            log_level: warn
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "log_level", line: 1, "must be one of trace, debug", "did you mean 'warning'?")
        expectSingleIssue("""
            cameras:
              - id: a
                source: avi:/x.avi
                replay: slow
            """, path: "cameras[0].replay", line: 4, "must be one of realtime, fast")
    }

    @Test func missingRequiredKeysPointAtTheirMapping() {
        expectSingleIssue("""
            log_level: info
            cameras:
              - source: y4m:-
            """, path: "cameras[0].id", line: 3, column: 5, "required key 'id' is missing")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
              - id: b
                fps: 5
            """, path: "cameras[1].source", line: 4, "required key 'source' is missing")
        expectSingleIssue("""
            log_level: info
            """, path: "cameras", line: 1, "required key 'cameras' is missing")
    }

    @Test func emptyCameraListIsRefused() {
        expectSingleIssue("""
            log_level: info
            cameras: []
            """, path: "cameras", line: 2, "at least one camera")
    }

    @Test func duplicateCameraIDPointsAtTheSecond() {
        expectSingleIssue("""
            cameras:
              - id: door
                source: v4l2:/dev/video0
              - id: yard
                source: v4l2:/dev/video1
              - id: door
                source: v4l2:/dev/video2
            """, path: "cameras[2].id", line: 6, column: 9, "duplicate camera id 'door'", "line 2")
    }

    @Test func badCameraIDs() {
        expectSingleIssue("""
            cameras:
              - id: "front door"
                source: y4m:-
            """, path: "cameras[0].id", line: 2, "1 to 64 letters, digits")
        expectSingleIssue("""
            cameras:
              - id: \(String(repeating: "a", count: 65))
                source: y4m:-
            """, path: "cameras[0].id", line: 2, "1 to 64")
    }

    @Test func badSourceSpecs() {
        let cases: [(source: String, fragments: [String])] = [
            ("rtsp:camera/stream", ["a network camera needs a URL such as rtsp://HOST"]),
            ("webm:clip.webm", ["unknown source kind 'webm'", "v4l2, mjpeg, avi, jpegdir, y4m, video"]),
            ("v4l:/dev/video0", ["unknown source kind 'v4l'", "did you mean 'v4l2'?"]),
            ("/dev/video0", ["must be KIND:PATH", "did you mean 'v4l2:/dev/video0'?"]),
            ("\"jpegdir:\"", ["no path after 'jpegdir:'"]),
            ("avi:-", ["only y4m, mjpeg and video can read standard input"]),
            ("v4l2:video0", ["v4l2 needs a device path"]),
        ]
        for (source, fragments) in cases {
            let issues = configIssues("""
                cameras:
                  - id: a
                    source: \(source)
                """)
            #expect(issues.count == 1, "\(source): \(issues)")
            #expect(issues.first?.path == "cameras[0].source")
            #expect(issues.first?.line == 3)
            for fragment in fragments {
                #expect(issues.first?.message.contains(fragment) == true, "\(source): \(issues)")
            }
        }
    }

    @Test func keysThatDoNotApplyToTheSourceKind() {
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                loop: true
            """, path: "cameras[0].loop", line: 4, "file sources only")
        let sized = configIssues("""
            cameras:
              - id: a
                source: jpegdir:/srv/x
                width: 640
                height: 480
            """)
        #expect(sized.map(\.path) == ["cameras[0].width", "cameras[0].height"])
        #expect(sized.map(\.line) == [4, 5])
        #expect(sized.allSatisfy { $0.message.contains("v4l2 cameras only") })
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:/srv/x.y4m
                fps: 25
            """, path: "cameras[0].fps", line: 4, "record their own frame rate")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                loop: true
            """, path: "cameras[0].loop", line: 4, "standard input cannot be looped")
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                height: 480
            """, path: "cameras[0].height", line: 4, "needs 'width' as well")
    }

    @Test func metricsListenMustBeLoopbackHostPort() {
        expectSingleIssue("""
            metrics:
              listen: 0.0.0.0:9464
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "metrics.listen", line: 2, column: 11, "not a loopback address", "allow_remote: true")
        expectSingleIssue("""
            metrics:
              listen: 127.0.0.1
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "metrics.listen", line: 2, "must be HOST:PORT")
        expectSingleIssue("""
            metrics:
              listen: 127.0.0.1:70000
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "metrics.listen", line: 2, "from 0 to 65535")
        expectSingleIssue("""
            metrics:
              listen: "::1:9464"
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "metrics.listen", line: 2, "needs brackets")
        expectSingleIssue("""
            metrics:
              listen: "bad_host!:9464"
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "metrics.listen", line: 2, "not an IP address or host name")
    }

    @Test func reservedSectionsMustBeMappings() {
        expectSingleIssue("""
            traffic: true
            cameras: [{id: a, source: "y4m:-"}]
            """, path: "traffic", line: 1, "must be a mapping", "does not implement 'traffic'")
    }

    @Test func mergedValuesAreCheckedWhereTheyWereWritten() {
        // A wrong value in an anchored mapping is reported at its own line, for the camera using it.
        expectSingleIssue("""
            x-defaults: &defaults
              queue_depth: 0
            cameras:
              - <<: *defaults
                id: a
                source: y4m:-
            """, path: "cameras[0].queue_depth", line: 2, "from 1 to 64")
        expectSingleIssue("""
            cameras:
              - <<: 5
                id: a
                source: y4m:-
            """, path: "cameras[0].<<", line: 2, "merges a mapping")
        expectSingleIssue("""
            cameras:
              - id: a
                source: y4m:-
                x-note: only the top level skips x- keys
            """, path: "cameras[0].x-note", line: 4, "unknown key 'x-note'")
    }

    @Test func everyIssueIsCollectedInFileOrder() {
        let issues = configIssues("""
            log_level: loud
            metrics:
              listen: 10.0.0.1:9464
            cameras:
              - id: a
                source: v4l2:/dev/video0
                fps: 0
                queue_depth: many
              - id: a
                source: nfs:/srv
              - fps: 3
            """)
        #expect(issues.map(\.path) == [
            "log_level", "metrics.listen", "cameras[0].fps", "cameras[0].queue_depth", "cameras[1].id",
            "cameras[1].source", "cameras[2].id", "cameras[2].source",
        ])
        #expect(issues.map(\.line) == [1, 3, 7, 8, 9, 10, 11, 11])
    }
}
