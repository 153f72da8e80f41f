import AsyncHTTPClient
import Collector
import EventLog
import Foundation
import NIOCore
import SightlineCore
import SightlineTestKit
import Testing

@testable import Collector

/// The operator console (Sources/Collector/README.md, "Console"): sessions, CSRF, roles in the pages, proofs.
@Suite(.serialized) struct ConsoleTests {
    /// A device with red-light crossings (real frames of the intersection sample as evidence), a face match (a
    /// frame of the faces clip, subject "alice"), a frame.stats and checkpoints every 3 events.
    static func populated(_ collector: LiveCollector, crossings: Int = 2)
        async throws -> (key: DeviceKey, crossingSeq: UInt64, faceSeq: UInt64, faceBlob: String)
    {
        let key = try await collector.registerDevice("gate-box")
        let log = try makeLog(key: key, checkpointEvery: 3)
        let frames = try SampleFrames.jpegs(clip: "intersection", count: 2 * crossings, stride: 5)
        let face = try #require(try SampleFrames.jpegs(clip: "faces", count: 1).first)
        var crossingSeq: UInt64 = 0
        for i in 0..<crossings {
            let e = try log.emit(
                camera: "north", type: "traffic.red_light_crossing",
                body: [
                    "track": .int(Int64(i + 1)), "frame": .int(100), "pts": .double(3.5),
                    "point": .array([.double(320), .double(300)]),
                    "signal": .object(["state": .string("red"), "red_for": .double(2.25)]),
                    "box": .array([.double(280), .double(220), .double(360), .double(300)]),
                    "stop_line": .array([.array([.double(100), .double(290)]), .array([.double(540), .double(290)])]),
                ],
                // The first crossing carries a clip (its two stills back to back) after its stills, as the daemon's do.
                evidence: frames[(2 * i)..<(2 * i + 2)].map { EvidenceBlob(data: $0) }
                    + (i == 0 ? [EvidenceBlob(data: frames[0] + frames[1], mediaType: "video/x-motion-jpeg")] : []))
            if crossingSeq == 0 { crossingSeq = e.seq }
        }
        let f = try log.emit(
            camera: "door", type: "face.match", body: ["subject": .string("alice")], evidence: [EvidenceBlob(data: face)])
        _ = try log.emit(camera: "north", type: "frame.stats", body: [:])
        _ = try log.emit(camera: "north", type: "frame.stats", body: [:])
        try await AccessTests.deliver(log, to: collector)
        return (key, crossingSeq, f.seq, RequestSignature.sha256(face))
    }

    @Test(arguments: Backend.all)
    func aSignedOutBrowserIsSentToSignIn(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let browser = ConsoleClient(collector)
        for path in ["/", "/events", "/events/x/1", "/devices", "/evidence/\(String(repeating: "0", count: 64))"] {
            let r = try await browser.request(.GET, path)
            #expect(r.status == 303, "\(path)")
            #expect(r.location?.hasPrefix("/signin?next=") == true, "\(path)")
        }
        let page = try await browser.request(.GET, "/signin")
        #expect(page.status == 200)
        #expect(page.headers.first(name: "Content-Security-Policy")?.hasPrefix("default-src 'self'") == true)
        #expect(page.text.contains("<label for=\"token\">"))
        // A wrong token is refused; a right one gives a session cookie.
        let wrong = try await browser.signIn("not-a-token")
        #expect(wrong.status == 401)
        #expect(browser.cookies["sightline-session"] == nil)
        let right = try await browser.signIn(collector.reviewerToken)
        #expect(right.status == 303 && right.location == "/")
        let cookie = try #require(right.headers[canonicalForm: "Set-Cookie"].first { $0.hasPrefix("sightline-session=") })
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
        #expect(!cookie.contains("Secure"), "plain HTTP on loopback")
        let overview = try await browser.request(.GET, "/")
        #expect(overview.status == 200 && overview.text.contains("<h1>Overview</h1>"))
        // Signing out ends the session on the server: the old cookie no longer works.
        let old = try #require(browser.cookies["sightline-session"])
        let csrf = try #require(ConsoleClient.csrf(overview.text))
        #expect(try await browser.request(.POST, "/signout", form: [("csrf", csrf)]).location == "/signin")
        browser.cookies["sightline-session"] = old
        #expect(try await browser.request(.GET, "/").status == 303)
        try await collector.store.close()
    }

