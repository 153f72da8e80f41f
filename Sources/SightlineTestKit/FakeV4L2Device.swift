import Capture
import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// A scripted V4L2 camera behind the syscall funnel, for tests without `/dev/video*`.
///
/// It behaves like a small single-planar capture driver: it answers the `VIDIOC_*` requests by
/// reading and writing the real kernel structs (`v4l2_capability`, `v4l2_format`,
/// `v4l2_buffer`, …) through the pointer it is given, so the source's marshalling is exercised,
/// and it keeps driver state (format, buffers, queue, streaming). What happens while streaming
/// is a `script` of events; faults are injected per request with `fail(_:with:times:)`.
/// Every call is logged in `calls`. Time is a manual clock (`now`) that advances by the poll
/// timeout when a wait expires and by `frameIntervalNanos` per delivered frame.
public final class FakeV4L2Device: V4L2System, @unchecked Sendable {
    /// A pixel format the fake camera offers.
    public struct Format: Sendable {
        public var fourcc: V4L2FourCC
        public var description: String
        public var emulated: Bool
        /// Discrete sizes, or a single stepwise range.
        public var sizes: [V4L2FrameSize]
        /// Discrete frame intervals offered at every size (empty: intervals are not enumerated).
        public var intervals: [V4L2Fraction]

        public init(_ fourcc: V4L2FourCC, _ description: String, emulated: Bool = false,
                    sizes: [V4L2FrameSize], intervals: [V4L2Fraction] = [V4L2Fraction(1, 30), V4L2Fraction(1, 15)]) {
            self.fourcc = fourcc
            self.description = description
            self.emulated = emulated
            self.sizes = sizes
            self.intervals = intervals
        }
    }

    /// What happens next while streaming; consumed by `pollReadable` and `VIDIOC_DQBUF`.
    public enum Event: Sendable, Equatable {
        /// The driver fills the oldest queued buffer with these bytes. `sequenceGap` frames are
        /// skipped in the driver's sequence first (frames the driver dropped); `flags` are added
        /// to the buffer flags (e.g. `V4L2_BUF_FLAG_ERROR`).
        case frame([UInt8], sequenceGap: UInt32 = 0, flags: UInt32 = 0)
        /// One poll wait expires without a buffer.
        case timeout
        /// `poll` fails with `EINTR`.
        case pollInterrupted
        /// `poll` says readable but `VIDIOC_DQBUF` fails with `EAGAIN`.
        case spuriousWakeup
        /// The camera is unplugged: poll reports an error, every request then fails with
        /// `ENODEV`, and the node is gone (`ENOENT`) until `replug()`.
        case unplug
    }

    /// One call the source made, in order.
    public enum Call: Equatable, Sendable, CustomStringConvertible {
        case resolve(String)
        case open(String)
        case ioctl(V4L2Request)
        case mmap(offset: Int64, length: Int)
        case munmap(length: Int)
        case poll(timeoutMillis: Int32)
        case close

        public var description: String {
            switch self {
            case .resolve(let path): return "resolve \(path)"
            case .open(let path): return "open \(path)"
            case .ioctl(let request): return request.description
            case .mmap: return "mmap"
            case .munmap: return "munmap"
            case .poll: return "poll"
            case .close: return "close"
            }
        }
    }

    // MARK: Configuration (set before the source opens)

