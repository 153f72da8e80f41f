import Foundation
import Imaging
import SightlineCore

/// Where an aligned face chip lies in its image (dlib's `chip_details`): a rectangle in image pixels
/// (double corners, dlib's inclusive convention), the rotation about its centre in radians, and the chip
/// size in pixels.
public struct FaceChipDetails: Sendable, Equatable {
    public var left: Double
    public var top: Double
    public var right: Double
    public var bottom: Double
    public var angle: Double
    public var rows: Int
    public var cols: Int

    /// dlib's mean 5-point face in a unit square (outer and inner eye corners, nose).
    static let meanFace5: [(Double, Double)] = [
        (0.8595674595992, 0.2134981538014), (0.6460604764104, 0.2289674387677), (0.1205750620789, 0.2137274526848),
        (0.3340850613712, 0.2290642403242), (0.4901123135679, 0.6277975316475),
    ]

    /// dlib's `get_face_chip_details(det, size, padding)` for the 5-point landmarks: the similarity transform
    /// that best maps the padded mean face onto the landmarks.
    public init(landmarks: [FacePoint], size: Int = 150, padding: Double = 0.25) {
        precondition(landmarks.count == 5, "face chips need the 5-point landmarks")
        precondition(size > 0 && padding >= 0, "bad chip size or padding")
        let from = Self.meanFace5.map { ((padding + $0.0) / (2 * padding + 1) * Double(size),
                                         (padding + $0.1) / (2 * padding + 1) * Double(size)) }
        let to = landmarks.map { (Double($0.x), Double($0.y)) }
        // Least-squares similarity from chip points to image points (Umeyama, closed form in 2-D).
        let n = Double(from.count)
        let mf = (from.reduce(0) { $0 + $1.0 } / n, from.reduce(0) { $0 + $1.1 } / n)
        let mt = (to.reduce(0) { $0 + $1.0 } / n, to.reduce(0) { $0 + $1.1 } / n)
        var sigma = 0.0, dot = 0.0, cross = 0.0
        for (f, t) in zip(from, to) {
            let fx = f.0 - mf.0, fy = f.1 - mf.1, tx = t.0 - mt.0, ty = t.1 - mt.1
            sigma += fx * fx + fy * fy
            dot += tx * fx + ty * fy
            cross += ty * fx - tx * fy
        }
        let a = dot / sigma, b = cross / sigma
        let translation = (mt.0 - (a * mf.0 - b * mf.1), mt.1 - (b * mf.0 + a * mf.1))
        angle = atan2(b, a)
        let scale = (a * a + b * b).squareRoot()
        let centre = (Double(size) / 2, Double(size) / 2)
        let cx = a * centre.0 - b * centre.1 + translation.0
        let cy = b * centre.0 + a * centre.1 + translation.1
        let width = Double(size) * scale - 1, height = Double(size) * scale - 1  // centered_drect
        left = cx - width / 2
        top = cy - height / 2
        right = cx + width / 2
        bottom = cy + height / 2
        rows = size
        cols = size
    }

    var width: Double { right - left + 1 }
    var height: Double { bottom - top + 1 }
}

/// dlib's `extract_image_chip` with bilinear interpolation: when the chip is much smaller than its
/// rectangle, the image is first halved with dlib's `pyramid_down<2>` Gaussian (so that the bilinear
/// sampling does not alias), then each chip pixel is sampled through the affine map from chip corners to the
/// rotated rectangle; samples outside the image are black.
public enum FaceChipExtractor {
    /// Extracts the chip described by `details` from a gray or RGB image (same channel count out).
    public static func extract(_ image: Image, details: FaceChipDetails) -> Image {
        let size = Double(details.rows * details.cols)
        // Pyramid depth: how many halvings keep the rectangle larger than the chip.
        var rect = halved((details.left, details.top, details.right, details.bottom))
        var depth = 0
        var grow = 2.0
        while area(rect) > size {
            rect = halved(rect)
            depth += 1
            grow = grow * 2 + 2
        }
        let centre = ((details.left + details.right) / 2, (details.top + details.bottom) / 2)
        let corners = [(details.left, details.top), (details.right, details.top), (details.left, details.bottom),
                       (details.right, details.bottom)].map { rotate($0, about: centre, by: details.angle) }
        let minX = corners.map(\.0).min()!, maxX = corners.map(\.0).max()!
        let minY = corners.map(\.1).min()!, maxY = corners.map(\.1).max()!
        // grow_rect, intersect with the image, then dlib's drectangle → rectangle rounding.
        let bounds = FaceBox(rounding: max(minX - grow, 0), max(minY - grow, 0),
                             min(maxX + grow, Double(image.width - 1)), min(maxY + grow, Double(image.height - 1)))
        var level = -1
        var local = (details.left - Double(bounds.left), details.top - Double(bounds.top),
                     details.right - Double(bounds.left), details.bottom - Double(bounds.top))
        while area(halved(local)) > size {
            level += 1
            local = halved(local)
        }
        // The sampler reads whole 8-byte words and sends samples outside the source to a zero row after it.
        var source: (pixels: [UInt8], width: Int, height: Int)
        if level >= 0 {
            var halved = crop(image, bounds)
            for _ in 0...level { halved = DlibResampling.halfDown(halved) }
            var pixels = halved.pixels
            pixels.append(contentsOf: repeatElement(0, count: FaceChipSampler.padding(rowBytes: halved.stride)))
            source = (pixels, halved.width, halved.height)
        } else {
            let width = bounds.isEmpty ? 0 : bounds.width, height = bounds.isEmpty ? 0 : bounds.height
            source = (paddedCrop(image, bounds, padding: FaceChipSampler.padding(rowBytes: width * image.channels)),
                      width, height)
        }
        let localCentre = ((local.0 + local.2) / 2, (local.1 + local.3) / 2)
        let p0 = rotate((local.0, local.1), about: localCentre, by: details.angle)  // chip (0, 0)
        let p1 = rotate((local.2, local.1), about: localCentre, by: details.angle)  // chip (cols−1, 0)
        let p2 = rotate((local.0, local.3), about: localCentre, by: details.angle)  // chip (0, rows−1)
        let cols = Double(details.cols - 1), rows = Double(details.rows - 1)
        let ax = (p1.0 - p0.0) / cols, ay = (p1.1 - p0.1) / cols
        let bx = (p2.0 - p0.0) / rows, by = (p2.1 - p0.1) / rows
        let channels = image.channels
        let count = details.cols * details.rows * channels
        let pixels = source.pixels.withUnsafeBufferPointer { src in
            [UInt8](unsafeUninitializedCapacity: count) { dst, initialized in
                FaceChipSampler.sample(src.baseAddress!, width: source.width, height: source.height, channels: channels,
                                       cols: details.cols, rows: details.rows, ax: ax, ay: ay, bx: bx, by: by,
                                       ox: p0.0, oy: p0.1, into: dst.baseAddress!)
                initialized = count
            }
        }
        return Image(width: details.cols, height: details.rows, channels: channels, pixels: pixels)
    }

