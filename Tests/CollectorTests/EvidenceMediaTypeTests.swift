import Collector
import EventLog
import Foundation
import SightlineCore
import SightlineTestKit
import Testing

@testable import Collector

/// Evidence is served under its own media type: a crossing's clip (JPEGs back to back) as `video/x-motion-jpeg`,
/// a still as `image/jpeg`, both `nosniff`, on the API and in the console, and exported under that type.
@Suite(.serialized) struct EvidenceMediaTypeTests {
    @Test func theTypeComesFromTheBytes() throws {
        let frames = try SampleFrames.jpegs(clip: "intersection", count: 2, stride: 5)
        #expect(CollectorRouter.evidenceMediaType(frames[0]) == "image/jpeg")
        #expect(CollectorRouter.evidenceMediaType(frames[0] + frames[1]) == "video/x-motion-jpeg")
        // A still followed by anything that is not a whole JPEG is no clip.
        #expect(CollectorRouter.evidenceMediaType(frames[0] + [0xFF, 0xD8, 0xFF, 0xE0, 0x00]) == "image/jpeg")
        #expect(CollectorRouter.evidenceMediaType(frames[0] + Array(frames[1].dropLast())) == "image/jpeg")
        #expect(CollectorRouter.evidenceMediaType(fakeJPEG("minimal")) == "image/jpeg")
    }

    @Test(arguments: Backend.all)
    func aClipIsServedAsMotionJPEGAndAStillAsJPEG(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (key, crossingSeq, _, faceBlob) = try await ConsoleTests.populated(collector)
        let stored = try #require(try await collector.store.events(device: key.deviceID, seqFrom: crossingSeq, limit: 1)
            .first)
        let refs = try Event(json: try JSONParser.parse(stored.line)).evidence
        // Two stills and the clip, labelled by the device.
        #expect(refs.map(\.mediaType) == ["image/jpeg", "image/jpeg", "video/x-motion-jpeg"])
        let reviewer = ConsoleClient(collector)
        try await reviewer.signIn(collector.reviewerToken)
        let traffic = ConsoleClient(collector)
        try await traffic.signIn(collector.trafficToken)
        for ref in refs {
            let extensionName = ref.mediaType == "image/jpeg" ? "jpg" : "mjpeg"
            for auth in [LiveCollector.Auth.reviewer, .traffic] {
                let api = try await collector.request(.GET, "/v1/evidence/\(ref.sha256)", auth: auth)
                #expect(api.status == 200)
                #expect(api.headers.first(name: "Content-Type") == ref.mediaType)
                #expect(api.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(api.headers.first(name: "Content-Disposition")?.hasSuffix(".\(extensionName)\"") == true)
            }
            for browser in [reviewer, traffic] {
                let page = try await browser.request(.GET, "/evidence/\(ref.sha256)")
                #expect(page.status == 200)
                #expect(page.headers.first(name: "Content-Type") == ref.mediaType)
                #expect(page.headers.first(name: "X-Content-Type-Options") == "nosniff")
                // Never kept by the browser: the next person to sign in there may have another role.
                #expect(page.headers.first(name: "Cache-Control") == "no-store")
            }
        }
        // The export names each blob by the same type.
        let exported = try await collector.request(.GET, "/v1/export?device=\(key.deviceID)&evidence=true")
        let export = String(decoding: exported.body, as: UTF8.self)
        for ref in refs {
            let record = export.split(separator: "\n").first { $0.contains("\"blob\":\"\(ref.sha256)\"") }
            #expect(record?.contains("\"media_type\":\"\(ref.mediaType)\"") == true, "export record of \(ref.sha256)")
        }
        // A traffic token still never receives face evidence, whatever its type.
        #expect(try await collector.request(.GET, "/v1/evidence/\(faceBlob)", auth: .traffic).status == 404)
        #expect(try await traffic.request(.GET, "/evidence/\(faceBlob)").status == 404)
        #expect(try await reviewer.request(.GET, "/evidence/\(faceBlob)").headers.first(name: "Content-Type")
            == "image/jpeg")
        try await collector.store.close()
    }
}