    /// Device nodes that exist while plugged in.
    public var nodes: Set<String> = ["/dev/video0"]
    /// Symlinks, e.g. `/dev/v4l/by-id/usb-Fake-video-index0` → `/dev/video0`.
    public var links: [String: String] = [:]
    public var driver = "uvcvideo"
    public var card = "Fake Camera"
    public var busInfo = "usb-0000:00:14.0-1"
    /// `device_caps` of the node (`capabilities` adds `V4L2_CAP_DEVICE_CAPS`).
    public var deviceCaps = UInt32(V4L2_CAP_VIDEO_CAPTURE) | UInt32(V4L2_CAP_STREAMING)
    public var formats: [Format]
    /// Most buffers `VIDIOC_REQBUFS` grants.
    public var maxBuffers = 32
    /// Whether `V4L2_CAP_TIMEPERFRAME` is set (frame rate can be chosen).
    public var canSetFrameRate = true
    /// Whether buffers carry `V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC` timestamps; otherwise they carry
    /// wall-clock stamps of unknown origin (flag `TIMESTAMP_UNKNOWN`), as some old drivers do.
    public var monotonicTimestamps = true
    /// A size the driver forces in `VIDIOC_S_FMT` whatever was asked (a driver "adjusting").
    public var forcedSize: (width: Int, height: Int)?
    /// Extra bytes the driver pads each row of raw formats with.
    public var rowPadding = 0
    /// Clock advance per delivered frame.
    public var frameIntervalNanos: UInt64 = 33_333_333
    /// Offset from the manual monotonic clock to the wall clock.
    public var wallOffsetNanos: Int64 = 1_700_000_000_000_000_000
    /// Events still to happen. An empty script means nothing ever arrives (every wait times out).
    public var script: [Event] = []

    // MARK: Observable state

    public private(set) var calls: [Call] = []
    /// The manual monotonic clock, in nanoseconds.
    public private(set) var now: UInt64 = 5_000_000_000
    public private(set) var isOpen = false
    public private(set) var isStreaming = false
    public private(set) var isUnplugged = false
    /// Format set by the last `VIDIOC_S_FMT` (fourcc, width, height).
    public private(set) var currentFormat: (fourcc: V4L2FourCC, width: Int, height: Int)
    public private(set) var timePerFrame = V4L2Fraction(1, 30)

    private struct Buffer {
        var offset: Int64
        var length: Int
        var memory: UnsafeMutableRawPointer
        var mapped = false
    }

