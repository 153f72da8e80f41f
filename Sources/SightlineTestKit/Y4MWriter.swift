/// Builds YUV4MPEG2 streams for tests, and deterministic planar pictures to put in them.
public struct Y4MWriter: Sendable {
    public var width: Int
    public var height: Int
    /// Rate as written in `F`, e.g. (30000, 1001); nil leaves `F` out.
    public var rate: (num: Int, den: Int)?
    /// The `C` parameter (`420jpeg`, `420`, `mono`, `444` …); nil leaves it out (means 420jpeg).
    public var colourSpace: String?

    public init(width: Int, height: Int, rate: (num: Int, den: Int)? = (25, 1), colourSpace: String? = "420jpeg") {
        self.width = width
        self.height = height
        self.rate = rate
        self.colourSpace = colourSpace
    }

    /// The stream header line, with the interlacing and aspect parameters ffmpeg writes.
    public func header() -> [UInt8] {
        var line = "YUV4MPEG2 W\(width) H\(height)"
        if let rate { line += " F\(rate.num):\(rate.den)" }
        line += " Ip A1:1"
        if let colourSpace { line += " C\(colourSpace)" }
        return Array((line + "\n").utf8)
    }

    /// One frame: `FRAME`, optional parameters, newline, then the planes.
    public func frame(_ planes: [UInt8], parameters: String = "") -> [UInt8] {
        Array(("FRAME" + (parameters.isEmpty ? "" : " " + parameters) + "\n").utf8) + planes
    }

    /// Header plus all frames.
    public func stream(_ frames: [[UInt8]]) -> [UInt8] {
        frames.reduce(header()) { $0 + frame($1) }
    }

    /// A deterministic picture: Y = (x + 3y + 5·index) mod 256, then for 4:2:0 U and V planes
    /// (half size, rounded up) with U = (x + index) mod 256, V = (y + 2·index) mod 256.
    public func planes(index: Int, mono: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(width * height * 3 / 2 + width + height)
        for y in 0..<height { for x in 0..<width { out.append(UInt8(truncatingIfNeeded: x + 3 * y + 5 * index)) } }
        guard !mono else { return out }
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        for _ in 0..<ch { for x in 0..<cw { out.append(UInt8(truncatingIfNeeded: x + index)) } }
        for y in 0..<ch { for _ in 0..<cw { out.append(UInt8(truncatingIfNeeded: y + 2 * index)) } }
        return out
    }
}
