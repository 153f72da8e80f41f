internal import CJPEG
import SightlineCore

/// Why a JPEG could not be decoded. The frame is counted as corrupt and skipped.
public enum JPEGError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libjpeg rejected the data (bad header, corrupt entropy data, unsupported format).
    case corrupt(String)
    /// The data ended before the picture did.
    case truncated(String)

    public var description: String {
        switch self {
        case .corrupt(let m): return "corrupt JPEG: \(m)"
        case .truncated(let m): return "truncated JPEG: \(m)"
        }
    }
}

/// Decodes JPEGs with libjpeg-turbo, reusing one decompressor.
///
/// DCT scaling (1/2, 1/4, 1/8) decodes straight to a smaller size at a fraction of the cost, and
/// luma-only output never inverse-transforms the chroma planes. Not thread-safe: one per camera.
public final class JPEGDecoder {
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

    /// Decodes `data` at 1/`scale` (1, 2, 4 or 8) to gray (1 channel) or RGB (3 channels).
    public func decode(_ data: [UInt8], scale: Int = 1, gray: Bool = false) throws(JPEGError) -> Output {
        precondition([1, 2, 4, 8].contains(scale), "DCT scale must be 1, 2, 4 or 8")
        var result: Result<Output, JPEGError> = .failure(.corrupt("empty"))
        data.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, buf.count > 0 else {
                result = .failure(.corrupt("no data"))
                return
            }
            var w: Int32 = 0, h: Int32 = 0, comps: Int32 = 0, sw: Int32 = 0, sh: Int32 = 0
            let begun = CJPEG_decoder_begin(handle, base, buf.count, Int32(scale), gray ? 1 : 0,
                                            &w, &h, &comps, &sw, &sh)
            guard begun == Int32(CJPEG_OK) else {
                result = .failure(error(status: begun))
                return
            }
            let width = Int(w), height = Int(h), channels = Int(comps)
            var status: Int32 = 0
            let pixels = [UInt8](unsafeUninitializedCapacity: width * height * channels) { out, count in
                status = CJPEG_decoder_finish(handle, out.baseAddress!, width * channels)
                // On failure the rows are partly written; the array is discarded below either way.
                count = width * height * channels
            }
            guard status == Int32(CJPEG_OK) else {
                result = .failure(error(status: status))
                return
            }
            result = .success(Output(image: Image(width: width, height: height, channels: channels, pixels: pixels),
                                     sourceWidth: Int(sw), sourceHeight: Int(sh)))
        }
        return try result.get()
    }

    /// The largest DCT reduction (8, 4, 2, 1) that keeps the picture at least `minWidth` wide.
    public static func scale(forSourceWidth sourceWidth: Int, minWidth: Int) -> Int {
        for s in [8, 4, 2] where (sourceWidth + s - 1) / s >= minWidth { return s }
        return 1
    }

    private func error(status: Int32) -> JPEGError {
        let message = String(cString: CJPEG_decoder_message(handle))
        return status == Int32(CJPEG_TRUNCATED) ? .truncated(message.isEmpty ? "premature end" : message)
                                                : .corrupt(message.isEmpty ? "unknown error" : message)
    }
}
