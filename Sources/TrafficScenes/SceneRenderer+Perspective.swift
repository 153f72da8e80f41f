#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where each pixel of a perspective picture looks: at the ground canvas (the street as seen from above, with
/// everything flat drawn on it) or at the backdrop (building fronts standing at the cross street's far kerb, and
/// sky). Computed once per scene; the camera does not move (shake is the crop's offset, as in the top-down view).
struct PerspectiveView {
    let camera: SceneCamera
    /// Per picture canvas pixel: the byte offset of the ground canvas pixel it sees, or -1 for the backdrop.
    let lookup: [Int32]
    /// Building fronts and sky, RGB, picture canvas size (unlit: scaled by the light each frame).
    let backdrop: [UInt8]

    init(camera: SceneCamera, canvasWidth: Int, canvasHeight: Int, groundHeight: Int, margin: Int, seed: UInt64) {
        self.camera = camera
        var texture = SceneRandom(seed: seed ^ 0xBAC_4D20)
        var lookup = [Int32](repeating: -1, count: canvasWidth * canvasHeight)
        var backdrop = [UInt8](repeating: 0, count: canvasWidth * canvasHeight * 3)
        let m = Double(margin)
        let s = SceneCamera.metresPerPixel
        let kerb = SceneLayout.crossStreet.top
        // The fronts stand at the kerb, 92 px (3.2 m) of windows per floor band as seen from above, 14 m tall.
        let frontDistance = (camera.y - kerb) * s
        let (c, sn) = (cos(camera.tilt * Double.pi / 180), sin(camera.tilt * Double.pi / 180))
        for row in 0..<canvasHeight {
            for col in 0..<canvasWidth {
                let u = Double(col) - m + 0.5, v = Double(row) - m + 0.5
                let p = row * canvasWidth + col
                if let g = camera.ground(u, v), g.y >= kerb {
                    let gx = min(max(Int(g.x + m), 0), canvasWidth - 1)
                    let gy = min(max(Int(g.y + m), 0), groundHeight - 1)
                    lookup[p] = Int32((gy * canvasWidth + gx) * 3)
                    continue
                }
                let a = (u - SceneCamera.centre.u) / camera.focal, b = (SceneCamera.centre.v - v) / camera.focal
                let t = frontDistance / (c + b * sn)
                let up = camera.height + (b * c - sn) * t
                var colour: RGB
                if up < 14 {
                    let x = camera.x + a * t / s
                    colour = SceneRenderer.facadeColour(x, (14 - up) / s * 0.2 + 4)
                } else {
                    let k = min(1, (up - 14) / 30)
                    colour = RGB(175 - 40 * k, 195 - 30 * k, 215 - 10 * k)
                }
                let grain = texture.uniform(-1...1) * 4
                let i = 3 * p
                backdrop[i] = UInt8(clamping: Int((colour.r + grain).rounded()))
                backdrop[i + 1] = UInt8(clamping: Int((colour.g + grain).rounded()))
                backdrop[i + 2] = UInt8(clamping: Int((colour.b + grain).rounded()))
            }
        }
        self.lookup = lookup
        self.backdrop = backdrop
    }
}

extension SceneRenderer {
    /// The light of a frame: illumination, exposure, their product, and the light on bodies off the street lamps.
    typealias FrameLight = (illumination: Double, exposure: Double, ambient: Double, body: Double)

    /// A perspective frame: the ground canvas (lit street, headlight beams, shadows, cloud shadows) seen through
    /// the camera, then every body standing on it as a box, far to near, then the signal head, rain and snow.
    mutating func renderPerspective(_ sim: SceneSimulator, _ view: PerspectiveView, t: Double, light: FrameLight)
        -> (rgb: [UInt8], luma: [UInt8])
    {
        if !cloudShadows.isEmpty { drawCloudShadows(dt: 1 / sim.spec.fps) }
        let pictureHeight = SceneLayout.height + 2 * Self.margin
        var picture = [UInt8](repeating: 0, count: canvasWidth * pictureHeight * 3)
        let sky = Int32((light.ambient * (nightLight == nil ? 1 : 0.25) * 256).rounded())
        canvas.withUnsafeBufferPointer { ground in
            view.backdrop.withUnsafeBufferPointer { backdrop in
                picture.withUnsafeMutableBufferPointer { out in
                    for p in 0..<view.lookup.count {
                        let src = Int(view.lookup[p])
                        if src >= 0 {
                            out[3 * p] = ground[src]; out[3 * p + 1] = ground[src + 1]; out[3 * p + 2] = ground[src + 2]
                        } else {
                            for ch in 0..<3 { out[3 * p + ch] = UInt8(clamping: (Int32(backdrop[3 * p + ch]) &* sky) >> 8) }
                        }
                    }
                }
            }
        }
        swap(&canvas, &picture)
        canvasHeight = pictureHeight
        defer {
            swap(&canvas, &picture)
            canvasHeight = groundHeight
        }
        drawBodies(sim, view.camera, light: light)
        let housing = RGB(30, 30, 32).scaled(light.ambient * (nightLight == nil ? 1 : 0.3))
        let head = SceneLayout.housing
        fill(head.left, head.top, head.right, head.bottom, housing)
        fill(567, head.bottom, 573, 200, RGB(60, 62, 64).scaled(light.ambient * (nightLight == nil ? 1 : 0.3)))
        drawLamps(state: sim.phase(at: t).state, ambient: light.ambient, exposure: light.exposure)
        if layout == .lanes {
            let arrow = SceneLayout.arrowHousing
            fill(arrow.left, arrow.top, arrow.right, arrow.bottom, housing)
            drawArrow(state: sim.arrowPhase(at: t).state, ambient: light.ambient, exposure: light.exposure)
        }
        if nuisances.rain { drawRain() }
        if nuisances.snow { drawSnow() }
        return crop(offset: sim.shakeOffset, noisy: sim.spec.nuisances.noise)
    }

