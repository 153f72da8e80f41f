import SightlineCore

/// Irreversible anonymisation of an elliptical region: the pixels are replaced by a coarse mosaic (each
/// block its mean), then the mosaic is box-blurred three times (≈ Gaussian) so that no block edge is left
/// to hint at the original; only pixels inside the ellipse change.
///
/// What was there cannot be recovered: every block of `block`×`block` pixels collapses to one value before
/// blurring, so detail finer than a block is gone, not hidden.
public enum EllipseBlur {
    /// Blurs the ellipse centred at (`centerX`, `centerY`) with half-axes `radiusX`, `radiusY` (pixels) in place.
    /// `block` ≥ 2 is the mosaic block size; 0 chooses one eighth of the smaller diameter (at least 4).
    public static func apply(to image: inout Image, centerX: Double, centerY: Double, radiusX: Double,
                             radiusY: Double, block: Int = 0) {
        guard radiusX > 0, radiusY > 0, image.width > 0, image.height > 0 else { return }
        let x0 = max(Int((centerX - radiusX).rounded(.down)), 0)
        let y0 = max(Int((centerY - radiusY).rounded(.down)), 0)
        let x1 = min(Int((centerX + radiusX).rounded(.up)), image.width - 1)
        let y1 = min(Int((centerY + radiusY).rounded(.up)), image.height - 1)
        guard x0 <= x1, y0 <= y1 else { return }
        let w = x1 - x0 + 1, h = y1 - y0 + 1, channels = image.channels
        let size = block >= 2 ? block : max(4, Int(min(radiusX, radiusY) / 4))
        // Mosaic of the bounding rectangle, in floats.
        var region = [Float](repeating: 0, count: w * h * channels)
        image.pixels.withUnsafeBufferPointer { src in
            var by = 0
            while by < h {
                let bh = min(size, h - by)
                var bx = 0
                while bx < w {
                    let bw = min(size, w - bx)
                    for k in 0..<channels {
                        var sum = 0
                        for y in by..<by + bh {
                            let row = ((y0 + y) * image.width + x0) * channels + k
                            for x in bx..<bx + bw { sum += Int(src[row + x * channels]) }
                        }
                        let mean = Float(sum) / Float(bw * bh)
                        for y in by..<by + bh {
                            for x in bx..<bx + bw { region[(y * w + x) * channels + k] = mean }
                        }
                    }
                    bx += size
                }
                by += size
            }
        }
        for _ in 0..<3 {
            boxBlur(&region, width: w, height: h, channels: channels, radius: max(size / 2, 1), horizontal: true)
            boxBlur(&region, width: w, height: h, channels: channels, radius: max(size / 2, 1), horizontal: false)
        }
        image.pixels.withUnsafeMutableBufferPointer { dst in
            for y in 0..<h {
                let dy = (Double(y0 + y) - centerY) / radiusY
                for x in 0..<w {
                    let dx = (Double(x0 + x) - centerX) / radiusX
                    guard dx * dx + dy * dy <= 1 else { continue }
                    let out = ((y0 + y) * image.width + x0 + x) * channels
                    for k in 0..<channels {
                        dst[out + k] = UInt8(min(max(region[(y * w + x) * channels + k] + 0.5, 0), 255))
                    }
                }
            }
        }
    }

    /// Running-sum box blur along one axis with edge clamping.
    private static func boxBlur(_ data: inout [Float], width: Int, height: Int, channels: Int, radius: Int,
                                horizontal: Bool) {
        let lines = horizontal ? height : width
        let length = horizontal ? width : height
        let step = horizontal ? channels : width * channels
        let lineStep = horizontal ? width * channels : channels
        var line = [Float](repeating: 0, count: length)
        let norm = 1 / Float(2 * radius + 1)
        for l in 0..<lines {
            for k in 0..<channels {
                let base = l * lineStep + k
                for i in 0..<length { line[i] = data[base + i * step] }
                var sum: Float = 0
                for i in -radius...radius { sum += line[min(max(i, 0), length - 1)] }
                for i in 0..<length {
                    data[base + i * step] = sum * norm
                    sum += line[min(i + radius + 1, length - 1)] - line[max(i - radius, 0)]
                }
            }
        }
    }
}
