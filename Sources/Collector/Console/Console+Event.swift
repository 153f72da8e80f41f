import Crypto
import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import SightlineCore

/// One event: its body in readable form, its evidence with the stop line and crossing point drawn over it, and its
/// proof checked in the server; the bundle that `sightline verify` checks offline.
extension Console {
    /// One check of the proof, shown as a line of the list.
    struct ProofCheck {
        var ok: Bool
        var text: String
    }

    /// The event of a page request when the user's role may read it.
    func readableEvent(_ user: ConsoleUser, device: String, seq seqText: String) async throws
        -> Outcome<(StoredEvent, Event, DeviceRecord)>
    {
        let missing = notFound(user, "No such event for this role.")
        guard let seq = UInt64(seqText), seq >= 1, seq <= UInt64(CanonicalJSON.maxExactInteger) else {
            return .reply(missing)
        }
        guard let stored = try await store.consoleEvent(device: device, seq: seq),
            user.role.mayRead(type: stored.type), let record = try await store.device(id: device)
        else { return .reply(missing) }
        // A row whose bytes do not parse still gets a page: its proof section says what is wrong.
        let event = (try? JSONParser.parse(stored.line)).flatMap { try? Event(json: $0) }
        guard let event else {
            let html = ConsoleHTML.notice(
                "The stored row of \(device) seq \(seq) is not a valid event: chain problem (the row was altered).",
                kind: "problem")
            return .reply(
                ConsoleHTML.response(
                    ConsoleHTML.page(title: "Event \(seq)", user: user, active: "/events", main: html)))
        }
        return .value((stored, event, record))
    }

