@testable import SightlineConfig
import Testing

/// `privacy_masks:` in a camera entry: polygons in source pixels, checked like the traffic stage's.
@Suite struct PrivacyMaskConfigTests {
    @Test func masksAreRead() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            cameras:
              - id: door
                source: v4l2:/dev/video0
                privacy_masks:
                  - [[0, 0], [200, 0], [200, 120], [0, 120]]
                  - [[400, 300], [640, 300], [520, 480]]
            """, file: "cameras.yaml")
        let masks = try #require(configuration.cameras.first?.privacyMasks)
        #expect(masks.polygons.count == 2)
        #expect(masks.polygons[1] == [[400, 300], [640, 300], [520, 480]])
    }

    @Test func badMasksAreRefusedWithTheirPlace() {
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                privacy_masks: [[0, 0], [10, 10], [0, 10]]
            """, path: "cameras[0].privacy_masks", line: 4, "looks like one polygon's points")
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                privacy_masks: [[[0, 0], [10, 10]]]
            """, path: "cameras[0].privacy_masks[0]", line: 4, "polygon")
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                privacy_masks: everything
            """, path: "cameras[0].privacy_masks", line: 4, "list of polygons")
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                privacy_masks:
                  - [[0, 0], [10, 10], [20, 20]]
            """, path: "cameras[0].privacy_masks[0]", line: 5, "no area")
        let many = (0..<65).map { _ in "      - [[0, 0], [10, 0], [0, 10]]" }.joined(separator: "\n")
        expectSingleIssue("""
            cameras:
              - id: a
                source: v4l2:/dev/video0
                privacy_masks:
            \(many)
            """, path: "cameras[0].privacy_masks", line: 5, "at most 64")
    }
}
