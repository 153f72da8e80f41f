// Seed models for the fuzzer, written the way FaceKit's reader tests write them (Tests/FaceKitTests:
// DlibTestEncoder, ModelReaderLimitsTests, DlibSyntheticNetworkTests), since test code is not a product.
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

enum DlibSeeds {
    /// A valid `.svm`: one 8×8 window, a 1×1-cell filter of 31 planes.
    static func svm() -> [UInt8] {
        var e = DlibTestEncoder()
        e.int(2); e.int(1); e.int(0); e.int(0); e.int(8)
        e.unsigned(0); e.unsigned(8); e.unsigned(8); e.unsigned(1000); e.unsigned(64); e.unsigned(64)
        e.float(0); e.unsigned(31); e.float(0.5); e.float(1)
        e.int(1); e.int(-32); e.int(-1)
        for index in 0..<32 { e.float(Float(index) / 64) }
        return e.bytes
    }

    /// A valid shape predictor: 2 landmarks, one level of one depth-1 tree, 2 feature pixels.
    static func shapePredictor() -> [UInt8] {
        var e = DlibTestEncoder()
        e.int(1); e.int(-4); e.int(-1)
        for value: Float in [0.25, 0.5, 0.75, 0.5] { e.float(value) }
        e.int(1); e.int(1); e.int(1); e.int(0); e.int(1); e.float(0.125); e.int(2)
        for leaf in 0..<2 {
            e.int(-4); e.int(-1)
            for index in 0..<4 { e.float(Float(leaf * 4 + index) / 32) }
        }
        e.int(1); e.int(2); e.int(0); e.int(1)
        e.int(1); e.int(2)
        for value: Float in [0.1, -0.1, 0.05, 0.2] { e.float(value) }
        return e.bytes
    }

    static func conv(_ e: inout DlibTestEncoder, inputs: Int, tag: String = "con_4") {
        let count = 2 * inputs * 9
        e.string(tag)
        e.tensor([count + 2, 1, 1, 1], (0..<count).map { Float($0) / 64 - 0.5 } + [0.125, -0.25])
        e.int(2); e.int(3); e.int(3)
        e.int(1); e.int(1); e.int(1); e.int(1)
        e.aliasTensor([2, inputs, 3, 3])
        e.aliasTensor([1, 2, 1, 1])
        for _ in 0..<4 { e.float(1) }
        if tag != "con_4" { e.bool(true) }
    }

    /// input 4×4 → con → tag → relu → con → tag → skip → add_prev → avg_pool → fc 2→3.
    static func network(convTag: String = "con_4") -> [UInt8] {
        var e = DlibTestEncoder()
        e.int(1); e.string("loss_metric_2"); e.float(0.04); e.float(0.6)
        e.int(2); e.int(2); e.int(2)
        e.int(1); e.int(1)
        e.int(2)
        e.int(2)
        e.int(1)
        e.int(3)
        e.string("input_rgb_image_sized"); e.float(122.5); e.float(117); e.float(104.25); e.int(4); e.int(4)
        conv(&e, inputs: 3, tag: convTag); e.frameTail(overInput: true, version: 3)
        e.string("relu_"); e.frameTail()
        conv(&e, inputs: 2); e.frameTail()
        e.string("add_prev_"); e.frameTail()
        e.string("avg_pool_2"); e.int(0); e.int(0); e.int(1); e.int(1); e.int(0); e.int(0); e.frameTail()
        e.string("fc_2"); e.int(3); e.int(2)
        e.tensor([2, 3, 1, 1], [0.5, -1, 2, 0.25, 0, -3]); e.aliasTensor([2, 3, 1, 1]); e.aliasTensor([0, 0, 0, 0])
        e.int(1)
        for _ in 0..<4 { e.float(1) }
        e.frameTail()
        return e.bytes
    }
}
