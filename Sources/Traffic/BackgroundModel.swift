/// A per-pixel running background of a downscaled luma image, and the foreground mask of each frame.
///
/// The frame is box-reduced by an integer factor to about `modelWidth` pixels across, which averages
/// sensor noise away. Camera shake is measured each frame as the sub-pixel shift that best lays the
/// frame's edges (lane marks, kerbs) onto the background's, and the frame is resampled back before it is
/// compared. A model pixel is foreground when it differs by more than `threshold` (in the dark, 30 % of the
/// background's level above black, but at least 40 % of `threshold`) from the background
/// and a residual shake of a third of a pixel towards a neighbour does not explain it. A global gain,
/// measured each frame on the background pixels, follows exposure and light changes before the comparison.
/// Background pixels adapt at `learningRate`; foreground ones at a fortieth of
/// it, so a queue waiting at red stays foreground for a minute or more.
public struct BackgroundModel: Sendable {
    /// Downscale factor from processing pixels to model pixels.
    public let factor: Int
    public let width: Int
    public let height: Int
    public let threshold: Float
    public let learningRate: Float
    /// The background, one value per model pixel.
    public private(set) var background: [Float]
    /// The current frame, downscaled.
    private(set) var current: [Float]
    /// 1 where the last frame was foreground (before clean-up), else 0.
    public private(set) var mask: [UInt8]
    /// Frames seen so far.
    public private(set) var frames = 0
    /// The last measured global gain (current over background).
    public private(set) var gain: Float = 1
    /// The last measured camera shift, in model pixels.
    public private(set) var shift: (x: Float, y: Float) = (0, 0)
    /// Background pixels on strong edges, where shake shows; refreshed now and then.
    private var edgeCells: [Int32] = []
    private var aligned: [Float]

    /// A model for processing images of `imageWidth` × `imageHeight`.
    public init(imageWidth: Int, imageHeight: Int, modelWidth: Int, threshold: Double, learningRate: Double) {
        precondition(imageWidth > 0 && imageHeight > 0 && modelWidth > 0, "empty model")
        factor = max(1, imageWidth / modelWidth)
        width = max(1, imageWidth / factor)
        height = max(1, imageHeight / factor)
        self.threshold = Float(threshold)
        self.learningRate = Float(learningRate)
        background = [Float](repeating: 0, count: width * height)
        current = background
        aligned = background
        mask = [UInt8](repeating: 0, count: width * height)
    }

    /// Updates the model with a luma plane of the size given at init and returns the raw mask.
    public mutating func update(gray: [UInt8], imageWidth: Int) -> [UInt8] {
        downscale(gray, imageWidth: imageWidth)
        frames += 1
        if frames == 1 {
            background = current
            return mask
        }
        measureGain()
        if frames % 30 == 2 { findEdges() }
        estimateShift()
        resample()
        measureGain()
        classify()
        adapt()
        return mask
    }

    /// Box-reduces the luma plane into `current`.
    private mutating func downscale(_ gray: [UInt8], imageWidth: Int) {
        let (f, w, h) = (factor, width, height)
        let norm = 1 / Float(f * f)
        gray.withUnsafeBufferPointer { src in
            current.withUnsafeMutableBufferPointer { dst in
                var rowSums = [UInt32](repeating: 0, count: w)
                rowSums.withUnsafeMutableBufferPointer { sums in
                    for my in 0..<h {
                        for x in 0..<w { sums[x] = 0 }
                        for dy in 0..<f {
                            let row = (my &* f &+ dy) &* imageWidth
                            for x in 0..<w {
                                var s: UInt32 = 0
                                let base = row &+ x &* f
                                for dx in 0..<f { s &+= UInt32(src[base &+ dx]) }
                                sums[x] &+= s
                            }
                        }
                        for x in 0..<w { dst[my &* w &+ x] = Float(sums[x]) * norm }
                    }
                }
            }
        }
    }

    /// Picks up to 600 background pixels with a strong gradient, evenly spread.
    private mutating func findEdges() {
        let (w, h) = (width, height)
        var found: [Int32] = []
        for y in 1..<max(h - 1, 1) {
            for x in 1..<max(w - 1, 1) {
                let i = y * w + x
                let gx = abs(background[i + 1] - background[i - 1]), gy = abs(background[i + w] - background[i - w])
                if gx + gy > 24 { found.append(Int32(i)) }
            }
        }
        let stride = max(1, found.count / 600)
        edgeCells = Swift.stride(from: 0, to: found.count, by: stride).map { found[$0] }
    }

    /// The current frame's value at (x - dx, y - dy), bilinear, clamped to the picture.
    @inline(__always)
    private static func sample(_ c: UnsafeBufferPointer<Float>, _ w: Int, _ h: Int, _ x: Float, _ y: Float) -> Float {
        let cx = min(max(x, 0), Float(w - 1)), cy = min(max(y, 0), Float(h - 1))
        let x0 = Int(cx), y0 = Int(cy)
        let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
        let fx = cx - Float(x0), fy = cy - Float(y0)
        let top = c[y0 &* w &+ x0] + fx * (c[y0 &* w &+ x1] - c[y0 &* w &+ x0])
        let bottom = c[y1 &* w &+ x0] + fx * (c[y1 &* w &+ x1] - c[y1 &* w &+ x0])
        return top + fy * (bottom - top)
    }