    func eventPage(_ request: Request, device: String, seq seqText: String) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        let stored: StoredEvent, event: Event, record: DeviceRecord
        switch try await readableEvent(user, device: device, seq: seqText) {
        case .value(let v):
            stored = v.0
            event = v.1
            record = v.2
        case .reply(let r): return r
        }
        let (checks, checkpointSeq) = try await proof(stored, event, record)
        let verified = checks.allSatisfy(\.ok)
        var html = "<section aria-labelledby=\"what\"><h2 id=\"what\">What was observed</h2><dl class=\"fields\">"
        func field(_ name: String, _ value: String) { html += "<dt>\(name)</dt><dd>\(value)</dd>" }
        field("Time", ConsoleHTML.time(stored.timeNanos))
        field("Camera", ConsoleHTML.esc(event.camera))
        field("Type", ConsoleHTML.esc(event.type))
        field("Device", "\(ConsoleHTML.esc(record.name)) <code>\(ConsoleHTML.esc(record.id))</code>")
        field("Received", ConsoleHTML.time(stored.receivedNanos)
              + " (\(ConsoleHTML.duration(nanos: stored.receivedNanos &- stored.timeNanos)) after)")
        if case .object(let signal)? = event.body["signal"] {
            if case .string(let s)? = signal["state"] { field("Signal", ConsoleHTML.esc(s)) }
            if let red = Self.number(signal["red_for"]) { field("Red for", String(format: "%.2f s", red)) }
        }
        if let track = Self.number(event.body["track"]) { field("Track", String(format: "%.0f", track)) }
        if case .array(let p)? = event.body["point"], p.count == 2, let x = Self.number(p[0]), let y = Self.number(p[1]) {
            field("Crossing point", String(format: "(%.1f, %.1f) px", x, y))
        }
        html += "</dl><details><summary>Full body</summary><pre>"
            + ConsoleHTML.esc(Self.pretty(.object(event.body))) + "</pre></details></section>"
        html += try await evidenceSection(event, user: user)
        html += "<section aria-labelledby=\"proof\"><h2 id=\"proof\">Proof</h2>"
        html += "<p id=\"proof-verdict\" class=\"notice \(verified ? "ok" : "problem")\" role=\"status\">"
            + (verified ? "Verified: signed, chained and checkpointed." : "Not verified: chain problem.") + "</p>"
        html += "<ul class=\"checks\">"
        for c in checks {
            html += "<li class=\"\(c.ok ? "ok" : "problem")\">\(c.ok ? "✓" : "✗") \(ConsoleHTML.esc(c.text))</li>"
        }
        html += "</ul>"
        if user.role.visibleTypePrefixes == nil {
            let href = Self.eventHref(device: stored.device, seq: stored.seq) + "/bundle"
            html += "<p><a id=\"bundle\" href=\"\(ConsoleHTML.esc(href))\" download>Download the bundle</a> "
                + "(the device's events 1…\(checkpointSeq ?? stored.seq) with this event's evidence). Check it offline:</p>"
                + "<pre>sightline verify \(ConsoleHTML.esc(record.id))-\(stored.seq).jsonl --pubkey \(ConsoleHTML.esc(record.publicKey))</pre>"
        } else {
            html += "<p>Bundles hold the device's whole chain, which this role may not read.</p>"
        }
        html += "</section>"
        return ConsoleHTML.response(
            ConsoleHTML.page(title: "\(event.type) · \(event.camera)", user: user, active: "/events", main: html))
    }

    static func number(_ v: JSONValue?) -> Double? {
        switch v {
        case .int(let i)?: Double(i)
        case .double(let d)?: d.isFinite ? d : nil
        default: nil
        }
    }

    /// A JSON value with one member per line, for reading.
    static func pretty(_ v: JSONValue, indent: String = "") -> String {
        switch v {
        case .object(let o):
            if o.isEmpty { return "{}" }
            let inner = indent + "  "
            let members = o.keys.sorted().map { "\(inner)\(pretty(.string($0))): \(pretty(o[$0]!, indent: inner))" }
            return "{\n" + members.joined(separator: ",\n") + "\n\(indent)}"
        case .array(let a):
            if a.isEmpty { return "[]" }
            if a.allSatisfy({ if case .object = $0 { false } else if case .array = $0 { false } else { true } }) {
                return "[" + a.map { pretty($0) }.joined(separator: ", ") + "]"
            }
            let inner = indent + "  "
            return "[\n" + a.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        default:
            return (try? CanonicalJSON.encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
        }
    }

    /// The evidence frames the role may see, each with an SVG overlay of the stop line (when the event carries
    /// `stop_line`), the vehicle's box and the crossing point, in the frame's pixel coordinates.
    func evidenceSection(_ event: Event, user: ConsoleUser) async throws -> String {
        guard !event.evidence.isEmpty else { return "" }
        var html = "<section aria-labelledby=\"evidence\"><h2 id=\"evidence\">Evidence</h2><div class=\"frames\">"
        var hidden = 0
        for (n, ref) in event.evidence.enumerated() {
            guard Encoding.isSHA256Hex(ref.sha256), try await mayView(evidence: ref.sha256, role: user.role) else {
                hidden += 1
                continue
            }
            guard let blob = try await store.evidence(sha256: ref.sha256) else {
                html += "<p>Frame \(n + 1): not received by the collector.</p>"
                continue
            }
            if ref.mediaType == "video/x-motion-jpeg" {
                // The clip around the crossing: an MJPEG stream no browser plays in a page; a download.
                html += "<figure><p><a href=\"/evidence/\(ref.sha256)\" download=\"clip-\(ref.sha256.prefix(16)).mjpeg\">"
                    + "Download the clip</a> (MJPEG, \(blob.data.count / 1024) KiB, faces blurred; plays with "
                    + "<code>ffplay -f mjpeg</code>)</p><figcaption>Clip · <code>\(ref.sha256.prefix(16))…</code>"
                    + "</figcaption></figure>"
                continue
            }
            let size = JPEGDimensions.of(blob.data)
            html += "<figure><div class=\"frame\"><img src=\"/evidence/\(ref.sha256)\" alt=\"Evidence frame \(n + 1) of "
                + "\(ConsoleHTML.esc(event.camera)), faces blurred\""
            if let size { html += " width=\"\(size.width)\" height=\"\(size.height)\"" }
            html += ">"
            if let size {
                html += Self.overlay(
                    event.body, width: size.width, height: size.height,
                    boxLabel: event.type.hasPrefix("face.") ? "matched face" : "vehicle")
            }
            html += "</div><figcaption>Frame \(n + 1) of \(event.evidence.count) · <code>\(ref.sha256.prefix(16))…</code>"
                + "</figcaption></figure>"
        }
        html += "</div>"
        if hidden > 0 { html += "<p>\(hidden) frame(s) not shown to this role.</p>" }
        if event.type.hasPrefix("traffic."), event.body["stop_line"] == nil {
            html += "<p class=\"live\">This event does not carry its stop line; only the vehicle and its crossing "
                + "point are drawn.</p>"
        }
        return html + "</section>"
    }

    /// The overlay: stop line (red), the vehicle's (or matched face's) box (yellow) and crossing point (cyan),
    /// scaled with the image.
    static func overlay(_ body: [String: JSONValue], width: Int, height: Int, boxLabel: String = "vehicle") -> String {
        func point(_ v: JSONValue?) -> (Double, Double)? {
            guard case .array(let p)? = v, p.count == 2, let x = number(p[0]), let y = number(p[1]) else { return nil }
            return (x, y)
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        // Coordinates are the camera picture's (`source_size`); evidence may be encoded smaller. The drawing's
        // space is the picture's, stretched over the image.
        var width = width, height = height
        if case .array(let size)? = body["source_size"], size.count == 2, let w = number(size[0]),
           let h = number(size[1]), w >= 1, h >= 1, w <= 65536, h <= 65536
        {
            width = Int(w)
            height = Int(h)
        }
        let stroke = max(2.0, Double(max(width, height)) / 300)
        var svg = "<svg viewBox=\"0 0 \(width) \(height)\" preserveAspectRatio=\"none\" role=\"img\" "
            + "aria-label=\"Stop line and crossing point\">"
        if case .array(let line)? = body["stop_line"], line.count == 2, let a = point(line[0]), let b = point(line[1]) {
            svg += "<line x1=\"\(f(a.0))\" y1=\"\(f(a.1))\" x2=\"\(f(b.0))\" y2=\"\(f(b.1))\" stroke=\"#ff2d2d\" "
                + "stroke-width=\"\(f(stroke * 1.5))\"><title>stop line</title></line>"
        }
        if case .array(let box)? = body["box"], box.count == 4 {
            let v = box.compactMap { number($0) }
            if v.count == 4, v[2] >= v[0], v[3] >= v[1] {
                svg += "<rect x=\"\(f(v[0]))\" y=\"\(f(v[1]))\" width=\"\(f(v[2] - v[0]))\" height=\"\(f(v[3] - v[1]))\" "
                    + "fill=\"none\" stroke=\"#ffd400\" stroke-width=\"\(f(stroke))\"><title>\(boxLabel)</title></rect>"
            }
        }
        if let p = point(body["point"]) {
            svg += "<circle cx=\"\(f(p.0))\" cy=\"\(f(p.1))\" r=\"\(f(stroke * 3))\" fill=\"none\" stroke=\"#00e5ff\" "
                + "stroke-width=\"\(f(stroke))\"><title>crossing point</title></circle>"
        }
        return svg + "</svg>"
    }

    /// Checks the event against the device key, its neighbours and the first signed checkpoint after it.
    func proof(_ stored: StoredEvent, _ event: Event, _ record: DeviceRecord) async throws
        -> ([ProofCheck], UInt64?)
    {
        var checks: [ProofCheck] = []
        guard let key = try? DeviceKey.publicKey(base64: record.publicKey),
            let canonical = try? event.canonicalBytes()
        else { return ([ProofCheck(ok: false, text: "the device key or the event cannot be read")], nil) }
        let signed = event.device == record.id && event.verifySignature(canonical: canonical, publicKey: key)
        checks.append(ProofCheck(ok: signed, text: signed
            ? "Signature valid (Ed25519, key of \(record.name))." : "Signature does not verify with the device key."))
        let hash = Event.hash(canonical: canonical)
        let rowOK = hash == stored.hash && event.seq == stored.seq && event.type == stored.type
            && event.camera == stored.camera && MerkleTree.leafHash(canonical) == stored.leafHash
        checks.append(ProofCheck(ok: rowOK, text: rowOK
            ? "Stored row matches the event's bytes (hash \(hash.prefix(16))…)."
            : "The stored row's columns differ from the event's bytes."))
        let prevOK: Bool
        if event.seq == 1 {
            prevOK = event.prev == Event.genesisPrev
        } else {
            prevOK = try await store.eventHash(device: record.id, seq: event.seq - 1) == event.prev
        }
        checks.append(ProofCheck(ok: prevOK, text: prevOK
            ? "Chain position \(event.seq): prev is the hash of event \(event.seq - 1)\(event.seq == 1 ? " (genesis)" : "")."
            : "Chain broken: prev is not the hash of the stored event \(event.seq - 1)."))
        if let next = try await store.consoleEvent(device: record.id, seq: event.seq + 1) {
            let nextEvent = (try? JSONParser.parse(next.line)).flatMap { try? Event(json: $0) }
            let ok = nextEvent?.prev == hash
            checks.append(ProofCheck(ok: ok, text: ok
                ? "Event \(event.seq + 1) names this event as its prev."
                : "Chain broken: event \(event.seq + 1) does not name this event as its prev."))
        }
        guard let cp = try await store.consoleCheckpoint(device: record.id, after: event.seq) else {
            checks.append(ProofCheck(ok: false, text: "No signed checkpoint covers this event yet."))
            return (checks, nil)
        }
        guard let checkpoint = Checkpoint.stored(line: cp.line, seq: cp.seq, device: record.id, key: key) else {
            checks.append(ProofCheck(ok: false, text: "The checkpoint at seq \(cp.seq) does not verify."))
            return (checks, cp.seq)
        }
        checks.append(ProofCheck(ok: true, text: "Checkpoint at seq \(cp.seq) signed by the device: tree size "
            + "\(checkpoint.size), root \(Encoding.base64(checkpoint.root).prefix(16))…"))
        // O(log n) reads once the subtrees are cached (InclusionProofBuilder); the first proof over a tree reads
        // its uncached part, at most `maxProofLeaves` leaves.
        var builder = InclusionProofBuilder(
            source: StoreMerkleNodes(store: store, device: record.id), leafBudget: configuration.maxProofLeaves)
        let path: [[UInt8]]
        guard event.seq >= 1, event.seq <= checkpoint.size else {
            checks.append(ProofCheck(ok: false, text: "The event's seq is outside the checkpoint's tree."))
            return (checks, cp.seq)
        }
        do {
            path = try await builder.proof(index: event.seq - 1, size: checkpoint.size)
        } catch InclusionProofBuilder.Failure.budgetExceeded {
            checks.append(ProofCheck(ok: false, text: "The tree (\(checkpoint.size) leaves) is beyond the "
                + "\(configuration.maxProofLeaves) leaves a proof here may read."))
            return (checks, cp.seq)
        } catch InclusionProofBuilder.Failure.missingLeaves {
            checks.append(ProofCheck(ok: false, text: "Events of the checkpoint's tree are missing from the store."))
            return (checks, cp.seq)
        }
        let included = MerkleTree.verifyInclusion(
            index: event.seq - 1, treeSize: checkpoint.size, leafHash: MerkleTree.leafHash(canonical), proof: path,
            root: checkpoint.root)
        checks.append(ProofCheck(ok: included, text: included
            ? "Inclusion proof (\(path.count) hashes) verified against the signed checkpoint's root."
            : "The inclusion proof does not reach the signed checkpoint's root."))
        // Only hashes of a verified proof are cached: each is then the true subtree root.
        if included {
            do { try await store.saveMerkleNodes(device: record.id, builder.computed) } catch {
                logger.warning("console: caching proof hashes failed", metadata: ["error": "\(error)"])
            }
        }
        return (checks, cp.seq)
    }

    /// `GET /events/{device}/{seq}/bundle`: the device's events from seq 1 through the checkpoint that covers the
    /// event (or through the event), with the event's evidence before it — an export `sightline verify` accepts.
    /// Admin and reviewer only (it holds the whole chain).
    func bundle(_ request: Request, device: String, seq seqText: String) async throws -> Response {
        let user: ConsoleUser
        switch try await self.user(request, roles: [.admin, .reviewer]) {
        case .user(let u): user = u
        case .reply(let r): return r
        }
        let stored: StoredEvent, event: Event
        switch try await readableEvent(user, device: device, seq: seqText) {
        case .value(let v):
            stored = v.0
            event = v.1
        case .reply(let r): return r
        }
        let through = try await store.consoleCheckpoint(device: device, after: stored.seq)?.seq ?? stored.seq
        let wanted = Set(event.evidence.map(\.sha256))
        let store = self.store
        let body = ResponseBody { writer in
            var from: UInt64 = 1
            while from <= through {
                let rows = try await store.events(device: device, seqFrom: from, limit: 500)
                for e in rows where e.seq <= through {
                    if e.seq == stored.seq {
                        for sha in wanted.sorted() {
                            guard let blob = try await store.evidence(sha256: sha) else { continue }
                            let record: JSONValue = .object([
                                "blob": .string(sha), "media_type": .string(blob.mediaType),
                                "data": .string(Encoding.base64(blob.data)),
                            ])
                            try await writer.write(ByteBuffer(bytes: try CanonicalJSON.encode(record) + [0x0A]))
                        }
                    }
                    try await writer.write(ByteBuffer(bytes: e.line + [0x0A]))
                }
                guard rows.count == 500, let last = rows.last else { break }
                from = last.seq + 1
            }
            try await writer.finish(nil)
        }
        var headers = ConsoleHTML.securityHeaders
        headers[.contentType] = "application/x-ndjson"
        headers[.contentDisposition] = "attachment; filename=\"\(device.filter { $0.isLetter || $0.isNumber || $0 == "-" })-\(stored.seq).jsonl\""
        return Response(status: .ok, headers: headers, body: body)
    }
}