    /// How much a passing cloud darkens a body standing at ground point (x, y) (1: not at all; none at night).
    func cloudFactor(_ x: Double, _ y: Double) -> Double {
        guard nightLight == nil else { return 1 }
        var k = 1.0
        for c in cloudShadows {
            let dx = (x - c.x) / c.rx, dy = (y - c.y) / c.ry
            let r = dx * dx + dy * dy
            if r < 1 { k *= 1 - c.depth * min(1, (1 - r) / 0.6) }
        }
        return k
    }

    /// One body to draw: a box on a ground footprint, with its colours.
    struct Body {
        var left, top, right, bottom, tall: Double
        var colour: RGB
        /// The rear face's windows band (fractions of the height), nil for none.
        var window: (Double, Double)?
        /// Tail lamps on the rear face (a vehicle).
        var lamps: Bool
        /// Glass along the sides (a bus).
        var sideWindows: Bool
        /// A head on top (a person): the top fraction of the rear face in skin colour.
        var head: Bool
    }

    /// Vehicles, cross traffic, cyclists and pedestrians as boxes, the farthest first (by the near edge).
    private mutating func drawBodies(_ sim: SceneSimulator, _ camera: SceneCamera, light: FrameLight) {
        var bodies: [(Body, Double)] = []
        for v in sim.vehicles {
            let lit = streetLight(at: v.centreX, v.bottom, ambient: light.ambient) * cloudFactor(v.centreX, v.bottom)
            let colour = (v.style == .truck ? v.accent : v.style == .motorbike ? RGB(40, 40, 44) : v.body).scaled(lit)
            let window: (Double, Double)? = v.style == .car || v.style == .van ? (0.62, 0.9)
                : v.style == .bus ? (0.55, 0.85) : nil
            bodies.append((Body(left: v.left, top: v.top, right: v.right, bottom: v.bottom, tall: v.tall,
                                colour: colour, window: window, lamps: v.style != .motorbike,
                                sideWindows: v.style == .bus, head: false), lit))
        }
        for c in sim.crossVehicles {
            bodies.append((Body(left: c.left, top: c.top, right: c.left + c.length, bottom: c.top + c.height,
                                tall: 1.5, colour: c.body.scaled(light.body), window: (0.62, 0.9), lamps: false,
                                sideWindows: false, head: false), light.body))
        }
        for c in sim.cyclists {
            let half = c.bike ? 6.0 : 7.0
            bodies.append((Body(left: c.x - half, top: c.y - c.length, right: c.x + half, bottom: c.y, tall: 1.7,
                                colour: c.clothing.scaled(light.body), window: nil, lamps: false, sideWindows: false,
                                head: true), light.body))
        }
        for p in sim.pedestrians {
            let lit = light.ambient * cloudFactor(p.x, p.y)
            bodies.append((Body(left: p.x - 7, top: p.y - 8, right: p.x + 7, bottom: p.y, tall: 1.7,
                                colour: p.clothing.scaled(lit), window: nil, lamps: false, sideWindows: false,
                                head: true), lit))
        }
        for (body, lit) in bodies.sorted(by: { $0.0.bottom < $1.0.bottom }) {
            drawBody(body, camera, lit: lit)
        }
    }

