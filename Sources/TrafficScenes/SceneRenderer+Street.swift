extension SceneRenderer {
    /// The empty intersection (no agents), RGB at canvas size: verges, sidewalks, asphalt with lane
    /// marks, the stop bar, a zebra crossing, the cross street, buildings, a static tree shadow (none under an overcast
    /// sky: `treeShadow` false) and the signal head's housing and pole.
    /// With `signalHead` false (a perspective camera draws the head in the picture) the ground has no housing or pole.
    static func paintStreet(canvasWidth: Int, canvasHeight: Int, seed: UInt64, arrowHead: Bool = false,
                            signalHead: Bool = true, treeShadow: Bool = true) -> [UInt8] {
        var texture = SceneRandom(seed: seed ^ 0x57_4EE7)
        var pixels = [UInt8](repeating: 0, count: canvasWidth * canvasHeight * 3)
        let m = margin
        for cy in 0..<canvasHeight {
            for cx in 0..<canvasWidth {
                let x = Double(cx - m) + 0.5, y = Double(cy - m) + 0.5
                var colour = streetColour(x, y, signalHead: signalHead)
                let arrow = SceneLayout.arrowHousing
                if arrowHead && x >= arrow.left && x < arrow.right && y >= arrow.top && y < arrow.bottom {
                    colour = RGB(30, 30, 32)
                }
                let grain = texture.uniform(-1...1)
                let amplitude = y < SceneLayout.crossStreet.top ? 6.0 : 4.0
                colour = RGB(colour.r + grain * amplitude, colour.g + grain * amplitude, colour.b + grain * amplitude)
                // A tree's shadow, fixed, over part of the left lanes.
                let tx = (x - 215) / 70, ty = (y - 300) / 32
                if treeShadow && tx * tx + ty * ty < 1 { colour = colour.scaled(0.7) }
                let i = (cy * canvasWidth + cx) * 3
                pixels[i] = UInt8(clamping: Int(colour.r.rounded()))
                pixels[i + 1] = UInt8(clamping: Int(colour.g.rounded()))
                pixels[i + 2] = UInt8(clamping: Int(colour.b.rounded()))
            }
        }
        return pixels
    }

    /// Buildings beyond the cross street: blocks with rows of windows (seen from above, or with a perspective
    /// camera standing up: then `y` counts pixels down from the roofs, 92 px above the street).
    static func facadeColour(_ x: Double, _ y: Double) -> RGB {
        let block = Int(x / 110)
        let facade = [RGB(150, 125, 105), RGB(175, 165, 150), RGB(120, 118, 125), RGB(160, 140, 120),
                      RGB(140, 150, 160), RGB(170, 150, 140)][abs(block) % 6]
        let wx = x.truncatingRemainder(dividingBy: 22), wy = y.truncatingRemainder(dividingBy: 26)
        if y > 8 && y < 92 && wx > 6 && wx < 16 && wy > 6 && wy < 18 { return RGB(70, 80, 95) }
        return facade
    }

    private static func streetColour(_ x: Double, _ y: Double, signalHead: Bool) -> RGB {
        let asphalt = RGB(88, 88, 92)
        let paint = RGB(228, 228, 222)
        let housing = SceneLayout.housing
        if signalHead {
            if x >= housing.left && x < housing.right && y >= housing.top && y < housing.bottom {
                return RGB(30, 30, 32)
            }
            if x >= 567 && x < 573 && y >= housing.bottom && y < 200 { return RGB(60, 62, 64) }
        }
        if y < SceneLayout.crossStreet.top { return facadeColour(x, y) }
        if y < SceneLayout.crossStreet.bottom {
            if abs(y - 142) < 1.5 && x.truncatingRemainder(dividingBy: 40) < 22 { return RGB(210, 180, 60) }
            return asphalt
        }
        if x < 100 || x >= 540 { return RGB(92, 112, 80) }
        if x < SceneLayout.roadLeft || x >= SceneLayout.roadRight {
            let joint = y.truncatingRemainder(dividingBy: 24) < 1.5 || x.truncatingRemainder(dividingBy: 24) < 1.5
            return joint ? RGB(120, 118, 112) : RGB(150, 148, 140)
        }
        if y >= SceneLayout.crosswalk.top && y < SceneLayout.crosswalk.bottom {
            return (x - SceneLayout.roadLeft).truncatingRemainder(dividingBy: 24) < 12 ? paint : asphalt
        }
        let line = SceneLayout.stopLineY(at: x)
        if y >= line && y < line + SceneLayout.stopBarThickness { return paint }
        for divider in [263.5, 376.5] where abs(x - divider) < 1.5 {
            if y < line || (y - line).truncatingRemainder(dividingBy: 50) > 25 { return paint }
        }
        return asphalt
    }
}
