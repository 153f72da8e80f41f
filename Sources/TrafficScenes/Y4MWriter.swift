import Foundation

/// Writes 4:2:0 YUV4MPEG2 files from RGB frames (BT.601 limited range, as cameras and ffmpeg's
/// yuv420p carry it). Chroma is the 2 × 2 average.
public final class Y4MWriter {
    public let width: Int
    public let height: Int
    private let handle: FileHandle

    public init(path: String, width: Int, height: Int, fps: Double) throws {
        precondition(width % 2 == 0 && height % 2 == 0, "4:2:0 needs even sizes")
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        self.width = width
        self.height = height
        let rate = fps.rounded() == fps ? "\(Int(fps)):1" : "\(Int((fps * 1000).rounded())):1000"
        let header = "YUV4MPEG2 W\(width) H\(height) F\(rate) Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n"
        try handle.write(contentsOf: Data(header.utf8))
    }

    /// Appends one frame given as RGB and its luma plane (limited range).
    public func write(rgb: [UInt8], luma: [UInt8]) throws {
        precondition(rgb.count == width * height * 3 && luma.count == width * height, "frame size")
        let cw = width / 2, ch = height / 2
        var out = [UInt8](repeating: 0, count: width * height + 2 * cw * ch)
        out.replaceSubrange(0..<luma.count, with: luma)
        rgb.withUnsafeBufferPointer { p in
            for cy in 0..<ch {
                for cx in 0..<cw {
                    var r: Int32 = 0, g: Int32 = 0, b: Int32 = 0
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let i = ((2 * cy + dy) * width + 2 * cx + dx) * 3
                        r += Int32(p[i]); g += Int32(p[i + 1]); b += Int32(p[i + 2])
                    }
                    r = (r + 2) / 4; g = (g + 2) / 4; b = (b + 2) / 4
                    let u = 128 + ((-38 * r - 74 * g + 112 * b + 128) >> 8)
                    let v = 128 + ((112 * r - 94 * g - 18 * b + 128) >> 8)
                    out[width * height + cy * cw + cx] = UInt8(clamping: u)
                    out[width * height + cw * ch + cy * cw + cx] = UInt8(clamping: v)
                }
            }
        }
        var data = Data("FRAME\n".utf8)
        data.append(contentsOf: out)
        try handle.write(contentsOf: data)
    }

    public func close() throws {
        try handle.close()
    }
}
