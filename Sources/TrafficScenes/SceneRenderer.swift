/// Paints the simulation's state into RGB pixels: a static street, shadows, vehicles, pedestrians,
/// cross traffic and the signal lamps, under drifting light, then crops with camera shake and adds
/// sensor noise. Deterministic: pixels depend only on the scene's seed.
public struct SceneRenderer {
    public static let margin = 4
    let width = SceneLayout.width
    let height = SceneLayout.height
    let canvasWidth = SceneLayout.width + 2 * SceneRenderer.margin
    let canvasHeight = SceneLayout.height + 2 * SceneRenderer.margin
    /// The empty street, RGB, canvas size.
    private let street: [UInt8]
    private var canvas: [UInt8]
    private var noise: SceneRandom

    public init(seed: UInt64) {
        noise = SceneRandom(seed: seed ^ 0x5EED_0F_2015)
        street = Self.paintStreet(canvasWidth: SceneLayout.width + 2 * Self.margin,
                                  canvasHeight: SceneLayout.height + 2 * Self.margin, seed: seed)
        canvas = street
    }

    /// Renders the simulator's current frame: RGB (640 × 360 × 3) and limited-range BT.601 luma.
    public mutating func render(_ sim: SceneSimulator) -> (rgb: [UInt8], luma: [UInt8]) {
        let t = Double(sim.frame - 1) / sim.spec.fps
        let light = sim.light(at: t)
        let ambient = light.illumination * light.exposure
        let k = Int32((ambient * 256).rounded())
        street.withUnsafeBufferPointer { src in
            canvas.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count { dst[i] = UInt8(clamping: (Int32(src[i]) &* k) >> 8) }
            }
        }
        let shadows = sim.spec.nuisances.shadows
        if shadows {
            for v in sim.vehicles {
                shade(left: v.left + 12, top: v.top + 5, right: v.right + 12, bottom: v.bottom + 5, factor: 0.6)
            }
            for p in sim.pedestrians {
                shade(left: p.x - 2, top: p.y - Pedestrian.height + 5, right: p.x + 12, bottom: p.y + 4, factor: 0.6)
            }
            for c in sim.crossVehicles {
                shade(left: c.left + 12, top: c.top + 5, right: c.left + c.length + 12, bottom: c.top + c.height + 5,
                      factor: 0.6)
            }
        }
        for c in sim.crossVehicles {
            fill(c.left, c.top, c.left + c.length, c.top + c.height, c.body.scaled(ambient))
            fill(c.left + c.length * 0.2, c.top + 3, c.left + c.length * 0.35, c.top + c.height - 3,
                 RGB(40, 44, 52).scaled(ambient))
        }
        for v in sim.vehicles { drawVehicle(v, ambient) }
        for p in sim.pedestrians {
            fill(p.x - Pedestrian.width / 2, p.y - Pedestrian.height + 6, p.x + Pedestrian.width / 2, p.y,
                 p.clothing.scaled(ambient))
            fill(p.x - 3, p.y - Pedestrian.height, p.x + 3, p.y - Pedestrian.height + 6,
                 RGB(200, 160, 130).scaled(ambient))
        }
        drawLamps(state: sim.phase(at: t).state, ambient: ambient, exposure: light.exposure)
        return crop(offset: sim.shakeOffset, noisy: sim.spec.nuisances.noise)
    }

    private mutating func drawVehicle(_ v: Vehicle, _ ambient: Double) {
        let body = v.body.scaled(ambient)
        let glass = RGB(38, 42, 50).scaled(ambient)
        let lamp = RGB(170, 20, 20).scaled(ambient)
        let (l, t, r, b, len) = (v.left, v.top, v.right, v.bottom, v.length)
        switch v.style {
        case .motorbike:
            fill(l + 4, t, r - 4, b, RGB(30, 30, 34).scaled(ambient))
            fill(l, t + len * 0.35, r, t + len * 0.75, body)
            fill(l + 5, t + len * 0.3, r - 5, t + len * 0.45, RGB(220, 220, 220).scaled(ambient))
        case .truck:
            fill(l + 2, t, r - 2, t + len * 0.22, body)
            fill(l + 6, t + 4, r - 6, t + len * 0.1, glass)
            fill(l, t + len * 0.24, r, b, v.accent.scaled(ambient * 0.9 + 0.1))
            fill(l + 3, b - 4, l + 10, b, lamp)
            fill(r - 10, b - 4, r - 3, b, lamp)
        case .car, .van:
            fill(l, t, r, b, body)
            fill(l + 5, t + len * 0.18, r - 5, t + len * 0.34, glass)
            fill(l + 4, t + len * 0.36, r - 4, t + len * 0.7, body.scaled(1.08))
            fill(l + 6, t + len * 0.72, r - 6, t + len * 0.84, glass)
            fill(l + 2, b - 5, l + 9, b - 1, lamp)
            fill(r - 9, b - 5, r - 2, b - 1, lamp)
        }
    }

    private mutating func drawLamps(state: String, ambient: Double, exposure: Double) {
        let lit: [RGB] = [RGB(255, 45, 30), RGB(255, 175, 10), RGB(40, 235, 120)]
        let names = ["red", "amber", "green"]
        for (index, (cx, cy)) in SceneLayout.lampCentres.enumerated() {
            let on = names[index] == state
            let colour = on ? lit[index].scaled(exposure) : lit[index].scaled(ambient / 7)
            disc(cx, cy, SceneLayout.lampRadius - 1, colour)
        }
    }

    // MARK: drawing primitives (scene coordinates; the canvas adds the margin)

    private mutating func fill(_ left: Double, _ top: Double, _ right: Double, _ bottom: Double, _ colour: RGB) {
        let m = Double(Self.margin)
        let x0 = max(0, Int((left + m).rounded())), x1 = min(canvasWidth, Int((right + m).rounded()))
        let y0 = max(0, Int((top + m).rounded())), y1 = min(canvasHeight, Int((bottom + m).rounded()))
        guard x0 < x1, y0 < y1 else { return }
        let (r, g, b) = (UInt8(clamping: Int(colour.r)), UInt8(clamping: Int(colour.g)), UInt8(clamping: Int(colour.b)))
        canvas.withUnsafeMutableBufferPointer { c in
            for y in y0..<y1 {
                var i = (y * canvasWidth + x0) * 3
                for _ in x0..<x1 {
                    c[i] = r; c[i + 1] = g; c[i + 2] = b
                    i += 3
                }
            }
        }
    }

    private mutating func shade(left: Double, top: Double, right: Double, bottom: Double, factor: Double) {
        let m = Double(Self.margin)
        let x0 = max(0, Int((left + m).rounded())), x1 = min(canvasWidth, Int((right + m).rounded()))
        let y0 = max(0, Int((top + m).rounded())), y1 = min(canvasHeight, Int((bottom + m).rounded()))
        guard x0 < x1, y0 < y1 else { return }
        let k = Int32(factor * 256)
        canvas.withUnsafeMutableBufferPointer { c in
            for y in y0..<y1 {
                let row = (y * canvasWidth) * 3
                for i in (row + x0 * 3)..<(row + x1 * 3) { c[i] = UInt8((Int32(c[i]) &* k) >> 8) }
            }
        }
    }

    private mutating func disc(_ cx: Double, _ cy: Double, _ radius: Double, _ colour: RGB) {
        let m = Double(Self.margin)
        for y in Int(cy - radius)...Int(cy + radius) {
            for x in Int(cx - radius)...Int(cx + radius) {
                let dx = Double(x) + 0.5 - cx, dy = Double(y) + 0.5 - cy
                guard dx * dx + dy * dy <= radius * radius else { continue }
                let i = ((y + Int(m)) * canvasWidth + x + Int(m)) * 3
                canvas[i] = UInt8(clamping: Int(colour.r))
                canvas[i + 1] = UInt8(clamping: Int(colour.g))
                canvas[i + 2] = UInt8(clamping: Int(colour.b))
            }
        }
    }

    /// The picture seen through a camera displaced by `offset`, with ±6 levels of sensor noise.
    private mutating func crop(offset: (x: Int, y: Int), noisy: Bool) -> (rgb: [UInt8], luma: [UInt8]) {
        let (w, h, cw) = (width, height, canvasWidth)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        var luma = [UInt8](repeating: 0, count: w * h)
        let ox = Self.margin + offset.x, oy = Self.margin + offset.y
        canvas.withUnsafeBufferPointer { c in
            rgb.withUnsafeMutableBufferPointer { out in
                luma.withUnsafeMutableBufferPointer { y in
                    var bits: UInt64 = 0
                    var left = 0
                    for row in 0..<h {
                        let src = ((row + oy) * cw + ox) * 3
                        let dst = row * w * 3
                        for x in 0..<w {
                            var px: (Int32, Int32, Int32) = (Int32(c[src + 3 * x]), Int32(c[src + 3 * x + 1]),
                                                            Int32(c[src + 3 * x + 2]))
                            if noisy {
                                if left < 3 {
                                    bits = noise.next()
                                    left = 8
                                }
                                px.0 += Int32((bits & 0xFF) &* 13 >> 8) - 6
                                px.1 += Int32((bits >> 8 & 0xFF) &* 13 >> 8) - 6
                                px.2 += Int32((bits >> 16 & 0xFF) &* 13 >> 8) - 6
                                bits >>= 24
                                left -= 3
                            }
                            let r = min(max(px.0, 0), 255), g = min(max(px.1, 0), 255), b = min(max(px.2, 0), 255)
                            out[dst + 3 * x] = UInt8(r)
                            out[dst + 3 * x + 1] = UInt8(g)
                            out[dst + 3 * x + 2] = UInt8(b)
                            y[row * w + x] = UInt8(16 + ((66 &* r &+ 129 &* g &+ 25 &* b &+ 128) >> 8))
                        }
                    }
                }
            }
        }
        return (rgb, luma)
    }
}
