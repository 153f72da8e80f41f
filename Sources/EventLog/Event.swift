import Crypto
import SightlineCore

/// Why a JSON value is not a well-formed event envelope.
public struct EventFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Longest reason kept, in Unicode scalars: a reason can quote what a peer sent (a field name).
    public static let maxReasonLength = 200
    public var reason: String
    public init(_ reason: String) {
        let scalars = reason.unicodeScalars
        if scalars.count <= Self.maxReasonLength {
            self.reason = reason
        } else {
            var cut = String.UnicodeScalarView()
            cut.append(contentsOf: scalars.prefix(Self.maxReasonLength))
            self.reason = String(cut) + "…"
        }
    }
    public var description: String { "malformed event: \(reason)" }
}

/// A piece of evidence (an already-redacted JPEG frame) named by the SHA-256 of its bytes.
public struct EvidenceRef: Sendable, Hashable {
    /// Lowercase hex SHA-256 of the blob.
    public var sha256: String
    /// MIME type, `image/jpeg` for frames.
    public var mediaType: String
    /// Size of the blob in bytes.
    public var size: Int

    public init(sha256: String, mediaType: String, size: Int) {
        self.sha256 = sha256
        self.mediaType = mediaType
        self.size = size
    }

    var json: JSONValue {
        .object(["sha256": .string(sha256), "media_type": .string(mediaType), "size": .int(Int64(size))])
    }
}

/// One signed event: the envelope `v, device, seq, prev, time, camera, type, body, evidence[], sig`.
///
/// The canonical bytes are RFC 8785 of the envelope without `sig`; `sig` is Ed25519 over them;
/// `prev` is the SHA-256 (hex) of the previous event's canonical bytes, 64 zeros for seq 1.
/// See `Schema/event.schema.json`.
public struct Event: Sendable, Equatable {
    /// The envelope version this code writes and accepts.
    public static let version: Int64 = 1
    /// `prev` of the first event.
    public static let genesisPrev = String(repeating: "0", count: 64)

    public var device: String
    public var seq: UInt64
    public var prev: String
    /// RFC 3339 UTC with microseconds (`Timestamp.rfc3339`).
    public var time: String
    public var camera: String
    public var type: String
    public var body: [String: JSONValue]
    public var evidence: [EvidenceRef]
    /// The 64-byte Ed25519 signature (empty before signing).
    public var sig: [UInt8]

    public init(
        device: String, seq: UInt64, prev: String, time: String, camera: String, type: String,
        body: [String: JSONValue], evidence: [EvidenceRef] = [], sig: [UInt8] = []
    ) {
        self.device = device
        self.seq = seq
        self.prev = prev
        self.time = time
        self.camera = camera
        self.type = type
        self.body = body
        self.evidence = evidence
        self.sig = sig
    }

    /// The envelope without `sig`.
    public var unsignedJSON: JSONValue {
        .object([
            "v": .int(Self.version), "device": .string(device), "seq": .int(Int64(seq)), "prev": .string(prev),
            "time": .string(time), "camera": .string(camera), "type": .string(type), "body": .object(body),
            "evidence": .array(evidence.map(\.json)),
        ])
    }

    /// The full envelope, `sig` as base64.
    public var json: JSONValue {
        guard case .object(var o) = unsignedJSON else { preconditionFailure() }
        o["sig"] = .string(Encoding.base64(sig))
        return .object(o)
    }

    /// RFC 8785 bytes of the envelope without `sig`: what is signed, chained and put in the tree. Written by
    /// `EnvelopeParts`, byte for byte `CanonicalJSON.encode(unsignedJSON)`.
    public func canonicalBytes() throws(CanonicalJSONError) -> [UInt8] {
        try envelopeParts().canonical(prev: prev, seq: seq)
    }

    /// RFC 8785 bytes of the whole envelope: one line of an export (`CanonicalJSON.encode(json)`).
    public func line() throws(CanonicalJSONError) -> [UInt8] { try envelopeParts().line(prev: prev, seq: seq, sig: sig) }

    /// Both forms at once, encoding the body once (the collector needs both for every event it verifies).
    public func canonicalBytesAndLine() throws(CanonicalJSONError) -> (canonical: [UInt8], line: [UInt8]) {
        let parts = try envelopeParts()
        return (try parts.canonical(prev: prev, seq: seq), try parts.line(prev: prev, seq: seq, sig: sig))
    }

    /// Hex SHA-256 of canonical bytes, the next event's `prev`.
    public static func hash(canonical: [UInt8]) -> String { Encoding.hex(SHA256.hash(data: canonical)) }

    /// Whether `sig` is a valid signature of `canonical` by `publicKey`.
    public func verifySignature(canonical: [UInt8], publicKey: Curve25519.Signing.PublicKey) -> Bool {
        sig.count == 64 && publicKey.isValidSignature(sig, for: canonical)
    }

    /// Reads an envelope, checking every field's presence and type and refusing unknown fields.
    public init(json: JSONValue) throws(EventFormatError) {
        guard case .object(let o) = json else { throw EventFormatError("not an object") }
        let known: Set<String> = ["v", "device", "seq", "prev", "time", "camera", "type", "body", "evidence", "sig"]
        if let extra = o.keys.first(where: { !known.contains($0) }) { throw EventFormatError("unknown field \(extra)") }
        func string(_ k: String) throws(EventFormatError) -> String {
            guard case .string(let s)? = o[k] else { throw EventFormatError("\(k) must be a string") }
            return s
        }
        guard case .int(let v)? = o["v"] else { throw EventFormatError("v must be an integer") }
        guard v == Self.version else { throw EventFormatError("unsupported version \(v)") }
        guard case .int(let seq)? = o["seq"], seq >= 1, seq <= CanonicalJSON.maxExactInteger else {
            throw EventFormatError("seq must be an integer from 1 to 2^53")
        }
        guard case .object(let body)? = o["body"] else { throw EventFormatError("body must be an object") }
        guard case .array(let ev)? = o["evidence"] else { throw EventFormatError("evidence must be an array") }
        var refs: [EvidenceRef] = []
        for item in ev {
            guard case .object(let e) = item, e.count == 3, case .string(let h)? = e["sha256"],
                Encoding.isSHA256Hex(h), case .string(let mt)? = e["media_type"], case .int(let size)? = e["size"],
                size >= 0, size <= CanonicalJSON.maxExactInteger
            else { throw EventFormatError("evidence items need sha256 (hex), media_type and size (0 to 2^53)") }
            refs.append(EvidenceRef(sha256: h, mediaType: mt, size: Int(size)))
        }
        let prev = try string("prev")
        guard Encoding.isSHA256Hex(prev) else { throw EventFormatError("prev must be 64 lowercase hex digits") }
        let time = try string("time")
        do { _ = try Timestamp.parse(rfc3339: time) } catch { throw EventFormatError("time: \(error)") }
        let type = try string("type")
        guard !type.isEmpty else { throw EventFormatError("type must not be empty") }
        guard let sig = Encoding.bytes(base64: try string("sig")), sig.count == 64 else {
            throw EventFormatError("sig must be 64 bytes of base64")
        }
        self.init(
            device: try string("device"), seq: UInt64(seq), prev: prev, time: time, camera: try string("camera"),
            type: type, body: body, evidence: refs, sig: sig)
    }
}
