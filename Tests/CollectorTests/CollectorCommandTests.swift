import AsyncHTTPClient
import Collector
import EventLog
import Foundation
import NIOCore
import SightlineTestKit
import Testing

/// `sightline-collector tokens …`, `devices revoke` and `serve`'s refusals, through the built binary.
@Suite(.serialized) struct CollectorCommandTests {
    static var binary: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("sightline-collector")
        if !FileManager.default.fileExists(atPath: url.path) {
            url = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
                .appendingPathComponent("sightline-collector")
        }
        return url
    }

    /// Runs the binary; returns its exit status, standard output and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func get(_ url: String, token: String?) async throws -> Int {
        var r = HTTPClientRequest(url: url)
        if let token { r.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return Int(try await HTTPClient.shared.execute(r, timeout: .seconds(20)).status.code)
    }

    @Test func tokensAndRevocationFromTheCommandLine() async throws {
        let dir = temporaryDirectory("cli")
        let database = "sqlite:\(dir)/c.sqlite"
        let key = DeviceKey.generate()
        #expect(try Self.run(["devices", "add", "cam", key.publicKeyBase64, "--database", database]).status == 0)
        var st = stat()
        #expect(stat("\(dir)/c.sqlite", &st) == 0 && st.st_mode & 0o777 == 0o600)

        let added = try Self.run(["tokens", "add", "viewer", "--role", "reviewer", "--database", database])
        #expect(added.status == 0)
        let token = added.out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count >= 40 && !token.contains("\n"))
        #expect(try Self.run(["tokens", "add", "viewer", "--role", "traffic", "--database", database]).status != 0)
        #expect(try Self.run(["tokens", "add", "x", "--role", "root", "--database", database]).status != 0)
        let listed = try Self.run(["tokens", "list", "--database", database])
        #expect(listed.out.contains("viewer\treviewer\tactive") && !listed.out.contains(token))

        let collector = try LoopbackCollector(binary: Self.binary, database: database)
        defer { collector.stop() }
        #expect(try await Self.get(collector.url + "/v1/events", token: token) == 200)
        #expect(try await Self.get(collector.url + "/v1/events", token: nil) == 401)
        #expect(try await Self.get(collector.url + "/v1/incidents", token: collector.adminToken) == 200)

        #expect(try Self.run(["tokens", "revoke", "viewer", "--database", database]).status == 0)
        #expect(try Self.run(["tokens", "revoke", "viewer", "--database", database]).status != 0)
        #expect(try await Self.get(collector.url + "/v1/events", token: token) == 401)

        // A revoked device: its next event is refused, by name.
        let revoked = try Self.run(["devices", "revoke", "cam", "--database", database])
        #expect(revoked.status == 0 && revoked.out.contains(key.deviceID))
        #expect(try Self.run(["devices", "list", "--database", database]).out.contains("revoked"))
        var e = Event(
            device: key.deviceID, seq: 1, prev: Event.genesisPrev, time: "2026-01-01T00:00:00.000000Z", camera: "c",
            type: "frame.stats", body: [:])
        e.sig = key.sign(try e.canonicalBytes())
        var post = HTTPClientRequest(url: collector.url + "/v1/events")
        post.method = .POST
        post.body = .bytes(ByteBuffer(bytes: batch([try e.line()])))
        let reply = try await HTTPClient.shared.execute(post, timeout: .seconds(20))
        var body = try await reply.body.collect(upTo: 1 << 20)
        #expect(reply.status.code == 403)
        #expect(body.readString(length: body.readableBytes)?.contains("revoked_device") == true)
    }

    /// `tokens list` and `devices list` print a row per name: a name that could forge or reorder a row is refused.
    @Test func namesThatWouldForgeAListRowAreRefused() throws {
        let db = "sqlite:" + temporaryDirectory("names") + "/c.sqlite"
        for name in ["a\nb\tadmin\tactive", "rtl\u{202E}nimda", "", String(repeating: "x", count: 65)] {
            let r = try Self.run(["tokens", "add", name, "--role", "admin", "--database", db])
            #expect(r.status != 0 && r.out.isEmpty, "token \(name.debugDescription) was accepted")
            #expect(r.err.contains("1 to 64 characters"), "\(r.err)")
        }
        let ok = try Self.run(["tokens", "add", "door-review", "--role", "reviewer", "--database", db])
        #expect(ok.status == 0 && ok.out.count > 20)
        let device = try Self.run(["devices", "add", "gate\nbox", DeviceKey.generate().publicKeyBase64, "--database", db])
        #expect(device.status != 0, "device name with a newline was accepted")
    }

    @Test func serveRefusesTheTokenOptionAndPlainHTTPOffLoopback() throws {
        let database = "sqlite:\(temporaryDirectory("cli-serve"))/c.sqlite"
        let token = try Self.run(["serve", "--admin-token", "x", "--database", database])
        #expect(token.status != 0 && token.err.contains("admin-token"))
        let open = try Self.run(["serve", "--listen", "0.0.0.0:0", "--database", database])
        #expect(open.status != 0 && open.err.contains("--insecure-http"))
    }
}
