/// Luma levels. Frames carry full-range luma (0–255, black at 0), as a JPEG decoder and FFmpeg's scaler give it;
/// uncompressed video (V4L2 YUYV and NV12, Y4M, the scene generator) usually carries video levels, black at 16
/// and white at 235 (BT.601 "limited range"), which the decoders expand.
public enum VideoLevels {
    /// Black in video levels.
    public static let black = 16
    /// White in video levels.
    public static let white = 235

    /// Full-range luma of each video-levels value: 16 → 0, 235 → 255, rounded, clamped outside.
    public static let fullRangeLuma: [UInt8] = (0..<256).map { value in
        let scaled = (Double(value - black) * 255 / Double(white - black)).rounded()
        return UInt8(min(max(scaled, 0), 255))
    }

    /// Expands a plane of video-levels luma to full range, in place.
    public static func expandToFullRange(_ luma: inout [UInt8]) {
        fullRangeLuma.withUnsafeBufferPointer { table in
            luma.withUnsafeMutableBufferPointer { plane in
                for i in plane.indices { plane[i] = table[Int(plane[i])] }
            }
        }
    }
}
