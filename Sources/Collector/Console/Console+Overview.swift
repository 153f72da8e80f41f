import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import SightlineCore

/// `/`: devices with their chain status, per-camera charts of the last 24 hours and 7 days, the latest crossings.
extension Console {
    static let hourNanos: Int64 = 3_600_000_000_000

    func overview(_ request: Request) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        let now = Clocks.wallNanos()
        var html = "<section aria-labelledby=\"devices\"><h2 id=\"devices\">Devices</h2>"
        html += "<table><thead><tr><th scope=\"col\">Device</th><th scope=\"col\">Registered</th>"
            + "<th scope=\"col\">Last event</th><th scope=\"col\">Delivery lag</th>"
            + "<th scope=\"col\">Last checkpoint</th><th scope=\"col\">Chain</th></tr></thead><tbody>"
        // The independent reads run at once (over PostgreSQL on several pooled connections).
        let store = self.store
        async let chartsHTML = charts(role: user.role, now: now)
        async let crossingRows = store.consoleEvents(
            ConsoleEventFilter(type: DetectionType.trafficRedLightCrossing.rawValue, limit: 10))
        let devices = try await store.devices()
        let states = try await withThrowingTaskGroup(of: (String, ConsoleDeviceState).self) { group in
            for d in devices { group.addTask { (d.id, try await store.consoleDeviceState(device: d.id)) } }
            var out: [String: ConsoleDeviceState] = [:]
            for try await (id, state) in group { out[id] = state }
            return out
        }
        for d in devices {
            let s = states[d.id] ?? ConsoleDeviceState()
            html += "<tr><td>\(ConsoleHTML.esc(d.name))<br><code>\(ConsoleHTML.esc(d.id))</code>"
                + (d.revokedNanos != nil ? " <strong>revoked</strong>" : "") + "</td>"
            html += "<td>\(ConsoleHTML.time(d.addedNanos))</td>"
            // A device's last event may be one the role may not see (a face match): limited roles are not told
            // when it happened.
            if user.role.visibleTypePrefixes != nil {
                html += "<td>(not shown to this role)</td><td>–</td>"
            } else if let seq = s.lastSeq, let t = s.lastTimeNanos, let r = s.lastReceivedNanos {
                html += "<td>\(ConsoleHTML.time(t)) (seq \(seq))</td><td>\(ConsoleHTML.duration(nanos: r &- t))</td>"
            } else {
                html += "<td>none</td><td>–</td>"
            }
            if let seq = s.checkpointSeq, let line = s.checkpointLine {
                let size = Self.checkpointSize(line)
                html += "<td>seq \(seq), tree size \(size.map(String.init) ?? "?")</td>"
            } else {
                html += "<td>none yet</td>"
            }
            let status = await chain.status(device: d.id)
            if let problem = status?.problem {
                html += "<td class=\"problem chain-problem\">Problem: \(ConsoleHTML.esc(problem))</td>"
            } else if let status, let last = s.lastSeq {
                let done = status.checkedThrough >= last
                html += "<td class=\"\(done ? "ok" : "")\">\(done ? "ok" : "checking") "
                    + "(verified through seq \(status.checkedThrough))</td>"
            } else {
                html += "<td>checking</td>"
            }
            html += "</tr>"
        }
        html += "</tbody></table>"
        if devices.isEmpty { html += "<p>No devices registered.</p>" }
        if user.role == .admin {
            html += "<form method=\"post\" action=\"/chains/recheck\">\(ConsoleHTML.csrfField(user.session.csrf))"
                + "<button type=\"submit\" class=\"secondary\">Verify every chain again from seq 1</button></form>"
        }
        html += "</section>"
        html += try await chartsHTML
        let crossings = try await crossingRows
        let names = Dictionary(devices.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        html += "<section aria-labelledby=\"crossings\"><h2 id=\"crossings\">Latest red-light crossings</h2>"
        if crossings.isEmpty {
            html += "<p>None yet.</p>"
        } else {
            html += "<table><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Camera</th>"
                + "<th scope=\"col\">Device</th><th scope=\"col\">Event</th></tr></thead><tbody>"
            for r in crossings {
                html += "<tr><td>\(ConsoleHTML.time(r.timeNanos))</td><td>\(ConsoleHTML.esc(r.camera))</td>"
                    + "<td>\(ConsoleHTML.esc(names[r.device] ?? r.device))</td><td><a href=\""
                    + ConsoleHTML.esc(Self.eventHref(device: r.device, seq: r.seq)) + "\">seq \(r.seq)</a></td></tr>"
            }
            html += "</tbody></table>"
        }
        html += "</section>"
        return ConsoleHTML.response(ConsoleHTML.page(title: "Overview", user: user, active: "/", main: html))
    }

