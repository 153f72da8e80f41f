import EventLog
import SightlineCore
import Testing

/// Canonical bytes must parse back to a value with the same canonical bytes (found by Fuzz/JSONFuzz: a double
/// such as 1e18 is written `1000000000000000000`, which was read back as an integer beyond 2^53 that the encoder
/// then refused, so an accepted, signed event's export line could not be verified).
@Suite struct CanonicalRoundTripTests {
    @Test(arguments: ["1e18", "[1e18,-1e18]", "1000000000000000000.0", "9.223372018427388e18", "1e20", "4503599627370497.5e1"])
    func wideIntegralDoublesAreAFixedPoint(text: String) throws {
        let canonical = try CanonicalJSON.encode(try JSONParser.parse(text))
        #expect(try CanonicalJSON.encode(try JSONParser.parse(canonical)) == canonical, "\(text)")
    }

    @Test func wideIntegersThatNoDoubleWritesStayRefused() throws {
        // 2^53 + 1 and 2^60 written exactly are not what RFC 8785 writes for any double: still refused.
        #expect(try JSONParser.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try JSONParser.parse("1152921504606846976") == .int(1 << 60))
        #expect(throws: CanonicalJSONError.integerOutOfRange(1 << 60)) {
            try CanonicalJSON.encode(try JSONParser.parse("1152921504606846976"))
        }
        #expect(try JSONParser.parse("1000000000000000000") == .double(1e18))
        #expect(try JSONParser.parse("9007199254740992") == .int(9_007_199_254_740_992))
    }

    @Test func aSignedEventWithAWideNumberVerifiesFromItsExportLine() throws {
        let key = DeviceKey.generate()
        var event = try Event(json: try JSONParser.parse(
            """
            {"v":1,"device":"\(key.deviceID)","seq":1,"prev":"\(Event.genesisPrev)","time":"2026-01-01T00:00:00Z",\
            "camera":"c","type":"traffic.count","body":{"count":1e18},"evidence":[],\
            "sig":"\(Encoding.base64([UInt8](repeating: 0, count: 64)))"}
            """))
        event.sig = key.sign(try event.canonicalBytes())
        let read = try Event(json: try JSONParser.parse(try event.line()))
        let canonical = try read.canonicalBytes()
        #expect(canonical == (try event.canonicalBytes()))
        #expect(read.verifySignature(canonical: canonical, publicKey: key.privateKey.publicKey))
    }
}
