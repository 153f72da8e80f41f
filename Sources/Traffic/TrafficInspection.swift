import SightlineCore

/// One frame as the traffic stage saw it (`sightline replay --masks`): the picture, the motion mask the blobs were
/// cut from, the blobs, the live tracks and the crossings reported on it. For answering "why was my vehicle not
/// seen" by looking; the stage makes one only when asked (`TrafficStage.inspect`).
public struct TrafficInspection: Sendable {
    /// The frame's index, as in `replay --trace`.
    public var frame: Int
    /// The luma plane at the processing size.
    public var picture: Image
    /// Source pixels per picture pixel.
    public var pictureScale: Double
    /// The cleaned motion mask at the background model's size (nonzero: motion).
    public var mask: Image
    /// Source pixels per mask pixel.
    public var maskScale: Double
    public var stopLines: [TrafficSegment]
    /// This frame's blobs, in source pixels.
    public var blobs: [TrafficBox]
    public var tracks: [Track]
    /// The tracks whose crossing was reported on this frame.
    public var reported: Set<Int>

    /// The picture in RGB with motion tinted red, the stop lines yellow, blobs cyan, confirmed tracks green (dim
    /// while they coast), tentative ones white, and a reported crossing's track red and thick; each track's id above
    /// its box.
    public func rendered() -> Image {
        let (w, h) = (picture.width, picture.height)
        var out = Image(width: w, height: h, channels: 3)
        // Mask cells per picture pixel; no motion is drawn from a mask that cannot be placed.
        let toMask = pictureScale / maskScale
        let placed = mask.width > 0 && mask.height > 0 && toMask.isFinite && toMask > 0 && toMask < 1e6
        for y in 0..<h {
            let my = placed ? min(Int(Double(y) * toMask), mask.height - 1) : 0
            for x in 0..<w {
                // The first channel of whatever the picture has (the stage hands over luma).
                let g = picture.pixels[(y * w + x) * picture.channels]
                let mx = placed ? min(Int(Double(x) * toMask), mask.width - 1) : 0
                let i = (y * w + x) * 3
                if placed, mask.pixels[(my * mask.width + mx) * mask.channels] != 0 {
                    out.pixels[i] = UInt8(128 + Int(g) / 2)
                    out.pixels[i + 1] = g / 3
                    out.pixels[i + 2] = g / 3
                } else {
                    out.pixels[i] = g
                    out.pixels[i + 1] = g
                    out.pixels[i + 2] = g
                }
            }
        }
        var canvas = Canvas(image: out, scale: pictureScale)
        for line in stopLines { canvas.line(line.start, line.end, colour: (255, 220, 0)) }
        for blob in blobs { canvas.box(blob, colour: (0, 220, 255), thickness: 1) }
        for track in tracks {
            let colour: (UInt8, UInt8, UInt8) = reported.contains(track.id) ? (255, 40, 40)
                : !track.confirmed ? (255, 255, 255) : track.measuredThisFrame ? (40, 255, 40) : (20, 120, 20)
            canvas.box(track.box, colour: colour, thickness: reported.contains(track.id) ? 3 : 2)
            canvas.number(track.id, at: TrafficPoint(track.box.left, track.box.top), colour: colour)
        }
        return canvas.image
    }
}

/// Drawing in source pixels onto a picture `scale` source pixels per pixel; whatever falls outside is clipped.
private struct Canvas {
    var image: Image
    let scale: Double

    mutating func set(_ x: Int, _ y: Int, _ colour: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < image.width, y < image.height else { return }
        let i = (y * image.width + x) * 3
        image.pixels[i] = colour.0
        image.pixels[i + 1] = colour.1
        image.pixels[i + 2] = colour.2
    }

    /// A picture coordinate for a source coordinate, clamped well outside the picture (nothing converts out of range).
    func pixel(_ v: Double, limit: Int) -> Int {
        let p = (v / scale).rounded(.down)
        guard p.isFinite else { return -1 }
        return Int(min(max(p, -2), Double(limit + 1)))
    }

    mutating func box(_ b: TrafficBox, colour: (UInt8, UInt8, UInt8), thickness: Int) {
        let (l, r) = (pixel(b.left, limit: image.width), pixel(b.right, limit: image.width) - 1)
        let (t, bottom) = (pixel(b.top, limit: image.height), pixel(b.bottom, limit: image.height) - 1)
        // Some of the box on the picture; then each range below is within it and not empty.
        guard l <= r, t <= bottom, r >= 0, bottom >= 0, l < image.width, t < image.height else { return }
        for k in 0..<thickness {
            for x in max(l, 0)...min(r, image.width - 1) {
                set(x, t + k, colour)
                set(x, bottom - k, colour)
            }
            for y in max(t, 0)...min(bottom, image.height - 1) {
                set(l + k, y, colour)
                set(r - k, y, colour)
            }
        }
    }

    mutating func line(_ a: TrafficPoint, _ b: TrafficPoint, colour: (UInt8, UInt8, UInt8)) {
        let (x0, y0) = (pixel(a.x, limit: image.width), pixel(a.y, limit: image.height))
        let (x1, y1) = (pixel(b.x, limit: image.width), pixel(b.y, limit: image.height))
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for s in 0...steps {
            let x = x0 + (x1 - x0) * s / steps, y = y0 + (y1 - y0) * s / steps
            set(x, y, colour)
            set(x, y + 1, colour)
        }
    }

    /// `value` in a 3 × 5 digit font drawn at twice its size, its bottom-left corner just above `at`.
    mutating func number(_ value: Int, at: TrafficPoint, colour: (UInt8, UInt8, UInt8)) {
        let x0 = pixel(at.x, limit: image.width), y0 = pixel(at.y, limit: image.height) - 12
        for (n, digit) in String(value).compactMap({ $0.wholeNumberValue }).enumerated() {
            let glyph = Self.digits[digit]
            for row in 0..<10 {
                for column in 0..<6 where glyph[row / 2] & (4 >> (column / 2)) != 0 {
                    set(x0 + n * 8 + column, y0 + row, colour)
                }
            }
        }
    }

    /// Rows of each digit, three bits a row, the leftmost the highest.
    static let digits: [[UInt8]] = [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ]
}
