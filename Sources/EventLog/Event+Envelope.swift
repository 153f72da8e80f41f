import SightlineCore

/// The envelope's RFC 8785 bytes written straight in the order of its member names, without building a
/// `JSONValue` tree and sorting it on every event: the same bytes as `CanonicalJSON.encode(unsignedJSON)` (and
/// `encode(json)` with `sig`), which tests check on varied events.
///
/// The members sort as `body, camera, device, evidence, prev, seq, [sig], time, type, v`, so an envelope is a
/// `front` that does not depend on the log's head (body, camera, device, evidence), then `prev` and `seq`, then
/// `sig` for a line, then a `back` (time, type, v). The edge log encodes `front` and `back` before it takes a
/// sequence number, outside any lock.
public struct EnvelopeParts: Sendable {
    /// `{"body":…,"camera":…,"device":…,"evidence":[…],"prev":`
    public let front: [UInt8]
    /// `,"time":"…","type":…,"v":1}`
    public let back: [UInt8]

    public init(
        body: [String: JSONValue], camera: String, device: String, evidence: [EvidenceRef], time: String, type: String
    ) throws(CanonicalJSONError) {
        var f: [UInt8] = []
        f.reserveCapacity(256)
        f.append(contentsOf: #"{"body":"#.utf8)
        try CanonicalJSON.appendObject(body, to: &f)
        f.append(contentsOf: #","camera":"#.utf8)
        CanonicalJSON.appendString(camera, to: &f)
        f.append(contentsOf: #","device":"#.utf8)
        CanonicalJSON.appendString(device, to: &f)
        f.append(contentsOf: #","evidence":["#.utf8)
        for (k, ref) in evidence.enumerated() {
            if k > 0 { f.append(UInt8(ascii: ",")) }
            f.append(contentsOf: #"{"media_type":"#.utf8)
            CanonicalJSON.appendString(ref.mediaType, to: &f)
            f.append(contentsOf: #","sha256":"#.utf8)
            CanonicalJSON.appendString(ref.sha256, to: &f)
            f.append(contentsOf: #","size":"#.utf8)
            try CanonicalJSON.appendInteger(Int64(clamping: ref.size), to: &f)
            f.append(UInt8(ascii: "}"))
        }
        f.append(contentsOf: #"],"prev":"#.utf8)
        front = f
        var b: [UInt8] = []
        b.reserveCapacity(64 + type.utf8.count)
        b.append(contentsOf: #","time":"#.utf8)
        CanonicalJSON.appendString(time, to: &b)
        b.append(contentsOf: #","type":"#.utf8)
        CanonicalJSON.appendString(type, to: &b)
        b.append(contentsOf: #","v":"#.utf8)
        try CanonicalJSON.appendInteger(Event.version, to: &b)
        b.append(UInt8(ascii: "}"))
        back = b
    }

    /// The canonical bytes (without `sig`) of the envelope with this `prev` and `seq`.
    public func canonical(prev: String, seq: UInt64) throws(CanonicalJSONError) -> [UInt8] {
        assemble(prev: prev, seq: try Self.checked(seq), sig: nil)
    }

    /// The whole envelope's bytes (with `sig`): one line of an export.
    public func line(prev: String, seq: UInt64, sig: [UInt8]) throws(CanonicalJSONError) -> [UInt8] {
        assemble(prev: prev, seq: try Self.checked(seq), sig: sig)
    }

    /// A seq that has a canonical form (at most 2^53), which `assemble` then writes without a check.
    struct CheckedSeq {
        let value: Int64
    }

    static func checked(_ seq: UInt64) throws(CanonicalJSONError) -> CheckedSeq {
        guard seq <= UInt64(CanonicalJSON.maxExactInteger) else { throw .integerOutOfRange(Int64(clamping: seq)) }
        return CheckedSeq(value: Int64(seq))
    }

    func assemble(prev: String, seq: CheckedSeq, sig: [UInt8]?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(front.count + back.count + prev.utf8.count + 40 + (sig.map { $0.count * 4 / 3 + 12 } ?? 0))
        out.append(contentsOf: front)
        CanonicalJSON.appendString(prev, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        // Within ±2^53 by `CheckedSeq`: never throws.
        try? CanonicalJSON.appendInteger(seq.value, to: &out)
        if let sig {
            out.append(contentsOf: #","sig":""#.utf8)
            Encoding.appendBase64(sig, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: back)
        return out
    }
}

extension Event {
    /// The parts of this envelope around `prev`, `seq` and `sig`.
    func envelopeParts() throws(CanonicalJSONError) -> EnvelopeParts {
        try EnvelopeParts(body: body, camera: camera, device: device, evidence: evidence, time: time, type: type)
    }
}
