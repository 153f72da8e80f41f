import Testing
@testable import SightlineDaemon

/// The camera `faces:` section: values, defaults and line-numbered mistakes.
struct FaceConfigurationTests {
    @Test func readsEveryKey() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            cameras:
              - id: door
                source: y4m:-
                faces: {detect: true, blur_evidence: true, upsample: 1, every_n_frames: 3, min_size: 60,
                        keep_frames: 12, models: /srv/models}
              - id: yard
                source: y4m:-
            """, file: "faces.yaml")
        #expect(configuration.cameras[0].faces == FaceConfiguration(
            detect: true, blurEvidence: true, upsample: 1, everyNFrames: 3, minSize: 60, keepFrames: 12,
            models: "/srv/models"))
        #expect(configuration.cameras[1].faces == nil)
    }

    @Test func reportsWrongValuesWithLines() {
        do {
            _ = try ConfigLoader.parse(yaml: """
                cameras:
                  - id: door
                    source: y4m:-
                    faces:
                      upsample: 3
                      every_n_frames: 0
                      blur: true
                      recognition: true
                """, file: "faces.yaml")
            Issue.record("expected the configuration to be refused")
        } catch {
            let text = "\(error)"
            #expect(text.contains("faces.yaml:5"), "\(text)")
            #expect(text.contains("cameras[0].faces.upsample"), "\(text)")
            #expect(text.contains("cameras[0].faces.every_n_frames"), "\(text)")
            #expect(text.contains("did you mean 'blur_evidence'"), "\(text)")
            #expect(text.contains("recognition is not available"), "\(text)")
        }
    }

    @Test func blurNeedsTheDetector() {
        #expect(throws: (any Error).self) {
            try ConfigLoader.parse(yaml: """
                cameras:
                  - id: door
                    source: y4m:-
                    faces: {detect: false}
                """, file: "faces.yaml")
        }
    }
}
