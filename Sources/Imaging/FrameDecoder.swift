import SightlineCore

/// Turns captured frames into the `Frame`s that stages see, at the size they need.
///
/// JPEG payloads use DCT scaling so that the picture is decoded straight to the largest
/// reduction that stays at least `minWidth` wide (chosen after libjpeg has read the header);
/// raw payloads are box-reduced by the same rule.
public final class FrameDecoder {
    public struct Options: Sendable, Equatable {
        /// Smallest acceptable processing width; 0 decodes at full size.
        public var minWidth: Int
        /// Whether to produce the RGB plane as well as luma. The luma plane is the same either way.
        public var color: Bool
        /// Frames whose source has more pixels than this are refused (`JPEGError.tooLarge`,
        /// `RawConversion.Error.tooLarge`) before any pixel memory is allocated.
        public var maxPixels: Int

        public init(minWidth: Int = 0, color: Bool = false, maxPixels: Int = JPEGDecoder.defaultMaxPixels) {
            self.minWidth = minWidth
            self.color = color
            self.maxPixels = maxPixels
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case jpeg(JPEGError)
        case raw(RawConversion.Error)
        /// A frame the source decoded without the colour a stage needs (the source was not asked for it).
        case noColor
        public var description: String {
            switch self {
            case .jpeg(let e): return e.description
            case .raw(let e): return e.description
            case .noColor: return "the source decoded this frame without colour, which a stage needs"
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
            // libjpeg reads the header and picks the DCT scale from it, then decodes once at that
            // scale; with colour, luma and RGB come from that one decode (luma as without colour).
            let out: JPEGDecoder.Planes
            do {
                out = try jpeg.decodePlanes(data, minWidth: options.minWidth, color: options.color,
                                            maxPixels: options.maxPixels)
            } catch { throw .jpeg(error) }
            return Frame(camera: camera, seq: captured.seq, monotonicNanos: captured.monotonicNanos,
                         wallNanos: captured.wallNanos, pts: captured.pts, gray: out.gray, rgb: out.rgb,
                         sourceWidth: out.sourceWidth, sourceHeight: out.sourceHeight)
        case .raw(let format, let width, let height, let bytes):
            let scale = options.minWidth > 0 ? JPEGDecoder.scale(forSourceWidth: width, minWidth: options.minWidth) : 1
            do {
                let (gray, rgb) = try RawConversion.convert(bytes, format: format, width: width, height: height,
                                                            scale: scale, color: options.color,
                                                            maxPixels: options.maxPixels)
                return Frame(camera: camera, seq: captured.seq, monotonicNanos: captured.monotonicNanos,
                             wallNanos: captured.wallNanos, pts: captured.pts, gray: gray, rgb: rgb,
                             sourceWidth: width, sourceHeight: height)
            } catch { throw .raw(error) }
        case .decoded(let picture):
            // Video sources decode and scale to the processing size themselves (an inter-coded stream
            // cannot skip a compressed frame); the planes pass through.
            if options.color && picture.rgb == nil { throw .noColor }
            return Frame(camera: camera, seq: captured.seq, monotonicNanos: captured.monotonicNanos,
                         wallNanos: captured.wallNanos, pts: captured.pts, gray: picture.gray,
                         rgb: options.color ? picture.rgb : nil, sourceWidth: picture.sourceWidth,
                         sourceHeight: picture.sourceHeight)
        }
    }
}
