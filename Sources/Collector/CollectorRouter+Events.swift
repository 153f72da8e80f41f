import Crypto
import EventLog
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import SightlineCore

/// Ingest and the read endpoints: events, checkpoints, proofs, export.
extension CollectorRouter {
    /// `POST /v1/events` with `{"events": [envelope, ...]}`: processed in order, stopping at the first
    /// refusal; the response lists what was acknowledged before it. Each event carries its own signature.
    func postEvents(_ request: Request, _ context: CollectorRequestContext) async throws -> Response {
        try await withBody(request, limit: configuration.maxEventsBodyBytes) { bytes in
            try await ingestBatch(bytes, context)
        }
    }

    /// Most events parsed at once and ingested together (one transaction per device within them): a batch of
    /// up to this many costs its parsed events on top of its bytes.
    static let ingestChunk = 1000

    private func ingestBatch(_ bytes: [UInt8], _ context: CollectorRequestContext) async throws -> Response {
        let batch: EventBatch
        do { batch = try EventBatch(bytes) } catch {
            metrics.refused(.malformedEvent)
            return Self.error(.malformedEvent, "the body is not {\"events\": [...]}: \(error)")
        }
        var results: [JSONValue] = []
        func malformed(_ error: JSONParseError) -> Response {
            metrics.refused(.malformedEvent)
            return Self.json(
                .object([
                    "error": .object([
                        "code": .string(RefusalCode.malformedEvent.rawValue), "message": .string("\(error)"),
                    ]),
                    "results": .array(results),
                ]), status: RefusalCode.malformedEvent.httpStatus)
        }
        // Events are parsed one at a time as their turn comes: the batch never exists as one tree.
        var next: JSONValue?
        if !batch.elements.isEmpty {
            do { next = try batch.element(0) } catch { return malformed(error) }
        }
        // The device named in a batch is not yet verified: keyed with the address too, so a client claiming
        // another device's id cannot use up that device's allowance.
        if case .object(let first)? = next, case .string(let device)? = first["device"],
            let wait = deviceLimit.take(
                "device:" + Incident.truncated(device: device) + "@" + context.peer, nowNanos: Clocks.monotonicNanos())
        {
            return Self.tooMany(wait, "this device")
        }
        let now = Clocks.wallNanos()
        // Up to `Ingest.chunk` events are parsed at a time and handed to ingest together: their signatures are
        // checked in parallel and each device's run is one transaction.
        var k = 0
        while k < batch.elements.count {
            var values: [JSONValue] = []
            var broken: JSONParseError?
            let end = min(batch.elements.count, k + Self.ingestChunk)
            while k < end {
                if k == 0, let first = next {
                    values.append(first)
                } else {
                    do { values.append(try batch.element(k)) } catch {
                        broken = error
                        break
                    }
                }
                k += 1
            }
            let r = try await ingest.submit(batch: values, nowNanos: now)
            for o in r.outcomes {
                results.append(.object(["seq": Self.number(o.seq), "status": .string(o.outcome.rawValue)]))
            }
            if let e = r.refusal {
                var err: [String: JSONValue] = ["code": .string(e.code.rawValue), "message": .string(e.message)]
                if let s = e.seq { err["seq"] = Self.number(s) }
                if let n = e.nextSeq { err["next_seq"] = Self.number(n) }
                return Self.json(.object(["error": .object(err), "results": .array(results)]), status: e.status)
            }
            if let broken { return malformed(broken) }
        }
        return Self.json(.object(["results": .array(results)]))
    }

