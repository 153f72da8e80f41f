import SightlineCore

/// Reads the signal head of one frame: for each lamp, its mean colour inside its polygon, compared
/// with the lamp's own running unlit baseline, gives lit or not; the lit lamps give an observation.
///
/// A lamp is lit when its luma rises clearly above its baseline (by `lampContrast` levels and by at
/// least 60 % of the baseline) and its colour is its own (a red lamp is red-dominant, and so on) — both
/// its mean colour and the light it gained over its unlit colour, since headlight glare or a grey vehicle
/// over a dark head adds about as much to each channel, and a dark lamp's faint tint then still reads as
/// lit. It goes out again only below a lower threshold (hysteresis). The baseline follows drops at once and
/// rises slowly while the lamp is out, so slow light changes and exposure steps do not light a lamp; the
/// unlit colour follows the same rule, and is taken afresh when the lamp goes out.
public struct SignalClassifier: Sendable {
    /// One lamp's running state.
    struct Lamp: Sendable {
        let colour: SignalState
        let polygon: TrafficPolygon
        var pixels: [Int32] = []
        var baseline: Double?
        /// The lamp's colour when out (red, green, blue).
        var unlit: (r: Double, g: Double, b: Double) = (0, 0, 0)
        var lit = false
    }

    public let lampContrast: Double
    private var lamps: [Lamp]
    private var sampledSize: (width: Int, height: Int, scale: Double) = (0, 0, 0)

    public init(lamps: SignalLamps, lampContrast: Double) {
        var list = [Lamp(colour: .red, polygon: lamps.red)]
        if let amber = lamps.amber { list.append(Lamp(colour: .amber, polygon: amber)) }
        list.append(Lamp(colour: .green, polygon: lamps.green))
        self.lamps = list
        self.lampContrast = lampContrast
    }

    /// Which lamps are lit now, as the last `observe` decided (for tests and diagnostics).
    public var litLamps: [SignalState] { lamps.filter(\.lit).map(\.colour) }

    /// Classifies one frame. Uses the RGB plane when present, else luma only (no colour check).
    public mutating func observe(_ frame: Frame) -> SignalObservation {
        let image = frame.rgb ?? frame.gray
        let scale = 1 / frame.scaleToSource
        if sampledSize != (image.width, image.height, scale) {
            for index in lamps.indices {
                lamps[index].pixels = Self.pixelIndices(of: lamps[index].polygon.scaled(by: scale),
                                                        width: image.width, height: image.height)
            }
            sampledSize = (image.width, image.height, scale)
        }
        var means: [(luma: Double, r: Double, g: Double, b: Double)] = []
        means.reserveCapacity(lamps.count)
        image.pixels.withUnsafeBufferPointer { px in
            for lamp in lamps {
                means.append(Self.mean(px, lamp.pixels, channels: image.channels))
            }
        }
        if lamps.contains(where: { $0.baseline == nil }) {
            // The housing is shared: the darkest lamp is the best first guess of "unlit" for all.
            let darkest = means.map(\.luma).min() ?? 0
            for index in lamps.indices {
                lamps[index].baseline = darkest
                // A lamp that would not count as lit is out: its own colour; a lit one's is unknown (grey).
                let m = means[index]
                let out = m.luma < darkest + max(lampContrast, 0.6 * darkest)
                lamps[index].unlit = out ? (m.r, m.g, m.b) : (darkest, darkest, darkest)
            }
        }
        for index in lamps.indices {
            update(&lamps[index], means[index], colourKnown: image.channels == 3)
        }
        let lit = lamps.filter(\.lit)
        switch lit.count {
        case 0: return .dark
        case 1: return .lit(lit[0].colour)
        default: return .conflict
        }
    }

