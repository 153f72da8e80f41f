import EventLog
import SightlineCore
import Testing

@Suite struct CanonicalJSONTests {
    @Test(arguments: [
        "arrays.json", "french.json", "structures.json", "unicode.json",
        "values.json", "weird.json",
    ])
    func rfc8785Examples(file: String) throws {
        let input = try JSONParser.parse(try Vectors.bytes("jcs/input/\(file)"))
        let expected = try Vectors.bytes("jcs/output/\(file)")
        let got = try CanonicalJSON.encode(input)
        #expect(String(decoding: got, as: UTF8.self) == String(decoding: expected, as: UTF8.self), "\(file)")
    }

    /// ECMAScript Number-to-String, golden values from node (RFC 8785 Appendix B and a seeded sample).
    @Test func numbersMatchECMAScript() throws {
        let text = String(decoding: try Vectors.bytes("jcs-numbers.txt"), as: UTF8.self)
        var checked = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ",")
            let value = Double(bitPattern: UInt64(parts[0], radix: 16)!)
            let got = try CanonicalJSON.number(value)
            #expect(got == String(parts[1]), "\(parts[0])")
            if got != String(parts[1]) { break }
            checked += 1
        }
        #expect(checked > 4000)
    }

    @Test func nonFiniteAndHugeIntegersHaveNoCanonicalForm() {
        #expect(throws: CanonicalJSONError.nonFiniteNumber) { try CanonicalJSON.encode(.double(.nan)) }
        #expect(throws: CanonicalJSONError.nonFiniteNumber) { try CanonicalJSON.encode(.double(-.infinity)) }
        #expect(throws: CanonicalJSONError.integerOutOfRange(9_007_199_254_740_993)) {
            try CanonicalJSON.encode(.int(9_007_199_254_740_993))
        }
        #expect((try? CanonicalJSON.encode(.int(-9_007_199_254_740_992))) == Array("-9007199254740992".utf8))
    }

    @Test func keysSortByUTF16CodeUnitsNotScalars() throws {
        // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FB33 although its scalar is larger.
        let v: JSONValue = .object(["\u{FB33}": .int(1), "\u{1F600}": .int(2), "a": .int(3)])
        #expect(
            String(decoding: try CanonicalJSON.encode(v), as: UTF8.self) == "{\"a\":3,\"\u{1F600}\":2,\"\u{FB33}\":1}")
    }

    @Test func controlCharactersUseShortOrLowercaseEscapes() throws {
        let got = try CanonicalJSON.encode(.string("\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}/\u{7F}"))
        #expect(String(decoding: got, as: UTF8.self) == "\"\\b\\t\\n\\f\\r\\u001f/\u{7F}\"")
    }

    @Test func parserRefusesWhatIJSONForbids() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\"a\":1,\"a\":2}") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("\"\\ud800\"") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("[1,]") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("01") }
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{} x") }
        #expect(
            (try? JSONParser.parse(" [1, 2.5, -0, 1e2] ")) == .array([.int(1), .double(2.5), .int(0), .double(100)]))
    }
}
