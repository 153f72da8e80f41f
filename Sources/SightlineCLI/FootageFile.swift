import Foundation
import SightlineCore

/// Reads `y4m:PATH` and `mjpeg:PATH` footage (or a path ending in .y4m / .mjpeg) as a `FrameSource`.
///
/// TEMPORARY: a small whole-file reader for `replay` and `eval` until Capture's
/// `SourceFactory.make(spec:options:)` lands on main; then `FootageFile.open` becomes a call to it.
final class FootageFile: FrameSource {
    enum Kind { case y4m, mjpeg }

    let description: String
    private(set) var stats = SourceStats()
    private let path: String
    private let kind: Kind
    private var data: [UInt8] = []
    private var offset = 0
    private var index = 0
    private var y4m: (width: Int, height: Int, fps: Double, format: PixelFormat)?
    /// Frame rate of mjpeg files, which do not record one.
    private let mjpegFPS: Double

    init(spec: String, mjpegFPS: Double = 15) throws {
        var text = spec
        if !spec.hasPrefix("y4m:") && !spec.hasPrefix("mjpeg:") {
            if spec.hasSuffix(".y4m") { text = "y4m:" + spec }
            else if spec.hasSuffix(".mjpeg") || spec.hasSuffix(".mjpg") { text = "mjpeg:" + spec }
            else { throw CaptureError.badSourceSpec(spec) }
        }
        kind = text.hasPrefix("y4m:") ? .y4m : .mjpeg
        path = String(text.drop { $0 != ":" }.dropFirst())
        description = text
        self.mjpegFPS = mjpegFPS
    }

    func open() throws {
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw CaptureError.cannotOpen(path: path, reason: "cannot read the file")
        }
        data = [UInt8](contents)
        offset = 0
        if kind == .y4m { try readHeader() }
    }

    private func readHeader() throws {
        guard let end = data.firstIndex(of: 0x0A), data.starts(with: Array("YUV4MPEG2 ".utf8)) else {
            throw CaptureError.badFormat(path: path, reason: "no YUV4MPEG2 header")
        }
        var width = 0, height = 0, fps = 25.0, format = PixelFormat.i420
        for token in String(decoding: data[0..<end], as: UTF8.self).split(separator: " ").dropFirst() {
            let value = token.dropFirst()
            switch token.first {
            case "W": width = Int(value) ?? 0
            case "H": height = Int(value) ?? 0
            case "F":
                let parts = value.split(separator: ":").compactMap { Double($0) }
                if parts.count == 2, parts[1] > 0 { fps = parts[0] / parts[1] }
            case "C":
                if value.hasPrefix("mono") { format = .gray }
                else if !value.hasPrefix("420") {
                    throw CaptureError.badFormat(path: path, reason: "colour space C\(value) is not 4:2:0 or mono")
                }
            default: break
            }
        }
        guard width > 0, height > 0 else { throw CaptureError.badFormat(path: path, reason: "no frame size") }
        y4m = (width, height, fps, format)
        offset = end + 1
    }

    func next() throws -> CapturedFrame? {
        switch kind {
        case .y4m: return nextY4M()
        case .mjpeg: return nextJPEG()
        }
    }

    private func nextY4M() -> CapturedFrame? {
        guard let y4m, offset < data.count, let end = data[offset...].firstIndex(of: 0x0A) else { return nil }
        let size = y4m.format.frameByteCount(width: y4m.width, height: y4m.height)
        guard end + 1 + size <= data.count else { return nil }
        let bytes = Array(data[(end + 1)..<(end + 1 + size)])
        offset = end + 1 + size
        return made(.raw(format: y4m.format, width: y4m.width, height: y4m.height, bytes: bytes), fps: y4m.fps)
    }

    private func nextJPEG() -> CapturedFrame? {
        var start = offset
        while start + 1 < data.count, !(data[start] == 0xFF && data[start + 1] == 0xD8) { start += 1 }
        var end = start + 2
        while end + 1 < data.count, !(data[end] == 0xFF && data[end + 1] == 0xD9) { end += 1 }
        guard end + 1 < data.count else { return nil }
        offset = end + 2
        return made(.jpeg(Array(data[start..<(end + 2)])), fps: mjpegFPS)
    }

    private func made(_ payload: CapturedFrame.Payload, fps: Double) -> CapturedFrame {
        defer { index += 1 }
        stats.frames += 1
        return CapturedFrame(seq: UInt64(index + 1), monotonicNanos: Clocks.monotonicNanos(),
                             wallNanos: Clocks.wallNanos(), pts: Double(index) / fps, payload: payload)
    }

    func close() {
        data = []
    }
}
