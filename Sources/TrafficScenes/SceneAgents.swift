/// An 8-bit RGB colour.
public struct RGB: Sendable, Equatable {
    public var r: Double
    public var g: Double
    public var b: Double

    public init(_ r: Double, _ g: Double, _ b: Double) {
        self.r = r
        self.g = g
        self.b = b
    }

    func scaled(_ k: Double) -> RGB { RGB(r * k, g * k, b * k) }
}

/// A northbound vehicle of the simulation. `top` is its front edge (it moves towards smaller y).
struct Vehicle {
    enum Style { case car, van, truck, motorbike, bus }
    enum Behaviour { case obey, runner, gambler }

    let id: Int
    let lane: Int
    var centreX: Double
    let width: Double
    let length: Double
    let style: Style
    let behaviour: Behaviour
    let body: RGB
    let accent: RGB
    var top: Double
    var speed: Double
    let cruise: Double
    /// For the current amber/red: nil undecided, true stopping, false going.
    var stopping: Bool?
    var crossed = false
    /// When the front first reached the stop line, and the signal's state then (nil: not yet).
    var entered: (t: Double, state: String)?
    /// Turns right after the stop line (the lanes layout's right lane).
    var turning = false

    var bottom: Double { top + length }
    /// Height above the road, metres (for the perspective camera).
    var tall: Double {
        switch style {
        case .car: 1.5
        case .van: 2.1
        case .truck: 3.0
        case .motorbike: 1.4
        case .bus: 3.2
        }
    }
    var left: Double { centreX - width / 2 }
    var right: Double { centreX + width / 2 }
}

/// A pedestrian: `x` is the centre, `y` the feet.
struct Pedestrian {
    let clothing: RGB
    var x: Double
    var y: Double
    let vx: Double
    let vy: Double
    static let width = 10.0
    static let height = 24.0
}

/// A vehicle on the cross street, moving sideways.
struct CrossVehicle {
    let top: Double
    let length: Double
    let height: Double
    let body: RGB
    var left: Double
    let vx: Double
}

/// A cyclist or a pedestrian going up a lane, across the stop line whatever the signal: `x` is the centre,
/// `y` the bottom.
struct Cyclist {
    let clothing: RGB
    let bike: Bool
    var x: Double
    var y: Double
    let vy: Double
    var width: Double { bike ? 8 : 10 }
    var length: Double { bike ? 30 : 22 }
}
