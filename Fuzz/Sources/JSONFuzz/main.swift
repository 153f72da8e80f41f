import EventLog
import EventSeeds
import FuzzSupport
import SightlineCore

// EventLog's JSON parser and RFC 8785 encoder on arbitrary bytes. Invariants: no trap; whatever parses
// either has a canonical form or holds an integer beyond ±2^53 (the encoder's one refusal: the parser never
// yields a non-finite number); the canonical bytes parse again to the same value (numbers compared as
// doubles, strings byte for byte) and are a fixed point of parse → encode.

/// Whether `value` holds an integer the canonical form cannot carry exactly.
func hasWideInteger(_ value: JSONValue) -> Bool {
    switch value {
    case .int(let i): i < -CanonicalJSON.maxExactInteger || i > CanonicalJSON.maxExactInteger
    case .array(let items): items.contains(where: hasWideInteger)
    case .object(let members): members.values.contains(where: hasWideInteger)
    default: false
    }
}

/// JSON equality in RFC 8785's data model: numbers are doubles (`1.0` is `1`, `-0` is `0`); strings and
/// member names are compared by their UTF-8 bytes, not by Swift's canonical equivalence.
func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): Double(exactly: i)
        case .double(let d): d
        default: nil
        }
    }
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        let xs = x.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        let ys = y.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return zip(xs, ys).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && same($0.value, $1.value) }
    default:
        guard let x = number(a), let y = number(b) else { return false }
        return x == y
    }
}

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    let value: JSONValue
    do { value = try JSONParser.parse(bytes) } catch {
        guard error.offset >= 0, error.offset <= bytes.count else { fuzzFailure("error offset \(error.offset) of \(bytes.count)") }
        return 0
    }
    let canonical: [UInt8]
    do { canonical = try CanonicalJSON.encode(value) } catch {
        guard case .integerOutOfRange = error, hasWideInteger(value) else { fuzzFailure("canonical form refused: \(error)") }
        return 0
    }
    let again: JSONValue
    do { again = try JSONParser.parse(canonical) } catch {
        fuzzFailure("canonical bytes do not parse: \(error): \(String(decoding: canonical, as: UTF8.self))")
    }
    guard same(value, again) else {
        fuzzFailure("canonical bytes parse to another value: \(value) vs \(again)")
    }
    let twice: [UInt8]
    do { twice = try CanonicalJSON.encode(again) } catch {
        fuzzFailure("canonical bytes parse to a value without a canonical form: \(error): \(String(decoding: canonical, as: UTF8.self))")
    }
    guard twice == canonical else {
        fuzzFailure("not a fixed point: \(String(decoding: canonical, as: UTF8.self)) vs \(String(decoding: twice, as: UTF8.self))")
    }
    return 0
}

runFuzzer(seeds: eventSeeds) { data, size in fuzzOne(data, size) }
