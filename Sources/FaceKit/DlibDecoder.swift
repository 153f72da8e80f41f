/// A cursor over bytes in dlib's serialization format (dlib/serialize.h), written from its description.
///
/// Integers: a control byte (bit 7 = negative for signed types, low 4 bits = byte count 1…8) followed
/// by the magnitude in little-endian order. Floating point: a signed 64-bit mantissa and a signed
/// 16-bit exponent, both as integers, value = mantissa · 2^exponent (exponents 32000/32001/32002 mean
/// +inf/-inf/NaN). Strings: length (unsigned) then bytes. Bool: ASCII '0'/'1'. DNN tensors: version 2,
/// four dimensions, then little-endian IEEE floats. Matrices: -rows, -cols, then elements row-major.
/// Every read throws `ModelLoadError` with the offset where the value starts.
struct DlibDecoder {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    private func need(_ count: Int, at start: Int, _ what: String) throws(ModelLoadError) {
        guard count <= bytes.count - offset else {
            throw ModelLoadError(.truncated, offset: start,
                                 detail: "\(what): needs \(count) more bytes, \(bytes.count - offset) left")
        }
    }

    /// A signed integer of at most `maxBytes` magnitude bytes (4 for dlib `int`, 8 for `long`).
    mutating func readSigned(maxBytes: Int = 8, _ what: String = "integer") throws(ModelLoadError) -> Int64 {
        let start = offset
        try need(1, at: start, what)
        let control = bytes[offset]
        let size = Int(control & 0x0F)
        guard size >= 1, size <= maxBytes else {
            throw ModelLoadError(.malformed, offset: start,
                                 detail: "\(what): control byte 0x\(String(control, radix: 16)) is not a valid "
                                     + "signed integer of at most \(maxBytes) bytes")
        }
        offset += 1
        try need(size, at: start, what)
        var magnitude: UInt64 = 0
        for index in stride(from: size - 1, through: 0, by: -1) {
            magnitude = magnitude << 8 | UInt64(bytes[offset + index])
        }
        offset += size
        guard magnitude <= UInt64(Int64.max) else {
            throw ModelLoadError(.malformed, offset: start, detail: "\(what): magnitude \(magnitude) overflows")
        }
        let value = Int64(magnitude)
        return control & 0x80 != 0 ? -value : value
    }

    /// An unsigned integer (dlib `unsigned long`, `size_t`, `uint64`).
    mutating func readUnsigned(_ what: String = "unsigned integer") throws(ModelLoadError) -> UInt64 {
        let start = offset
        try need(1, at: start, what)
        let control = bytes[offset] & 0x8F  // dlib masks out three reserved bits
        guard control >= 1, control <= 8 else {
            throw ModelLoadError(.malformed, offset: start,
                                 detail: "\(what): control byte 0x\(String(bytes[offset], radix: 16)) is not a "
                                     + "valid unsigned integer")
        }
        offset += 1
        let size = Int(control)
        try need(size, at: start, what)
        var value: UInt64 = 0
        for index in stride(from: size - 1, through: 0, by: -1) {
            value = value << 8 | UInt64(bytes[offset + index])
        }
        offset += size
        return value
    }

    /// A dlib `int` (at most 4 magnitude bytes).
    mutating func readInt(_ what: String = "int") throws(ModelLoadError) -> Int {
        Int(try readSigned(maxBytes: 4, what))
    }

    /// A dlib `long`/`long long` (at most 8 magnitude bytes).
    mutating func readLong(_ what: String = "long") throws(ModelLoadError) -> Int {
        Int(try readSigned(maxBytes: 8, what))
    }

    /// An unsigned size or dimension that must be at most `limit`; never traps, even on 2^64−1.
    mutating func readSize(_ what: String, limit: Int) throws(ModelLoadError) -> Int {
        let start = offset
        let value = try readUnsigned(what)
        guard let size = Int(exactly: value), size <= limit else {
            throw ModelLoadError(.tooLarge, offset: start, detail: "\(what): \(value) is over the limit of \(limit)")
        }
        return size
    }

