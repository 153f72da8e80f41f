/// Writes values in dlib's serialization format, to build small model files inside tests.
struct DlibTestEncoder {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int) {
        var magnitude = value.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(magnitude & 0xff))
            magnitude >>= 8
        } while magnitude != 0
        bytes.append(UInt8(digits.count) | (value < 0 ? 0x80 : 0))
        bytes += digits
    }

    /// An unsigned integer, up to 2^64−1 (dlib `unsigned long`).
    mutating func unsigned(_ value: UInt64) {
        var magnitude = value
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(magnitude & 0xff))
            magnitude >>= 8
        } while magnitude != 0
        bytes.append(UInt8(digits.count))
        bytes += digits
    }

    mutating func float(_ value: Float) {
        guard value != 0 else { int(0); int(0); return }
        let exponent = Int(value.exponent) - 23
        int(Int(value * Float(sign: .plus, exponent: -exponent, significand: 1)))
        int(exponent)
    }

    mutating func string(_ text: String) {
        int(text.utf8.count)
        bytes += Array(text.utf8)
    }

    mutating func bool(_ value: Bool) { bytes.append(UInt8(ascii: value ? "1" : "0")) }

    mutating func tensor(_ dims: [Int], _ values: [Float]) {
        precondition(dims.count == 4 && dims.reduce(1, *) == values.count)
        int(2)
        dims.forEach { int($0) }
        for value in values {
            let bits = value.bitPattern.littleEndian
            bytes += [UInt8(bits & 0xff), UInt8(bits >> 8 & 0xff), UInt8(bits >> 16 & 0xff), UInt8(bits >> 24)]
        }
    }

    mutating func aliasTensor(_ dims: [Int]) {
        int(1)
        dims.forEach { int($0) }
    }

    /// add_layer's training state after a layer record (empty tensors), for a frame of `version`.
    mutating func frameTail(overInput: Bool = false, version: Int = 2) {
        bool(true); bool(false); bool(false)
        for _ in 0..<3 { tensor([0, 0, 0, 0], []) }
        if overInput && version == 3 { int(1) }
    }
}
