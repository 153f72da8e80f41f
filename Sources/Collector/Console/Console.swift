import Crypto
import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SightlineCore

/// A signed-in browser and the role of its token.
struct ConsoleUser: Sendable {
    var role: Role
    /// The token's name ("bootstrap admin" for `$SIGHTLINE_ADMIN_TOKEN`).
    var name: String
    var session: ConsoleSession
}

/// The operator console: pages rendered on the server for people who review events (`/`, `/events`, ...).
/// Sessions are rows of `console_sessions` keyed by the SHA-256 of a random cookie value; the role is the
/// signing-in token's, read on every request.
final class Console: Sendable {
    /// How long a session lasts after sign-in.
    static let sessionLifetimeNanos: Int64 = 12 * 3600 * 1_000_000_000
    /// Rows per events page.
    static let pageSize = 50

    let store: any CollectorStore & ConsoleStore
    let configuration: CollectorConfiguration
    let logger: Logger
    let chain: ChainMonitor
    private let migration: Task<Void, any Error>

    init(store: any CollectorStore & ConsoleStore, configuration: CollectorConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        chain = ChainMonitor(store: StoreChainSource(store: store), logger: logger)
        migration = Task { try await store.migrateConsole() }
    }

    /// Waits for the console's tables (created once, when the console is mounted).
    func ready() async throws { try await migration.value }

    var secure: Bool { configuration.tlsCertificatePath != nil }
    /// `__Host-` binds the cookie to this origin over HTTPS (Secure, Path=/, no Domain).
    var cookieName: String { secure ? "__Host-sightline-session" : "sightline-session" }
    var signInCookieName: String { secure ? "__Host-sightline-signin" : "sightline-signin" }

    func cookie(_ name: String, _ value: String, maxAge: Int64) -> String {
        "\(name)=\(value); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)" + (secure ? "; Secure" : "")
    }

    /// A value of the request's `Cookie` header.
    static func cookieValue(_ request: Request, _ name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                guard let eq = pair.firstIndex(of: "=") else { continue }
                if pair[..<eq] == name { return String(pair[pair.index(after: eq)...]) }
            }
        }
        return nil
    }

    /// 256 random bits, base64url.
    static func randomToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Encoding.base64(bytes).replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The role and name of a token, nil when unknown or revoked.
    func identify(tokenDigest: String) async throws -> (role: Role, name: String)? {
        if let admin = configuration.adminTokenDigest, AccessToken.constantTimeEqual(admin, Array(tokenDigest.utf8)) {
            return (.admin, "bootstrap admin")
        }
        return try await store.token(digest: tokenDigest).map { ($0.role, $0.name) }
    }

    enum Access {
        case user(ConsoleUser)
        case reply(Response)
    }

    /// The signed-in user of the request; otherwise a redirect to the sign-in page (which comes back to
    /// `request`'s path), or 403 when `roles` excludes the user's role.
    func user(_ request: Request, roles: Set<Role> = Set(Role.allCases)) async throws -> Access {
        try await ready()
        let back = request.method == .get ? request.uri.description : "/"
        let signIn = ConsoleHTML.redirect("/signin?next=" + ConsoleHTML.urlComponent(back))
        guard let value = Self.cookieValue(request, cookieName), value.utf8.count <= 128 else {
            return .reply(signIn)
        }
        let now = Clocks.wallNanos()
        guard let session = try await store.session(idDigest: AccessToken.digest(value), nowNanos: now),
            let who = try await identify(tokenDigest: session.tokenDigest)
        else { return .reply(signIn) }
        let user = ConsoleUser(role: who.role, name: who.name, session: session)
        guard roles.contains(user.role) else {
            return .reply(
                ConsoleHTML.response(
                    ConsoleHTML.page(
                        title: "Not allowed", user: user,
                        main: ConsoleHTML.notice("The \(user.role.rawValue) role may not open this page.", kind: "problem")),
                    status: .forbidden))
        }
        return .user(user)
    }

    /// The form fields of a POST (urlencoded, at most `limit` bytes); a 413 or 400 page otherwise.
    func form(_ request: Request, limit: Int = 64 << 10) async throws -> Outcome<[String: String]> {
        let bytes: [UInt8]
        do {
            var buffer = try await request.body.collect(upTo: limit)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is NIOTooManyBytesError {
            return .reply(ConsoleHTML.response("form too large", status: .contentTooLarge))
        }
        guard let fields = ConsoleForm.parse(bytes) else {
            return .reply(ConsoleHTML.response("malformed form", status: .badRequest))
        }
        return .value(fields)
    }

    /// The form of a signed-in user's POST, when its `csrf` field is the session's; a 403 page otherwise.
    func checkedForm(_ request: Request, _ user: ConsoleUser) async throws -> Outcome<[String: String]> {
        let fields: [String: String]
        switch try await form(request) {
        case .value(let f): fields = f
        case .reply(let r): return .reply(r)
        }
        guard let sent = fields["csrf"],
            AccessToken.constantTimeEqual(Array(sent.utf8), Array(user.session.csrf.utf8))
        else { return .reply(csrfRefusal(user)) }
        return .value(fields)
    }

    func csrfRefusal(_ user: ConsoleUser?) -> Response {
        ConsoleHTML.response(
            ConsoleHTML.page(
                title: "Form refused", user: user,
                main: ConsoleHTML.notice(
                    "This form did not carry its CSRF token (or it expired): nothing was changed. "
                        + "Go back, reload the page and send it again.", kind: "problem")),
            status: .forbidden)
    }

    func notFound(_ user: ConsoleUser, _ what: String) -> Response {
        ConsoleHTML.response(
            ConsoleHTML.page(title: "Not found", user: user, main: ConsoleHTML.notice(what, kind: "problem")),
            status: .notFound)
    }

    /// Device names by id, for lists.
    func deviceNames() async throws -> [String: String] {
        Dictionary(try await store.devices().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    }
}

/// `application/x-www-form-urlencoded` bodies.
enum ConsoleForm {
    /// At most 64 fields; a repeated name keeps its first value; nil when not valid UTF-8 after decoding.
    static func parse(_ bytes: [UInt8]) -> [String: String]? {
        var out: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).prefix(64) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : []) else { return nil }
            if out[name] == nil { out[name] = value }
        }
        return out
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%") {
                guard bytes.distance(from: i, to: bytes.endIndex) >= 3,
                    let h = hexValue(bytes[i + 1]), let l = hexValue(bytes[i + 2])
                else { return nil }
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(validating: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
