import Crypto
import EventLog
import SightlineCore

/// The key the seed envelopes are signed with; EventFuzz verifies every parsed event against it.
public let fuzzKey = DeviceKey(privateKey: try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32)))

/// A short signed chain built with EventLog's own API (`Event`, `DeviceKey`, `Checkpoint`, `Timestamp`), one
/// export line per seed, plus envelopes and JSON texts at the boundaries: years 1677, 2262 and 9999, seq
/// 2^53 ± 1, deep nesting, duplicate member names, NFC and NFD names, 1e400.
public func eventSeeds() -> [(name: String, bytes: [UInt8])] {
    var seeds: [(String, [UInt8])] = []
    let device = fuzzKey.deviceID
    var prev = Event.genesisPrev
    var lines: [[UInt8]] = []
    var tree = MerkleFrontier()
    let bodies: [(String, String, [String: JSONValue], [EvidenceRef])] = [
        ("cam0", "traffic.count", ["count": .int(3), "class": .string("car"), "frame_seq": .int(12)], []),
        ("cam0", "face.match", ["subject": .string("Zoë"), "score": .double(0.8125), "frame_seq": .int(40)],
         [EvidenceRef(sha256: String(repeating: "ab", count: 32), mediaType: "image/jpeg", size: 12345)]),
        ("cam1", "system.test", ["nested": .object(["a": .array([.null, .bool(true), .double(-1.5e-7)])])], []),
    ]
    for (index, (camera, type, body, evidence)) in bodies.enumerated() {
        let seq = UInt64(index + 1)
        var event = Event(
            device: device, seq: seq, prev: prev, time: Timestamp.rfc3339(wallNanos: 1_764_926_400_123_456_000 + Int64(index) * 1_000_000),
            camera: camera, type: type, body: body, evidence: evidence)
        let canonical = try! event.canonicalBytes()
        event.sig = fuzzKey.sign(canonical)
        prev = Event.hash(canonical: canonical)
        tree.append(leafHash: MerkleTree.leafHash(canonical))
        lines.append(try! event.line())
    }
    // The checkpoint event that closes the chain, as EventLog writes it.
    let checkpoint = Checkpoint(origin: Checkpoint.origin(device: device), size: tree.size, root: tree.root)
    var cp = Event(
        device: device, seq: 4, prev: prev, time: Timestamp.rfc3339(wallNanos: 1_764_926_401_000_000_000), camera: "",
        type: Checkpoint.eventType, body: checkpoint.eventBody(note: checkpoint.signedNote(key: fuzzKey)))
    cp.sig = fuzzKey.sign(try! cp.canonicalBytes())
    lines.append(try! cp.line())
    for (i, line) in lines.enumerated() { seeds.append(("event\(i + 1).json", line)) }

    // Envelope variants: the first line with one field replaced (textually, so the signature stays).
    let first = String(decoding: lines[0], as: UTF8.self)
    let time = Timestamp.rfc3339(wallNanos: 1_764_926_400_123_456_000)
    let variants: [(String, String, String)] = [
        ("year1677", time, "1677-09-21T00:12:44.000000Z"),
        ("year1678", time, "1678-01-01T00:00:00+01:00"),
        ("year2261", time, "2261-12-31T23:59:59.999999999-23:59"),
        ("year2262", time, "2262-04-11T23:47:16.854775807Z"),
        ("year9999", time, "9999-12-31T23:59:59Z"),
        ("feb31", time, "2025-02-31T00:00:00Z"),
        ("leap", time, "2024-02-29T23:59:60.5+05:30"),
        ("seq2p53m1", "\"seq\":1", "\"seq\":9007199254740991"),
        ("seq2p53", "\"seq\":1", "\"seq\":9007199254740992"),
        ("seq2p53p1", "\"seq\":1", "\"seq\":9007199254740993"),
        ("seq-1", "\"seq\":1", "\"seq\":-1"),
        ("seq1e400", "\"seq\":1", "\"seq\":1e400"),
        ("seq2p63", "\"seq\":1", "\"seq\":9223372036854775808"),
        ("count1e18", "\"count\":3", "\"count\":1e18"),
        ("count2p53p1", "\"count\":3", "\"count\":9007199254740993"),
        ("count-0", "\"count\":3", "\"count\":-0.0"),
        ("dupseq", "\"seq\":1", "\"seq\":1,\"seq\":1"),
        ("nfc", "\"class\":\"car\"", "\"class\":\"car\",\"caf\u{E9}\":1"),
        ("nfcnfd", "\"class\":\"car\"", "\"class\":\"car\",\"caf\u{E9}\":1,\"cafe\u{301}\":2"),
        ("escapes", "\"class\":\"car\"", "\"class\":\"c\\u00e9\\ud83d\\ude00\\n\\\"\\/\""),
        ("lonesurrogate", "\"class\":\"car\"", "\"class\":\"\\udc00\""),
    ]
    for (name, from, to) in variants {
        guard let range = first.range(of: from) else { continue }
        seeds.append(("variant-\(name).json", Array(first.replacingCharacters(in: range, with: to).utf8)))
    }
    // Bare texts: times (EventFuzz parses the whole input as one) and JSON at the parser's limits.
    let texts: [(String, String)] = [
        ("time-now", time), ("time-offset", "2025-12-05T09:41:42.5-07:00"), ("time-1677", "1677-09-21T00:12:43.145224192Z"),
        ("time-2262", "2262-04-11T23:47:16.854775808Z"), ("time-9999", "9999-12-31T23:59:59.999999Z"),
        ("nest64", String(repeating: "[", count: 64) + String(repeating: "]", count: 64)),
        ("nest65", String(repeating: "[", count: 65) + String(repeating: "]", count: 65)),
        ("nestobj", String(repeating: "{\"a\":", count: 63) + "{}" + String(repeating: "}", count: 63)),
        ("dupkeys", "{\"a\":1,\"b\":2,\"a\":3}"),
        ("nfd-names", "{\"cafe\u{301}\":1,\"caf\u{E9}\":2}"),
        ("numbers", "[0,-0,-0.0,1e400,-1e400,1e-400,5e-324,1.7976931348623157e308,9007199254740993,"
            + "9223372036854775807,-9223372036854775808,9223372036854775808,1e21,1e20,1e18,123456789012345678901,"
            + "0.1,1E+2,2.5e-7,1e-7]"),
        ("strings", "[\"\",\"\\u0000\\u001f\\b\\f\\n\\r\\t\",\"\u{7F}\u{80}\u{FFFF}\",\"\\ud800\\udc00\",\"\u{10FFFF}\"]"),
        ("literals", " [true,false,null] \n"),
    ]
    for (name, text) in texts { seeds.append(("\(name).json", Array(text.utf8))) }
    return seeds
}