    /// A count or size that must be non-negative and fit what is left of the file.
    mutating func readCount(_ what: String, elementBytes: Int = 1) throws(ModelLoadError) -> Int {
        let start = offset
        let value = try readUnsigned(what)
        guard value <= UInt64(remaining / max(elementBytes, 1)) else {
            throw ModelLoadError(.truncated, offset: start,
                                 detail: "\(what): \(value) elements cannot fit in the \(remaining) bytes left")
        }
        return Int(value)
    }

    private mutating func readFloatDetails(_ what: String) throws(ModelLoadError) -> (Int64, Int64) {
        let start = offset
        try need(1, at: start, what)
        guard bytes[offset] & 0x70 == 0 else {
            throw ModelLoadError(.unsupportedVersion, offset: start,
                                 detail: "\(what): the old ASCII floating-point format is not supported")
        }
        let mantissa = try readSigned(maxBytes: 8, what)
        let exponent = try readSigned(maxBytes: 2, what)
        return (mantissa, exponent)
    }

    /// A floating-point value read into a `Float` (rounded once, as dlib's `ldexp((float)m, e)`).
    mutating func readFloat(_ what: String = "float") throws(ModelLoadError) -> Float {
        let (mantissa, exponent) = try readFloatDetails(what)
        switch exponent {
        case 32000: return .infinity
        case 32001: return -.infinity
        case 32002...: return .nan
        default:
            let significand = Float(mantissa)
            return Float(sign: .plus, exponent: Int(exponent), significand: significand)
        }
    }

    /// A floating-point value read into a `Double`.
    mutating func readDouble(_ what: String = "double") throws(ModelLoadError) -> Double {
        let (mantissa, exponent) = try readFloatDetails(what)
        switch exponent {
        case 32000: return .infinity
        case 32001: return -.infinity
        case 32002...: return .nan
        default: return Double(sign: .plus, exponent: Int(exponent), significand: Double(mantissa))
        }
    }

    mutating func readBool(_ what: String = "bool") throws(ModelLoadError) -> Bool {
        let start = offset
        try need(1, at: start, what)
        let byte = bytes[offset]
        guard byte == UInt8(ascii: "0") || byte == UInt8(ascii: "1") else {
            throw ModelLoadError(.malformed, offset: start, detail: "\(what): byte 0x\(String(byte, radix: 16)) "
                                     + "is not a serialized bool ('0' or '1')")
        }
        offset += 1
        return byte == UInt8(ascii: "1")
    }

    mutating func readString(_ what: String = "string") throws(ModelLoadError) -> String {
        let length = try readCount("\(what) length")
        let text = String(decoding: bytes[offset..<offset + length], as: UTF8.self)
        offset += length
        return text
    }

    /// The string at the cursor, without moving, or nil when the bytes there are not a short string.
    func peekString(maxLength: Int = 64) -> String? {
        var probe = self
        guard let length = try? probe.readUnsigned(), length <= UInt64(maxLength), Int(length) <= probe.remaining
        else { return nil }
        return String(decoding: bytes[probe.offset..<probe.offset + Int(length)], as: UTF8.self)
    }

    /// A dlib DNN `resizable_tensor`: dimensions and little-endian float data.
    mutating func readTensor(_ what: String = "tensor") throws(ModelLoadError) -> DlibTensor {
        let start = offset
        let version = try readInt("\(what) version")
        guard version == 2 else {
            throw ModelLoadError(.unsupportedVersion, offset: start, detail: "\(what): tensor version \(version), "
                                     + "expected 2")
        }
        let shape = try readDimensions(what, at: start)
        guard shape.count <= remaining / 4 else {
            throw ModelLoadError(.truncated, offset: start, detail: "\(what): \(shape) needs \(shape.count * 4) "
                                     + "bytes of data, \(remaining) left")
        }
        var values = [Float](repeating: 0, count: shape.count)
        let base = offset
        bytes.withUnsafeBytes { raw in
            for index in 0..<values.count {
                let bits = raw.loadUnaligned(fromByteOffset: base + 4 * index, as: UInt32.self)
                values[index] = Float(bitPattern: UInt32(littleEndian: bits))
            }
        }
        offset += 4 * shape.count
        return DlibTensor(shape: shape, values: values)
    }