    @Test(arguments: Backend.all)
    func formsWithoutTheirCSRFTokenAreRefused(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let browser = ConsoleClient(collector)
        // Sign-in without the cookie's twin in the form.
        _ = try await browser.request(.GET, "/signin")
        let forged = try await browser.request(.POST, "/signin", form: [("token", LiveCollector.adminToken)])
        #expect(forged.status == 403)
        try await browser.signIn(LiveCollector.adminToken)
        let page = try await browser.request(.GET, "/tokens")
        let csrf = try #require(ConsoleClient.csrf(page.text))
        let name = "console-\(UUID().uuidString.prefix(8))"
        for form in [[("name", name), ("role", "admin")], [("name", name), ("role", "admin"), ("csrf", "x" + csrf)]] {
            let r = try await browser.request(.POST, "/tokens", form: form)
            #expect(r.status == 403 && r.text.contains("CSRF"))
        }
        #expect(try await collector.store.tokens().contains { $0.name == name } == false)
        let added = try await browser.request(.POST, "/tokens", form: [("name", name), ("role", "traffic"), ("csrf", csrf)])
        #expect(added.status == 200 && added.text.contains("id=\"new-token\""))
        #expect(try await collector.store.tokens().contains { $0.name == name && $0.role == .traffic })
        // The collector's one name rule: a name of one letter and thousands of combining marks, or an invisible
        // one, is refused here as on the command line.
        for bad in ["m" + String(repeating: "\u{301}", count: 2000), "\u{3164}"] {
            _ = try await browser.request(.POST, "/tokens", form: [("name", bad), ("role", "traffic"), ("csrf", csrf)])
            #expect(try await collector.store.tokens().contains { $0.name == bad } == false)
        }
        // A reviewer may not open the admin pages.
        let reviewer = ConsoleClient(collector)
        try await reviewer.signIn(collector.reviewerToken)
        #expect(try await reviewer.request(.GET, "/tokens").status == 403)
        try await collector.store.close()
    }

    @Test(arguments: Backend.all)
    func aTrafficTokenNeverSeesAFaceMatch(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (key, crossingSeq, faceSeq, faceBlob) = try await Self.populated(collector)
        let reviewer = ConsoleClient(collector)
        try await reviewer.signIn(collector.reviewerToken)
        #expect(try await reviewer.request(.GET, "/events").text.contains("face.match"), "the fixture has a face match")
        // The charts count every camera (PostgreSQL's database is shared by the tests, so exact counts on SQLite):
        // 2 crossings and 2 frame.stats on north, 1 face match at the door.
        let charts = try await reviewer.request(.GET, "/").text
        #expect(charts.contains("door, last 7 days: "))
        if backend == .sqlite {
            #expect(charts.contains("north, last 24 hours: 4 events") && charts.contains("north, last 7 days: 4 events"))
            #expect(charts.contains("door, last 24 hours: 1 events"))
        }
        let traffic = ConsoleClient(collector)
        try await traffic.signIn(collector.trafficToken)
        let id = ConsoleHTML.urlComponent(key.deviceID)
        for path in ["/", "/events", "/events?type=face.match", "/events?camera=door", "/events/\(id)/\(crossingSeq)"] {
            let r = try await traffic.request(.GET, path)
            #expect(r.status == 200, "\(path)")
            #expect(!r.text.contains("face.match") && !r.text.contains("alice") && !r.text.contains(faceBlob), "\(path)")
            // The camera that saw only faces is neither charted nor offered as a filter.
            #expect(!r.text.contains("value=\"door\""), "\(path)")
            #expect(!r.text.contains("door, last"), "\(path)")
        }
        // A device's last event may be a face match: its time and seq are not shown to the traffic role.
        #expect(try await traffic.request(.GET, "/").text.contains("(not shown to this role)"))
        #expect(try await traffic.request(.GET, "/events/\(id)/\(faceSeq)").status == 404)
        #expect(try await traffic.request(.GET, "/evidence/\(faceBlob)").status == 404)
        #expect(try await reviewer.request(.GET, "/evidence/\(faceBlob)").status == 200)
        // Bundles hold the whole chain, face events included: not for this role.
        #expect(try await traffic.request(.GET, "/events/\(id)/\(crossingSeq)/bundle").status == 403)
        try await collector.store.close()
    }

