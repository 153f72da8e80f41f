import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import SightlineCore

/// The event list: filters, keyset pagination (newest first), live updates over server-sent events.
extension Console {
    /// The filter of a list request; a message when a parameter is wrong.
    func filter(_ request: Request, role: Role) -> (ConsoleEventFilter, String?) {
        let q = request.uri.queryParameters
        var f = ConsoleEventFilter(typePrefixes: role.visibleTypePrefixes, limit: Self.pageSize)
        var problems: [String] = []
        func text(_ name: String) -> String? {
            guard let v = q.get(name).map({ String($0) }), !v.isEmpty else { return nil }
            return v
        }
        f.camera = text("camera")
        f.type = text("type")
        for (name, keyPath) in [("since", \ConsoleEventFilter.sinceNanos), ("until", \ConsoleEventFilter.untilNanos)] {
            guard let v = text(name) else { continue }
            if let nanos = Self.parseTime(v) { f[keyPath: keyPath] = nanos } else {
                problems.append("\(name) is not a time (YYYY-MM-DDTHH:MM, UTC)")
            }
        }
        if let v = text("before") {
            if let c = ConsoleCursor(v) { f.before = c } else { problems.append("before is not a list position") }
        }
        return (f, problems.isEmpty ? nil : problems.joined(separator: "; "))
    }

    /// RFC 3339, or the `YYYY-MM-DDTHH:MM[:SS]` of a `datetime-local` control, read as UTC.
    static func parseTime(_ text: String) -> Int64? {
        guard text.utf8.count <= 40 else { return nil }
        if let t = try? Timestamp.parse(rfc3339: text) { return t }
        if text.count == 16, let t = try? Timestamp.parse(rfc3339: text + ":00Z") { return t }
        if text.count == 19, let t = try? Timestamp.parse(rfc3339: text + "Z") { return t }
        return nil
    }

    /// `datetime-local` value (UTC) of a time.
    static func localInput(_ nanos: Int64) -> String { String(Timestamp.rfc3339(wallNanos: nanos).prefix(16)) }

    /// The query string of a filter (without the cursor).
    static func query(_ f: ConsoleEventFilter) -> [(String, String)] {
        var items: [(String, String)] = []
        if let v = f.camera { items.append(("camera", v)) }
        if let v = f.type { items.append(("type", v)) }
        if let v = f.sinceNanos { items.append(("since", Self.localInput(v))) }
        if let v = f.untilNanos { items.append(("until", Self.localInput(v))) }
        return items
    }

    static func queryString(_ items: [(String, String)]) -> String {
        items.isEmpty ? "" : "?" + items.map { "\($0.0)=\(ConsoleHTML.urlComponent($0.1))" }.joined(separator: "&")
    }

    static func eventHref(device: String, seq: UInt64) -> String {
        "/events/\(ConsoleHTML.urlComponent(device))/\(seq)"
    }