    private func update(_ lamp: inout Lamp, _ mean: (luma: Double, r: Double, g: Double, b: Double),
                        colourKnown: Bool) {
        var baseline = lamp.baseline ?? mean.luma
        let onThreshold = baseline + max(lampContrast, 0.6 * baseline)
        let offThreshold = baseline + 0.6 * max(lampContrast, 0.6 * baseline)
        var unlit = lamp.unlit
        if lamp.lit {
            lamp.lit = mean.luma >= offThreshold
            if !lamp.lit { unlit = (mean.r, mean.g, mean.b) }
        } else {
            let gained = (r: mean.r - unlit.r, g: mean.g - unlit.g, b: mean.b - unlit.b)
            lamp.lit = mean.luma >= onThreshold
                && (!colourKnown || Self.hasColour(lamp.colour, mean) && Self.gainedColour(lamp.colour, gained))
        }
        let rate = mean.luma < baseline ? 0.5 : lamp.lit ? 0 : 0.02
        baseline += rate * (mean.luma - baseline)
        lamp.baseline = baseline
        lamp.unlit = (unlit.r + rate * (mean.r - unlit.r), unlit.g + rate * (mean.g - unlit.g),
                      unlit.b + rate * (mean.b - unlit.b))
    }

    /// Whether a mean colour is the lamp's own: red dominant; amber warm (red and green over blue);
    /// green (or the blue-green of LED heads) over red.
    static func hasColour(_ colour: SignalState, _ m: (luma: Double, r: Double, g: Double, b: Double)) -> Bool {
        switch colour {
        case .red: return m.r >= 1.3 * m.g && m.r >= 1.3 * m.b
        case .amber: return m.r >= 1.2 * m.b && m.g >= 1.1 * m.b && m.g >= 0.35 * m.r
        case .green: return m.g >= 1.15 * m.r
        case .unknown: return false
        }
    }

    /// Whether the light a lamp gained over its unlit colour is its own colour: a lit lamp adds mostly its own
    /// channels, white glare about as much to each. Red gains over 1.5 × green and blue; amber's red and green
    /// over 1.5 × blue; green over 1.5 × red.
    static func gainedColour(_ colour: SignalState, _ d: (r: Double, g: Double, b: Double)) -> Bool {
        switch colour {
        case .red: return d.r >= 1.5 * max(d.g, 0) && d.r >= 1.5 * max(d.b, 0)
        case .amber: return d.r >= 1.5 * max(d.b, 0) && d.g >= 1.5 * max(d.b, 0)
        case .green: return d.g >= 1.5 * max(d.r, 0)
        case .unknown: return false
        }
    }

    /// Mean luma and colour over the listed pixels.
    static func mean(_ px: UnsafeBufferPointer<UInt8>, _ indices: [Int32], channels: Int)
        -> (luma: Double, r: Double, g: Double, b: Double)
    {
        guard !indices.isEmpty else { return (0, 0, 0, 0) }
        var r = 0, g = 0, b = 0
        for index in indices {
            let i = Int(index) * channels
            if channels == 3 {
                r &+= Int(px[i]); g &+= Int(px[i + 1]); b &+= Int(px[i + 2])
            } else {
                r &+= Int(px[i])
            }
        }
        let n = Double(indices.count)
        if channels == 1 {
            let y = Double(r) / n
            return (y, y, y, y)
        }
        let (mr, mg, mb) = (Double(r) / n, Double(g) / n, Double(b) / n)
        return (0.299 * mr + 0.587 * mg + 0.114 * mb, mr, mg, mb)
    }

    /// Pixel indices whose centres lie inside `polygon`; at least the pixel nearest its centre.
    static func pixelIndices(of polygon: TrafficPolygon, width: Int, height: Int) -> [Int32] {
        let bounds = polygon.bounds
        let x0 = max(0, Int(bounds.minX.rounded(.down))), x1 = min(width - 1, Int(bounds.maxX.rounded(.up)))
        let y0 = max(0, Int(bounds.minY.rounded(.down))), y1 = min(height - 1, Int(bounds.maxY.rounded(.up)))
        var indices: [Int32] = []
        if x0 <= x1, y0 <= y1 {
            for y in y0...y1 {
                for x in x0...x1 where polygon.contains(TrafficPoint(Double(x) + 0.5, Double(y) + 0.5)) {
                    indices.append(Int32(y * width + x))
                }
            }
        }
        if indices.isEmpty, width > 0, height > 0 {
            let cx = min(max(Int((bounds.minX + bounds.maxX) / 2), 0), width - 1)
            let cy = min(max(Int((bounds.minY + bounds.maxY) / 2), 0), height - 1)
            indices.append(Int32(cy * width + cx))
        }
        return indices
    }
}
