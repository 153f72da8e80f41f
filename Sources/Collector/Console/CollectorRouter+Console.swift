import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import SightlineCore

/// Mounts the operator console (Sources/Collector/README.md, "Console") on the collector's router.
extension CollectorRouter {
    func mountConsole(_ console: Console, on routes: RouterGroup<CollectorRequestContext>) {
        let routes = routes.group().add(middleware: ServerTiming())
        routes.get("/console.css") { _, _ in Self.asset(ConsoleAssets.css, type: "text/css; charset=utf-8") }
        routes.get("/console.js") { _, _ in Self.asset(ConsoleAssets.js, type: "text/javascript; charset=utf-8") }
        routes.get("/signin") { request, _ in try await console.signInPage(request) }
        routes.post("/signin") { request, _ in try await console.signIn(request) }
        routes.post("/signout") { request, _ in try await console.signOut(request) }
        routes.get("/") { request, _ in try await console.overview(request) }
        routes.post("/chains/recheck") { request, _ in try await console.recheckChains(request) }
        routes.get("/events") { request, _ in try await console.eventsPage(request) }
        routes.get("/events/live") { request, _ in try await console.liveEvents(request) }
        routes.get("/events/:device/:seq") { request, context in
            try await console.eventPage(
                request, device: try context.parameters.require("device"), seq: try context.parameters.require("seq"))
        }
        routes.get("/events/:device/:seq/bundle") { request, context in
            try await console.bundle(
                request, device: try context.parameters.require("device"), seq: try context.parameters.require("seq"))
        }
        routes.get("/evidence/:sha256") { request, context in
            try await console.evidence(request, sha: try context.parameters.require("sha256"))
        }
        routes.get("/devices") { request, _ in try await console.devicesPage(request) }
        routes.post("/devices") { request, _ in try await console.registerDevice(request) }
        routes.post("/devices/revoke") { request, _ in try await console.revokeDevice(request) }
        routes.get("/tokens") { request, _ in try await console.tokensPage(request) }
        routes.post("/tokens") { request, _ in try await console.addToken(request) }
        routes.post("/tokens/revoke") { request, _ in try await console.revokeToken(request) }
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "max-age=3600", .xContentTypeOptions: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Adds `Server-Timing: app;dur=MILLISECONDS` (time to the response head) to the console's responses, which the
/// benchmark (Benchmarks/console) reads and a browser's developer tools show.
struct ServerTiming: RouterMiddleware {
    typealias Context = CollectorRequestContext

    func handle(
        _ request: Request, context: CollectorRequestContext,
        next: (Request, CollectorRequestContext) async throws -> Response
    ) async throws -> Response {
        let start = Clocks.monotonicNanos()
        var response = try await next(request, context)
        let micros = (Clocks.monotonicNanos() - start) / 1000
        response.headers[HTTPField.Name("Server-Timing")!] = "app;dur=\(micros / 1000).\(String(micros % 1000 + 1000).dropFirst())"
        return response
    }
}

/// Signing in and out.
extension Console {
    func signInPage(_ request: Request, message: String? = nil, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let next = request.uri.queryParameters.get("next").map { String($0) } ?? "/"
        // The sign-in form has no session yet: its CSRF token is a cookie that the form repeats.
        let csrf = Self.randomToken()
        let main = """
            \(message.map { ConsoleHTML.notice($0, kind: "problem") } ?? "")
            <form class="stack signin" method="post" action="/signin">
            \(ConsoleHTML.csrfField(csrf))
            <input type="hidden" name="next" value="\(ConsoleHTML.esc(Self.safeNext(next)))">
            <label for="token">Access token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
            <p>Use a token from <code>sightline-collector tokens add NAME --role ROLE</code>. The session lasts
            \(Self.sessionLifetimeNanos / 3_600_000_000_000) hours.</p>
            <button type="submit">Sign in</button>
            </form>
            """
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: cookie(signInCookieName, csrf, maxAge: 3600)))
        return ConsoleHTML.response(
            ConsoleHTML.page(title: "Sign in", user: nil, main: main), status: status, headers: headers)
    }

    /// A local path to go back to after sign-in; anything else ("//host", "https://…") becomes "/".
    static func safeNext(_ next: String) -> String {
        guard next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
            !next.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { return "/" }
        return next
    }

    func signIn(_ request: Request) async throws -> Response {
        try await ready()
        let fields: [String: String]
        switch try await form(request, limit: 8 << 10) {
        case .value(let f): fields = f
        case .reply(let r): return r
        }
        guard let sent = fields["csrf"], let expected = Self.cookieValue(request, signInCookieName),
            AccessToken.constantTimeEqual(Array(sent.utf8), Array(expected.utf8))
        else { return csrfRefusal(nil) }
        let token = (fields["token"] ?? "").trimmingCharacters(in: .whitespaces)
        let digest = AccessToken.digest(token)
        guard !token.isEmpty, try await identify(tokenDigest: digest) != nil else {
            return try await signInPage(request, message: "Unknown or revoked token.", status: .unauthorized)
        }
        let now = Clocks.wallNanos()
        try await store.purgeSessions(nowNanos: now)
        let value = Self.randomToken()
        try await store.addSession(
            ConsoleSession(
                idDigest: AccessToken.digest(value), tokenDigest: digest, csrf: Self.randomToken(),
                expiresNanos: now + Self.sessionLifetimeNanos))
        var headers = HTTPFields()
        headers.append(
            HTTPField(name: .setCookie, value: cookie(cookieName, value, maxAge: Self.sessionLifetimeNanos / 1_000_000_000)))
        headers.append(HTTPField(name: .setCookie, value: cookie(signInCookieName, "", maxAge: 0)))
        return ConsoleHTML.redirect(Self.safeNext(fields["next"] ?? "/"), headers: headers)
    }

    func signOut(_ request: Request) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        if case .reply(let r) = try await checkedForm(request, user) { return r }
        try await store.deleteSession(idDigest: user.session.idDigest)
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: cookie(cookieName, "", maxAge: 0)))
        return ConsoleHTML.redirect("/signin", headers: headers)
    }

    /// `GET /evidence/{sha256}` for a signed-in browser: the same role rule as `GET /v1/evidence`.
    func evidence(_ request: Request, sha: String) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        let notFound = Response(status: .notFound, headers: ConsoleHTML.securityHeaders)
        guard Encoding.isSHA256Hex(sha), try await mayView(evidence: sha, role: user.role) else { return notFound }
        guard let e = try await store.evidence(sha256: sha) else { return notFound }
        var headers = CollectorRouter.evidenceHeaders(e.data, sha: sha)
        // Not kept by the browser: a cached face frame would be handed to whoever signs in next in the same
        // browser, whatever their role (the role is checked here, not in the browser's cache).
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: e.data)))
    }

    /// Whether `role` may see the blob: named by one of its event types and by no other type.
    func mayView(evidence sha: String, role: Role) async throws -> Bool {
        guard let prefixes = role.visibleTypePrefixes else { return true }
        guard try await store.evidenceReferenced(sha256: sha, typePrefixes: prefixes) else { return false }
        return !(try await store.evidenceReferencedOutside(sha256: sha, typePrefixes: prefixes))
    }
}