    /// A dlib `alias_tensor`: version 1 and four dimensions, no data (a view into a layer's params).
    mutating func readAliasTensor(_ what: String = "alias tensor") throws(ModelLoadError) -> DlibTensorShape {
        let start = offset
        let version = try readInt("\(what) version")
        guard version == 1 else {
            throw ModelLoadError(.unsupportedVersion, offset: start, detail: "\(what): alias tensor version "
                                     + "\(version), expected 1")
        }
        return try readDimensions(what, at: start)
    }

    private mutating func readDimensions(_ what: String, at start: Int) throws(ModelLoadError) -> DlibTensorShape {
        var dims = [Int]()
        for name in ["num_samples", "k", "nr", "nc"] {
            let value = try readLong("\(what) \(name)")
            guard value >= 0, value <= Int(Int32.max) else {
                throw ModelLoadError(.malformed, offset: start, detail: "\(what): \(name) = \(value)")
            }
            dims.append(value)
        }
        let shape = DlibTensorShape(n: dims[0], k: dims[1], nr: dims[2], nc: dims[3])
        // Each factor is below 2^31, but their product may not be: multiply with overflow checks.
        var count = 1
        var overflow = false
        for dimension in dims where !overflow {
            (count, overflow) = count.multipliedReportingOverflow(by: dimension)
        }
        guard !overflow, count <= Int(Int32.max) else {
            throw ModelLoadError(.malformed, offset: start, detail: "\(what): \(shape) is too large")
        }
        return shape
    }

    /// A dlib `matrix` header: (rows, cols), accepting the current (negated) and old (positive) forms.
    mutating func readMatrixHeader(_ what: String = "matrix") throws(ModelLoadError) -> (rows: Int, cols: Int) {
        let start = offset
        let rows = abs(try readLong("\(what) rows"))
        let cols = abs(try readLong("\(what) cols"))
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, count <= remaining / 2 else {
            throw ModelLoadError(.truncated, offset: start, detail: "\(what): \(rows)×\(cols) elements cannot fit "
                                     + "in the \(remaining) bytes left")
        }
        return (rows, cols)
    }

    /// A column vector (`matrix<float,0,1>`), checking it has one column.
    mutating func readFloatColumn(_ what: String) throws(ModelLoadError) -> [Float] {
        let start = offset
        let (rows, cols) = try readMatrixHeader(what)
        guard cols == 1 || rows * cols == 0 else {
            throw ModelLoadError(.malformed, offset: start, detail: "\(what): \(rows)×\(cols), expected a column")
        }
        // rows × cols is checked against the bytes left; rows alone is not (an R×0 matrix has no elements).
        let count = rows * cols
        var values = [Float]()
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try readFloat(what)) }
        return values
    }

    /// A column vector of doubles (`matrix<double,0,1>`).
    mutating func readDoubleColumn(_ what: String) throws(ModelLoadError) -> [Double] {
        let start = offset
        let (rows, cols) = try readMatrixHeader(what)
        guard cols == 1 || rows * cols == 0 else {
            throw ModelLoadError(.malformed, offset: start, detail: "\(what): \(rows)×\(cols), expected a column")
        }
        // rows × cols is checked against the bytes left; rows alone is not (an R×0 matrix has no elements).
        let count = rows * cols
        var values = [Double]()
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try readDouble(what)) }
        return values
    }
}
