import SightlineCore

/// What a V4L2 node can do: formats, frame sizes and frame intervals, for `sightline probe`.
///
/// A value: print `description` for people, encode it (`Codable`) for `--json`.
public struct V4L2Probe: Sendable, Equatable, Codable, CustomStringConvertible {
    /// One frame size and the intervals the driver offers at it.
    public struct Size: Sendable, Equatable, Codable {
        public var size: V4L2FrameSize
        /// Nil when the driver does not enumerate intervals. For a stepwise size range these
        /// are the intervals at the largest size.
        public var intervals: V4L2FrameIntervals?

        public init(size: V4L2FrameSize, intervals: V4L2FrameIntervals?) {
            self.size = size
            self.intervals = intervals
        }
    }

    /// One pixel format.
    public struct Format: Sendable, Equatable, Codable {
        public var fourcc: V4L2FourCC
        public var description: String
        public var compressed: Bool
        /// Produced by libv4l2's software conversion rather than the device.
        public var emulated: Bool
        public var sizes: [Size]
    }

    /// The path asked for.
    public var path: String
    /// The node behind it, symlinks followed.
    public var devicePath: String
    public var driver: String
    public var card: String
    public var busInfo: String
    public var driverVersion: String
    /// Whether `V4L2Source` can use the node: single-planar video capture with streaming I/O.
    public var canCapture: Bool
    public var canStream: Bool
    public var formats: [Format]

    /// Opens `path`, asks, closes. Throws `cannotOpen`, `deviceLost` or `system`.
    public init(path: String, system: any V4L2System = LibV4L2System.shared) throws(CaptureError) {
        let node: String
        do {
            node = try system.resolveSymlinks(path)
        } catch {
            throw .cannotOpen(path: path, reason: V4L2Source.openFailureReason(error))
        }
        let device = try V4L2Source.openDevice(node, path: path, system: system)
        defer { device.close() }
        let capability = try V4L2Source.queryCapability(device, path: path)
        do {
            var formats: [Format] = []
            for entry in try device.enumerateFormats() {
                var sizes: [Size] = []
                for size in try device.enumerateFrameSizes(entry.fourcc) {
                    let (w, h): (Int, Int)
                    switch size {
                    case .discrete(let width, let height): (w, h) = (width, height)
                    case .stepwise(_, let maxW, _, _, let maxH, _): (w, h) = (maxW, maxH)
                    }
                    sizes.append(Size(size: size,
                                      intervals: try device.enumerateFrameIntervals(entry.fourcc, width: w, height: h)))
                }
                formats.append(Format(fourcc: entry.fourcc, description: entry.description,
                                      compressed: entry.compressed, emulated: entry.emulated, sizes: sizes))
            }
            self.path = path
            devicePath = node
            driver = capability.driver
            card = capability.card
            busInfo = capability.busInfo
            driverVersion = capability.versionString
            canCapture = capability.canCapture
            canStream = capability.canStream
            self.formats = formats
        } catch {
            throw error.captureError(path: path)
        }
    }

    /// A few lines per format, e.g. `MJPG  Motion-JPEG (compressed)` then `    1280x720: 30, 15 fps`.
    public var description: String {
        var lines = [path == devicePath ? path : "\(path) -> \(devicePath)",
                     "\(card) (\(driver) \(driverVersion), \(busInfo))"]
        if !canCapture { lines.append("not a single-planar video capture device") }
        if canCapture && !canStream { lines.append("no streaming I/O") }
        for format in formats {
            var flags: [String] = []
            if format.compressed { flags.append("compressed") }
            if format.emulated { flags.append("emulated by libv4l2") }
            let note = flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))"
            lines.append("\(format.fourcc)  \(format.description)\(note)")
            for size in format.sizes {
                lines.append("    \(size.size)\(size.intervals.map { ": \($0)" } ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }
}
