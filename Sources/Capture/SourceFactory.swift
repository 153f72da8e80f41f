import SightlineCore

/// Builds the frame source a `SourceSpec` names.
public enum SourceFactory {
    /// Builds a V4L2 camera source for a device path.
    public typealias V4L2Maker = @Sendable (_ device: String, _ options: SourceOptions) throws -> any FrameSource

    /// HOOK for the V4L2 capture helper's `V4L2Source`, which lives in this module once merged.
    /// The lead wires it (or replaces the `.v4l2` case of `make` with a direct call):
    /// `SourceFactory.makeV4L2 = { try V4L2Source(path: $0, options: $1) }`.
    /// Set it once at start-up, before any source is made; it is read without synchronisation.
    nonisolated(unsafe) public static var makeV4L2: V4L2Maker?

    /// A source for `spec`, not yet opened. Throws `CaptureError.unsupported` for a camera when
    /// no V4L2 support is wired in.
    public static func make(spec: SourceSpec, options: SourceOptions = SourceOptions()) throws -> any FrameSource {
        switch spec {
        case .v4l2(let device):
            guard let makeV4L2 else {
                throw CaptureError.unsupported(path: device, reason: "this build has no V4L2 capture")
            }
            return try makeV4L2(device, options)
        case .mjpeg(let path): return MJPEGFileSource(path: path, options: options)
        case .avi(let path): return AVISource(path: path, options: options)
        case .jpegDirectory(let path): return JPEGDirectorySource(path: path, options: options)
        case .y4m(let path): return Y4MSource(path: path, options: options)
        }
    }

    /// Parses `text` (see `SourceSpec`) and builds its source.
    public static func make(_ text: String, options: SourceOptions = SourceOptions()) throws -> any FrameSource {
        try make(spec: SourceSpec(parsing: text), options: options)
    }
}
