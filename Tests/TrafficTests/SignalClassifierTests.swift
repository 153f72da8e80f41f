import Testing
import Traffic

/// Lamps against their own baseline: lit by brightness and colour, steady under exposure changes.
@Suite struct SignalClassifierTests {
    @Test func eachLitLampIsRecognised() {
        for state in [SignalState.red, .amber, .green] {
            var classifier = SignalClassifier(lamps: TestScene.lamps, lampContrast: 30)
            #expect(classifier.observe(TestScene.frame(0, signal: state)) == .lit(state))
        }
    }

    @Test func noLampLitIsDark() {
        var classifier = SignalClassifier(lamps: TestScene.lamps, lampContrast: 30)
        #expect(classifier.observe(TestScene.frame(0, signal: .unknown)) == .dark)
    }

    @Test func exposureChangesDoNotLightOrDouseALamp() {
        var classifier = SignalClassifier(lamps: TestScene.lamps, lampContrast: 30)
        for (i, brightness) in [1.0, 0.8, 0.65, 0.8, 1.2, 1.4, 1.0].enumerated() {
            #expect(classifier.observe(TestScene.frame(i, signal: .green, brightness: brightness)) == .lit(.green),
                    "brightness \(brightness)")
        }
        var dark = SignalClassifier(lamps: TestScene.lamps, lampContrast: 30)
        for (i, brightness) in [1.0, 1.3, 1.6].enumerated() {
            #expect(dark.observe(TestScene.frame(i, signal: .unknown, brightness: brightness)) == .dark)
        }
    }

    @Test func aBrightLampOfTheWrongColourIsNotLit() {
        // A white glare on the red lamp: bright but not red.
        var lamps = TestScene.lamps
        lamps.red = TestScene.square(10, 10)
        var classifier = SignalClassifier(lamps: lamps, lampContrast: 30)
        // The square at (10, 10) shows road grey on frame 0 and a bright white vehicle later.
        _ = classifier.observe(TestScene.frame(0, signal: .green))
        var frame = TestScene.frame(1, signal: .green)
        var rgb = frame.rgb!
        for y in 10..<30 { for x in 10..<30 { for c in 0..<3 { rgb[x, y, c] = 250 } } }
        frame.rgb = rgb
        #expect(classifier.observe(frame) == .lit(.green))
    }

    @Test func whiteGlareOverADarkLampDoesNotLightIt() {
        // Headlight glare sweeping over the head at night adds white light to the unlit green lamp: bright
        // enough to pass the lamp's luma threshold, and its faint green tint still reads green-dominant.
        var classifier = SignalClassifier(lamps: TestScene.lamps, lampContrast: 30)
        for i in 0..<5 { #expect(classifier.observe(TestScene.frame(i, signal: .red)) == .lit(.red)) }
        for (i, glare) in [40, 80, 80, 60].enumerated() {
            var frame = TestScene.frame(5 + i, signal: .red)
            var rgb = frame.rgb!
            for y in 58..<78 { for x in 290..<310 { for c in 0..<3 { rgb[x, y, c] = rgb[x, y, c] &+ UInt8(glare) } } }
            frame.rgb = rgb
            #expect(classifier.observe(frame) == .lit(.red), "glare \(glare)")
        }
        // The lamp itself still lights: green after red.
        #expect(classifier.observe(TestScene.frame(9, signal: .green)) == .lit(.green))
    }

    @Test func twoLampsLitConflict() {
        var classifier = SignalClassifier(lamps: TestScene.lamps, lampContrast: 30)
        var frame = TestScene.frame(0, signal: .red)
        var rgb = frame.rgb!
        for y in 60..<76 { for x in 292..<308 { rgb[x, y, 0] = 40; rgb[x, y, 1] = 230; rgb[x, y, 2] = 90 } }
        frame.rgb = rgb
        #expect(classifier.observe(frame) == .conflict)
    }
}