    @Test(arguments: Backend.all)
    func anEventPageVerifiesItsProofAndItsBundleVerifiesOffline(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (key, crossingSeq, _, _) = try await Self.populated(collector)
        let browser = ConsoleClient(collector)
        try await browser.signIn(collector.reviewerToken)
        let path = "/events/\(ConsoleHTML.urlComponent(key.deviceID))/\(crossingSeq)"
        let page = try await browser.request(.GET, path)
        #expect(page.status == 200)
        #expect(page.text.contains("Verified: signed, chained and checkpointed."))
        #expect(page.text.contains("Inclusion proof"))
        #expect(page.text.contains("<title>stop line</title>") && page.text.contains("<title>crossing point</title>"))
        #expect(page.text.contains("2.25 s"), "how long red had lasted")
        // Two stills with their overlay, and the clip offered as a download rather than drawn as a picture.
        #expect(page.text.components(separatedBy: "<title>stop line</title>").count == 3)
        #expect(page.text.contains("Download the clip</a> (MJPEG"))
        let bundle = try await browser.request(.GET, path + "/bundle")
        #expect(bundle.status == 200)
        let summary = try ExportVerifier.verify(
            export: bundle.body, publicKey: try DeviceKey.publicKey(base64: key.publicKeyBase64),
            requirements: .init(requireEvidence: false))
        #expect(summary.coveredSize >= crossingSeq, "a signed checkpoint in the bundle covers the event")
        #expect(summary.evidenceVerified == 3)
        try await collector.store.close()
    }

