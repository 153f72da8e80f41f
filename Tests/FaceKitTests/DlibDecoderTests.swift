import Testing
@testable import FaceKit

/// Byte-level checks of dlib's encodings, on bytes written by hand from dlib/serialize.h.
struct DlibDecoderTests {
    @Test func signedIntegers() throws {
        // 0 → 01 00; 2 → 01 02; -1 → 81 01; 300 → 02 2c 01; -3101 → 82 1d 0c
        var decoder = DlibDecoder(bytes: [0x01, 0x00, 0x01, 0x02, 0x81, 0x01, 0x02, 0x2c, 0x01, 0x82, 0x1d, 0x0c])
        #expect(try decoder.readInt() == 0)
        #expect(try decoder.readInt() == 2)
        #expect(try decoder.readInt() == -1)
        #expect(try decoder.readInt() == 300)
        #expect(try decoder.readLong() == -3101)
        #expect(decoder.isAtEnd)
    }

    @Test func unsignedIntegersIgnoreReservedBits() throws {
        var decoder = DlibDecoder(bytes: [0x02, 0xe8, 0x03, 0x71, 0x05])
        #expect(try decoder.readUnsigned() == 1000)
        #expect(try decoder.readUnsigned() == 5)  // 0x71 & 0x8f = 1 byte
    }

    @Test func integerWiderThanItsTypeIsRejected() {
        var decoder = DlibDecoder(bytes: [0x05, 1, 2, 3, 4, 5])
        let error = #expect(throws: ModelLoadError.self) { try decoder.readInt() }
        #expect(error?.reason == .malformed)
        #expect(error?.offset == 0)
    }

    @Test func floatsAreMantissaThenExponent() throws {
        // 0.04 as dlib writes it for a float: mantissa 0xa3d70a, exponent -28; 0.6: 0x99999a, -24.
        var decoder = DlibDecoder(bytes: [0x03, 0x0a, 0xd7, 0xa3, 0x81, 0x1c, 0x03, 0x9a, 0x99, 0x99, 0x81, 0x18,
                                          0x81, 0x03, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x7d])
        #expect(try decoder.readFloat() == Float(0.04))
        #expect(try decoder.readFloat() == Float(0.6))
        #expect(try decoder.readFloat() == -3)  // mantissa -3, exponent 0
        #expect(try decoder.readDouble() == .infinity)  // exponent 32000 = 0x7d00
    }

    @Test func stringsBoolsAndTensors() throws {
        var bytes: [UInt8] = [0x01, 0x05] + Array("con_4".utf8) + [UInt8(ascii: "1"), UInt8(ascii: "0")]
        bytes += [0x01, 0x02, 0x01, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01, 0x01]  // tensor v2, 1×2×1×1
        bytes += [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]  // 1.0, -2.0 little-endian
        var decoder = DlibDecoder(bytes: bytes)
        #expect(decoder.peekString() == "con_4")
        #expect(try decoder.readString() == "con_4")
        #expect(try decoder.readBool() == true)
        #expect(try decoder.readBool() == false)
        let tensor = try decoder.readTensor()
        #expect(tensor.shape == DlibTensorShape(n: 1, k: 2, nr: 1, nc: 1))
        #expect(tensor.values == [1, -2])
        #expect(decoder.isAtEnd)
    }

    @Test func truncatedTensorNamesItsOffset() {
        let bytes: [UInt8] = [0x01, 0x07, 0x01, 0x02, 0x01, 0x01, 0x01, 0x04, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00]
        var decoder = DlibDecoder(bytes: bytes, offset: 2)
        let error = #expect(throws: ModelLoadError.self) { try decoder.readTensor("weights") }
        #expect(error?.reason == .truncated)
        #expect(error?.offset == 2)
    }

    @Test func badBoolIsMalformed() {
        var decoder = DlibDecoder(bytes: [0x02])
        let error = #expect(throws: ModelLoadError.self) { try decoder.readBool() }
        #expect(error?.reason == .malformed)
    }
}
