/// Lower transport of an RTSP camera (the configuration's `transport` key).
public enum RTSPTransport: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// RTP interleaved in the RTSP TCP connection: passes NAT and firewalls, loses nothing (the default).
    case tcp
    /// RTP over UDP: lower latency on a clean network; a lost packet damages a frame.
    case udp

    public var description: String { rawValue }
}

/// Hardware video decoding (the configuration's `hwaccel` key). Where the device is missing the source
/// decodes in software and says so in one log line.
public enum HardwareDecoding: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// Software decoding only (the default).
    case none
    /// Any hardware decoder FFmpeg's libraries find for the codec.
    case auto
    /// VA-API (Intel and AMD GPUs on Linux).
    case vaapi

    public var description: String { rawValue }
}
