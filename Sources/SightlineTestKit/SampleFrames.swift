import Foundation

/// Real camera frames for tests that need decodable JPEGs: the JPEGs of the repository's sample clips
/// (`Samples/*.mjpeg`, JPEGs back to back).
public enum SampleFrames {
    /// The repository's `Samples` directory.
    public static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Samples").path
    }

    /// Up to `count` JPEGs of `Samples/NAME.mjpeg`, every `stride`-th, split at SOI/EOI markers (an EOI inside
    /// entropy-coded data is always stuffed, so the split is exact for baseline JPEGs).
    public static func jpegs(clip name: String, count: Int, stride: Int = 1) throws -> [[UInt8]] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/\(name).mjpeg")))
        var frames: [[UInt8]] = []
        var start: Int?
        var index = 0
        var i = 0
        while i + 1 < data.count && frames.count < count {
            if data[i] == 0xFF && data[i + 1] == 0xD8 && start == nil {
                start = i
                i += 2
                continue
            }
            if data[i] == 0xFF && data[i + 1] == 0xD9, let s = start {
                if index % max(1, stride) == 0 { frames.append(Array(data[s...(i + 1)])) }
                index += 1
                start = nil
                i += 2
                continue
            }
            i += 1
        }
        return frames
    }
}
