internal import CJPEG
import SightlineCore

/// Why a JPEG could not be decoded. The frame is counted as corrupt and skipped.
public enum JPEGError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libjpeg rejected the data (bad header, corrupt entropy data, unsupported format), or warned
    /// that the data is damaged (a scan cut short by a marker, a bad Huffman code, lost restarts).
    case corrupt(String)
    /// The data ended before the picture did.
    case truncated(String)
    /// The header declares more pixels than the decoder accepts; refused before any image memory.
    case tooLarge(width: Int, height: Int, maxPixels: Int)

    public var description: String {
        switch self {
        case .corrupt(let m): return "corrupt JPEG: \(m)"
        case .truncated(let m): return "truncated JPEG: \(m)"
        case .tooLarge(let w, let h, let cap): return "JPEG of \(w)x\(h) is over the cap of \(cap) pixels"
        }
    }
}

/// Decodes JPEGs with libjpeg-turbo, reusing one decompressor.
///
/// DCT scaling (1/2, 1/4, 1/8) decodes straight to a smaller size at a fraction of the cost, and
/// luma-only output never inverse-transforms the chroma planes. Frames whose header declares more
/// than `maxPixels` are refused right after the header is read. Not thread-safe: one per camera.
public final class JPEGDecoder {
    /// The default pixel cap: 8192×8192.
    public static let defaultMaxPixels = 8192 * 8192

    private let handle: OpaquePointer

    public init() {
        guard let h = CJPEG_decoder_create() else { fatalError("libjpeg could not allocate a decompressor") }
        handle = h
    }

    deinit { CJPEG_decoder_destroy(handle) }

    /// Result of one decode.
    public struct Output: Sendable {
        public var image: Image
        /// Size of the JPEG before DCT scaling.
        public var sourceWidth: Int
        public var sourceHeight: Int
    }

    /// Luma and RGB planes from one decode.
    public struct Planes: Sendable {
        /// Luma, byte-identical to what a gray-only decode of the same data gives.
        public var gray: Image
        /// RGB, when asked for.
        public var rgb: Image?
        /// Size of the JPEG before DCT scaling.
        public var sourceWidth: Int
        public var sourceHeight: Int
    }

    /// Decodes `data` at 1/`scale` (1, 2, 4 or 8) to gray (1 channel) or RGB (3 channels).
    public func decode(_ data: [UInt8], scale: Int = 1, gray: Bool = false,
                       maxPixels: Int = JPEGDecoder.defaultMaxPixels) throws(JPEGError) -> Output {
        precondition([1, 2, 4, 8].contains(scale), "DCT scale must be 1, 2, 4 or 8")
        let out = try run(data, scale: scale, minWidth: 0, maxPixels: maxPixels, gray: gray, rgb: !gray)
        return Output(image: (out.rgb ?? out.gray)!, sourceWidth: out.sourceWidth, sourceHeight: out.sourceHeight)
    }

    /// Decodes `data` once to luma and, when `color`, RGB as well, at the largest DCT reduction that
    /// keeps the picture at least `minWidth` wide (0: full size). The scale is chosen by libjpeg's
    /// own header reader, so anything libjpeg accepts is scaled the same way.
    public func decodePlanes(_ data: [UInt8], minWidth: Int, color: Bool,
                             maxPixels: Int = JPEGDecoder.defaultMaxPixels) throws(JPEGError) -> Planes {
        precondition(minWidth >= 0, "minWidth must not be negative")
        let out = try run(data, scale: 1, minWidth: minWidth, maxPixels: maxPixels, gray: true, rgb: color)
        return Planes(gray: out.gray!, rgb: out.rgb, sourceWidth: out.sourceWidth, sourceHeight: out.sourceHeight)
    }

    /// The largest DCT reduction (8, 4, 2, 1) that keeps the picture at least `minWidth` wide.
    public static func scale(forSourceWidth sourceWidth: Int, minWidth: Int) -> Int {
        for s in [8, 4, 2] where (sourceWidth + s - 1) / s >= minWidth { return s }
        return 1
    }

    private struct Decoded {
        var gray: Image?
        var rgb: Image?
        var sourceWidth: Int
        var sourceHeight: Int
    }

    private func run(_ data: [UInt8], scale: Int, minWidth: Int, maxPixels: Int, gray wantGray: Bool,
                     rgb wantRGB: Bool) throws(JPEGError) -> Decoded {
        precondition(maxPixels > 0, "maxPixels must be positive")
        let planes = wantGray && wantRGB ? CJPEG_PLANES_GRAY_RGB : wantGray ? CJPEG_PLANES_GRAY : CJPEG_PLANES_RGB
        var result: Result<Decoded, JPEGError> = .failure(.corrupt("empty"))
        data.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, buf.count > 0 else {
                result = .failure(.corrupt("no data"))
                return
            }
            var w: Int32 = 0, h: Int32 = 0, sw: Int32 = 0, sh: Int32 = 0
            let begun = CJPEG_decoder_begin(handle, base, buf.count, Int32(scale), Int32(clamping: minWidth),
                                            UInt64(maxPixels), Int32(planes), &w, &h, &sw, &sh)
            guard begun == Int32(CJPEG_OK) else {
                result = .failure(begun == Int32(CJPEG_TOO_LARGE)
                    ? .tooLarge(width: Int(sw), height: Int(sh), maxPixels: maxPixels) : error(status: begun))
                return
            }
            // The cap bounds the source, and DCT scaling only shrinks it: these products cannot overflow.
            let width = Int(w), height = Int(h)
            var gray = wantGray ? [UInt8](repeating: 0, count: width * height) : []
            var rgb = wantRGB ? [UInt8](repeating: 0, count: width * height * 3) : []
            let status = gray.withUnsafeMutableBufferPointer { g in
                rgb.withUnsafeMutableBufferPointer { c in
                    CJPEG_decoder_finish(handle, wantGray ? g.baseAddress : nil, width,
                                         wantRGB ? c.baseAddress : nil, width * 3)
                }
            }
            guard status == Int32(CJPEG_OK) else {
                result = .failure(error(status: status))
                return
            }
            result = .success(Decoded(
                gray: wantGray ? Image(width: width, height: height, channels: 1, pixels: gray) : nil,
                rgb: wantRGB ? Image(width: width, height: height, channels: 3, pixels: rgb) : nil,
                sourceWidth: Int(sw), sourceHeight: Int(sh)))
        }
        return try result.get()
    }

    private func error(status: Int32) -> JPEGError {
        let message = String(cString: CJPEG_decoder_message(handle))
        return status == Int32(CJPEG_TRUNCATED) ? .truncated(message.isEmpty ? "premature end" : message)
                                                : .corrupt(message.isEmpty ? "unknown error" : message)
    }
}
