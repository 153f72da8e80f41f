import EventLog
import EventSeeds
import FuzzSupport
import SightlineCore

// `Event(json:)` and the collector's time parsing on arbitrary bytes. Invariants: no trap; the whole input
// as a time either is refused with a `TimestampError` or gives nanoseconds that format back and parse to the
// same microsecond (or to a year the range refuses, when an offset moved the instant out of it); an event
// that parses and has canonical bytes writes an export line that parses back to an event with the same
// canonical bytes and signature; verifying its signature with a fixed key answers without trapping, and the
// seeds (signed with that key) verify.
// Immutable after start; libFuzzer calls the target on one thread.
nonisolated(unsafe) let publicKey = fuzzKey.privateKey.publicKey

func checkTime(_ text: String) {
    guard let nanos = try? Timestamp.parse(rfc3339: text) else { return }
    let micros = nanos - ((nanos % 1000) + 1000) % 1000
    let written = Timestamp.rfc3339(wallNanos: nanos)
    do {
        let back = try Timestamp.parse(rfc3339: written)
        guard back == micros else { fuzzFailure("\(text) → \(nanos) → \(written) → \(back)") }
    } catch {
        guard case .yearOutOfRange = error else { fuzzFailure("\(text) → \(written) refused: \(error)") }
    }
}

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    checkTime(String(decoding: bytes, as: UTF8.self))
    guard let value = try? JSONParser.parse(bytes), let event = try? Event(json: value) else { return 0 }
    checkTime(event.time)
    guard let canonical = try? event.canonicalBytes() else { return 0 }  // a body integer beyond ±2^53
    _ = event.verifySignature(canonical: canonical, publicKey: publicKey)
    let line: [UInt8]
    do { line = try event.line() } catch { fuzzFailure("canonical bytes but no export line: \(error)") }
    let again: Event
    do { again = try Event(json: try JSONParser.parse(line)) } catch {
        fuzzFailure("export line refused: \(error): \(String(decoding: line, as: UTF8.self))")
    }
    guard again.sig == event.sig, (try? again.canonicalBytes()) == canonical else {
        fuzzFailure("export line reads back as another event: \(String(decoding: line, as: UTF8.self))")
    }
    guard (try? again.line()) == line else { fuzzFailure("export line is not a fixed point") }
    return 0
}

/// The seeds signed with `fuzzKey` must verify, or the signature check would only ever see failures.
func seeds() -> [(name: String, bytes: [UInt8])] {
    let all = eventSeeds()
    for seed in all where seed.name.hasPrefix("event") {
        guard let event = try? Event(json: try JSONParser.parse(seed.bytes)),
              event.verifySignature(canonical: try! event.canonicalBytes(), publicKey: publicKey)
        else { fuzzFailure("seed \(seed.name) does not verify") }
    }
    return all
}

runFuzzer(seeds: seeds) { data, size in fuzzOne(data, size) }
