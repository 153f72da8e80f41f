#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Paints the simulation's state into RGB pixels: a static street, shadows, vehicles, pedestrians,
/// cross traffic and the signal lamps, under drifting light, then crops with camera shake and adds
/// sensor noise. Deterministic: pixels depend only on the scene's seed.
public struct SceneRenderer {
    public static let margin = 4
    let width = SceneLayout.width
    let height = SceneLayout.height
    let canvasWidth = SceneLayout.width + 2 * SceneRenderer.margin
    /// Rows of the canvas being drawn: the picture's (plus margins), or with a perspective camera the ground's
    /// while the ground is drawn.
    var canvasHeight = SceneLayout.height + 2 * SceneRenderer.margin
    /// Rows of the ground canvas (the top-down picture's, or down to the near edge of a perspective picture).
    let groundHeight: Int
    /// The empty street, RGB, ground canvas size.
    let street: [UInt8]
    var canvas: [UInt8]
    private var noise: SceneRandom
    /// Rain, snow and cloud shadows draw from their own generator, so the other nuisances stay as they were.
    var weather: SceneRandom
    let nuisances: SceneSpec.Nuisances
    let layout: SceneSpec.Layout
    /// At night, the light reaching each ground canvas pixel (×256): a dark street with pools under the lamps.
    let nightLight: [Int32]?
    /// Snowflakes: position and fall speed, px and px per frame.
    private var flakes: [(x: Double, y: Double, vx: Double, vy: Double, size: Int)] = []
    /// Cloud shadows: centre x (moves), centre y, radii, speed px/s, depth.
    var cloudShadows: [(x: Double, y: Double, rx: Double, ry: Double, vx: Double, depth: Double)] = []
    /// The perspective camera's view: where each picture canvas pixel looks (nil: the top-down view).
    var perspective: PerspectiveView?

    public init(seed: UInt64) {
        self.init(spec: SceneSpec(seed: seed))
    }

    public init(spec: SceneSpec) {
        let seed = spec.seed
        noise = SceneRandom(seed: seed ^ 0x5EED_0F_2015)
        weather = SceneRandom(seed: seed ^ 0x0057_0A11)
        nuisances = spec.nuisances
        layout = spec.layout
        let (cw, ch) = (SceneLayout.width + 2 * Self.margin, SceneLayout.height + 2 * Self.margin)
        // A perspective camera sees the approach further down than the top-down picture: the ground canvas grows.
        let gh = spec.camera == nil ? ch : Int(spec.nearEdge.rounded(.up)) + 40 + 2 * Self.margin
        groundHeight = gh
        street = Self.paintStreet(canvasWidth: cw, canvasHeight: gh, seed: seed, arrowHead: spec.layout == .lanes,
                                  signalHead: spec.camera == nil, treeShadow: !spec.nuisances.overcast)
        canvas = street
        nightLight = spec.nuisances.night
            ? Self.nightLightMap(canvasWidth: cw, canvasHeight: gh, approachLamps: spec.camera != nil) : nil
        if let camera = spec.camera {
            perspective = PerspectiveView(camera: camera, canvasWidth: cw, canvasHeight: ch, groundHeight: gh,
                                          margin: Self.margin, seed: seed)
        }
        if spec.nuisances.snow {
            for _ in 0..<260 {
                let near = weather.chance(0.25)
                flakes.append((weather.uniform(0...Double(cw)), weather.uniform(0...Double(ch)),
                               weather.uniform(-0.6...0.6), near ? weather.uniform(3...5) : weather.uniform(1...2.5),
                               near ? 3 : 2))
            }
        }
        if spec.nuisances.cloudShadows {
            for _ in 0..<3 { cloudShadows.append(Self.newCloud(&weather, anywhere: true)) }
        }
    }

    static func newCloud(_ random: inout SceneRandom, anywhere: Bool)
        -> (x: Double, y: Double, rx: Double, ry: Double, vx: Double, depth: Double)
    {
        let rx = random.uniform(90...170)
        return (anywhere ? random.uniform(-200...840) : -rx - 10, random.uniform(120...340), rx,
                random.uniform(50...90), random.uniform(25...60), random.uniform(0.25...0.45))
    }