    private static let fd: Int32 = 42
    private var buffers: [Buffer] = []
    private var queue: [Int] = []
    private var sequence: UInt32 = 0
    private var failures: [V4L2Request: [V4L2Errno]] = [:]
    private var openFailures: [V4L2Errno] = []
    private var spuriousPending = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    /// A camera offering `formats` (by default MJPEG and YUYV at 640×480 and 1280×720).
    public init(formats: [Format] = FakeV4L2Device.typicalWebcam) {
        precondition(!formats.isEmpty, "a camera offers at least one format")
        self.formats = formats
        let first = formats[0]
        let size = first.sizes[0].closest(toWidth: 640, height: 480)
        currentFormat = (first.fourcc, size.width, size.height)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        for buffer in buffers { buffer.memory.deallocate() }
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// A typical USB webcam: MJPEG and YUYV at 640×480 and 1280×720, 30 and 15 fps.
    public static let typicalWebcam: [Format] = [
        Format(.yuyv, "YUYV 4:2:2", sizes: [.discrete(width: 640, height: 480), .discrete(width: 1280, height: 720)]),
        Format(.mjpeg, "Motion-JPEG", sizes: [.discrete(width: 640, height: 480), .discrete(width: 1280, height: 720)]),
    ]

    // MARK: Scripting

    /// Makes the next `times` calls of `request` fail with `errno` (before the driver acts).
    public func fail(_ request: V4L2Request, with errno: V4L2Errno, times: Int = 1) {
        locked { failures[request, default: []] += Array(repeating: errno, count: times) }
    }

    /// Makes the next `times` opens fail with `errno`.
    public func failOpen(with errno: V4L2Errno, times: Int = 1) {
        locked { openFailures += Array(repeating: errno, count: times) }
    }

    /// Appends events to the script.
    public func enqueue(_ events: [Event]) {
        locked { script += events }
    }

    /// Plugs the camera back in: the node exists again and the driver starts afresh.
    public func replug() {
        locked {
            isUnplugged = false
            sequence = 0
        }
    }

    /// Forgets the call log.
    public func clearCalls() {
        locked { calls.removeAll() }
    }

    /// The ioctl requests in `calls`, in order.
    public var requests: [V4L2Request] {
        locked { calls.compactMap { if case .ioctl(let r) = $0 { return r } else { return nil } } }
    }

    /// Buffers the driver currently holds (requested and not freed).
    public var bufferCount: Int { locked { buffers.count } }
    /// Buffers mapped into the process right now.
    public var mappedCount: Int { locked { buffers.filter(\.mapped).count } }
    /// Buffers queued with the driver right now.
    public var queuedCount: Int { locked { queue.count } }

    /// The manual clock as a `V4L2Source` clock.
    public var monotonicClock: @Sendable () -> UInt64 { { [self] in locked { now } } }
    /// Wall time matching the manual clock.
    public var wallClock: @Sendable () -> Int64 { { [self] in locked { wallOffsetNanos + Int64(now) } } }

    /// Advances the manual clock (for sleepers that stand in for real time).
    public func advance(byNanoseconds nanos: UInt64) {
        locked { now += nanos }
    }

    // MARK: V4L2System

    public func resolveSymlinks(_ path: String) throws(V4L2Errno) -> String {
        try locked { () throws(V4L2Errno) in
            calls.append(.resolve(path))
            let node = links[path] ?? path
            guard nodes.contains(node), !isUnplugged else { throw .noSuchFile }
            return node
        }
    }

    public func open(_ path: String, flags: Int32) throws(V4L2Errno) -> Int32 {
        try locked { () throws(V4L2Errno) in
            calls.append(.open(path))
            if !openFailures.isEmpty { throw openFailures.removeFirst() }
            guard nodes.contains(path), !isUnplugged else { throw .noSuchFile }
            precondition(flags & O_NONBLOCK != 0, "capture must not block in DQBUF")
            precondition(!isOpen, "the fake camera is already open")
            isOpen = true
            return Self.fd
        }
    }

    public func close(_ fd: Int32) throws(V4L2Errno) {
        try locked { () throws(V4L2Errno) in
            calls.append(.close)
            guard fd == Self.fd, isOpen else { throw V4L2Errno(rawValue: EBADF) }
            isOpen = false
            isStreaming = false
            queue.removeAll()
            // Closing the last descriptor frees the buffers, as vb2 does.
            if !buffers.contains(where: \.mapped) { freeBuffers() }
        }
    }

    public func ioctl(_ fd: Int32, _ request: V4L2Request, _ arg: UnsafeMutableRawPointer) throws(V4L2Errno) {
        try locked { () throws(V4L2Errno) in
            calls.append(.ioctl(request))
            guard fd == Self.fd, isOpen else { throw V4L2Errno(rawValue: EBADF) }
            if var pending = failures[request], !pending.isEmpty {
                let errno = pending.removeFirst()
                failures[request] = pending
                throw errno
            }
            guard !isUnplugged else { throw .noSuchDevice }
            try handle(request, arg)
        }
    }

    public func mmap(_ fd: Int32, length: Int, offset: Int64) throws(V4L2Errno) -> UnsafeMutableRawPointer {
        try locked { () throws(V4L2Errno) in
            calls.append(.mmap(offset: offset, length: length))
            guard fd == Self.fd, isOpen else { throw V4L2Errno(rawValue: EBADF) }
            guard let index = buffers.firstIndex(where: { $0.offset == offset }), length <= buffers[index].length,
                  !buffers[index].mapped
            else { throw .invalidArgument }
            buffers[index].mapped = true
            return buffers[index].memory
        }
    }

    public func munmap(_ address: UnsafeMutableRawPointer, length: Int) throws(V4L2Errno) {
        try locked { () throws(V4L2Errno) in
            calls.append(.munmap(length: length))
            guard let index = buffers.firstIndex(where: { $0.memory == address && $0.mapped }) else {
                throw .invalidArgument
            }
            buffers[index].mapped = false
            if !isOpen && !buffers.contains(where: \.mapped) { freeBuffers() }
        }
    }

    public func pollReadable(_ fd: Int32, timeoutMillis: Int32) throws(V4L2Errno) -> Bool {
        try locked { () throws(V4L2Errno) in
            calls.append(.poll(timeoutMillis: timeoutMillis))
            guard fd == Self.fd, isOpen else { throw V4L2Errno(rawValue: EBADF) }
            if isUnplugged { return true }  // POLLERR; DQBUF reports ENODEV
            switch script.first {
            case .frame?:
                if isStreaming && !queue.isEmpty { return true }
            case .timeout?:
                script.removeFirst()
            case .pollInterrupted?:
                script.removeFirst()
                throw .interrupted
            case .spuriousWakeup?:
                script.removeFirst()
                spuriousPending = true
                return true
            case .unplug?:
                script.removeFirst()
                isUnplugged = true
                isStreaming = false
                return true
            case nil:
                break
            }
            now += UInt64(max(timeoutMillis, 0)) * 1_000_000
            return false
        }
    }

    // MARK: Driver

    private func handle(_ request: V4L2Request, _ arg: UnsafeMutableRawPointer) throws(V4L2Errno) {
        let captureType = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        switch request {
        case .queryCapability:
            let cap = arg.assumingMemoryBound(to: v4l2_capability.self)
            cap.pointee = v4l2_capability()
            copyString(driver, into: &cap.pointee.driver)
            copyString(card, into: &cap.pointee.card)
            copyString(busInfo, into: &cap.pointee.bus_info)
            cap.pointee.version = 6 << 16 | 1 << 8 | 0
            cap.pointee.capabilities = deviceCaps | UInt32(V4L2_CAP_DEVICE_CAPS)
            cap.pointee.device_caps = deviceCaps

        case .enumerateFormat:
            let desc = arg.assumingMemoryBound(to: v4l2_fmtdesc.self)
            guard desc.pointee.type == captureType, Int(desc.pointee.index) < formats.count else {
                throw .invalidArgument
            }
            let format = formats[Int(desc.pointee.index)]
            desc.pointee.pixelformat = format.fourcc.rawValue
            desc.pointee.flags = (format.fourcc.isJPEG ? UInt32(V4L2_FMT_FLAG_COMPRESSED) : 0)
                | (format.emulated ? UInt32(V4L2_FMT_FLAG_EMULATED) : 0)
            copyString(format.description, into: &desc.pointee.description)

        case .enumerateFrameSizes:
            let size = arg.assumingMemoryBound(to: v4l2_frmsizeenum.self)
            guard let format = formats.first(where: { $0.fourcc.rawValue == size.pointee.pixel_format }),
                  Int(size.pointee.index) < format.sizes.count
            else { throw .invalidArgument }
            switch format.sizes[Int(size.pointee.index)] {
            case .discrete(let w, let h):
                size.pointee.type = V4L2_FRMSIZE_TYPE_DISCRETE.rawValue
                size.pointee.discrete = v4l2_frmsize_discrete(width: UInt32(w), height: UInt32(h))
            case .stepwise(let minW, let maxW, let stepW, let minH, let maxH, let stepH):
                size.pointee.type = V4L2_FRMSIZE_TYPE_STEPWISE.rawValue
                size.pointee.stepwise = v4l2_frmsize_stepwise(
                    min_width: UInt32(minW), max_width: UInt32(maxW), step_width: UInt32(stepW),
                    min_height: UInt32(minH), max_height: UInt32(maxH), step_height: UInt32(stepH))
            }

        case .enumerateFrameIntervals:
            let interval = arg.assumingMemoryBound(to: v4l2_frmivalenum.self)
            guard let format = formats.first(where: { $0.fourcc.rawValue == interval.pointee.pixel_format }),
                  offers(format, width: Int(interval.pointee.width), height: Int(interval.pointee.height)),
                  Int(interval.pointee.index) < format.intervals.count
            else { throw .invalidArgument }
            let value = format.intervals[Int(interval.pointee.index)]
            interval.pointee.type = V4L2_FRMIVAL_TYPE_DISCRETE.rawValue
            interval.pointee.discrete = v4l2_fract(numerator: value.numerator, denominator: value.denominator)

        case .getFormat, .setFormat:
            let format = arg.assumingMemoryBound(to: v4l2_format.self)
            guard format.pointee.type == captureType else { throw .invalidArgument }
            if request == .setFormat {
                guard !isStreaming, buffers.isEmpty else { throw .busy }
                let pix = format.pointee.fmt.pix
                let chosen = formats.first { $0.fourcc.rawValue == pix.pixelformat } ?? formats[0]
                let size = forcedSize ?? nearestSize(of: chosen, width: Int(pix.width), height: Int(pix.height))
                currentFormat = (chosen.fourcc, size.width, size.height)
            }
            fill(&format.pointee.fmt.pix)

        case .getParameters, .setParameters:
            let parm = arg.assumingMemoryBound(to: v4l2_streamparm.self)
            guard parm.pointee.type == captureType else { throw .invalidArgument }
            if request == .setParameters {
                guard canSetFrameRate else { throw .notATypewriter }
                let asked = parm.pointee.parm.capture.timeperframe
                let offered = formats.first { $0.fourcc == currentFormat.fourcc }?.intervals ?? []
                let wanted = V4L2Fraction(asked.numerator, asked.denominator)
                timePerFrame = offered.min {
                    abs($0.framesPerSecond - wanted.framesPerSecond) < abs($1.framesPerSecond - wanted.framesPerSecond)
                } ?? wanted
            }
            parm.pointee.parm.capture = v4l2_captureparm()
            parm.pointee.parm.capture.capability = canSetFrameRate ? UInt32(V4L2_CAP_TIMEPERFRAME) : 0
            parm.pointee.parm.capture.timeperframe = v4l2_fract(numerator: timePerFrame.numerator,
                                                                denominator: timePerFrame.denominator)

        case .requestBuffers:
            let req = arg.assumingMemoryBound(to: v4l2_requestbuffers.self)
            guard req.pointee.type == captureType, req.pointee.memory == V4L2_MEMORY_MMAP.rawValue else {
                throw .invalidArgument
            }
            guard !isStreaming, !buffers.contains(where: \.mapped) else { throw .busy }
            freeBuffers()
            let count = min(Int(req.pointee.count), maxBuffers)
            let length = imageSize()
            buffers = (0..<count).map { index in
                Buffer(offset: Int64(index) << 20, length: length,
                       memory: UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 4096))
            }
            req.pointee.count = UInt32(count)

        case .queryBuffer, .queueBuffer, .dequeueBuffer:
            let buf = arg.assumingMemoryBound(to: v4l2_buffer.self)
            guard buf.pointee.type == captureType, buf.pointee.memory == V4L2_MEMORY_MMAP.rawValue else {
                throw .invalidArgument
            }
            if request == .dequeueBuffer {
                try dequeue(into: buf)
                return
            }
            let index = Int(buf.pointee.index)
            guard buffers.indices.contains(index) else { throw .invalidArgument }
            if request == .queueBuffer {
                guard !queue.contains(index) else { throw .invalidArgument }
                queue.append(index)
                return
            }
            buf.pointee.m.offset = UInt32(buffers[index].offset)
            buf.pointee.length = UInt32(buffers[index].length)
            buf.pointee.flags = buffers[index].mapped ? UInt32(V4L2_BUF_FLAG_MAPPED) : 0

        case .streamOn, .streamOff:
            let type = arg.assumingMemoryBound(to: Int32.self)
            guard UInt32(bitPattern: type.pointee) == captureType else { throw .invalidArgument }
            if request == .streamOn {
                guard !buffers.isEmpty else { throw .invalidArgument }
                isStreaming = true
            } else {
                isStreaming = false
                queue.removeAll()
            }
        }
    }