    /// A query parameter as an integer in `range`: nil when absent, a 400 reply when not such an integer or given
    /// more than once. Names are compared percent-decoded, as a proxy or cache in front reads them (Hummingbird
    /// decodes only values): `s%65q=6` is a second `seq`.
    static func integer<T: FixedWidthInteger>(
        _ q: Hummingbird.Parameters, _ name: String, _ range: ClosedRange<T>
    ) -> Outcome<T?> {
        let text: String
        switch Self.text(q, name) {
        case .reply(let r): return .reply(r)
        case .value(nil): return .value(nil)
        case .value(let t?): text = t
        }
        // Digits, after a minus sign where the range has negatives: Swift's parser would also take "+5".
        let digits = range.lowerBound < 0 && text.first == "-" ? text.dropFirst() : text[...]
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let v = T(String(text)), range.contains(v) else {
            return .reply(Self.error(.badQuery, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)"))
        }
        return .value(v)
    }

    /// A query parameter's text: nil when absent, a 400 reply when given more than once (names compared
    /// percent-decoded, as for `integer`): refused rather than picked, since a proxy or cache in front may have read
    /// the other value.
    static func text(_ q: Hummingbird.Parameters, _ name: String) -> Outcome<String?> {
        let given = q.filter { $0.key == name || ($0.key.contains("%") && $0.key.removingPercentEncoding == name) }
            .map(\.value)
        guard let first = given.first else { return .value(nil) }
        guard given.count == 1 else {
            return .reply(Self.error(.badQuery, "\(name) is given \(given.count) times: give it once"))
        }
        return .value(String(first))
    }

    /// `text` for several parameters at once: their values by name, or the first refusal.
    static func texts(_ q: Hummingbird.Parameters, _ names: [String]) -> Outcome<[String: String]> {
        var out: [String: String] = [:]
        for name in names {
            switch Self.text(q, name) {
            case .reply(let r): return .reply(r)
            case .value(let v): out[name] = v
            }
        }
        return .value(out)
    }

    func getEvents(_ request: Request) async throws -> Response {
        let role: Role
        switch try await authorize(request, [.admin, .reviewer, .traffic]) {
        case .allowed(let r): role = r
        case .denied(let r): return r
        }
        let q = request.uri.queryParameters
        var query = EventQuery(limit: 100)
        switch Self.integer(q, "limit", 1...Int.max) {
        case .value(let v): query.limit = min(configuration.maxPage, v ?? 100)
        case .reply(let r): return r
        }
        switch Self.integer(q, "cursor", Int64.min...Int64.max) {
        case .value(let v): query.after = v ?? 0
        case .reply(let r): return r
        }
        let given: [String: String]
        switch Self.texts(q, ["device", "camera", "type", "since", "until"]) {
        case .reply(let r): return r
        case .value(let v): given = v
        }
        query.device = given["device"]
        query.camera = given["camera"]
        query.type = given["type"]
        query.typePrefixes = role.visibleTypePrefixes
        for (name, keyPath) in [("since", \EventQuery.sinceNanos), ("until", \EventQuery.untilNanos)] {
            guard let text = given[name] else { continue }
            do { query[keyPath: keyPath] = try Timestamp.parse(rfc3339: String(text)) } catch {
                return Self.error(.badQuery, "\(name): \(error)")
            }
        }
        let rows = try await store.events(query)
        let events = rows.compactMap { try? JSONParser.parse($0.event.line) }
        let next: JSONValue = rows.count == query.limit ? .string(String(rows.last!.position)) : .null
        return Self.json(.object(["events": .array(events), "next_cursor": next]))
    }

    /// `GET /v1/devices/{id}/checkpoints[?cursor=&limit=]`: one page of the device's checkpoint bodies.
    func checkpoints(_ request: Request, device: String) async throws -> Response {
        if case .denied(let r) = try await authorize(request, [.admin, .reviewer, .traffic]) { return r }
        let q = request.uri.queryParameters
        var query = EventQuery(device: device, type: Checkpoint.eventType, limit: configuration.maxPage)
        switch Self.integer(q, "limit", 1...Int.max) {
        case .value(let v): query.limit = min(configuration.maxPage, v ?? configuration.maxPage)
        case .reply(let r): return r
        }
        switch Self.integer(q, "cursor", Int64.min...Int64.max) {
        case .value(let v): query.after = v ?? 0
        case .reply(let r): return r
        }
        let rows = try await store.events(query)
        var out: [JSONValue] = []
        for r in rows {
            guard case .object(let o)? = try? JSONParser.parse(r.event.line), case .object(let body)? = o["body"]
            else { continue }
            var item = body
            item["seq"] = Self.number(r.event.seq)
            out.append(.object(item))
        }
        let next: JSONValue = rows.count == query.limit ? .string(String(rows.last!.position)) : .null
        return Self.json(.object(["checkpoints": .array(out), "next_cursor": next]))
    }

    /// `GET /v1/devices/{id}/proof?seq=N[&size=M]`: an RFC 6962 inclusion proof of event N in the tree of
    /// size M (default: the first checkpoint that covers N). With a store that caches subtree roots (both
    /// collector stores) the proof reads O(log n) once the subtrees are cached (`InclusionProofBuilder`, as the
    /// console does). A tree a signed checkpoint names (the default, or a size some checkpoint signs) reads at most
    /// `maxProofLeaves` uncached leaves, must reach the checkpoint's signed root (else the store was altered: 500,
    /// never a proof of a root nobody signed), and caches what it computed; any other size reads at most
    /// `maxUnsignedProofLeaves`, since nothing vouches for it and it is read again on every request. Otherwise
    /// (a store without the cache) the tree is read whole, up to `maxProofLeaves` leaves.
    func proof(_ request: Request, device: String) async throws -> Response {
        let role: Role
        switch try await authorize(request, [.admin, .reviewer, .traffic]) {
        case .allowed(let r): role = r
        case .denied(let r): return r
        }
        let q = request.uri.queryParameters
        let maxSeq = UInt64(CanonicalJSON.maxExactInteger)
        let seq: UInt64
        switch Self.integer(q, "seq", UInt64(1)...maxSeq) {
        case .reply(let r): return r
        case .value(let v?): seq = v
        case .value(nil): return Self.error(.badQuery, "seq is required: an integer from 1 to \(maxSeq)")
        }
        var size: UInt64
        switch Self.integer(q, "size", UInt64(1)...maxSeq) {
        case .reply(let r): return r
        case .value(let v): size = v ?? 0
        }
        if size != 0 && size < seq {
            return Self.error(.badQuery, "size \(size) is smaller than seq \(seq): a tree holds events 1…size")
        }
        if role.visibleTypePrefixes != nil {
            let event = try await store.events(device: device, seqFrom: seq, limit: 1).first
            guard let event, event.seq == seq, role.mayRead(type: event.type) else {
                return Self.error(.notFound, "no event \(seq) of \(Incident.truncated(device: device)) for this role")
            }
        }
        // The signed checkpoint of the tree: the first after seq by default, else the one right after the tree.
        var checkpoint: (seq: UInt64, line: [UInt8])? = nil
        if size == 0 {
            checkpoint = try await firstCheckpoint(device: device, after: seq)
            guard let found = checkpoint else {
                return Self.error(.notFound, "no checkpoint covers seq \(seq) yet; pass size=")
            }
            size = found.seq - 1
        } else if let next = try await store.events(device: device, seqFrom: size + 1, limit: 1).first,
                  next.seq == size + 1, next.type == Checkpoint.eventType {
            checkpoint = (next.seq, next.line)
        }
        let index = seq - 1
        let proof: [[UInt8]]
        let leaf: [UInt8]
        let root: [UInt8]
        if let cached = store as? any CollectorStore & ConsoleStore {
            guard size <= (try await store.lastSeq(device: device)) else {
                return Self.error(.notFound, "tree of size \(size) not stored")
            }
            let budget = checkpoint == nil
                ? min(configuration.maxProofLeaves, configuration.maxUnsignedProofLeaves) : configuration.maxProofLeaves
            var builder = InclusionProofBuilder(
                source: StoreMerkleNodes(store: cached, device: device), leafBudget: budget)
            do {
                proof = try await builder.proof(index: index, size: size)
            } catch InclusionProofBuilder.Failure.budgetExceeded {
                return Self.error(
                    .badQuery, "the tree of size \(size) needs more than the \(budget) uncached leaves a proof here "
                        + (checkpoint == nil ? "may read for a size no checkpoint signs" : "may read"))
            } catch InclusionProofBuilder.Failure.missingLeaves {
                return Self.error(.notFound, "tree of size \(size) not stored")
            }
            guard let hash = try await store.leafHashes(device: device, after: index, through: seq).first,
                  let computed = MerkleTree.rootFromInclusion(
                      index: index, treeSize: size, leafHash: hash, proof: proof)
            else {
                return Self.error(.notFound, "tree of size \(size) not stored")
            }
            (leaf, root) = (hash, computed)
            if let checkpoint {
                guard try await signedRoot(of: checkpoint, device: device, size: size) == root else {
                    logger.error("proof: stored leaves do not reach the signed root",
                                 metadata: ["device": "\(device)", "checkpoint": "\(checkpoint.seq)"])
                    return Self.error(
                        .internalError, "the stored events do not reach checkpoint \(checkpoint.seq)'s signed root: "
                            + "the store was altered (the console's chain check names the row)")
                }
                if !builder.computed.isEmpty {
                    // Hashes of a proof that reaches the device's signed root are the true subtree roots.
                    do { try await cached.saveMerkleNodes(device: device, builder.computed) } catch {
                        logger.warning("proof: caching subtree roots failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        } else {
            guard size <= configuration.maxProofLeaves else {
                return Self.error(
                    .badQuery, "size \(size) is beyond the \(configuration.maxProofLeaves) leaves a proof here may read")
            }
            let leaves = try await store.leafHashes(device: device, through: size)
            guard leaves.count == Int(size), let i = Int(exactly: index) else {
                return Self.error(.notFound, "tree of size \(size) not stored")
            }
            (proof, leaf, root) = (MerkleTree.inclusionProof(index: i, leaves), leaves[i], MerkleTree.root(leaves))
        }
        var o: [String: JSONValue] = [
            "device": .string(device), "seq": Self.number(seq), "leaf_index": Self.number(index),
            "tree_size": Self.number(size), "leaf_hash": .string(Encoding.base64(leaf)),
            "root": .string(Encoding.base64(root)), "proof": .array(proof.map { .string(Encoding.base64($0)) }),
        ]
        if let checkpoint { o["checkpoint_seq"] = Self.number(checkpoint.seq) }
        return Self.json(.object(o))
    }

    /// The device's first checkpoint after `seq`: one indexed lookup with the console's store, else a scan of
    /// the device's checkpoint events.
    private func firstCheckpoint(device: String, after seq: UInt64) async throws -> (seq: UInt64, line: [UInt8])? {
        if let console = store as? any ConsoleStore {
            return try await console.consoleCheckpoint(device: device, after: seq)
        }
        var after: Int64 = 0
        while true {
            let page = try await store.events(
                EventQuery(device: device, type: Checkpoint.eventType, after: after, limit: 500))
            if let cp = page.first(where: { $0.event.seq > seq }) { return (cp.event.seq, cp.event.line) }
            guard page.count == 500, let last = page.last else { return nil }
            after = last.position
        }
    }

    /// The root a stored checkpoint event signs, when its note verifies with the device's key for a tree of `size`.
    private func signedRoot(of checkpoint: (seq: UInt64, line: [UInt8]), device: String, size: UInt64) async throws
        -> [UInt8]?
    {
        guard let record = try await store.device(id: device),
              let key = try? DeviceKey.publicKey(base64: record.publicKey),
              let signed = Checkpoint.stored(line: checkpoint.line, seq: checkpoint.seq, device: device, key: key)
        else { return nil }
        return signed.size == size ? signed.root : nil
    }

    /// `GET /v1/export?device=ID[&evidence=true]`: JSON lines of full envelopes in seq order, streamed from
    /// the store a page at a time; with evidence, each blob as `{"blob":sha,"data":base64,"media_type":...}`
    /// before its first event.
    func export(_ request: Request) async throws -> Response {
        if case .denied(let r) = try await authorize(request, [.admin, .reviewer]) { return r }
        let given: [String: String]
        switch Self.texts(request.uri.queryParameters, ["device", "evidence"]) {
        case .reply(let r): return r
        case .value(let v): given = v
        }
        guard let device = given["device"] else {
            return Self.error(.badQuery, "device is required")
        }
        let withEvidence = given["evidence"] == "true" || given["evidence"] == "1"
        let store = self.store
        let body = ResponseBody { writer in
            var seen = Set<String>()
            var from: UInt64 = 1
            while true {
                let rows = try await store.events(device: device, seqFrom: from, limit: 200)
                for e in rows {
                    let refs: [EvidenceRef] = withEvidence ? Self.evidence(of: e.line) : []
                    for ref in refs where !seen.contains(ref.sha256) {
                        guard let blob = try await store.evidence(sha256: ref.sha256) else { continue }
                        seen.insert(ref.sha256)
                        let record: JSONValue = .object([
                            "blob": .string(ref.sha256), "media_type": .string(blob.mediaType),
                            "data": .string(Encoding.base64(blob.data)),
                        ])
                        try await writer.write(ByteBuffer(bytes: try CanonicalJSON.encode(record) + [0x0A]))
                    }
                    try await writer.write(ByteBuffer(bytes: e.line + [0x0A]))
                }
                guard rows.count == 200, let last = rows.last else { break }
                from = last.seq + 1
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    static func evidence(of line: [UInt8]) -> [EvidenceRef] {
        guard let value = try? JSONParser.parse(line), let event = try? Event(json: value) else { return [] }
        return event.evidence
    }
}

extension Checkpoint {
    /// The checkpoint a stored checkpoint event (`line`, at `seq`) carries, when its note verifies with the device's
    /// key, names the device's log and covers exactly the events before it.
    static func stored(line: [UInt8], seq: UInt64, device: String, key: Curve25519.Signing.PublicKey) -> Checkpoint? {
        guard let event = (try? JSONParser.parse(line)).flatMap({ try? Event(json: $0) }),
              case .string(let note)? = event.body["note"],
              let checkpoint = Checkpoint.verify(note: note, publicKey: key),
              checkpoint.origin == Checkpoint.origin(device: device), checkpoint.size == seq - 1
        else { return nil }
        return checkpoint
    }
}
