import SightlineCore

/// Raw MJPEG files and pipes (`mjpeg:PATH`, `mjpeg:-`).
public typealias MJPEGFileSource = FootageSource<MJPEGStreamParser>
/// RIFF AVI files with Motion JPEG video (`avi:PATH`).
public typealias AVISource = FootageSource<AVIParser>
/// YUV4MPEG2 files and pipes (`y4m:PATH`, `y4m:-`).
public typealias Y4MSource = FootageSource<Y4MParser>

/// Plays a recorded-footage file or pipe through one container parser.
///
/// Reads with `read(2)` in 256 KiB steps straight into the parser's buffer, so files of any
/// size stream in bounded memory. The pts of a frame is its container index over the frame rate
/// (the container's, else `options.fps`, else 25), plus the duration of earlier passes when
/// looping. Container damage the parser survives is counted in `stats`, not thrown; a file that
/// is not of the format at all throws `CaptureError.badFormat`. Not thread-safe: it may be handed
/// to a capture thread (hence `@unchecked Sendable`) but is used by one thread at a time.
public final class FootageSource<Parser: FootageParser>: FrameSource, @unchecked Sendable {
    /// Bytes asked of each `read(2)`.
    static var readSize: Int { 256 << 10 }

    public let path: String
    public let options: SourceOptions
    public var description: String { "\(Parser.formatName):\(path)" }
    public var stats: SourceStats {
        var s = baseStats
        s.frames = timeline.seq
        s.corrupt += parser.corruptFrames
        s.skippedBytes += parser.skippedBytes
        return s
    }

    private var input: FileInput?
    private var parser: Parser
    private var timeline: ReplayTimeline
    /// Counters of finished passes (looping starts a new parser per pass).
    private var baseStats = SourceStats()
    private var passStartPTS = 0.0
    private var lastIndexInPass = -1
    private var inputEnded = false
    private var atEnd = false

    /// A source for `path` (`-` for standard input); nothing is opened before `open()`.
    public init(path: String, options: SourceOptions = SourceOptions()) {
        self.path = path
        self.options = options
        parser = Parser(maxFrameBytes: options.maxFrameBytes)
        timeline = ReplayTimeline(pacing: options.pacing)
    }

    deinit { input?.close() }

    public func open() throws {
        close()
        input = try FileInput.open(path)
        parser = Parser(maxFrameBytes: options.maxFrameBytes)
        timeline = ReplayTimeline(pacing: options.pacing)
        baseStats = SourceStats()
        passStartPTS = 0
        lastIndexInPass = -1
        inputEnded = false
        atEnd = false
    }

    public func next() throws -> CapturedFrame? {
        guard let input else {
            precondition(atEnd, "next() on a source that is not open")
            return nil
        }
        while true {
            let frame: FootageFrame?
            do {
                frame = try parser.nextFrame()
            } catch {
                throw CaptureError.badFormat(path: path, reason: error.reason)
            }
            if let frame {
                lastIndexInPass = frame.index
                let pts = passStartPTS + Double(frame.index) / frameRate
                return timeline.deliver(pts: pts, payload: frame.payload)
            }
            if !inputEnded {
                let n = try parser.write(maxCount: Self.readSize) { (buf) throws(CaptureError) -> Int in
                    try input.read(into: buf)
                }
                if n == 0 {
                    inputEnded = true
                    parser.finish()  // the parser may still hold frames that waited for the end
                }
                continue
            }
            if options.loop && lastIndexInPass >= 0 && input.rewind() {
                startNextPass()
                continue
            }
            atEnd = true
            close()
            return nil
        }
    }

    public func close() {
        input?.close()
        input = nil
    }

    private func startNextPass() {
        baseStats.corrupt += parser.corruptFrames
        baseStats.skippedBytes += parser.skippedBytes
        passStartPTS += Double(lastIndexInPass + 1) / frameRate
        lastIndexInPass = -1
        inputEnded = false
        parser = Parser(maxFrameBytes: options.maxFrameBytes)
    }

    private var frameRate: Double { parser.frameRate ?? options.footageFPS }
}
