@testable import SightlineConfig
import Testing

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
            #expect(text.contains("faces.yaml:8") && text.contains("under 'recognize: {enabled: true"), "\(text)")
        }
    }

    @Test func recognitionIsOffByDefaultAndReadsEveryKey() throws {
        let configuration = try ConfigLoader.parse(yaml: """
            cameras:
              - id: door
                source: y4m:-
                faces:
                  recognize: {enabled: true, gallery: /var/lib/sightline/gallery.sealed, key: /etc/sightline/g.key,
                              threshold: 0.5, margin: 0.1, confirm_k: 2, confirm_n: 4, evidence: true}
              - id: yard
                source: y4m:-
                faces: {}
            """, file: "faces.yaml")
        #expect(configuration.cameras[0].faces?.recognize == RecognitionConfiguration(
            enabled: true, gallery: "/var/lib/sightline/gallery.sealed", key: "/etc/sightline/g.key", threshold: 0.5,
            margin: 0.1, confirmK: 2, confirmN: 4, evidence: true))
        let defaults = try #require(configuration.cameras[1].faces?.recognize)
        #expect(defaults == RecognitionConfiguration())
        #expect(!defaults.enabled && !defaults.evidence)
        #expect(defaults.threshold == 0.6 && defaults.margin == 0.05)
        #expect(defaults.confirmK == 3 && defaults.confirmN == 5)
    }

    @Test func reportsRecognitionMistakesWithLines() {
        do {
            _ = try ConfigLoader.parse(yaml: """
                cameras:
                  - id: door
                    source: y4m:-
                    faces:
                      recognize:
                        enabled: true
                        threshold: 0
                        margin: -1
                        confirm_k: 6
                        confirm_n: 5
                        evidense: true
                  - id: yard
                    source: y4m:-
                    faces:
                      detect: false
                      blur_evidence: false
                      recognize: {enabled: true, gallery: g.sealed}
                """, file: "faces.yaml")
            Issue.record("expected the configuration to be refused")
        } catch {
            let text = "\(error)"
            #expect(text.contains("faces.yaml:6") && text.contains("required key 'gallery' is missing"), "\(text)")
            #expect(text.contains("faces.yaml:7") && text.contains("cameras[0].faces.recognize.threshold"), "\(text)")
            #expect(text.contains("faces.yaml:8") && text.contains("cameras[0].faces.recognize.margin"), "\(text)")
            #expect(text.contains("faces.yaml:9") && text.contains("must not exceed confirm_n"), "\(text)")
            #expect(text.contains("faces.yaml:11") && text.contains("did you mean 'evidence'"), "\(text)")
            #expect(text.contains("cameras[1].faces.recognize") && text.contains("recognition needs the detector"),
                    "\(text)")
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
