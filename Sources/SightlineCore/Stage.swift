/// One processing step of a camera pipeline: a frame in, detections out.
///
/// Stages run on the camera's processing task, one frame at a time; they may keep state
/// across frames (trackers, background models) and so are not shared between cameras.
public protocol Stage: AnyObject {
    /// Short name for logs and metrics (`stats`, `traffic`, `faces`).
    var name: String { get }
    /// Whether this stage needs the RGB plane (otherwise the decoder produces luma only).
    var needsColor: Bool { get }
    func process(_ frame: Frame) throws -> [Detection]
    /// Called once after the last frame of a run (the footage ended, the camera's pipeline stopped): what the
    /// stage still held back, for example a crossing waiting for its signal to settle. Default: nothing.
    func streamEnded() throws -> [Detection]
}

extension Stage {
    public func streamEnded() throws -> [Detection] { [] }
}

/// Something a stage observed, with its evidence. Never a judgment of a person (see DESIGN.md).
public struct Detection: Sendable, Equatable {
    /// What was observed (`frame.stats`, `traffic.red_light_crossing`, `face.match`, …).
    public var type: DetectionType
    public var camera: String
    public var frameSeq: UInt64
    public var wallNanos: Int64
    /// Presentation time in seconds of the frame it came from, on the source's own timeline (`Frame.pts`);
    /// nil when made without a frame.
    public var pts: Double?
    /// Type-specific fields, JSON-compatible.
    public var body: [String: JSONValue]
    /// The pictures the detection's event attaches, already redacted by the stage that made them, or a
    /// reference to frames still to come. Whoever drops the detection drops its evidence with it.
    public var evidence: DetectionEvidence

    public init(type: DetectionType, camera: String, frameSeq: UInt64, wallNanos: Int64, body: [String: JSONValue],
                evidence: DetectionEvidence = .none, pts: Double? = nil) {
        self.type = type
        self.camera = camera
        self.frameSeq = frameSeq
        self.wallNanos = wallNanos
        self.pts = pts
        self.body = body
        self.evidence = evidence
    }

    /// A detection of `frame`: its camera, sequence number, wall-clock time and pts.
    public init(_ type: DetectionType, of frame: Frame, body: [String: JSONValue],
                evidence: DetectionEvidence = .none) {
        self.init(type: type, camera: frame.camera, frameSeq: frame.seq, wallNanos: frame.wallNanos, body: body,
                  evidence: evidence, pts: frame.pts)
    }
}

/// Removes what must never leave process memory (faces) from an evidence frame.
/// Traffic keeps no evidence unless one is wired in (DESIGN.md, line 2).
public protocol EvidenceRedactor: Sendable {
    func redact(_ frame: Frame) throws -> Image
    /// Asks the redactor to remember what it needs to redact each of the last `frames` frames it observed as
    /// well as it redacts the newest (an evidence clip reaches back several seconds). Default: nothing to keep.
    func retainHistory(frames: Int)
}

extension EvidenceRedactor {
    public func retainHistory(frames: Int) {}
}
