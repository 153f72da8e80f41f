#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pinhole camera looking down the approach at an angle, for the perspective scenes.
///
/// The simulation runs on the ground plane in the top-down layout's pixels (`SceneLayout`): x to the right,
/// y down the picture, one pixel `metresPerPixel` metres. The camera stands behind the approach on the road's
/// axis at ground point (`x`, `stopLineDistance` metres before the stop line), `height` metres up, looking
/// up the road (towards smaller y) tilted down by `tilt` degrees, with a focal length of `focal` pixels and
/// its principal point at the picture's centre. A vehicle therefore grows and speeds up in the picture as it
/// approaches, and a tall one hides what lies behind it.
public struct SceneCamera: Sendable, Equatable, Codable {
    /// Metres per pixel of the top-down layout: a lane of 110 px is 3.85 m.
    public static let metresPerPixel = 0.035

    /// Height of the optical centre above the road, metres.
    public var height: Double
    /// Downward tilt of the optical axis below the horizon, degrees.
    public var tilt: Double
    /// Focal length in pixels of the 640 × 360 picture.
    public var focal: Double
    /// Lateral position on the ground, top-down layout pixels (the middle lane's right half by default: the mast
    /// stands on the median side, so a bus in the middle or right lane hides the lanes beyond it).
    public var x: Double

    public init(height: Double = 6, tilt: Double = 15, focal: Double = 600, x: Double = 360) {
        self.height = height
        self.tilt = tilt
        self.focal = focal
        self.x = x
    }

    /// Whether the parameters describe a usable camera: 2–30 m up, tilted 3–60°, focal 150–3000 px (the stop
    /// line is then at the picture's centre), and at most 1200 px (42 m) of approach in view below it, so that
    /// vehicles reach the line within seconds of coming into view.
    public var isValid: Bool {
        guard height.isFinite, tilt.isFinite, focal.isFinite, x.isFinite, (2...30).contains(height),
              (3...60).contains(tilt), (150...3000).contains(focal), (0...640).contains(x) else { return false }
        return nearGroundY - SceneLayout.stopLineY(at: 320) <= 1200
    }

    /// Forward distance (metres) from the camera's foot to the ground point at the picture's centre: the optical
    /// axis meets the road at the middle of the stop line.
    var axisDistance: Double { height / tan(tilt * Double.pi / 180) }

    /// The camera's foot, y in top-down layout pixels (beyond the top-down picture's bottom edge).
    public var y: Double { SceneLayout.stopLineY(at: 320) + axisDistance / Self.metresPerPixel }

    /// Principal point in picture pixels.
    static let centre = (u: Double(SceneLayout.width) / 2, v: Double(SceneLayout.height) / 2)

    /// The picture point of ground point (`x`, `y`) (top-down pixels) raised `up` metres; nil behind the camera.
    public func project(_ x: Double, _ y: Double, up: Double = 0) -> (u: Double, v: Double)? {
        let s = Self.metresPerPixel
        let (lateral, forward, rise) = ((x - self.x) * s, (self.y - y) * s, up - height)
        let (c, sn) = (cos(tilt * Double.pi / 180), sin(tilt * Double.pi / 180))
        let depth = forward * c - rise * sn
        guard depth > 0.05 else { return nil }
        let vertical = forward * sn + rise * c
        return (Self.centre.u + focal * lateral / depth, Self.centre.v - focal * vertical / depth)
    }

    /// The ground point (top-down pixels) seen at picture point (`u`, `v`); nil at or above the horizon.
    public func ground(_ u: Double, _ v: Double) -> (x: Double, y: Double)? {
        let a = (u - Self.centre.u) / focal, b = (Self.centre.v - v) / focal
        let (c, sn) = (cos(tilt * Double.pi / 180), sin(tilt * Double.pi / 180))
        let down = sn - b * c
        guard down > 1e-6 else { return nil }
        let t = height / down
        return (x + a * t / Self.metresPerPixel, y - (c + b * sn) * t / Self.metresPerPixel)
    }

    /// The ground's y (top-down pixels) seen at the picture's bottom edge, below the centre column: how far down
    /// the approach the simulation must start vehicles so that they enter from the bottom of the picture.
    public var nearGroundY: Double { ground(Self.centre.u, Double(SceneLayout.height) + 8)?.y ?? y }

    /// The bounding box (picture pixels) of a box standing on the ground footprint (`left`, `top`, `right`,
    /// `bottom`, top-down pixels), `tall` metres high; nil when any corner is behind the camera.
    func boundingBox(left: Double, top: Double, right: Double, bottom: Double, tall: Double) -> [Double]? {
        var (u0, v0, u1, v1) = (Double.infinity, Double.infinity, -Double.infinity, -Double.infinity)
        for (x, y) in [(left, top), (right, top), (right, bottom), (left, bottom)] {
            for up in [0, tall] {
                guard let p = project(x, y, up: up) else { return nil }
                (u0, v0, u1, v1) = (min(u0, p.u), min(v0, p.v), max(u1, p.u), max(v1, p.v))
            }
        }
        return [u0, v0, u1, v1]
    }
}
