import SightlineCore

/// Turns captured frames into the `Frame`s that stages see, at the size they need.
///
/// JPEG payloads use DCT scaling so that the picture is decoded straight to the largest
/// reduction that stays at least `minWidth` wide; raw payloads are box-reduced by the same rule.
public final class FrameDecoder {
    public struct Options: Sendable, Equatable {
        /// Smallest acceptable processing width; 0 decodes at full size.
        public var minWidth: Int
        /// Whether to produce the RGB plane as well as luma.
        public var color: Bool

        public init(minWidth: Int = 0, color: Bool = false) {
            self.minWidth = minWidth
            self.color = color
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case jpeg(JPEGError)
        case raw(RawConversion.Error)
        public var description: String {
            switch self {
            case .jpeg(let e): return e.description
            case .raw(let e): return e.description
            }
        }
    }

    public let camera: String
    public var options: Options
    private let jpeg = JPEGDecoder()

    public init(camera: String, options: Options = Options()) {
        self.camera = camera
        self.options = options
    }

    public func decode(_ captured: CapturedFrame) throws(Error) -> Frame {
        switch captured.payload {
        case .jpeg(let data):
            // The header gives the source width only after parsing, so the scale is chosen from
            // the SOF marker first (cheap), then libjpeg decodes once at that scale.
            let width = JPEGMarkers.frameSize(data)?.width ?? 0
            let scale = options.minWidth > 0 && width > 0
                ? JPEGDecoder.scale(forSourceWidth: width, minWidth: options.minWidth) : 1
            let out: JPEGDecoder.Output
            let gray: Image
            var rgb: Image? = nil
            do {
                if options.color {
                    out = try jpeg.decode(data, scale: scale, gray: false)
                    rgb = out.image
                    gray = ColorConversion.luma(of: out.image)
                } else {
                    out = try jpeg.decode(data, scale: scale, gray: true)
                    gray = out.image
                }
            } catch { throw .jpeg(error) }
            return Frame(camera: camera, seq: captured.seq, monotonicNanos: captured.monotonicNanos,
                         wallNanos: captured.wallNanos, pts: captured.pts, gray: gray, rgb: rgb,
                         sourceWidth: out.sourceWidth, sourceHeight: out.sourceHeight)
        case .raw(let format, let width, let height, let bytes):
            let scale = options.minWidth > 0 ? JPEGDecoder.scale(forSourceWidth: width, minWidth: options.minWidth) : 1
            do {
                let (gray, rgb) = try RawConversion.convert(bytes, format: format, width: width, height: height,
                                                            scale: scale, color: options.color)
                return Frame(camera: camera, seq: captured.seq, monotonicNanos: captured.monotonicNanos,
                             wallNanos: captured.wallNanos, pts: captured.pts, gray: gray, rgb: rgb,
                             sourceWidth: width, sourceHeight: height)
            } catch { throw .raw(error) }
        }
    }
}