    private func dequeue(into buf: UnsafeMutablePointer<v4l2_buffer>) throws(V4L2Errno) {
        if spuriousPending {
            spuriousPending = false
            throw .wouldBlock
        }
        guard isStreaming else { throw .invalidArgument }
        guard case .frame(let bytes, let gap, let extraFlags)? = script.first, let index = queue.first else {
            throw .wouldBlock
        }
        script.removeFirst()
        queue.removeFirst()
        let buffer = buffers[index]
        let used = min(bytes.count, buffer.length)
        bytes.withUnsafeBytes { buffer.memory.copyMemory(from: $0.baseAddress!, byteCount: used) }
        sequence &+= gap
        now += frameIntervalNanos
        buf.pointee.index = UInt32(index)
        buf.pointee.bytesused = UInt32(used)
        buf.pointee.flags = UInt32(V4L2_BUF_FLAG_MAPPED) | UInt32(V4L2_BUF_FLAG_DONE) | extraFlags
            | (monotonicTimestamps ? UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) : 0)
        buf.pointee.field = V4L2_FIELD_NONE.rawValue
        let stamp = monotonicTimestamps ? now : UInt64(wallOffsetNanos) + now
        buf.pointee.timestamp = timeval(tv_sec: Int(stamp / 1_000_000_000), tv_usec: Int(stamp % 1_000_000_000 / 1_000))
        buf.pointee.sequence = sequence
        buf.pointee.m.offset = UInt32(buffer.offset)
        buf.pointee.length = UInt32(buffer.length)
        sequence &+= 1
    }

    private func fill(_ pix: inout v4l2_pix_format) {
        pix = v4l2_pix_format()
        pix.pixelformat = currentFormat.fourcc.rawValue
        pix.width = UInt32(currentFormat.width)
        pix.height = UInt32(currentFormat.height)
        pix.field = V4L2_FIELD_NONE.rawValue
        pix.bytesperline = UInt32(bytesPerLine())
        pix.sizeimage = UInt32(imageSize())
    }

    private func bytesPerLine() -> Int {
        let (fourcc, width, _) = currentFormat
        if fourcc.isJPEG { return 0 }
        return (fourcc == .yuyv ? (width + 1) / 2 * 4 : width) + rowPadding
    }

    private func imageSize() -> Int {
        let (fourcc, width, height) = currentFormat
        if fourcc.isJPEG { return width * height / 2 }
        let bpl = bytesPerLine()
        switch fourcc {
        case .nv12: return bpl * height + bpl * ((height + 1) / 2)
        case .yu12: return bpl * height + 2 * (bpl / 2) * ((height + 1) / 2)
        default: return bpl * height
        }
    }

    private func offers(_ format: Format, width: Int, height: Int) -> Bool {
        format.sizes.contains { size in
            let nearest = size.closest(toWidth: width, height: height)
            return nearest.width == width && nearest.height == height
        }
    }

    private func nearestSize(of format: Format, width: Int, height: Int) -> (width: Int, height: Int) {
        format.sizes.map { $0.closest(toWidth: width, height: height) }.min {
            abs($0.width - width) + abs($0.height - height) < abs($1.width - width) + abs($1.height - height)
        } ?? (width, height)
    }

    private func freeBuffers() {
        for buffer in buffers { buffer.memory.deallocate() }
        buffers.removeAll()
        queue.removeAll()
    }

    private func copyString<Tuple>(_ string: String, into tuple: inout Tuple) {
        withUnsafeMutableBytes(of: &tuple) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (i, byte) in string.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
    }

    private func locked<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
