import AsyncHTTPClient
import Collector
import Foundation
import NIOSSL
import SightlineTestKit
import Testing

/// The console's cookies over TLS: `Secure`, and named `__Host-…` so that a browser binds them to this origin
/// (HTTPS, `Path=/`, no `Domain`). Over plain HTTP on loopback they are not `Secure` (ConsoleTests).
@Suite struct ConsoleTLSTests {
    @Test func sessionCookiesAreSecureOverTLS() async throws {
        let dir = temporaryDirectory("console-tls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try TestCertificate.selfSigned(in: dir, name: "collector", alternativeNames: ["IP:127.0.0.1"])
        let collector = try await LiveCollector(
            backend: .sqlite, tlsCertificate: made.certificate, tlsKey: made.key)
        try await collector.start()
        #expect(collector.url.hasPrefix("https://"))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(made.certificate)
        let http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(tlsConfiguration: tls, redirectConfiguration: .disallow))
        let browser = ConsoleClient(collector, http: http)

        /// Every `Set-Cookie` of a reply: `__Host-` prefixed, Secure, HttpOnly, SameSite=Strict, Path=/, no Domain.
        func expectHostCookies(_ reply: ConsoleClient.Reply, _ what: String) {
            let cookies = reply.headers[canonicalForm: "Set-Cookie"].map(String.init)
            #expect(!cookies.isEmpty, "\(what) sets a cookie")
            for cookie in cookies {
                let attributes = Set(cookie.split(separator: ";").dropFirst()
                    .map { $0.trimmingCharacters(in: .whitespaces).split(separator: "=")[0].lowercased() })
                #expect(cookie.hasPrefix("__Host-sightline-"), "\(what): \(cookie)")
                #expect(attributes.isSuperset(of: ["secure", "httponly", "samesite", "path"]), "\(what): \(cookie)")
                #expect(cookie.contains("SameSite=Strict") && cookie.contains("Path=/;"), "\(what): \(cookie)")
                #expect(!attributes.contains("domain"), "\(what): \(cookie)")
            }
        }

        let page = try await browser.request(.GET, "/signin")
        #expect(page.status == 200)
        expectHostCookies(page, "the sign-in page")
        let signedIn = try await browser.signIn(collector.reviewerToken)
        #expect(signedIn.status == 303 && signedIn.location == "/")
        expectHostCookies(signedIn, "signing in")
        #expect(browser.cookies["__Host-sightline-session"] != nil)
        #expect(browser.cookies["sightline-session"] == nil, "no unprefixed cookie over TLS")
        // The session works over TLS, and signing out clears the cookie the same way.
        let overview = try await browser.request(.GET, "/")
        #expect(overview.status == 200 && overview.text.contains("<h1>Overview</h1>"))
        let csrf = try #require(ConsoleClient.csrf(overview.text))
        let out = try await browser.request(.POST, "/signout", form: [("csrf", csrf)])
        #expect(out.location == "/signin")
        expectHostCookies(out, "signing out")
        #expect(browser.cookies["__Host-sightline-session"] == nil)
        #expect(try await browser.request(.GET, "/").status == 303)

        try await http.shutdown()
        await collector.stop()
        try await collector.store.close()
    }
}