    /// The shift (coarse to fine, up to one model pixel) that best lays the frame's edges on the background's.
    private mutating func estimateShift() {
        guard edgeCells.count >= 20 else {
            shift = (0, 0)
            return
        }
        let (w, h, g) = (width, height, gain)
        func cost(_ dx: Float, _ dy: Float) -> Float {
            current.withUnsafeBufferPointer { c in
                background.withUnsafeBufferPointer { b in
                    mask.withUnsafeBufferPointer { m in
                        var total: Float = 0
                        for cell in edgeCells where m[Int(cell)] == 0 {
                            let i = Int(cell)
                            let x = Float(i % w), y = Float(i / w)
                            total += min(abs(Self.sample(c, w, h, x + dx, y + dy) - b[i] * g), 25)
                        }
                        return total
                    }
                }
            }
        }
        var best = (x: Float(0), y: Float(0), cost: cost(0, 0))
        for step: Float in [0.5, 0.25] {
            let centre = best
            for dy: Float in [-1, 0, 1] {
                for dx: Float in [-1, 0, 1] where dx != 0 || dy != 0 {
                    let x = centre.x + dx * step, y = centre.y + dy * step
                    guard abs(x) <= 1, abs(y) <= 1 else { continue }
                    let c = cost(x, y)
                    if c < best.cost { best = (x, y, c) }
                }
            }
        }
        shift = (best.x, best.y)
    }

    /// Resamples the current frame by the measured shift, into the background's place.
    private mutating func resample() {
        guard shift != (0, 0) else { return }
        let (w, h, s) = (width, height, shift)
        current.withUnsafeBufferPointer { c in
            aligned.withUnsafeMutableBufferPointer { a in
                for y in 0..<h {
                    for x in 0..<w { a[y &* w &+ x] = Self.sample(c, w, h, Float(x) + s.x, Float(y) + s.y) }
                }
            }
        }
        swap(&current, &aligned)
    }

    /// Ratio of the current frame to the background over last frame's background pixels.
    private mutating func measureGain() {
        var sumCurrent: Float = 0, sumBackground: Float = 0
        current.withUnsafeBufferPointer { c in
            background.withUnsafeBufferPointer { b in
                mask.withUnsafeBufferPointer { m in
                    for i in 0..<c.count where m[i] == 0 {
                        sumCurrent += c[i]
                        sumBackground += b[i]
                    }
                }
            }
        }
        gain = sumBackground > 0 && sumCurrent > 0 ? min(max(sumCurrent / sumBackground, 0.6), 1.6) : 1
    }

    /// Marks pixels that differ from the gain-corrected background, unless a shake of up to `shakeReach`
    /// of a model pixel towards a neighbour explains the value (it lies between the background here
    /// and the blend of here and that neighbour, give or take the threshold).
    private mutating func classify() {
        let (w, h, t, g, reach) = (width, height, threshold, gain, Self.shakeReach)
        current.withUnsafeBufferPointer { c in
            background.withUnsafeBufferPointer { b in
                mask.withUnsafeMutableBufferPointer { m in
                    for y in 0..<h {
                        for x in 0..<w {
                            let i = y &* w &+ x
                            let v = c[i]
                            let here = b[i] * g
                            // In the dark (night, deep shade) contrast shrinks with the light: the threshold
                            // follows the background's level above black, down to 40 % of `threshold`.
                            let t = min(t, max(0.4 * t, 0.3 * (here - 16)))
                            var foreground = abs(v - here) > t
                            if foreground {
                                search: for ny in max(y - 1, 0)...min(y + 1, h - 1) {
                                    for nx in max(x - 1, 0)...min(x + 1, w - 1) {
                                        let shifted = here + reach * (b[ny &* w &+ nx] * g - here)
                                        if v >= min(here, shifted) - t && v <= max(here, shifted) + t {
                                            foreground = false
                                            break search
                                        }
                                    }
                                }
                            }
                            m[i] = foreground ? 1 : 0
                        }
                    }
                }
            }
        }
    }

    /// How far (in model pixels) the camera may shake beyond the measured shift without edges counting as motion.
    static let shakeReach: Float = 0.2

    /// Moves the background towards the frame: fast where it is background, slowly under motion.
    private mutating func adapt() {
        // Start-up: learn quickly so that whatever stood in the first frame fades within a second.
        let rate = frames < 15 ? max(learningRate, 1 / Float(frames)) : learningRate
        let slow = rate / 40
        // Pixels under motion follow the light as the background pixels did on average this frame.
        let g = 1 + rate * (gain - 1)
        current.withUnsafeBufferPointer { c in
            background.withUnsafeMutableBufferPointer { b in
                mask.withUnsafeBufferPointer { m in
                    for i in 0..<c.count {
                        if m[i] == 0 {
                            b[i] += rate * (c[i] - b[i])
                        } else {
                            let followed = b[i] * g
                            b[i] = followed + slow * (c[i] - followed)
                        }
                    }
                }
            }
        }
    }
}
