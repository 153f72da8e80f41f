/// A per-pixel running background of a downscaled luma image, and the foreground mask of each frame.
///
/// The frame is box-reduced by an integer factor to about `modelWidth` pixels across, which averages
/// sensor noise away. Camera shake is measured each frame as the sub-pixel shift that best lays the
/// frame's edges (lane marks, kerbs) onto the background's, and the frame is resampled back before it is
/// compared. The light is modelled as a gain above black (16) per model pixel (`localGain`): a global gain
/// (exposure, daylight) times a smooth regional factor measured on 4 × 4-pixel blocks from the pixels that last
/// frame's light still explains, so a passing cloud's shadow darkens the prediction with the road while a
/// vehicle, which last frame's light does not explain, never enters the estimate. Nor do the pixels the caller holds
/// (`update(gray:imageWidth:held:)`: the traffic stage holds the vehicles it tracks, where they are and where they are
/// heading) enter the regional factor (they still count towards the global gain where they are no motion): a uniform
/// vehicle of nearly the road's grey is otherwise explained in part, taken a little more each frame for a shadow, and
/// fades out of the mask. A block with too few pixels to measure takes its light from the measured blocks around it,
/// ring by ring. A model pixel is foreground
/// when it differs by more than `threshold` (in the dark, 30 % of the background's level above black, but at
/// least 40 % of `threshold`) from the background under that light, unless both lie near the top of the range
/// (clipped), or a residual shake of a third of a pixel towards a neighbour explains it.
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
    /// The light's gain at each model pixel (current over background, above black): the global gain times a
    /// smooth regional factor measured on a grid of blocks, so a soft cloud shadow is no foreground.
    public private(set) var localGain: [Float]
    /// Per block: the regional factor (local over global gain) of the last frame, and scratch.
    private var blockFactor: [Float]
    private var blockSamples: [Float]
    /// The regional factor at each model pixel (local over global gain), as of the last frame.
    private var localFactor: [Float]
    /// The black level the gains scale from this frame: `black`, or 0 in the dark, where the light is the global
    /// gain alone.
    private(set) var offset: Float = 16
    /// Whether the last frame was taken as a dark scene.
    private(set) var dark = false
    /// 1 on the pixels of this frame's held areas, which never enter the regional factor.
    private var heldMask: [UInt8] = []

    /// A rectangle of model pixels, `left..<right` by `top..<bottom` (it may reach outside the model).
    public struct Area: Sendable, Equatable {
        public var left, top, right, bottom: Int
        public init(left: Int, top: Int, right: Int, bottom: Int) {
            (self.left, self.top, self.right, self.bottom) = (left, top, right, bottom)
        }
    }

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
        heldMask = mask
        localGain = [Float](repeating: 1, count: width * height)
        localFactor = localGain
        let blocks = ((width + Self.block - 1) / Self.block) * ((height + Self.block - 1) / Self.block)
        blockFactor = [Float](repeating: 1, count: blocks)
        blockSamples = [Float](repeating: 0, count: Self.block * Self.block)
    }

    /// Updates the model with a luma plane of the size given at init and returns the raw mask. The `held` areas'
    /// pixels are left out of the regional factor this frame (they follow the light around them); an area holds
    /// for the frame it is given with, no longer.
    public mutating func update(gray: [UInt8], imageWidth: Int, held: [Area] = []) -> [UInt8] {
        downscale(gray, imageWidth: imageWidth)
        hold(held)
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
        measureLocalGain()
        classify()
        adapt()
        return mask
    }

    /// Marks the held areas' pixels, clamped to the model.
    private mutating func hold(_ areas: [Area]) {
        for i in heldMask.indices { heldMask[i] = 0 }
        for area in areas {
            let (left, right) = (max(area.left, 0), min(area.right, width))
            let (top, bottom) = (max(area.top, 0), min(area.bottom, height))
            guard left < right, top < bottom else { continue }
            for y in top..<bottom { for x in left..<right { heldMask[y * width + x] = 1 } }
        }
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

    /// Marks pixels that differ from the background under this frame's light (`localGain` above black),
    /// unless a shake of up to `shakeReach` of a model pixel towards a neighbour explains the value (it lies
    /// between the background here and the blend of here and that neighbour, give or take the threshold).
    private mutating func classify() {
        let (w, h, t, reach, black) = (width, height, threshold, Self.shakeReach, offset)
        current.withUnsafeBufferPointer { c in
            background.withUnsafeBufferPointer { b in
                localGain.withUnsafeBufferPointer { gains in
                    mask.withUnsafeMutableBufferPointer { m in
                        for y in 0..<h {
                            for x in 0..<w {
                                let i = y &* w &+ x
                                let v = c[i]
                                let g = gains[i]
                                let here = black + g * (b[i] - black)
                                // In the dark (night, deep shade) contrast shrinks with the light: the threshold
                                // follows the background's level above black, down to 40 % of `threshold`.
                                let t = min(t, max(0.4 * t, 0.3 * (here - 16)))
                                // Where the light pushes both past the top of the range, clipping hides the change.
                                var foreground = abs(v - here) > t && !(v >= Self.clip && here >= Self.clip)
                                if foreground {
                                    search: for ny in max(y - 1, 0)...min(y + 1, h - 1) {
                                        for nx in max(x - 1, 0)...min(x + 1, w - 1) {
                                            let there = black + g * (b[ny &* w &+ nx] - black)
                                            let shifted = here + reach * (there - here)
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
    }

    /// Luma of black in the frames (limited-range video); gains scale the light above it.
    static let black: Float = 16
    /// Luma near the top of the range (limited: 235), where a brighter light no longer shows.
    static let clip: Float = 228
    /// Side of a block of the regional gain grid, in model pixels (32 source pixels at the default size).
    static let block = 4
    /// How far a block's regional factor may move in one frame: a cloud's edge passes in a second or two,
    /// a vehicle covering the block would flip it at once.
    static let maxFactorStep: Float = 0.12
    /// How far (relative) a pixel may stray from last frame's light and still be measured as road.
    static let explained: Float = 0.15
    /// Pixels darker than this above black are not measured (their ratio is mostly noise).
    static let darkest: Float = 4
    /// Mean background level above black (over the whole picture, counting foreground as 0) below which the
    /// scene is dark.
    static let darkScene: Float = 50
    /// The level above which a dark scene counts as lit again.
    static let lightScene: Float = 60

    /// Measures the light's gain at every model pixel: the global gain above black over last frame's background
    /// pixels, times a regional factor per block, interpolated bilinearly between block centres. A block's factor
    /// is the median of its pixels' ratios among those that last frame's light explains (within the threshold) and
    /// that are not held: a shadow's edge moves a little each frame and stays explained, a vehicle's pixels do not.
    /// Where too few pixels are explained (a queue covers the block) the factor follows the mean of the measured
    /// neighbours, and a block further in the mean of the ring filled just before it (without that, the blocks inside
    /// a large held area would keep their light while a shadow darkens around them); it moves at most
    /// `maxFactorStep` a frame.
    private mutating func measureLocalGain() {
        let (w, h, bs, black, threshold) = (width, height, Self.block, Self.black, threshold)
        let (bw, bh) = ((w + bs - 1) / bs, (h + bs - 1) / bs)
        var sumCurrent: Float = 0, sumBackground: Float = 0
        current.withUnsafeBufferPointer { c in
            background.withUnsafeBufferPointer { b in
                mask.withUnsafeBufferPointer { m in
                    for i in 0..<c.count where m[i] == 0 && b[i] > black + 4 && b[i] < Self.clip && c[i] < Self.clip {
                        sumCurrent += c[i] - black
                        sumBackground += b[i] - black
                    }
                }
            }
        }
        // In the dark (street lights, no sun, so no cloud shadows) the light is one global gain of the whole
        // level: additive headlight glare would bend a regional estimate and dark bodies have little contrast.
        // Hysteresis: a night scene whose level hovers at the limit (street lights, beams, exposure steps) would
        // otherwise switch models from frame to frame.
        dark = sumBackground < (dark ? Self.lightScene : Self.darkScene) * Float(max(current.count, 1))
        if dark {
            offset = 0
            for i in localGain.indices { localGain[i] = gain }
            return
        }
        offset = black
        let global = sumBackground > 0 && sumCurrent > 0 ? min(max(sumCurrent / sumBackground, 0.4), 2.5) : 1
        let needed = bs * bs / 4
        var measured = [Bool](repeating: false, count: bw * bh)
        let held = heldMask
        current.withUnsafeBufferPointer { c in
            background.withUnsafeBufferPointer { b in
                localFactor.withUnsafeBufferPointer { f in
                    blockSamples.withUnsafeMutableBufferPointer { samples in
                        for by in 0..<bh {
                            for bx in 0..<bw {
                                var n = 0
                                for y in (by * bs)..<min(h, (by + 1) * bs) {
                                    for x in (bx * bs)..<min(w, (bx + 1) * bs) {
                                        let i = y &* w &+ x
                                        if held[i] != 0 { continue }
                                        let above = b[i] - black
                                        guard above > Self.darkest, b[i] < Self.clip, c[i] < Self.clip else { continue }
                                        let expected = global * f[i] * above
                                        let t = max(min(threshold, max(0.4 * threshold, 0.3 * expected)),
                                                    Self.explained * expected)
                                        guard abs(c[i] - black - expected) <= t else { continue }
                                        samples[n] = (c[i] - black) / (global * above)
                                        n += 1
                                    }
                                }
                                guard n >= needed else { continue }
                                let k = by * bw + bx
                                let old = blockFactor[k]
                                let step = Self.maxFactorStep
                                blockFactor[k] = min(max(Self.median(samples, n), old - step, 0.4), old + step, 1.8)
                                measured[k] = true
                            }
                        }
                    }
                }
            }
        }
        // A block hidden by a queue takes the mean of its measured neighbours; a block further in, the mean of its
        // neighbours in the ring filled before it, ring by ring (breadth first from every measured block at once).
        // With no block measured, every block keeps its factor.
        let previous = blockFactor
        var filled = measured
        var target = blockFactor
        var ring = measured.indices.filter { measured[$0] }
        var next: [Int] = []
        var queued = measured
        while !ring.isEmpty {
            next.removeAll(keepingCapacity: true)
            for k in ring {
                let (bx, by) = (k % bw, k / bw)
                for ny in max(by - 1, 0)...min(by + 1, bh - 1) {
                    for nx in max(bx - 1, 0)...min(bx + 1, bw - 1) where !queued[ny * bw + nx] {
                        queued[ny * bw + nx] = true
                        next.append(ny * bw + nx)
                    }
                }
            }
            for k in next {
                let (bx, by) = (k % bw, k / bw)
                var sum: Float = 0, count: Float = 0
                for ny in max(by - 1, 0)...min(by + 1, bh - 1) {
                    for nx in max(bx - 1, 0)...min(bx + 1, bw - 1) where filled[ny * bw + nx] {
                        sum += target[ny * bw + nx]
                        count += 1
                    }
                }
                target[k] = sum / count
            }
            for k in next { filled[k] = true }
            swap(&ring, &next)
        }
        for k in blockFactor.indices where !measured[k] {
            let step = Self.maxFactorStep
            blockFactor[k] = min(max(target[k], previous[k] - step), previous[k] + step)
        }
        let fs = Float(bs)
        blockFactor.withUnsafeBufferPointer { f in
            localFactor.withUnsafeMutableBufferPointer { factor in
                localGain.withUnsafeMutableBufferPointer { g in
                    for y in 0..<h {
                        let fy = min(max((Float(y) + 0.5) / fs - 0.5, 0), Float(bh - 1))
                        let y0 = Int(fy), y1 = min(y0 + 1, bh - 1)
                        let ty = fy - Float(y0)
                        for x in 0..<w {
                            let fx = min(max((Float(x) + 0.5) / fs - 0.5, 0), Float(bw - 1))
                            let x0 = Int(fx), x1 = min(x0 + 1, bw - 1)
                            let tx = fx - Float(x0)
                            let top = f[y0 &* bw &+ x0] + tx * (f[y0 &* bw &+ x1] - f[y0 &* bw &+ x0])
                            let bottom = f[y1 &* bw &+ x0] + tx * (f[y1 &* bw &+ x1] - f[y1 &* bw &+ x0])
                            let k = top + ty * (bottom - top)
                            factor[y &* w &+ x] = k
                            g[y &* w &+ x] = global * k
                        }
                    }
                }
            }
        }
    }

    /// The median of the first `n` samples (reorders them).
    private static func median(_ samples: UnsafeMutableBufferPointer<Float>, _ n: Int) -> Float {
        // Insertion sort: a block holds at most 64 samples.
        for i in 1..<n {
            let v = samples[i]
            var j = i - 1
            while j >= 0 && samples[j] > v {
                samples[j + 1] = samples[j]
                j -= 1
            }
            samples[j + 1] = v
        }
        return samples[n / 2]
    }

    /// How far (in model pixels) the camera may shake beyond the measured shift without edges counting as motion.
    static let shakeReach: Float = 0.2

    /// Moves the background towards the frame: fast where it is background, slowly under motion.
    private mutating func adapt() {
        // Start-up: learn quickly so that whatever stood in the first frame fades within a second.
        let rate = frames < 15 ? max(learningRate, 1 / Float(frames)) : learningRate
        let slow = rate / 40
        // Pixels under motion follow the light as the road around them does (their local gain).
        let black = offset
        current.withUnsafeBufferPointer { c in
            background.withUnsafeMutableBufferPointer { b in
                localGain.withUnsafeBufferPointer { gains in
                    mask.withUnsafeBufferPointer { m in
                        for i in 0..<c.count {
                            if m[i] == 0 {
                                b[i] += rate * (c[i] - b[i])
                            } else {
                                let followed = black + (1 + rate * (gains[i] - 1)) * (b[i] - black)
                                b[i] = followed + slow * (c[i] - followed)
                            }
                        }
                    }
                }
            }
        }
    }
}
