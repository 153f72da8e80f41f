import Logging
import SightlineCore

/// Builds the frame source a `SourceSpec` names.
public enum SourceFactory {
    /// A source for `spec`, not yet opened. A camera comes back as a plain `V4L2Source` or `VideoSource`; the
    /// daemon wraps it in a `ReconnectingSource` to survive unplugs and stalls.
    public static func make(spec: SourceSpec, options: SourceOptions = SourceOptions(),
                            logger: Logger = Logger(label: "sightline.capture")) throws -> any FrameSource {
        switch spec {
        case .v4l2(let device):
            var configuration = V4L2Configuration(
                framesPerSecond: options.fps, deviceTimeout: .milliseconds(Int64(options.deviceTimeoutSeconds * 1000)))
            if let width = options.width, let height = options.height {
                configuration.width = width
                configuration.height = height
            }
            return V4L2Source(path: device, configuration: configuration)
        case .mjpeg(let path): return MJPEGFileSource(path: path, options: options)
        case .avi(let path): return AVISource(path: path, options: options)
        case .jpegDirectory(let path): return JPEGDirectorySource(path: path, options: options)
        case .y4m(let path): return Y4MSource(path: path, options: options)
        case .video, .rtsp: return VideoSource(spec: spec, options: options, logger: logger)
        }
    }

    /// Parses `text` (see `SourceSpec`) and builds its source.
    public static func make(_ text: String, options: SourceOptions = SourceOptions()) throws -> any FrameSource {
        try make(spec: SourceSpec(parsing: text), options: options)
    }
}