    /// One box: its visible faces (rear, the side facing the camera, the roof), then the rear's windows, lamps
    /// and head. Faces of a convex box seen from outside never overlap, so their order does not matter.
    private mutating func drawBody(_ b: Body, _ camera: SceneCamera, lit: Double) {
        let glass = RGB(38, 42, 50).scaled(lit)
        let night = nightLight != nil
        // Rear face (facing the camera, which stands behind the approach).
        face(camera, [(b.left, b.bottom, 0), (b.right, b.bottom, 0), (b.right, b.bottom, b.tall),
                      (b.left, b.bottom, b.tall)], b.colour.scaled(0.82))
        // The side the camera sees.
        let sideX = camera.x < b.left ? b.left : camera.x > b.right ? b.right : nil
        if let x = sideX {
            face(camera, [(x, b.bottom, 0), (x, b.top, 0), (x, b.top, b.tall), (x, b.bottom, b.tall)],
                 b.colour.scaled(0.66))
            if b.sideWindows {
                face(camera, [(x, b.bottom - 10, b.tall * 0.55), (x, b.top + 10, b.tall * 0.55),
                              (x, b.top + 10, b.tall * 0.85), (x, b.bottom - 10, b.tall * 0.85)], glass)
            }
        }
        if camera.height > b.tall {
            face(camera, [(b.left, b.top, b.tall), (b.right, b.top, b.tall), (b.right, b.bottom, b.tall),
                          (b.left, b.bottom, b.tall)], b.colour)
        }
        let inset = min(5, (b.right - b.left) * 0.12)
        if let (low, high) = b.window {
            face(camera, [(b.left + inset, b.bottom, b.tall * low), (b.right - inset, b.bottom, b.tall * low),
                          (b.right - inset, b.bottom, b.tall * high), (b.left + inset, b.bottom, b.tall * high)], glass)
        }
        if b.lamps {
            let lamp = night ? RGB(255, 50, 40) : RGB(170, 20, 20).scaled(lit)
            let w = min(9, (b.right - b.left) * 0.18)
            for (l, r) in [(b.left + 1, b.left + 1 + w), (b.right - 1 - w, b.right - 1)] {
                face(camera, [(l, b.bottom, b.tall * 0.3), (r, b.bottom, b.tall * 0.3), (r, b.bottom, b.tall * 0.45),
                              (l, b.bottom, b.tall * 0.45)], lamp)
            }
        }
        if b.head {
            let cx = (b.left + b.right) / 2
            face(camera, [(cx - 4, b.bottom, b.tall * 0.85), (cx + 4, b.bottom, b.tall * 0.85), (cx + 4, b.bottom, b.tall),
                          (cx - 4, b.bottom, b.tall)], RGB(200, 160, 130).scaled(lit))
        }
    }

    /// Fills the picture polygon of a planar convex quad given in ground pixels and metres up.
    private mutating func face(_ camera: SceneCamera, _ corners: [(Double, Double, Double)], _ colour: RGB) {
        var points: [(Double, Double)] = []
        for (x, y, up) in corners {
            guard let p = camera.project(x, y, up: up) else { return }
            points.append((p.u, p.v))
        }
        fillConvex(points, colour)
    }

    /// Scanline fill of a convex polygon in picture coordinates (pixel centres inside are painted).
    mutating func fillConvex(_ points: [(Double, Double)], _ colour: RGB) {
        let m = Double(Self.margin)
        guard let minY = points.map(\.1).min(), let maxY = points.map(\.1).max() else { return }
        let y0 = max(0, Int((minY + m - 0.5).rounded(.up))), y1 = min(canvasHeight - 1, Int((maxY + m - 0.5).rounded(.down)))
        guard y0 <= y1 else { return }
        let (r, g, b) = (UInt8(clamping: Int(colour.r)), UInt8(clamping: Int(colour.g)), UInt8(clamping: Int(colour.b)))
        let cw = canvasWidth
        canvas.withUnsafeMutableBufferPointer { c in
            for row in y0...y1 {
                let y = Double(row) - m + 0.5
                var lo = Double.infinity, hi = -Double.infinity
                for i in points.indices {
                    let (ax, ay) = points[i], (bx, by) = points[(i + 1) % points.count]
                    guard (ay <= y && by >= y) || (by <= y && ay >= y), ay != by else { continue }
                    let x = ax + (y - ay) * (bx - ax) / (by - ay)
                    lo = min(lo, x); hi = max(hi, x)
                }
                guard lo <= hi else { continue }
                let x0 = max(0, Int((lo + m - 0.5).rounded(.up))), x1 = min(cw - 1, Int((hi + m - 0.5).rounded(.down)))
                guard x0 <= x1 else { continue }
                for x in x0...x1 {
                    let i = (row * cw + x) * 3
                    c[i] = r; c[i + 1] = g; c[i + 2] = b
                }
            }
        }
    }
}
