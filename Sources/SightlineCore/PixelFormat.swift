/// Layouts of raw (not compressed) frames that capture sources deliver.
public enum PixelFormat: String, Sendable, CaseIterable, Codable {
    /// Packed 4:2:2, Y0 U Y1 V (V4L2 `YUYV`, the universal USB webcam fallback).
    case yuyv
    /// 8-bit luma only (V4L2 `GREY`, Y4M `Cmono`).
    case gray
    /// Planar 4:2:0: Y plane, then interleaved UV at half resolution (V4L2 `NV12`).
    case nv12
    /// Planar 4:2:0: Y, U, V planes (V4L2 `YU12`, Y4M `C420`/`C420jpeg`).
    case i420
    /// Packed 8-bit RGB.
    case rgb24

    /// Bytes one frame of this format occupies at the given size (chroma rounded up).
    public func frameByteCount(width: Int, height: Int) -> Int {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        switch self {
        case .yuyv: return cw * 2 * 2 * height
        case .gray: return width * height
        case .nv12: return width * height + cw * 2 * ch
        case .i420: return width * height + 2 * cw * ch
        case .rgb24: return width * height * 3
        }
    }
}
