import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import SightlineCore

/// Admin pages: register and revoke devices, add and revoke tokens.
extension Console {
    /// The collector's one rule for device and token names (`DisplayName`), as on the command line and the API.
    static func validName(_ name: String) -> Bool { DisplayName.isValid(name) }

    /// The fields of an admin's form POST whose CSRF token holds; the refusal page otherwise.
    func adminForm(_ request: Request) async throws -> Outcome<[String: String]> {
        switch try await user(request, roles: [.admin]) {
        case .user(let u): try await checkedForm(request, u)
        case .reply(let r): .reply(r)
        }
    }

    func devicesPage(_ request: Request, message: String? = nil, problem: Bool = false,
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request, roles: [.admin]) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        var html = message.map { ConsoleHTML.notice($0, kind: problem ? "problem" : "ok") } ?? ""
        html += "<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Id</th><th scope=\"col\">Registered</th>"
            + "<th scope=\"col\">State</th><th scope=\"col\">Action</th></tr></thead><tbody>"
        for d in try await store.devices() {
            html += "<tr><td>\(ConsoleHTML.esc(d.name))</td><td><code>\(ConsoleHTML.esc(d.id))</code></td>"
                + "<td>\(ConsoleHTML.time(d.addedNanos))</td>"
            html += Self.stateCells(
                revokedNanos: d.revokedNanos, action: "/devices/revoke", field: ("id", d.id), label: d.name,
                csrf: user.session.csrf)
        }
        html += "</tbody></table>"
        html += """
            <h2 id="register">Register a device</h2>
            <form class="stack" method="post" action="/devices" aria-labelledby="register">
            \(ConsoleHTML.csrfField(user.session.csrf))
            <label for="name">Name<input id="name" name="name" required maxlength="64"></label>
            <label for="device_json">Output of <code>sightline device show --json</code> on the device
            <textarea id="device_json" name="device_json" rows="4" required></textarea></label>
            <button type="submit">Register</button>
            </form>
            """
        return ConsoleHTML.response(
            ConsoleHTML.page(title: "Devices", user: user, active: "/devices", main: html), status: status)
    }

    func registerDevice(_ request: Request) async throws -> Response {
        let fields: [String: String]
        switch try await adminForm(request) {
        case .value(let f): fields = f
        case .reply(let r): return r
        }
        let name = (fields["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard Self.validName(name) else {
            return try await devicesPage(
                request, message: "A device name is 1 to 64 characters without control characters.", problem: true,
                status: .badRequest)
        }
        guard case .object(let o)? = try? JSONParser.parse(Array((fields["device_json"] ?? "").utf8)),
            case .string(let key)? = o["public_key"]
        else {
            return try await devicesPage(
                request, message: "Paste the JSON object that `sightline device show --json` prints.", problem: true,
                status: .badRequest)
        }
        do {
            let publicKey = try DeviceKey.publicKey(base64: key)
            let derived = DeviceKey.deviceID(publicKey: [UInt8](publicKey.rawRepresentation))
            if case .string(let claimed)? = o["device"], claimed != derived {
                return try await devicesPage(
                    request, message: "The device id does not belong to this public key.", problem: true,
                    status: .badRequest)
            }
            let record = try await CollectorRouter.register(store: store, name: name, publicKey: key)
            return try await devicesPage(request, message: "Registered \(record.name): \(record.id).")
        } catch let e as StoreError {
            return try await devicesPage(request, message: "\(e)", problem: true, status: .conflict)
        } catch {
            return try await devicesPage(
                request, message: "public_key must be a raw 32-byte Ed25519 key in base64.", problem: true,
                status: .badRequest)
        }
    }

    func revokeDevice(_ request: Request) async throws -> Response {
        let fields: [String: String]
        switch try await adminForm(request) {
        case .value(let f): fields = f
        case .reply(let r): return r
        }
        guard let id = fields["id"], let record = try await store.revokeDevice(id, nowNanos: Clocks.wallNanos()) else {
            return try await devicesPage(request, message: "No active device with that id.", problem: true,
                                         status: .notFound)
        }
        return try await devicesPage(request, message: "Revoked \(record.name) (\(record.id)).")
    }

    func tokensPage(_ request: Request, message: String? = nil, problem: Bool = false, newToken: String? = nil,
                    status: HTTPResponse.Status = .ok) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request, roles: [.admin]) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        var html = message.map { ConsoleHTML.notice($0, kind: problem ? "problem" : "ok") } ?? ""
        if let newToken {
            html += "<p>The new token, shown only now: <output id=\"new-token\"><code>\(ConsoleHTML.esc(newToken))"
                + "</code></output></p>"
        }
        html += "<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Role</th><th scope=\"col\">Added</th>"
            + "<th scope=\"col\">State</th><th scope=\"col\">Action</th></tr></thead><tbody>"
        for t in try await store.tokens() {
            html += "<tr><td>\(ConsoleHTML.esc(t.name))</td><td>\(t.role.rawValue)</td><td>\(ConsoleHTML.time(t.addedNanos))</td>"
            html += Self.stateCells(
                revokedNanos: t.revokedNanos, action: "/tokens/revoke", field: ("name", t.name), label: t.name,
                csrf: user.session.csrf)
        }
        html += "</tbody></table>"
        html += """
            <h2 id="add">Add a token</h2>
            <form class="stack" method="post" action="/tokens" aria-labelledby="add">
            \(ConsoleHTML.csrfField(user.session.csrf))
            <label for="name">Name<input id="name" name="name" required maxlength="64"></label>
            <label for="role">Role<select id="role" name="role">
            <option value="traffic">traffic: traffic, camera and system events, never a face match</option>
            <option value="reviewer">reviewer: every event and its evidence</option>
            <option value="admin">admin: also devices and tokens</option>
            </select></label>
            <button type="submit">Add</button>
            </form>
            """
        return ConsoleHTML.response(
            ConsoleHTML.page(title: "Tokens", user: user, active: "/tokens", main: html), status: status)
    }

    func addToken(_ request: Request) async throws -> Response {
        let fields: [String: String]
        switch try await adminForm(request) {
        case .value(let f): fields = f
        case .reply(let r): return r
        }
        let name = (fields["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard Self.validName(name), let role = fields["role"].flatMap(Role.init(rawValue:)) else {
            return try await tokensPage(
                request, message: "A token needs a name (1 to 64 characters) and a role.", problem: true,
                status: .badRequest)
        }
        let token = AccessToken.generate()
        do {
            try await store.addToken(
                TokenRecord(name: name, role: role, digest: AccessToken.digest(token), addedNanos: Clocks.wallNanos()))
        } catch let e as StoreError {
            return try await tokensPage(request, message: "\(e)", problem: true, status: .conflict)
        }
        return try await tokensPage(request, message: "Added \(name) (\(role.rawValue)).", newToken: token)
    }

    func revokeToken(_ request: Request) async throws -> Response {
        let fields: [String: String]
        switch try await adminForm(request) {
        case .value(let f): fields = f
        case .reply(let r): return r
        }
        guard let name = fields["name"], try await store.revokeToken(name: name, nowNanos: Clocks.wallNanos()) else {
            return try await tokensPage(request, message: "No active token with that name.", problem: true,
                                        status: .notFound)
        }
        return try await tokensPage(request, message: "Revoked \(name); its sessions end with it.")
    }
}

extension Console {
    /// The "State" and "Action" cells of a device or token row, and the row's end: revoked when, or active
    /// with a revoke form (CSRF token, the row's key in `field`).
    static func stateCells(
        revokedNanos: Int64?, action: String, field: (name: String, value: String), label: String, csrf: String
    ) -> String {
        if let r = revokedNanos { return "<td>revoked \(ConsoleHTML.time(r))</td><td></td></tr>" }
        return "<td>active</td><td><form method=\"post\" action=\"\(action)\">" + ConsoleHTML.csrfField(csrf)
            + "<input type=\"hidden\" name=\"\(field.name)\" value=\"\(ConsoleHTML.esc(field.value))\">"
            + "<button type=\"submit\" class=\"secondary\" aria-label=\"Revoke \(ConsoleHTML.esc(label))\">"
            + "Revoke</button></form></td></tr>"
    }
}
