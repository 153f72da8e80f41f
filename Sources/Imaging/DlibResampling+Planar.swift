import SightlineCore

/// An 8-bit image stored plane after plane (one plane for gray, three for RGB), for kernels that work on one
/// channel at a time with vector loads.
///
/// `bytes` holds `channels × height × width` values, then `padding` spare bytes, so that a kernel may load a
/// whole vector starting at any pixel.
public struct PlanarImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// 1 (gray) or 3 (R, G, B planes).
    public let channels: Int
    public var bytes: [UInt8]

    /// Spare bytes after the last plane.
    public static let padding = 64

    /// A black image.
    public init(width: Int, height: Int, channels: Int) {
        precondition(width >= 0 && height >= 0 && (channels == 1 || channels == 3), "bad planar image shape")
        self.width = width
        self.height = height
        self.channels = channels
        bytes = [UInt8](repeating: 0, count: channels * width * height + Self.padding)
    }

    /// The planes of an interleaved image.
    public init(_ image: Image) {
        self.init(width: image.width, height: image.height, channels: image.channels)
        let count = image.width * image.height
        image.pixels.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                if image.channels == 1 {
                    d.update(from: s, count: count)
                } else {
                    let g = d + count, b = g + count
                    for i in 0..<count {
                        d[i] = s[3 &* i]
                        g[i] = s[3 &* i &+ 1]
                        b[i] = s[3 &* i &+ 2]
                    }
                }
            }
        }
    }

    public var planeSize: Int { width * height }

    /// The same pixels interleaved (RGB) or as they are (gray).
    public func interleaved() -> Image {
        var out = Image(width: width, height: height, channels: channels)
        let count = planeSize
        bytes.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                for i in 0..<count {
                    for k in 0..<channels { d[i &* channels &+ k] = s[k &* count &+ i] }
                }
            }
        }
        return out
    }
}

extension DlibResampling {
    /// `resizeBilinear` of a planar image, with the same pixel arithmetic (the result equals resizing the
    /// interleaved image), computed one plane at a time with vector arithmetic.
    public static func resizeBilinear(_ source: PlanarImage, width: Int, height: Int) -> PlanarImage {
        var out = PlanarImage(width: width, height: height, channels: source.channels)
        guard width > 0, height > 0, source.width > 0, source.height > 0 else { return out }
        source.bytes.withUnsafeBufferPointer { src in
            out.bytes.withUnsafeMutableBufferPointer { dst in
                for k in 0..<source.channels {
                    let plane = PlaneSource(base: src.baseAddress! + k * source.planeSize, pixelStride: 1,
                                            rowStride: source.width)
                    PlanarResizer.resize(plane, inCols: source.width, inRows: source.height,
                                         dst: dst.baseAddress! + k * width * height, outCols: width, outRows: height,
                                         gray: source.channels == 1)
                }
            }
        }
        return out
    }

    /// `resizeBilinear` of an interleaved image into planes (same arithmetic).
    public static func resizeBilinearToPlanes(_ source: Image, width: Int, height: Int) -> PlanarImage {
        var out = PlanarImage(width: width, height: height, channels: source.channels)
        guard width > 0, height > 0, source.width > 0, source.height > 0 else { return out }
        source.pixels.withUnsafeBufferPointer { src in
            out.bytes.withUnsafeMutableBufferPointer { dst in
                for k in 0..<source.channels {
                    let plane = PlaneSource(base: src.baseAddress! + k, pixelStride: source.channels,
                                            rowStride: source.width * source.channels)
                    PlanarResizer.resize(plane, inCols: source.width, inRows: source.height,
                                         dst: dst.baseAddress! + k * width * height, outCols: width, outRows: height,
                                         gray: source.channels == 1)
                }
            }
        }
        return out
    }

    /// `pyramidDown` of a planar image.
    public static func pyramidDown(_ source: PlanarImage, ratio: Int) -> PlanarImage {
        precondition(ratio > 3, "pyramid_down<2> and <3> use dedicated filters")
        return resizeBilinear(source, width: (ratio - 1) * source.width / ratio,
                              height: (ratio - 1) * source.height / ratio)
    }

    /// `pyramidUp` of a planar image.
    public static func pyramidUp(_ source: PlanarImage) -> PlanarImage {
        let size = pyramidUpSize(width: source.width, height: source.height)
        return resizeBilinear(source, width: size.width, height: size.height)
    }

    /// `pyramidUp` of an interleaved image, into planes.
    public static func pyramidUpToPlanes(_ source: Image) -> PlanarImage {
        let size = pyramidUpSize(width: source.width, height: source.height)
        return resizeBilinearToPlanes(source, width: size.width, height: size.height)
    }
}