    func eventsPage(_ request: Request) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        var (f, problem) = filter(request, role: user.role)
        // A type the role may not read matches nothing, and is not written back into the page (links, live URL).
        let unreadableType = f.type.map { !user.role.mayRead(type: $0) } ?? false
        let rows = problem == nil && !unreadableType ? try await store.consoleEvents(f) : []
        if unreadableType { f.type = nil }
        let names = try await deviceNames()
        let pairs = try await store.consoleCameraTypes().filter { user.role.mayRead(type: $0.type) }
        let cameras = Array(Set(pairs.map(\.camera))).sorted()
        let types = Array(Set(pairs.map(\.type))).sorted()
        var html = ""
        if let problem { html += ConsoleHTML.notice(problem, kind: "problem") }
        html += "<form class=\"filters\" method=\"get\" action=\"/events\" role=\"search\" aria-label=\"Filter events\">"
        html += select("camera", "Camera", cameras, f.camera, any: "Any camera")
        html += select("type", "Type", types, f.type, any: "Any type")
        for (name, label, value) in [("since", "From (UTC)", f.sinceNanos), ("until", "Until (UTC)", f.untilNanos)] {
            html += "<label for=\"\(name)\">\(label)<input id=\"\(name)\" name=\"\(name)\" type=\"datetime-local\""
                + " value=\"\(value.map(Self.localInput) ?? "")\"></label>"
        }
        html += "<button type=\"submit\">Show</button> <a href=\"/events\">Clear</a></form>"
        var live = Self.query(f)
        live.removeAll { $0.0 == "since" || $0.0 == "until" }
        let liveAttribute = f.before == nil && f.untilNanos == nil && !unreadableType
            ? " data-live=\"/events/live\(ConsoleHTML.esc(Self.queryString(live)))\"" : ""
        html += "<p id=\"live-status\" class=\"live\" aria-live=\"polite\"></p>"
        html += "<table id=\"events\"\(liveAttribute)><caption>Events, newest first</caption><thead><tr>"
            + "<th scope=\"col\">Time</th><th scope=\"col\">Camera</th><th scope=\"col\">Type</th>"
            + "<th scope=\"col\">Device</th><th scope=\"col\">Seq</th></tr></thead><tbody>"
        for r in rows {
            html += "<tr><td>\(ConsoleHTML.time(r.timeNanos))</td><td>\(ConsoleHTML.esc(r.camera))</td>"
                + "<td>\(ConsoleHTML.esc(r.type))</td><td>\(ConsoleHTML.esc(names[r.device] ?? r.device))</td>"
                + "<td><a href=\"\(ConsoleHTML.esc(Self.eventHref(device: r.device, seq: r.seq)))\">\(r.seq)</a></td></tr>"
        }
        html += "</tbody></table>"
        if rows.isEmpty { html += "<p id=\"no-events\">No events match.</p>" }
        html += "<nav class=\"pager\" aria-label=\"Pages\">"
        if f.before != nil { html += "<a href=\"/events\(ConsoleHTML.esc(Self.queryString(Self.query(f))))\">Newest</a>" }
        if rows.count == f.limit, let last = rows.last {
            let next = Self.query(f) + [("before", ConsoleCursor(timeNanos: last.timeNanos, id: last.id).text)]
            html += "<a rel=\"next\" href=\"/events\(ConsoleHTML.esc(Self.queryString(next)))\">Older</a>"
        }
        html += "</nav>"
        return ConsoleHTML.response(ConsoleHTML.page(title: "Events", user: user, active: "/events", main: html))
    }

    func select(_ name: String, _ label: String, _ options: [String], _ selected: String?, any: String) -> String {
        var html = "<label for=\"\(name)\">\(label)<select id=\"\(name)\" name=\"\(name)\"><option value=\"\">\(any)</option>"
        // Only values the role may see are offered (a typed `type=face.match` is not echoed to a traffic session).
        for o in options {
            html += "<option value=\"\(ConsoleHTML.esc(o))\"\(o == selected ? " selected" : "")>\(ConsoleHTML.esc(o))</option>"
        }
        return html + "</select></label>"
    }

    /// `GET /events/live?camera=&type=`: new events (of the user's role) as server-sent events, polled from the
    /// store every second; `Last-Event-ID` (a row id) resumes. The stream ends after an hour (browsers reconnect), or
    /// within 10 s of the session's end or its token's revocation.
    func liveEvents(_ request: Request) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        var (f, _) = filter(request, role: user.role)
        f.limit = 200
        let start: Int64
        if let last = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap({ Int64($0) }), last >= 0 {
            start = last
        } else {
            start = try await store.maxEventID()
        }
        let store = self.store
        let names = try await deviceNames()
        let filter = f
        let session = user.session
        let body = ResponseBody { [self] writer in
            var after = start
            let deadline = Clocks.monotonicNanos() + 3600 * 1_000_000_000
            try await writer.write(ByteBuffer(string: "retry: 3000\n\n"))
            var idle = 0
            var lastCheck = Clocks.monotonicNanos()
            while !Task.isCancelled && Clocks.monotonicNanos() < deadline {
                // A signed-out session or a revoked token ends the stream within 10 s.
                if Clocks.monotonicNanos() - lastCheck > 10_000_000_000 {
                    lastCheck = Clocks.monotonicNanos()
                    guard try await store.session(idDigest: session.idDigest, nowNanos: Clocks.wallNanos()) != nil,
                        try await identify(tokenDigest: session.tokenDigest) != nil
                    else { break }
                }
                let rows = try await store.consoleEvents(after: after, filter: filter)
                for r in rows {
                    let data: JSONValue = .object([
                        "time": .string(Timestamp.rfc3339(wallNanos: r.timeNanos)), "camera": .string(r.camera),
                        "type": .string(r.type), "device": .string(r.device),
                        "device_name": .string(names[r.device] ?? r.device), "seq": CollectorRouter.number(r.seq),
                        "href": .string(Console.eventHref(device: r.device, seq: r.seq)),
                    ])
                    let json = String(decoding: try CanonicalJSON.encode(data), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "id: \(r.id)\nevent: event\ndata: \(json)\n\n"))
                    after = r.id
                }
                if rows.isEmpty {
                    idle += 1
                    // A comment now and then, so proxies keep the stream and a closed browser is noticed.
                    if idle % 15 == 0 { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                    try await Task.sleep(for: .seconds(1))
                }
            }
            try await writer.finish(nil)
        }
        var headers = ConsoleHTML.securityHeaders
        headers[.contentType] = "text/event-stream"
        return Response(status: .ok, headers: headers, body: body)
    }
}
