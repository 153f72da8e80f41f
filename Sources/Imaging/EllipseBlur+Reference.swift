import SightlineCore

extension EllipseBlur {
    /// The scalar reference for `apply`: the same mosaic, box blurs and ellipse, computed from their
    /// definitions (each blurred sample summed over its whole window, no running sums, no pointers).
    /// For tests; results agree with `apply` to within one level (float summation order).
    public static func applyReference(to image: inout Image, centerX: Double, centerY: Double, radiusX: Double,
                                      radiusY: Double, block: Int = 0) {
        guard radiusX > 0, radiusY > 0, image.width > 0, image.height > 0 else { return }
        let x0 = max(Int((centerX - radiusX).rounded(.down)), 0)
        let y0 = max(Int((centerY - radiusY).rounded(.down)), 0)
        let x1 = min(Int((centerX + radiusX).rounded(.up)), image.width - 1)
        let y1 = min(Int((centerY + radiusY).rounded(.up)), image.height - 1)
        guard x0 <= x1, y0 <= y1 else { return }
        let w = x1 - x0 + 1, h = y1 - y0 + 1, channels = image.channels
        let size = block >= 2 ? block : max(4, Int(min(radiusX, radiusY) / 4))
        let radius = max(size / 2, 1)
        for k in 0..<channels {
            // Mosaic: each sample takes the mean of its block (blocks anchored at the rectangle's corner).
            var plane = [[Float]](repeating: [Float](repeating: 0, count: w), count: h)
            for y in 0..<h {
                for x in 0..<w {
                    let bx = x / size * size, by = y / size * size
                    var sum = 0, count = 0
                    for yy in by..<min(by + size, h) {
                        for xx in bx..<min(bx + size, w) {
                            sum += Int(image[x0 + xx, y0 + yy, k])
                            count += 1
                        }
                    }
                    plane[y][x] = Float(sum) / Float(count)
                }
            }
            // Three passes of a (2·radius+1) box, horizontal then vertical, edges clamped.
            for _ in 0..<3 {
                var horizontal = plane
                for y in 0..<h {
                    for x in 0..<w {
                        var sum: Float = 0
                        for i in (x - radius)...(x + radius) { sum += plane[y][min(max(i, 0), w - 1)] }
                        horizontal[y][x] = sum / Float(2 * radius + 1)
                    }
                }
                for y in 0..<h {
                    for x in 0..<w {
                        var sum: Float = 0
                        for i in (y - radius)...(y + radius) { sum += horizontal[min(max(i, 0), h - 1)][x] }
                        plane[y][x] = sum / Float(2 * radius + 1)
                    }
                }
            }
            for y in 0..<h {
                for x in 0..<w {
                    let dx = (Double(x0 + x) - centerX) / radiusX, dy = (Double(y0 + y) - centerY) / radiusY
                    guard dx * dx + dy * dy <= 1 else { continue }
                    image.pixels[((y0 + y) * image.width + x0 + x) * channels + k] =
                        UInt8(min(max(plane[y][x] + 0.5, 0), 255))
                }
            }
        }
    }
}
