import Imaging
import SightlineCore

/// Deterministic synthetic pictures and encoded footage for tests and the demo.
public enum SyntheticFootage {
    /// An RGB picture with a gradient background and a bright square that moves with `index`.
    public static func picture(width: Int, height: Int, index: Int) -> Image {
        var img = Image(width: width, height: height, channels: 3)
        let side = max(min(width, height) / 6, 2)
        let sx = (index * 7) % max(width - side, 1), sy = height / 3
        img.pixels.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                for x in 0..<width {
                    let o = (y * width + x) * 3
                    let inSquare = x >= sx && x < sx + side && y >= sy && y < sy + side
                    p[o] = inSquare ? 240 : UInt8((x * 255) / max(width - 1, 1))
                    p[o + 1] = inSquare ? 230 : UInt8((y * 255) / max(height - 1, 1))
                    p[o + 2] = inSquare ? 40 : UInt8(((x + y) * 127) / max(width + height - 2, 1))
                }
            }
        }
        return img
    }

    /// `count` JPEG frames of the moving-square picture.
    public static func jpegFrames(count: Int, width: Int, height: Int, quality: Int = 85) -> [[UInt8]] {
        (0..<count).map { try! JPEGEncoder.encode(picture(width: width, height: height, index: $0), quality: quality) }
    }
}
