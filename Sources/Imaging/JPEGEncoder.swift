internal import CJPEG
import SightlineCore

/// JPEG compression with libjpeg-turbo, for evidence frames, fixtures and `faces blur`.
public enum JPEGEncoder {
    /// Encodes a gray or RGB image at `quality` (1–100).
    public static func encode(_ image: Image, quality: Int = 85) throws(JPEGError) -> [UInt8] {
        precondition((1...100).contains(quality), "JPEG quality must be 1...100")
        precondition(image.width > 0 && image.height > 0, "cannot encode an empty image")
        var out: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = image.pixels.withUnsafeBufferPointer { px in
            CJPEG_encode(px.baseAddress!, Int32(image.width), Int32(image.height), Int32(image.channels),
                         Int32(quality), &out, &length, &message)
        }
        defer { CJPEG_free(out) }
        guard status == Int32(CJPEG_OK), let out else {
            throw .corrupt(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return Array(UnsafeBufferPointer(start: out, count: length))
    }
}