    /// Bilinear sampling through the affine map (x, y) = (ax·c + bx·r + ox, ay·c + by·r + oy), in double as
    /// dlib's `interpolate_bilinear`, truncated to 8 bits; outside the source the chip stays black. The scalar
    /// reference of `FaceChipSampler`.
    static func sampleReference(_ source: Image, cols: Int, rows: Int, ax: Double, ay: Double, bx: Double,
                               by: Double, ox: Double, oy: Double) -> Image {
        var out = Image(width: cols, height: rows, channels: source.channels)
        let channels = source.channels
        let width = source.width, height = source.height
        source.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                let src = src.baseAddress!, dst = dst.baseAddress!
                for r in 0..<rows {
                    let rowX = bx * Double(r) + ox, rowY = by * Double(r) + oy
                    for c in 0..<cols {
                        let x = ax * Double(c) + rowX, y = ay * Double(c) + rowY
                        let xf = x.rounded(.down), yf = y.rounded(.down)
                        guard xf >= 0, yf >= 0, xf < Double(width - 1), yf < Double(height - 1) else { continue }
                        let left = Int(xf), top = Int(yf)
                        let lr = x - xf, tb = y - yf
                        let tl = src + (top * width + left) * channels, bl = tl + width * channels
                        let o = dst + (r * cols + c) * channels
                        if channels == 3 {
                            let a = (1 - tb) * ((1 - lr) * SIMD4<Double>(Double(tl[0]), Double(tl[1]), Double(tl[2]), 0)
                                + lr * SIMD4<Double>(Double(tl[3]), Double(tl[4]), Double(tl[5]), 0))
                            let b = tb * ((1 - lr) * SIMD4<Double>(Double(bl[0]), Double(bl[1]), Double(bl[2]), 0)
                                + lr * SIMD4<Double>(Double(bl[3]), Double(bl[4]), Double(bl[5]), 0))
                            let value = a + b
                            o[0] = UInt8(value[0]); o[1] = UInt8(value[1]); o[2] = UInt8(value[2])
                        } else {
                            let value = (1 - tb) * ((1 - lr) * Double(tl[0]) + lr * Double(tl[1]))
                                + tb * ((1 - lr) * Double(bl[0]) + lr * Double(bl[1]))
                            o[0] = UInt8(value)
                        }
                    }
                }
            }
        }
        return out
    }

    private static func crop(_ image: Image, _ box: FaceBox) -> Image {
        guard !box.isEmpty else { return Image(width: 0, height: 0, channels: image.channels) }
        return Image(width: box.width, height: box.height, channels: image.channels,
                     pixels: paddedCrop(image, box, padding: 0))
    }

    /// The pixels of `box` (row-major, no row padding) followed by `padding` zero bytes.
    private static func paddedCrop(_ image: Image, _ box: FaceBox, padding: Int) -> [UInt8] {
        let rowBytes = box.isEmpty ? 0 : box.width * image.channels
        let rows = box.isEmpty ? 0 : box.height
        let count = rows * rowBytes + padding
        return image.pixels.withUnsafeBufferPointer { src in
            [UInt8](unsafeUninitializedCapacity: count) { dst, initialized in
                let dst = dst.baseAddress!
                for r in 0..<rows {
                    let start = ((box.top + r) * image.width + box.left) * image.channels
                    (dst + r * rowBytes).initialize(from: src.baseAddress! + start, count: rowBytes)
                }
                (dst + rows * rowBytes).initialize(repeating: 0, count: padding)
                initialized = count
            }
        }
    }

    /// pyramid_down<2>::rect_down.
    private static func halved(_ r: (Double, Double, Double, Double)) -> (Double, Double, Double, Double) {
        (r.0 / 2 - 1.25, r.1 / 2 - 0.75, r.2 / 2 - 1.25, r.3 / 2 - 0.75)
    }

    private static func area(_ r: (Double, Double, Double, Double)) -> Double {
        guard r.0 <= r.2, r.1 <= r.3 else { return 0 }
        return (r.2 - r.0 + 1) * (r.3 - r.1 + 1)
    }

    private static func rotate(_ p: (Double, Double), about c: (Double, Double), by angle: Double) -> (Double, Double) {
        let s = sin(angle), co = cos(angle)
        let x = p.0 - c.0, y = p.1 - c.1
        return (co * x - s * y + c.0, s * x + co * y + c.1)
    }
}
