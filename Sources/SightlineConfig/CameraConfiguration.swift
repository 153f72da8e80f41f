import Imaging
import SightlineCore
import Traffic

/// One camera (or recorded footage standing in for one) and how to pace its pipeline.
///
/// Keys are those of one entry of `cameras:` in the YAML file. Fields that apply only to some
/// source kinds (`width`/`height` to V4L2 cameras, `loop`/`replay` to files) are refused by the
/// loader on other kinds rather than silently ignored.
public struct CameraConfiguration: Sendable, Equatable {
    /// Unique name, `[A-Za-z0-9_-]{1,64}`: used in metric labels, event `camera` fields and paths.
    public var id: String
    /// Key `source`, `KIND:PATH` with KIND one of v4l2, mjpeg, avi, jpegdir, y4m, video (`y4m:-`, `mjpeg:-`,
    /// `video:-` read standard input), or a network camera's `rtsp://` / `rtsps://` URL.
    public var source: SourceSpec
    /// Requested capture width in pixels (V4L2 only; the driver may pick the nearest size).
    public var width: Int?
    /// Requested capture height in pixels (V4L2 only; given together with `width`).
    public var height: Int?
    /// Frames per second. V4L2: the rate requested from the camera (nil: the driver's default).
    /// jpegdir and mjpeg: the rate the files are played at, which they do not record; the loader
    /// fills in `SourceSpec.defaultFootageFPS` when absent. avi and y4m carry their own rate, so it is nil.
    public var fps: Double?
    /// Key `process_fps`: process at most this many frames per second; frames beyond it are
    /// skipped before decoding and counted. nil: process every frame.
    public var processFPS: Double?
    /// Key `processing_width`, default 640: the smallest width the stages need. JPEG DCT scaling
    /// picks the largest reduction (1/2, 1/4, 1/8) that keeps the width at least this; `video:` and `rtsp://`
    /// pictures are scaled (swscale) to exactly this width; 0 = full size.
    public var processingWidth: Int
    /// Key `device_timeout`, seconds, default 10: no frame for this long counts as a stall.
    public var deviceTimeout: Double
    /// Key `queue_depth`, default 4, 1...64: frames buffered between capture and processing;
    /// when full the oldest is dropped and counted.
    public var queueDepth: Int
    /// Key `replay` (files only): `realtime` paces frames at their recorded rate, `fast` runs flat out.
    public var replay: ReplayPacing
    /// Key `loop` (files only, not `y4m:-`): start again at the end instead of stopping.
    public var loop: Bool
    /// Key `enabled`: a disabled camera is validated but not started.
    public var enabled: Bool
    /// Key `faces`: the face stage; nil when the section is absent (no face stage).
    public var faces: FaceConfiguration?
    /// Key `traffic`: the red-light stage's settings; nil when the camera has no traffic stage.
    public var traffic: TrafficConfiguration?
    /// Key `transport` (`rtsp://` only): `tcp` (default) or `udp`.
    public var transport: RTSPTransport
    /// Key `hwaccel` (`video:` and `rtsp://` only): `none` (default), `auto` or `vaapi`; falls back to software.
    public var hardwareDecoding: HardwareDecoding
    /// Key `password_file` (`rtsp://` only): a file whose first line is the password for the URL's user, so
    /// that the configuration holds no secret.
    public var passwordFile: String?
    /// Key `ca` (`rtsps://` only): a PEM file of the certificates to trust for the camera (its CA, or its own
    /// self-signed certificate); absent, the system's trust store. The certificate must name the URL's host.
    public var tlsCAFile: String?
    /// Key `privacy_masks`: polygons (source pixels) blacked out of every frame as soon as it is decoded, before
    /// any stage sees it, so nothing there is analysed or kept (windows, gardens, a neighbour's door).
    public var privacyMasks = PrivacyMasks([])
    /// Key `evidence_clip`: seconds of clip kept before and after each red-light crossing, beside its three
    /// stills (faces blurred, MJPEG at the processing size); `[0, 0]` keeps none.
    public var evidenceClip = EvidenceClip(before: 2, after: 2)
    /// Key `events`: which event types this camera emits and how fast (all types, the global limit
    /// when absent). Only used when the daemon has an `events:` section.
    public var events: CameraEventsConfiguration

    public init(
        id: String,
        source: SourceSpec,
        width: Int? = nil,
        height: Int? = nil,
        fps: Double? = nil,
        processFPS: Double? = nil,
        processingWidth: Int = 640,
        deviceTimeout: Double = 10,
        queueDepth: Int = 4,
        replay: ReplayPacing = .realtime,
        loop: Bool = false,
        enabled: Bool = true,
        faces: FaceConfiguration? = nil,
        traffic: TrafficConfiguration? = nil,
        events: CameraEventsConfiguration = CameraEventsConfiguration(),
        transport: RTSPTransport = .tcp,
        hardwareDecoding: HardwareDecoding = .none,
        passwordFile: String? = nil
    ) {
        self.id = id
        self.source = source
        self.width = width
        self.height = height
        self.fps = fps
        self.processFPS = processFPS
        self.processingWidth = processingWidth
        self.deviceTimeout = deviceTimeout
        self.queueDepth = queueDepth
        self.replay = replay
        self.loop = loop
        self.enabled = enabled
        self.faces = faces
        self.traffic = traffic
        self.events = events
        self.transport = transport
        self.hardwareDecoding = hardwareDecoding
        self.passwordFile = passwordFile
    }
}

/// Seconds of evidence clip around a crossing.
public struct EvidenceClip: Sendable, Equatable {
    public var before: Double
    public var after: Double

    public init(before: Double, after: Double) {
        self.before = before
        self.after = after
    }
}
