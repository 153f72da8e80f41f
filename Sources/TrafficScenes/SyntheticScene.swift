import SightlineCore

/// A synthetic intersection scene, frame by frame: simulation plus rendering, with its truth.
public struct SyntheticScene {
    /// One rendered frame.
    public struct RenderedFrame {
        /// 0-based frame index.
        public var index: Int
        public var pts: Double
        /// RGB, 640 × 360 × 3.
        public var rgb: [UInt8]
        /// Limited-range BT.601 luma, as a Y4M file's Y plane carries it.
        public var luma: [UInt8]

        /// The frame as the stages see it (full size, colour).
        public func frame(camera: String = "synthetic") -> Frame {
            Frame(camera: camera, seq: UInt64(index + 1), monotonicNanos: UInt64(pts * 1e9),
                  wallNanos: Int64(pts * 1e9), pts: pts,
                  gray: Image(width: SceneLayout.width, height: SceneLayout.height, channels: 1, pixels: luma),
                  rgb: Image(width: SceneLayout.width, height: SceneLayout.height, channels: 3, pixels: rgb),
                  sourceWidth: SceneLayout.width, sourceHeight: SceneLayout.height)
        }
    }

    public let spec: SceneSpec
    private var simulator: SceneSimulator
    private var renderer: SceneRenderer

    public init(spec: SceneSpec) {
        self.spec = spec
        simulator = SceneSimulator(spec: spec)
        renderer = SceneRenderer(spec: spec)
    }

    /// The truth so far; complete once `next()` has returned nil.
    public var truth: SceneTruth { simulator.truth }

    /// The next frame, or nil after `spec.frameCount` frames.
    public mutating func next() -> RenderedFrame? {
        guard simulator.frame < spec.frameCount else { return nil }
        simulator.step()
        let (rgb, luma) = renderer.render(simulator)
        let index = simulator.frame - 1
        return RenderedFrame(index: index, pts: Double(index) / spec.fps, rgb: rgb, luma: luma)
    }
}
