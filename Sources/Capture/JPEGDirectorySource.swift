import SightlineCore

/// Plays a directory of JPEG files (`jpegdir:DIR`) as footage, one file per frame.
///
/// Files ending in `.jpg`, `.jpeg`, `.jpe` or `.jfif` (any case) are listed once at `open()` and
/// played in natural order (`frame2` before `frame10`) at `options.fps` (25 when nil). Each file
/// is delivered as it is, whatever it contains, so a broken file reaches the decoder and is
/// counted there; a file that vanished since listing or is larger than `options.maxFrameBytes`
/// is counted corrupt and skipped (its timeline slot stays empty). Not thread-safe: it may be
/// handed to a capture thread (hence `@unchecked Sendable`) but is used by one thread at a time.
public final class JPEGDirectorySource: FrameSource, @unchecked Sendable {
    static let extensions: Set<String> = ["jpg", "jpeg", "jpe", "jfif"]

    public let path: String
    public let options: SourceOptions
    public var description: String { "jpegdir:\(path)" }
    public var stats: SourceStats {
        var s = counters
        s.frames = timeline.seq
        return s
    }

    /// File names in play order, known after `open()`.
    public private(set) var files: [String] = []
    private var position = 0
    private var passes = 0
    private var deliveredThisPass = false
    private var isOpen = false
    private var counters = SourceStats()
    private var timeline: ReplayTimeline

    public init(path: String, options: SourceOptions = SourceOptions()) {
        self.path = path
        self.options = options
        timeline = ReplayTimeline(pacing: options.pacing)
    }

    /// Lists the directory; throws `CaptureError.cannotOpen` when it cannot be read and
    /// `CaptureError.badFormat` when it holds no JPEG file.
    public func open() throws {
        let names = try FileInput.listDirectory(path).filter { name in
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
            return Self.extensions.contains(name[name.index(after: dot)...].lowercased())
        }
        guard !names.isEmpty else { throw CaptureError.badFormat(path: path, reason: "no .jpg or .jpeg files") }
        files = names.sorted(by: NaturalOrder.areInIncreasingOrder)
        position = 0
        passes = 0
        deliveredThisPass = false
        counters = SourceStats()
        timeline = ReplayTimeline(pacing: options.pacing)
        isOpen = true
    }

    public func next() throws -> CapturedFrame? {
        guard isOpen else { return nil }
        while true {
            if position == files.count {
                // A pass in which every file failed would loop forever.
                guard options.loop, deliveredThisPass else { close(); return nil }
                position = 0
                passes += 1
                deliveredThisPass = false
            }
            let slot = passes * files.count + position
            let file = path.hasSuffix("/") ? path + files[position] : path + "/" + files[position]
            position += 1
            let bytes: [UInt8]?
            do {
                bytes = try FileInput.readWhole(file, limit: options.maxFrameBytes)
            } catch {
                // The file vanished or became unreadable since listing: skip it, counted.
                guard case .cannotOpen = error else { throw error }
                bytes = nil
            }
            guard let bytes else {
                counters.corrupt += 1
                continue
            }
            deliveredThisPass = true
            return timeline.deliver(pts: Double(slot) / options.footageFPS, payload: .jpeg(bytes))
        }
    }

    public func close() { isOpen = false }
}
