import SightlineCore

/// A deterministic in-memory source: plays back the payloads it was given, then ends.
/// The part `NIOEmbedded` plays for channels, for pipelines.
public final class ReplaySource: FrameSource, @unchecked Sendable {
    public let description: String
    public private(set) var stats = SourceStats()
    private let payloads: [CapturedFrame.Payload]
    private let fps: Double
    private var index = 0
    public private(set) var isOpen = false

    public init(payloads: [CapturedFrame.Payload], fps: Double = 25, description: String = "replay") {
        self.payloads = payloads
        self.fps = fps
        self.description = description
    }

    public func open() throws { isOpen = true; index = 0 }

    public func next() throws -> CapturedFrame? {
        guard index < payloads.count else { return nil }
        defer { index += 1 }
        stats.frames += 1
        let pts = Double(index) / fps
        return CapturedFrame(seq: UInt64(index + 1), monotonicNanos: UInt64(pts * 1e9),
                             wallNanos: 1_700_000_000_000_000_000 + Int64(pts * 1e9), pts: pts,
                             payload: payloads[index])
    }

    public func close() { isOpen = false }
}
