internal import CZlib
import SightlineCore

/// Why a PNG could not be decoded.
public enum PNGError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a PNG, or a chunk, header or filter that breaks the format (the message says which).
    case corrupt(String)
    /// A valid PNG this reader does not handle (interlaced, bit depth other than 8 or 16, …).
    case unsupported(String)
    /// The header declares more pixels than the caller's cap; refused before anything is allocated.
    case tooLarge(width: Int, height: Int, maxPixels: Int)
    /// The header declares more sample bytes than `maxPixels` × 4 (16-bit or many-channel images at a size
    /// near the pixel cap); refused before anything is allocated.
    case tooManyBytes(width: Int, height: Int, bytes: Int, maxBytes: Int)

    public var description: String {
        switch self {
        case .corrupt(let m): "corrupt PNG: \(m)"
        case .unsupported(let m): "unsupported PNG: \(m)"
        case .tooLarge(let w, let h, let cap): "PNG of \(w)x\(h) is over the cap of \(cap) pixels"
        case .tooManyBytes(let w, let h, let bytes, let cap):
            "PNG of \(w)x\(h) holds \(bytes) bytes of samples, over the cap of \(cap) (4 per pixel of the pixel cap)"
        }
    }
}

/// A small PNG reader for face chips and test pictures: non-interlaced, 8 or 16 bits per sample, gray, RGB,
/// palette, with or without alpha (alpha is dropped, 16-bit samples keep their high byte).
///
/// The pixel data is inflated by zlib (`CZlib`) into a buffer that grows with the data actually inflated, so a
/// header alone never decides an allocation; a header over `maxPixels`, or with more sample bytes than
/// `maxPixels` × 4, is refused as soon as it is read, and filters are undone in place: decoding costs at most
/// about twice the sample bytes plus the output. Chunk CRCs are not checked. Output is gray (1 channel) for gray PNGs and RGB (3 channels) otherwise.
public enum PNGDecoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The default pixel cap: 64 Mpx (8192×8192).
    public static let defaultMaxPixels = 8192 * 8192

    /// Whether `data` starts with the PNG signature.
    public static func isPNG(_ data: [UInt8]) -> Bool { data.starts(with: signature) }

    /// Decodes a whole PNG file; one of more than `maxPixels` pixels is refused (`PNGError.tooLarge`).
    public static func decode(_ data: [UInt8], maxPixels: Int = PNGDecoder.defaultMaxPixels) throws(PNGError) -> Image {
        guard isPNG(data) else { throw .corrupt("no PNG signature") }
        var header: Header?
        var palette: [UInt8] = []
        var compressed: [UInt8] = []
        var offset = signature.count
        while true {
            guard offset + 8 <= data.count else { throw .corrupt("file ends before IEND") }
            let length = Int(readUInt32(data, offset))
            let type = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
            let start = offset + 8
            guard length <= data.count - start - 4 else {
                throw .corrupt("chunk \(type) runs past the end of the file")
            }
            let body = data[start..<start + length]
            switch type {
            case "IHDR":
                guard header == nil else { throw .corrupt("two IHDR chunks") }
                let parsed = try Header(Array(body))
                guard parsed.width * parsed.height <= maxPixels else {  // each side is at most 2^15
                    throw .tooLarge(width: parsed.width, height: parsed.height, maxPixels: maxPixels)
                }
                let (maxBytes, overflow) = maxPixels.multipliedReportingOverflow(by: 4)
                let bytes = parsed.rowBytes * parsed.height  // at most 2^15 × 2^18: no overflow
                guard overflow || bytes <= maxBytes else {
                    throw .tooManyBytes(width: parsed.width, height: parsed.height, bytes: bytes, maxBytes: maxBytes)
                }
                header = parsed
            case "PLTE": palette = Array(body)
            case "IDAT": compressed.append(contentsOf: body)
            case "IEND":
                guard let header else { throw .corrupt("no IHDR chunk") }
                return try decodePixels(compressed, header, palette: palette)
            default: break
            }
            offset = start + length + 4  // skip the CRC
        }
    }

    struct Header {
        var width: Int, height: Int, bitDepth: Int, colorType: Int

        init(_ body: [UInt8]) throws(PNGError) {
            guard body.count == 13 else { throw .corrupt("IHDR has \(body.count) bytes, not 13") }
            width = Int(readUInt32(body, 0))
            height = Int(readUInt32(body, 4))
            bitDepth = Int(body[8])
            colorType = Int(body[9])
            guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
                throw .unsupported("size \(width)x\(height)")
            }
            guard [0, 2, 3, 4, 6].contains(colorType) else { throw .corrupt("colour type \(colorType)") }
            guard bitDepth == 8 || (bitDepth == 16 && colorType != 3) else {
                throw .unsupported("bit depth \(bitDepth) with colour type \(colorType)")
            }
            guard body[10] == 0, body[11] == 0 else { throw .corrupt("compression or filter method not 0") }
            guard body[12] == 0 else { throw .unsupported("interlaced (Adam7)") }
        }

        /// Samples per pixel in the file.
        var samples: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]! }
        var bytesPerPixel: Int { samples * bitDepth / 8 }
        var rowBytes: Int { width * bytesPerPixel }

        /// Converts unfiltered rows (each after its filter byte, `rowBytes + 1` apart) to gray or RGB 8-bit pixels.
        func image(from rows: UnsafeBufferPointer<UInt8>, palette: [UInt8]) throws(PNGError) -> Image {
            let channels = colorType == 0 || colorType == 4 ? 1 : 3
            let step = bitDepth / 8
            let stride = rowBytes + 1
            var pixels = [UInt8](repeating: 0, count: width * height * channels)
            for y in 0..<height {
                let line = y * stride + 1
                for x in 0..<width {
                    let pixel = y * width + x
                    let source = line + x * bytesPerPixel
                    if colorType == 3 {
                        let entry = Int(rows[source]) * 3
                        guard entry + 2 < palette.count else {
                            throw .corrupt("palette index \(rows[source]) out of range")
                        }
                        for c in 0..<3 { pixels[pixel * 3 + c] = palette[entry + c] }
                    } else {
                        for c in 0..<channels { pixels[pixel * channels + c] = rows[source + c * step] }
                    }
                }
            }
            return Image(width: width, height: height, channels: channels, pixels: pixels)
        }
    }

    /// Inflates the IDAT stream, undoes the per-row filters in place, and converts the rows.
    static func decodePixels(_ compressed: [UInt8], _ header: Header, palette: [UInt8]) throws(PNGError) -> Image {
        // At most 2^15 × (2^15 × 8 + 1) bytes: no overflow. Only the inflated data decides allocations.
        let stride = header.rowBytes + 1
        let expected = stride * header.height
        var inflated: UnsafeMutablePointer<UInt8>?
        var written = 0
        let status = compressed.withUnsafeBufferPointer { src in
            CZlib_inflate_bounded(src.baseAddress, src.count, expected, &inflated, &written)
        }
        defer { CZlib_free(inflated) }
        guard status == 0, let inflated, written == expected else {
            throw .corrupt("image data does not inflate to \(expected) bytes (zlib status \(status))")
        }
        let rowBytes = header.rowBytes
        let bpp = header.bytesPerPixel
        // Each row is unfiltered where it lies: its left neighbours and the row above are already unfiltered.
        for y in 0..<header.height {
            let line = y * stride + 1
            let filter = inflated[line - 1]
            for x in 0..<rowBytes {
                let left = x >= bpp ? Int(inflated[line + x - bpp]) : 0
                let up = y > 0 ? Int(inflated[line - stride + x]) : 0
                let upLeft = x >= bpp && y > 0 ? Int(inflated[line - stride + x - bpp]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4: predictor = paeth(left, up, upLeft)
                default: throw .corrupt("row \(y) has filter type \(filter)")
                }
                inflated[line + x] = inflated[line + x] &+ UInt8(truncatingIfNeeded: predictor)
            }
        }
        return try header.image(from: UnsafeBufferPointer(start: inflated, count: written), palette: palette)
    }

    static func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
        let p = a + b - c
        let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
        return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
    }
}

private func readUInt32(_ data: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8
        | UInt32(data[offset + 3])
}
