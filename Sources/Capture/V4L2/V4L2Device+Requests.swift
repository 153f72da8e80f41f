internal import CV4L2

/// What `VIDIOC_QUERYCAP` says about a node.
struct V4L2Capability: Sendable, Equatable {
    var driver: String
    var card: String
    var busInfo: String
    /// Kernel version the driver was built for, `KERNEL_VERSION` encoded.
    var version: UInt32
    /// Capabilities of this node (`device_caps` when the driver sets `V4L2_CAP_DEVICE_CAPS`).
    var nodeCapabilities: UInt32

    var canCapture: Bool { nodeCapabilities & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 }
    var canCaptureMultiplanar: Bool { nodeCapabilities & UInt32(V4L2_CAP_VIDEO_CAPTURE_MPLANE) != 0 }
    var canStream: Bool { nodeCapabilities & UInt32(V4L2_CAP_STREAMING) != 0 }

    /// `x.y.z` from the packed kernel version.
    var versionString: String { "\(version >> 16).\((version >> 8) & 0xff).\(version & 0xff)" }
}

/// One entry of `VIDIOC_ENUM_FMT`.
struct V4L2FormatEntry: Sendable, Equatable {
    var fourcc: V4L2FourCC
    var description: String
    var compressed: Bool
    /// Converted in software by libv4l2 rather than produced by the device.
    var emulated: Bool
}

/// The format the driver settled on after `VIDIOC_S_FMT` (`v4l2_format.fmt.pix`).
struct V4L2PixFormat: Sendable, Equatable {
    var fourcc: V4L2FourCC
    var width: Int
    var height: Int
    /// Bytes per row of the first plane (0 for compressed formats).
    var bytesPerLine: Int
    /// Bytes a buffer must hold.
    var sizeImage: Int
}

/// A buffer the driver handed back with `VIDIOC_DQBUF`.
struct V4L2DequeuedBuffer: Sendable, Equatable {
    var index: Int
    var bytesUsed: Int
    var flags: UInt32
    var sequence: UInt32
    /// Driver timestamp in nanoseconds (`struct timeval`); its clock is named by `flags`.
    var timestampNanos: UInt64

    var hasError: Bool { flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 }
    var hasMonotonicTimestamp: Bool {
        flags & UInt32(V4L2_BUF_FLAG_TIMESTAMP_MASK) == UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
    }
}

private let captureType = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
private let mmapMemory = V4L2_MEMORY_MMAP.rawValue

