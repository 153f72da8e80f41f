import EventLog
import Foundation
import Hummingbird
import NIOCore

/// Hummingbird exports `HTTPFields` but not its element type.
typealias HTTPField = HTTPFields.Element

/// HTML building for the console. Everything that did not come from this file is escaped with `esc` before it is
/// written into markup: event bodies, cameras, names and types come from devices and operators.
enum ConsoleHTML {
    /// `text` escaped for HTML text and double-quoted attribute values.
    static func esc(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters (other than tab and newline) could confuse a reader: shown as U+FFFD.
                if c.value < 0x20 && c != "\n" && c != "\t" || (0x7F...0x9F).contains(c.value) {
                    out += "&#xFFFD;"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }

    /// `value` percent-encoded for a URL query component or path segment.
    static func urlComponent(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A `<time>` in UTC; console.js shows it in the browser's zone with the UTC value on hover.
    static func time(_ nanos: Int64) -> String {
        let utc = Timestamp.rfc3339(wallNanos: nanos)
        let seconds = utc.prefix(19).replacingOccurrences(of: "T", with: " ")
        return "<time datetime=\"\(esc(utc))\" title=\"\(esc(seconds)) UTC\">\(esc(seconds)) UTC</time>"
    }

    /// A duration in words: "3.2 s", "4 min", "2 h 5 min".
    static func duration(nanos: Int64) -> String {
        let s = Double(nanos) / 1e9
        if s.magnitude < 60 { return String(format: "%.1f s", s) }
        let m = Int64(s / 60)
        if m.magnitude < 60 { return "\(m) min" }
        return "\(m / 60) h \(m % 60) min"
    }

    /// The headers of every console page: no framing, no inline script or style, nothing cached.
    static var securityHeaders: HTTPFields {
        [
            .contentSecurityPolicy: "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer", .cacheControl: "no-store",
            HTTPField.Name("X-Frame-Options")!: "DENY",
        ]
    }

    static func response(
        _ html: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]
    ) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        for field in extra { headers.append(field) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        for field in extra { headers.append(field) }
        return Response(status: .seeOther, headers: headers)
    }

    /// A whole page: header with the navigation for `user`'s role, then `main`.
    static func page(title: String, user: ConsoleUser?, active: String = "", main: String) -> String {
        var nav = ""
        if let user {
            var links = [("/", "Overview"), ("/events", "Events")]
            if user.role == .admin { links += [("/devices", "Devices"), ("/tokens", "Tokens")] }
            nav = "<nav aria-label=\"Console\"><ul>"
            for (href, label) in links {
                let current = href == active ? " aria-current=\"page\"" : ""
                nav += "<li><a href=\"\(href)\"\(current)>\(label)</a></li>"
            }
            nav += "</ul><form method=\"post\" action=\"/signout\" class=\"signout\">"
                + csrfField(user.session.csrf)
                + "<span>\(esc(user.name)) (\(user.role.rawValue))</span> <button type=\"submit\">Sign out</button></form></nav>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(title)) · Sightline</title>
            <link rel="stylesheet" href="/console.css">
            <script src="/console.js" defer></script>
            </head><body>
            <header><a class="brand" href="/">Sightline</a>\(nav)</header>
            <main id="main">
            <h1>\(esc(title))</h1>
            \(main)
            </main></body></html>
            """
    }

    static func csrfField(_ token: String) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(esc(token))\">"
    }

    /// A notice box; `kind` is "ok", "problem" or "info".
    static func notice(_ text: String, kind: String = "info") -> String {
        "<p class=\"notice \(kind)\" role=\"\(kind == "problem" ? "alert" : "status")\">\(esc(text))</p>"
    }
}