    /// Street lights at night: a base of 22 % with pools of light along both sidewalks.
    static func nightLightMap(canvasWidth: Int, canvasHeight: Int, approachLamps: Bool = false) -> [Int32] {
        var lamps: [(Double, Double)] = [(130, 250), (510, 330), (130, 120), (510, 160), (320, 140)]
        // A perspective camera sees further down the approach, lit like the rest of the street.
        if approachLamps { lamps += [(130, 470), (510, 560)] }
        var map = [Int32](repeating: 0, count: canvasWidth * canvasHeight)
        for cy in 0..<canvasHeight {
            for cx in 0..<canvasWidth {
                let x = Double(cx - margin), y = Double(cy - margin)
                var light = 0.22
                for (lx, ly) in lamps {
                    let d2 = ((x - lx) * (x - lx) + (y - ly) * (y - ly)) / (110 * 110)
                    light += 0.55 * exp(-d2)
                }
                map[cy * canvasWidth + cx] = Int32((min(light, 1.1) * 256).rounded())
            }
        }
        return map
    }

    /// Renders the simulator's current frame: RGB (640 × 360 × 3) and limited-range BT.601 luma.
    public mutating func render(_ sim: SceneSimulator) -> (rgb: [UInt8], luma: [UInt8]) {
        let t = Double(sim.frame - 1) / sim.spec.fps
        let light = sim.light(at: t)
        let ambient = light.illumination * light.exposure
        let k = Int32((ambient * 256).rounded())
        if let nightLight {
            street.withUnsafeBufferPointer { src in
                canvas.withUnsafeMutableBufferPointer { dst in
                    for p in 0..<nightLight.count {
                        let kp = (nightLight[p] &* k) >> 8
                        for c in 0..<3 { dst[3 * p + c] = UInt8(clamping: (Int32(src[3 * p + c]) &* kp) >> 8) }
                    }
                }
            }
        } else {
            street.withUnsafeBufferPointer { src in
                canvas.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<src.count { dst[i] = UInt8(clamping: (Int32(src[i]) &* k) >> 8) }
                }
            }
        }
        // At night, cross traffic and cyclists are dark; vehicles on the approach are lit by the street lights
        // where they are, like the road (dark bodies, the road's contrast).
        let bodyLight = nightLight == nil ? ambient : ambient * 0.3
        let shadows = sim.spec.nuisances.shadows && !sim.spec.nuisances.overcast && nightLight == nil
        let frameLight: FrameLight = (light.illumination, light.exposure, ambient, bodyLight)
        if nightLight != nil {
            // Headlight beams and their glare on the road ahead of each vehicle.
            for v in sim.vehicles {
                beam(left: v.left, right: v.right, front: v.top, ahead: -1, ambient: ambient)
            }
            for c in sim.crossVehicles {
                let front = c.vx > 0 ? c.left + c.length : c.left
                sideBeam(front: front, top: c.top, bottom: c.top + c.height, ahead: c.vx > 0 ? 1 : -1)
            }
        }
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
        if let perspective { return renderPerspective(sim, perspective, t: t, light: frameLight) }
        for c in sim.crossVehicles {
            fill(c.left, c.top, c.left + c.length, c.top + c.height, c.body.scaled(bodyLight))
            fill(c.left + c.length * 0.2, c.top + 3, c.left + c.length * 0.35, c.top + c.height - 3,
                 RGB(40, 44, 52).scaled(bodyLight))
        }
        for v in sim.vehicles {
            drawVehicle(v, streetLight(at: v.centreX, v.bottom, ambient: ambient), night: nightLight != nil)
        }
        for c in sim.cyclists {
            let colour = c.clothing.scaled(bodyLight)
            if c.bike { fill(c.x - 1.5, c.y - c.length, c.x + 1.5, c.y, RGB(25, 25, 28).scaled(bodyLight)) }
            fill(c.x - c.width / 2, c.y - c.length * 0.75, c.x + c.width / 2, c.y - c.length * 0.3, colour)
            fill(c.x - 3, c.y - c.length * 0.62, c.x + 3, c.y - c.length * 0.45, RGB(200, 160, 130).scaled(bodyLight))
        }
        for p in sim.pedestrians {
            fill(p.x - Pedestrian.width / 2, p.y - Pedestrian.height + 6, p.x + Pedestrian.width / 2, p.y,
                 p.clothing.scaled(ambient))
            fill(p.x - 3, p.y - Pedestrian.height, p.x + 3, p.y - Pedestrian.height + 6,
                 RGB(200, 160, 130).scaled(ambient))
        }
        if !cloudShadows.isEmpty { drawCloudShadows(dt: 1 / sim.spec.fps) }
        drawLamps(state: sim.phase(at: t).state, ambient: ambient, exposure: light.exposure)
        if layout == .lanes {
            drawArrow(state: sim.arrowPhase(at: t).state, ambient: ambient, exposure: light.exposure)
        }
        if nuisances.rain { drawRain() }
        if nuisances.snow { drawSnow() }
        return crop(offset: sim.shakeOffset, noisy: sim.spec.nuisances.noise)
    }

    mutating func drawVehicle(_ v: Vehicle, _ ambient: Double, night: Bool = false) {
        let body = v.body.scaled(ambient)
        let glass = RGB(38, 42, 50).scaled(ambient)
        let lamp = night ? RGB(255, 50, 40) : RGB(170, 20, 20).scaled(ambient)
        let (l, t, r, b, len) = (v.left, v.top, v.right, v.bottom, v.length)
        switch v.style {
        case .motorbike:
            fill(l + 4, t, r - 4, b, RGB(30, 30, 34).scaled(ambient))
            fill(l, t + len * 0.35, r, t + len * 0.75, body)
            fill(l + 5, t + len * 0.3, r - 5, t + len * 0.45, RGB(220, 220, 220).scaled(ambient))
        case .bus:
            fill(l, t, r, b, body)
            fill(l + 6, t + 6, r - 6, t + 20, glass)
            fill(l + 12, t + len * 0.3, r - 12, t + len * 0.42, body.scaled(1.1))
            fill(l + 3, b - 5, l + 10, b - 1, lamp)
            fill(r - 10, b - 5, r - 3, b - 1, lamp)
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

    mutating func drawLamps(state: String, ambient: Double, exposure: Double) {
        let lit: [RGB] = [RGB(255, 45, 30), RGB(255, 175, 10), RGB(40, 235, 120)]
        let names = ["red", "amber", "green"]
        for (index, (cx, cy)) in SceneLayout.lampCentres.enumerated() {
            let on = names[index] == state
            let colour = on ? lit[index].scaled(exposure) : lit[index].scaled(ambient / 7)
            disc(cx, cy, SceneLayout.lampRadius - 1, colour)
        }
    }

    /// The light falling at scene point (x, y): the ambient level by day, the street lights' at night.
    func streetLight(at x: Double, _ y: Double, ambient: Double) -> Double {
        guard let nightLight else { return ambient }
        let cx = min(max(Int(x) + Self.margin, 0), canvasWidth - 1)
        let cy = min(max(Int(y) + Self.margin, 0), groundHeight - 1)
        return ambient * Double(nightLight[cy * canvasWidth + cx]) / 256
    }

    /// The turn arrow's head: a red ball and a green left arrow.
    mutating func drawArrow(state: String, ambient: Double, exposure: Double) {
        let red = RGB(255, 45, 30), green = RGB(40, 235, 120)
        let (rx, ry) = SceneLayout.arrowLampCentres[0]
        disc(rx, ry, SceneLayout.lampRadius - 1, state == "red" ? red.scaled(exposure) : red.scaled(ambient / 7))
        let (gx, gy) = SceneLayout.arrowLampCentres[1]
        let colour = state == "green" ? green.scaled(exposure) : green.scaled(ambient / 7)
        fill(gx - 1, gy - 3, gx + 9, gy + 3, colour)
        for dx in 0..<9 {
            let half = Double(dx) + 0.5
            fill(gx - 9 + Double(dx), gy - half, gx - 8 + Double(dx), gy + half, colour)
        }
    }

    /// Headlights: a beam widening ahead of a vehicle moving up (`ahead` -1), brightest near the vehicle.
    private mutating func beam(left: Double, right: Double, front: Double, ahead: Double, ambient: Double) {
        let length = 80.0
        let steps = 16
        for s in 0..<steps {
            let u = Double(s) / Double(steps)
            let spread = (right - left) * 0.25 * u
            let y0 = front + ahead * length * u, y1 = front + ahead * length * (u + 1 / Double(steps))
            brighten(left - spread, min(y0, y1), right + spread, max(y0, y1), add: 90 * (1 - u) * ambient)
        }
    }

    /// Headlights of cross traffic: a beam ahead along the cross street.
    private mutating func sideBeam(front: Double, top: Double, bottom: Double, ahead: Double) {
        let steps = 12
        for s in 0..<steps {
            let u = Double(s) / Double(steps)
            let x0 = front + ahead * 70 * u, x1 = front + ahead * 70 * (u + 1 / Double(steps))
            brighten(min(x0, x1), top - 4 * u, max(x0, x1), bottom + 4 * u, add: 80 * (1 - u))
        }
    }

    private mutating func brighten(_ left: Double, _ top: Double, _ right: Double, _ bottom: Double, add: Double) {
        let m = Double(Self.margin)
        let x0 = max(0, Int((left + m).rounded())), x1 = min(canvasWidth, Int((right + m).rounded()))
        let y0 = max(0, Int((top + m).rounded())), y1 = min(canvasHeight, Int((bottom + m).rounded()))
        guard x0 < x1, y0 < y1 else { return }
        let a = Int32(add)
        canvas.withUnsafeMutableBufferPointer { c in
            for y in y0..<y1 {
                let row = y * canvasWidth * 3
                for i in (row + x0 * 3)..<(row + x1 * 3) { c[i] = UInt8(clamping: Int32(c[i]) &+ a) }
            }
        }
    }

    /// Soft-edged cloud shadows drifting across the picture. Clouds cast no shadow at night (there is no sun; the
    /// street lights are under them): they still drift, so that rain and snow draw the same flakes as before.
    mutating func drawCloudShadows(dt: Double) {
        for index in cloudShadows.indices {
            cloudShadows[index].x += cloudShadows[index].vx * dt
            if cloudShadows[index].x - cloudShadows[index].rx > Double(width) + 20 {
                cloudShadows[index] = Self.newCloud(&weather, anywhere: false)
            }
            guard nightLight == nil else { continue }
            let c = cloudShadows[index]
            let m = Double(Self.margin)
            let x0 = max(0, Int(c.x - c.rx + m)), x1 = min(canvasWidth, Int(c.x + c.rx + m) + 1)
            let y0 = max(0, Int(c.y - c.ry + m)), y1 = min(canvasHeight, Int(c.y + c.ry + m) + 1)
            guard x0 < x1, y0 < y1 else { continue }
            let cw = canvasWidth
            canvas.withUnsafeMutableBufferPointer { px in
                for y in y0..<y1 {
                    let dy = (Double(y) - m - c.y) / c.ry
                    for x in x0..<x1 {
                        let dx = (Double(x) - m - c.x) / c.rx
                        let r = dx * dx + dy * dy
                        guard r < 1 else { continue }
                        // Full depth inside 40 % of the radius, fading to nothing at the rim.
                        let edge = min(1, (1 - r) / 0.6)
                        let k = Int32((1 - c.depth * edge) * 256)
                        let i = (y * cw + x) * 3
                        for ch in 0..<3 { px[i + ch] = UInt8((Int32(px[i + ch]) &* k) >> 8) }
                    }
                }
            }
        }
    }

    /// Rain: a few hundred short bright streaks, new every frame.
    mutating func drawRain() {
        let cw = canvasWidth, ch = canvasHeight
        canvas.withUnsafeMutableBufferPointer { px in
            for _ in 0..<350 {
                let x = Int(weather.next() % UInt64(cw)), y = Int(weather.next() % UInt64(ch))
                let length = 6 + Int(weather.next() % 7)
                let add = Int32(25 + weather.next() % 30)
                for s in 0..<length {
                    let yy = y + s, xx = x + s / 4
                    guard yy < ch, xx < cw else { break }
                    let i = (yy * cw + xx) * 3
                    for c in 0..<3 { px[i + c] = UInt8(clamping: Int32(px[i + c]) &+ add) }
                }
            }
        }
    }

    /// Snow: flakes falling and drifting, 2–3 px, nearly white.
    mutating func drawSnow() {
        let cw = Double(canvasWidth), ch = Double(canvasHeight)
        for index in flakes.indices {
            var f = flakes[index]
            f.x += f.vx + weather.uniform(-0.3...0.3)
            f.y += f.vy
            if f.y >= ch { f.y -= ch }
            if f.x < 0 { f.x += cw } else if f.x >= cw { f.x -= cw }
            flakes[index] = f
            let m = Double(Self.margin)
            fill(f.x - m, f.y - m, f.x - m + Double(f.size), f.y - m + Double(f.size), RGB(232, 234, 238))
        }
    }

    // MARK: drawing primitives (scene coordinates; the canvas adds the margin)

    mutating func fill(_ left: Double, _ top: Double, _ right: Double, _ bottom: Double, _ colour: RGB) {
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

    mutating func disc(_ cx: Double, _ cy: Double, _ radius: Double, _ colour: RGB) {
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
    mutating func crop(offset: (x: Int, y: Int), noisy: Bool) -> (rgb: [UInt8], luma: [UInt8]) {
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