/// Reads a NUL-terminated C char array imported as a tuple.
func v4l2String<Tuple>(_ tuple: Tuple) -> String {
    withUnsafeBytes(of: tuple) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Typed `VIDIOC_*` requests: the marshalling between the kernel structs and Swift values.
extension V4L2Device {
    func queryCapability() throws(V4L2CallError) -> V4L2Capability {
        var cap = v4l2_capability()
        try ioctl(.queryCapability, &cap)
        let hasDeviceCaps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0
        return V4L2Capability(driver: v4l2String(cap.driver), card: v4l2String(cap.card),
                              busInfo: v4l2String(cap.bus_info), version: cap.version,
                              nodeCapabilities: hasDeviceCaps ? cap.device_caps : cap.capabilities)
    }

    /// All capture formats, in the driver's order. The list ends where the driver says `EINVAL`.
    func enumerateFormats() throws(V4L2CallError) -> [V4L2FormatEntry] {
        var entries: [V4L2FormatEntry] = []
        while true {
            var desc = v4l2_fmtdesc()
            desc.index = UInt32(entries.count)
            desc.type = captureType
            do { try ioctl(.enumerateFormat, &desc) } catch where error.errno == .invalidArgument { break }
            entries.append(V4L2FormatEntry(
                fourcc: V4L2FourCC(rawValue: desc.pixelformat), description: v4l2String(desc.description),
                compressed: desc.flags & UInt32(V4L2_FMT_FLAG_COMPRESSED) != 0,
                emulated: desc.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0))
        }
        return entries
    }

    /// Sizes `fourcc` supports: a list of discrete sizes, or one stepwise range. Empty when the
    /// driver does not enumerate sizes (`ENOTTY`) — then `VIDIOC_S_FMT` is the only way to ask.
    func enumerateFrameSizes(_ fourcc: V4L2FourCC) throws(V4L2CallError) -> [V4L2FrameSize] {
        var sizes: [V4L2FrameSize] = []
        while true {
            var size = v4l2_frmsizeenum()
            size.index = UInt32(sizes.count)
            size.pixel_format = fourcc.rawValue
            do {
                try ioctl(.enumerateFrameSizes, &size)
            } catch where error.errno == .invalidArgument || error.errno == .notATypewriter {
                break
            }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                sizes.append(.discrete(width: Int(size.discrete.width), height: Int(size.discrete.height)))
                continue
            }
            let s = size.stepwise
            let continuous = size.type == V4L2_FRMSIZE_TYPE_CONTINUOUS.rawValue
            sizes.append(.stepwise(minWidth: Int(s.min_width), maxWidth: Int(s.max_width),
                                   stepWidth: continuous ? 1 : Int(s.step_width),
                                   minHeight: Int(s.min_height), maxHeight: Int(s.max_height),
                                   stepHeight: continuous ? 1 : Int(s.step_height)))
            break
        }
        return sizes
    }

    /// Frame intervals of `fourcc` at one size; nil when the driver does not enumerate them.
    func enumerateFrameIntervals(_ fourcc: V4L2FourCC, width: Int, height: Int)
        throws(V4L2CallError) -> V4L2FrameIntervals?
    {
        var discrete: [V4L2Fraction] = []
        while true {
            var interval = v4l2_frmivalenum()
            interval.index = UInt32(discrete.count)
            interval.pixel_format = fourcc.rawValue
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            do {
                try ioctl(.enumerateFrameIntervals, &interval)
            } catch where error.errno == .invalidArgument || error.errno == .notATypewriter {
                break
            }
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                discrete.append(V4L2Fraction(interval.discrete.numerator, interval.discrete.denominator))
                continue
            }
            let s = interval.stepwise
            return .stepwise(min: V4L2Fraction(s.min.numerator, s.min.denominator),
                             max: V4L2Fraction(s.max.numerator, s.max.denominator),
                             step: V4L2Fraction(s.step.numerator, s.step.denominator))
        }
        return discrete.isEmpty ? nil : .discrete(discrete)
    }

    /// `VIDIOC_S_FMT`: asks for a format and size; returns what the driver chose instead.
    func setFormat(_ fourcc: V4L2FourCC, width: Int, height: Int) throws(V4L2CallError) -> V4L2PixFormat {
        var format = v4l2_format()
        format.type = captureType
        format.fmt.pix.pixelformat = fourcc.rawValue
        format.fmt.pix.width = UInt32(width)
        format.fmt.pix.height = UInt32(height)
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        try ioctl(.setFormat, &format)
        let pix = format.fmt.pix
        return V4L2PixFormat(fourcc: V4L2FourCC(rawValue: pix.pixelformat), width: Int(pix.width),
                             height: Int(pix.height), bytesPerLine: Int(pix.bytesperline),
                             sizeImage: Int(pix.sizeimage))
    }

    /// `VIDIOC_G_PARM`: whether the frame interval can be set, and the current one.
    func frameIntervalSetting() throws(V4L2CallError) -> (settable: Bool, current: V4L2Fraction) {
        var parm = v4l2_streamparm()
        parm.type = captureType
        try ioctl(.getParameters, &parm)
        let capture = parm.parm.capture
        return (capture.capability & UInt32(V4L2_CAP_TIMEPERFRAME) != 0,
                V4L2Fraction(capture.timeperframe.numerator, capture.timeperframe.denominator))
    }

    /// `VIDIOC_S_PARM` with a new frame interval; returns the interval the driver chose.
    func setFrameInterval(_ interval: V4L2Fraction) throws(V4L2CallError) -> V4L2Fraction {
        var parm = v4l2_streamparm()
        parm.type = captureType
        parm.parm.capture.timeperframe.numerator = interval.numerator
        parm.parm.capture.timeperframe.denominator = interval.denominator
        try ioctl(.setParameters, &parm)
        let chosen = parm.parm.capture.timeperframe
        return V4L2Fraction(chosen.numerator, chosen.denominator)
    }

    /// `VIDIOC_REQBUFS` for memory-mapped buffers; returns how many the driver allocated
    /// (which may be fewer or more than asked). A count of 0 frees them.
    func requestBuffers(_ count: Int) throws(V4L2CallError) -> Int {
        var request = v4l2_requestbuffers()
        request.count = UInt32(count)
        request.type = captureType
        request.memory = mmapMemory
        try ioctl(.requestBuffers, &request)
        return Int(request.count)
    }

    /// `VIDIOC_QUERYBUF`: where buffer `index` lives, for `mmap`.
    func queryBuffer(_ index: Int) throws(V4L2CallError) -> (offset: Int64, length: Int) {
        var buffer = v4l2_buffer()
        buffer.index = UInt32(index)
        buffer.type = captureType
        buffer.memory = mmapMemory
        try ioctl(.queryBuffer, &buffer)
        return (Int64(buffer.m.offset), Int(buffer.length))
    }

    /// `VIDIOC_QBUF`: hands buffer `index` back to the driver to fill.
    func queueBuffer(_ index: Int) throws(V4L2CallError) {
        var buffer = v4l2_buffer()
        buffer.index = UInt32(index)
        buffer.type = captureType
        buffer.memory = mmapMemory
        try ioctl(.queueBuffer, &buffer)
    }

    /// `VIDIOC_DQBUF`: takes the oldest filled buffer. Throws `EAGAIN` when none is ready.
    func dequeueBuffer() throws(V4L2CallError) -> V4L2DequeuedBuffer {
        var buffer = v4l2_buffer()
        buffer.type = captureType
        buffer.memory = mmapMemory
        try ioctl(.dequeueBuffer, &buffer)
        let t = buffer.timestamp
        let nanos = UInt64(max(t.tv_sec, 0)) &* 1_000_000_000 &+ UInt64(max(t.tv_usec, 0)) &* 1_000
        return V4L2DequeuedBuffer(index: Int(buffer.index), bytesUsed: Int(buffer.bytesused), flags: buffer.flags,
                                  sequence: buffer.sequence, timestampNanos: nanos)
    }

    func streamOn() throws(V4L2CallError) {
        var type = Int32(bitPattern: captureType)
        try ioctl(.streamOn, &type)
    }

    func streamOff() throws(V4L2CallError) {
        var type = Int32(bitPattern: captureType)
        try ioctl(.streamOff, &type)
    }
}
