import SightlineCore

/// Settings shared by every frame source; each source reads the fields that concern it.
public struct SourceOptions: Sendable, Equatable {
    /// Frame rate in frames per second. For footage that carries no timing (JPEG directories,
    /// raw MJPEG, Y4M without `F`) it sets the replay rate (`SourceSpec.defaultFootageFPS` when nil); for cameras it
    /// is the
    /// rate requested from the driver (the driver's default when nil). AVI and Y4M rates in the
    /// file take precedence over it.
    public var fps: Double?
    /// Replay speed of recorded footage; cameras ignore it.
    public var pacing: ReplayPacing
    /// Whether recorded footage starts over at its end (files only, not standard input).
    /// The sequence numbers and pts keep increasing across passes.
    public var loop: Bool
    /// Requested camera picture width in pixels; nil lets the driver choose.
    public var width: Int?
    /// Requested camera picture height in pixels; nil lets the driver choose.
    public var height: Int?
    /// Seconds a camera may send nothing before the source throws `CaptureError.stalled`.
    public var deviceTimeoutSeconds: Double
    /// Largest frame a container may hold, in bytes; larger ones are counted corrupt and
    /// skipped, so that damaged files cannot make a source grow without bound.
    public var maxFrameBytes: Int
    /// Width the sources that decode (`video:`, `rtsp://`) scale their pictures to, keeping the aspect ratio;
    /// 0, or a width at least the picture's, keeps the full size.
    public var processingWidth: Int
    /// Whether the sources that decode deliver RGB beside luma (a stage wants colour).
    public var color: Bool
    /// RTSP lower transport.
    public var transport: RTSPTransport
    /// Hardware decoding for the sources that decode.
    public var hardwareDecoding: HardwareDecoding
    /// A file whose first line is the password of a network camera (its URL names the user); read at each
    /// connection, so that a rotated password is picked up on the next reconnection.
    public var passwordFile: String?
    /// `rtsps://` only: a PEM file of the certificates to trust for the camera (its CA or its self-signed
    /// certificate); nil trusts the system's store. The certificate must name the URL's host either way.
    public var tlsCAFile: String?
    /// Largest picture (width × height) a source that decodes accepts; larger streams are refused before
    /// anything is allocated for their pictures.
    public var maxPixels: Int

    public init(fps: Double? = nil, pacing: ReplayPacing = .realtime, loop: Bool = false, width: Int? = nil,
                height: Int? = nil, deviceTimeoutSeconds: Double = 10, maxFrameBytes: Int = 32 << 20,
                processingWidth: Int = 0, color: Bool = false, transport: RTSPTransport = .tcp,
                hardwareDecoding: HardwareDecoding = .none, passwordFile: String? = nil,
                maxPixels: Int = 8192 * 8192, tlsCAFile: String? = nil) {
        precondition(fps.map { $0 > 0 && $0.isFinite } ?? true, "fps must be positive")
        precondition(deviceTimeoutSeconds > 0, "the device timeout must be positive")
        precondition(processingWidth >= 0 && maxPixels > 0, "sizes must be positive")
        self.fps = fps
        self.pacing = pacing
        self.loop = loop
        self.width = width
        self.height = height
        self.deviceTimeoutSeconds = deviceTimeoutSeconds
        self.maxFrameBytes = maxFrameBytes
        self.processingWidth = processingWidth
        self.color = color
        self.transport = transport
        self.hardwareDecoding = hardwareDecoding
        self.passwordFile = passwordFile
        self.tlsCAFile = tlsCAFile
        self.maxPixels = maxPixels
    }

    /// Replay rate of footage that carries no timing of its own.
    public var footageFPS: Double { fps ?? SourceSpec.defaultFootageFPS }
}