    @Test func aTamperedRowShowsAsAChainProblem() async throws {
        let collector = try await LiveCollector(backend: .sqlite)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let (key, crossingSeq, _, _) = try await Self.populated(collector)
        let store = try #require(collector.store as? SQLiteCollectorStore)
        try await store.db.write { d in
            try d.execute(
                sql: "UPDATE events SET line = CAST(replace(CAST(line AS TEXT), '\"red_for\":2.25', '\"red_for\":0.5') AS BLOB) "
                    + "WHERE device = ? AND seq = ?", arguments: [key.deviceID, Int64(crossingSeq)])
            #expect(d.changesCount == 1)
        }
        let browser = ConsoleClient(collector)
        try await browser.signIn(LiveCollector.adminToken)
        let page = try await browser.request(.GET, "/events/\(ConsoleHTML.urlComponent(key.deviceID))/\(crossingSeq)")
        #expect(page.text.contains("Not verified: chain problem."))
        #expect(page.text.contains("Signature does not verify"))
        // The overview's background check reaches the row and names the problem.
        var overview = ""
        for _ in 0..<100 {
            overview = try await browser.request(.GET, "/").text
            if overview.contains("chain-problem") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(overview.contains("chain-problem") && overview.contains("seq \(crossingSeq): bad_signature"))
        try await collector.store.close()
    }

    @Test(arguments: Backend.all)
    func theEventListPagesByKeysetWithoutGapsOrRepeats(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = try await collector.registerDevice("pager")
        let log = try makeLog(key: key)
        let camera = "cam-\(UUID().uuidString.prefix(8))"
        let base = Clocks.wallNanos() - 3_600_000_000_000
        for i in 0..<120 {
            // Times not in seq order, and some equal: the cursor must break ties by row.
            _ = try log.emit(camera: camera, type: "frame.stats", body: ["i": .int(Int64(i))],
                             wallNanos: base + Int64((i * 7) % 40) * 1_000_000_000)
        }
        try await AccessTests.deliver(log, to: collector)
        let browser = ConsoleClient(collector)
        try await browser.signIn(collector.reviewerToken)
        var seen: [UInt64] = []
        var path: String? = "/events?camera=\(camera)"
        var pages = 0
        while let p = path, pages < 10 {
            let r = try await browser.request(.GET, p)
            #expect(r.status == 200)
            let links = r.text.components(separatedBy: "/\(ConsoleHTML.urlComponent(key.deviceID))/").dropFirst()
            seen += links.compactMap { UInt64($0.prefix { $0.isNumber }) }
            path = r.text.range(of: "rel=\"next\" href=\"").map { range in
                String(r.text[range.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
            }
            pages += 1
        }
        #expect(pages == 3)
        #expect(seen.count == 120 && Set(seen).count == 120)
        try await collector.store.close()
    }

    @Test(arguments: Backend.all)
    func whatDevicesSendIsEscaped(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = try await collector.registerDevice("<b>box</b>")
        let log = try makeLog(key: key, checkpointEvery: 1)
        let e = try log.emit(camera: "<script>alert(1)</script>", type: "traffic.\"><img src=x>",
                             body: ["note": .string("</pre><script>x()</script>")])
        try await AccessTests.deliver(log, to: collector)
        let browser = ConsoleClient(collector)
        try await browser.signIn(collector.reviewerToken)
        for path in ["/", "/events", "/events/\(ConsoleHTML.urlComponent(key.deviceID))/\(e.seq)"] {
            let r = try await browser.request(.GET, path)
            #expect(r.status == 200, "\(path)")
            #expect(!r.text.contains("<script>alert") && !r.text.contains("<img src=x>")
                    && !r.text.contains("<script>x()") && !r.text.contains("<b>box"), "\(path)")
        }
        #expect(try await browser.request(.GET, "/events").text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        try await collector.store.close()
    }

    @Test(arguments: Backend.all)
    func theLiveStreamSendsNewEventsOfTheRoleOnly(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let key = try await collector.registerDevice("live-box")
        let log = try makeLog(key: key)
        let traffic = ConsoleClient(collector)
        try await traffic.signIn(collector.trafficToken)
        var request = HTTPClientRequest(url: collector.url + "/events/live")
        request.headers.add(
            name: "Cookie", value: traffic.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        let response = try await ConsoleClient.client.execute(request, timeout: .seconds(30))
        #expect(response.status.code == 200)
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        // After the stream has started: a face match, then a crossing.
        _ = try log.emit(camera: "door", type: "face.match", body: ["subject": .string("alice")])
        let crossing = try log.emit(camera: "north", type: "traffic.red_light_crossing", body: [:])
        try await AccessTests.deliver(log, to: collector)
        // This device's crossing, by its link: on PostgreSQL other tests' events (same seqs) stream too.
        let mine = "\"href\":\"\(Console.eventHref(device: key.deviceID, seq: crossing.seq))\""
        var text = ""
        for try await chunk in response.body {
            text += String(buffer: chunk)
            if text.contains(mine) { break }
        }
        #expect(text.contains("event: event") && text.contains(mine))
        #expect(!text.contains("face.match") && !text.contains("alice"))
        try await collector.store.close()
    }

    @Test(arguments: Backend.all)
    func theLiveStreamEndsWithItsSession(backend: Backend) async throws {
        let collector = try await LiveCollector(backend: backend)
        try await collector.start()
        defer { Task { await collector.stop() } }
        let browser = ConsoleClient(collector)
        try await browser.signIn(collector.reviewerToken)
        var request = HTTPClientRequest(url: collector.url + "/events/live")
        request.headers.add(
            name: "Cookie", value: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        let response = try await ConsoleClient.client.execute(request, timeout: .seconds(40))
        #expect(response.status.code == 200)
        let csrf = try #require(ConsoleClient.csrf(try await browser.request(.GET, "/events").text))
        #expect(try await browser.request(.POST, "/signout", form: [("csrf", csrf)]).status == 303)
        // The stream ends by itself (within its 10 s session check), well before the request's 40 s deadline.
        var text = ""
        for try await chunk in response.body { text += String(buffer: chunk) }
        #expect(text.hasPrefix("retry: "))
        try await collector.store.close()
    }

    @Test func jpegDimensionsAreReadFromTheFrameHeader() throws {
        let frame = try #require(try SampleFrames.jpegs(clip: "intersection", count: 1).first)
        let size = try #require(JPEGDimensions.of(frame))
        // ffprobe -v error -show_entries stream=width,height -of csv=p=0 Samples/intersection.mjpeg → 640,480
        #expect(size.width == 640 && size.height == 480)
        #expect(JPEGDimensions.of(fakeJPEG("no frame header")) == nil)
        // Every truncation is read safely.
        for n in 0..<min(frame.count, 700) { _ = JPEGDimensions.of(Array(frame.prefix(n))) }
    }

    /// The overlay is drawn in the camera picture's space (`source_size`), stretched over evidence that may
    /// have been encoded smaller; without `source_size` (older events) in the image's own.
    @Test func theOverlayIsDrawnInTheCameraPicturesSpace() {
        var body: [String: JSONValue] = [
            "point": .array([.double(640), .double(600)]),
            "stop_line": .array([.array([.double(100), .double(600)]), .array([.double(1200), .double(600)])]),
        ]
        #expect(Console.overlay(body, width: 640, height: 360).contains("viewBox=\"0 0 640 360\""))
        body["source_size"] = .array([.int(1280), .int(720)])
        let svg = Console.overlay(body, width: 640, height: 360)
        #expect(svg.contains("viewBox=\"0 0 1280 720\""))
        #expect(svg.contains("x2=\"1200.0\""))
        body["source_size"] = .array([.int(0), .int(-5)])  // nonsense from a device: ignored
        #expect(Console.overlay(body, width: 640, height: 360).contains("viewBox=\"0 0 640 360\""))
    }
}
