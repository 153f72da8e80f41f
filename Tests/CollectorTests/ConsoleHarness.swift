import AsyncHTTPClient
import Collector
import EventLog
import Foundation
import NIOCore
import NIOHTTP1
import SightlineCore
import Testing

/// A minimal browser for the console tests: keeps cookies, never follows redirects, reads forms' CSRF fields.
final class ConsoleClient: @unchecked Sendable {
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    let base: String
    let http: HTTPClient
    var cookies: [String: String] = [:]

    /// `http` defaults to a plain client; a collector served over TLS needs one that trusts its certificate.
    init(_ collector: LiveCollector, http: HTTPClient = ConsoleClient.client) {
        base = collector.url
        self.http = http
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var location: String? { headers.first(name: "Location") }
    }

    func request(_ method: HTTPMethod, _ path: String, form: [(String, String)]? = nil) async throws -> Reply {
        var r = HTTPClientRequest(url: base + path)
        r.method = method
        if !cookies.isEmpty {
            r.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let form {
            r.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let body = form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            r.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(r, timeout: .seconds(30))
        var buffer = try await response.body.collect(upTo: 64 << 20)
        for header in response.headers[canonicalForm: "Set-Cookie"] {
            let pair = header.split(separator: ";")[0]
            guard let eq = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<eq]), value = String(pair[pair.index(after: eq)...])
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return Reply(
            status: Int(response.status.code), headers: response.headers,
            body: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The value of the first `name="csrf"` hidden field of a page.
    static func csrf(_ html: String) -> String? {
        guard let r = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    /// Signs in with `token`; returns the final reply of the sign-in POST.
    @discardableResult
    func signIn(_ token: String) async throws -> Reply {
        let page = try await request(.GET, "/signin")
        let csrf = try #require(Self.csrf(page.text))
        return try await request(.POST, "/signin", form: [("csrf", csrf), ("next", "/"), ("token", token)])
    }
}
