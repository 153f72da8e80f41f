import Testing
@testable import Traffic

/// The model's choice between a dark scene (one global gain) and a lit one (regional gains) holds while a
/// night scene's level wavers around the limit, and changes for a clearly lit scene.
@Suite struct BackgroundModelDarkSceneTests {
    /// The road of `BackgroundModelTests` (84 levels above black) under `exposure`.
    static func run(_ model: inout BackgroundModel, exposure: Double, frames: Int) {
        let plane = BackgroundModelTests.plane(exposure: exposure)
        for _ in 0..<frames { _ = model.update(gray: plane, imageWidth: BackgroundModelTests.width) }
    }

    @Test func aNightSceneWaveringAroundTheLimitStaysDark() {
        var model = BackgroundModelTests.model()
        // 48 levels above black: dark.
        Self.run(&model, exposure: 48.0 / 84, frames: 40)
        do { let dark = model.dark; #expect(dark) }
        // Street lights and beams lift the level a little past the limit (55 above black): still the same model.
        Self.run(&model, exposure: 55.0 / 84, frames: 120)
        do { let dark = model.dark; #expect(dark) }
        Self.run(&model, exposure: 47.0 / 84, frames: 30)
        do { let dark = model.dark; #expect(dark) }
        // Daylight (75 above black) is lit.
        Self.run(&model, exposure: 75.0 / 84, frames: 120)
        do { let dark = model.dark; #expect(!dark) }
        // And a lit scene dimming a little below the exit level stays lit.
        Self.run(&model, exposure: 56.0 / 84, frames: 120)
        do { let dark = model.dark; #expect(!dark) }
    }
}
