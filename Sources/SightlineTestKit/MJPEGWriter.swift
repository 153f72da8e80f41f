/// Builds raw MJPEG streams (JPEGs back to back, as `ffmpeg -f mjpeg` writes) for tests,
/// optionally with junk between the frames as lossy camera links produce.
public enum MJPEGWriter {
    /// `jpegs` concatenated; `junk(i)` bytes are put before frame `i` (and `junk(count)` after
    /// the last one).
    public static func stream(_ jpegs: [[UInt8]], junk: (Int) -> [UInt8] = { _ in [] }) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(jpegs.reduce(0) { $0 + $1.count })
        for (i, jpeg) in jpegs.enumerated() {
            out += junk(i)
            out += jpeg
        }
        out += junk(jpegs.count)
        return out
    }
}