    /// Per camera: events per hour over the last 24 hours and per day over the last 7, of the role's types.
    func charts(role: Role, now: Int64) async throws -> String {
        let nowHour = now / Self.hourNanos
        let prefixes = role.visibleTypePrefixes
        // Hourly over the last 24 hours; per 24 hours over the last 7 days (the last bucket ends this hour).
        async let hourlyCounts = store.consoleCounts(
            fromHour: nowHour - 23, throughHour: nowHour, bucketHours: 1, typePrefixes: prefixes)
        let daily = try await store.consoleCounts(
            fromHour: nowHour - 167, throughHour: nowHour, bucketHours: 24, typePrefixes: prefixes)
        let hourly = try await hourlyCounts
        var days: [String: [Int64]] = [:]
        var weeks: [String: [Int64]] = [:]
        for c in hourly where (0..<24).contains(c.bucket) { days[c.camera, default: Array(repeating: 0, count: 24)][Int(c.bucket)] += c.count }
        for c in daily where (0..<7).contains(c.bucket) { weeks[c.camera, default: Array(repeating: 0, count: 7)][Int(c.bucket)] += c.count }
        var html = "<section aria-labelledby=\"activity\"><h2 id=\"activity\">Activity per camera (UTC)</h2>"
        if weeks.isEmpty { html += "<p>No events in the last 7 days.</p>" }
        for camera in weeks.keys.sorted() {
            let day = days[camera] ?? Array(repeating: 0, count: 24)
            let week = weeks[camera]!
            let dayLabels = (0..<24).map { i -> String in
                let h = (nowHour - 23 + Int64(i)) % 24
                return (h < 10 ? "0" : "") + "\(h)h"
            }
            let weekLabels = (0..<7).map { i -> String in
                String(Timestamp.rfc3339(wallNanos: (nowHour - Int64(6 - i) * 24) * Self.hourNanos).dropFirst(5).prefix(5))
            }
            // Checkpoints and other device-wide events have no camera.
            let name = camera.isEmpty ? "(no camera: checkpoints, system)" : camera
            html += "<h3>\(ConsoleHTML.esc(name))</h3><div class=\"charts\">"
            html += "<figure class=\"chart\">"
                + ConsoleChart.bars(day, labels: dayLabels, title: "\(name), last 24 hours", labelEvery: 4)
                + "<figcaption>Last 24 hours, per hour</figcaption></figure>"
            html += "<figure class=\"chart\">"
                + ConsoleChart.bars(week, labels: weekLabels, title: "\(name), last 7 days")
                + "<figcaption>Last 7 days, per 24 hours</figcaption></figure></div>"
        }
        return html + "</section>"
    }

    /// The `size` of a checkpoint event's body.
    static func checkpointSize(_ line: [UInt8]) -> Int64? {
        guard case .object(let o)? = try? JSONParser.parse(line), case .object(let b)? = o["body"],
            case .int(let n)? = b["size"]
        else { return nil }
        return n
    }

    func recheckChains(_ request: Request) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request, roles: [.admin]) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        if case .reply(let r) = try await checkedForm(request, user) { return r }
        await chain.restart()
        return ConsoleHTML.redirect("/")
    }
}
