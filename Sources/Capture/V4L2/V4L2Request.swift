internal import CV4L2

/// The `VIDIOC_*` requests Sightline issues, with their kernel codes from the `CV4L2` shim.
///
/// An enum rather than a bare code so that a fake device can switch over them exhaustively and
/// call logs read as the kernel names.
public enum V4L2Request: CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case queryCapability
    case enumerateFormat
    case enumerateFrameSizes
    case enumerateFrameIntervals
    case getFormat
    case setFormat
    case getParameters
    case setParameters
    case requestBuffers
    case queryBuffer
    case queueBuffer
    case dequeueBuffer
    case streamOn
    case streamOff

    /// The request code `ioctl(2)` takes (`_IOR`/`_IOWR('V', nr, struct …)`).
    public var code: UInt {
        switch self {
        case .queryCapability: return CV4L2_VIDIOC_QUERYCAP
        case .enumerateFormat: return CV4L2_VIDIOC_ENUM_FMT
        case .enumerateFrameSizes: return CV4L2_VIDIOC_ENUM_FRAMESIZES
        case .enumerateFrameIntervals: return CV4L2_VIDIOC_ENUM_FRAMEINTERVALS
        case .getFormat: return CV4L2_VIDIOC_G_FMT
        case .setFormat: return CV4L2_VIDIOC_S_FMT
        case .getParameters: return CV4L2_VIDIOC_G_PARM
        case .setParameters: return CV4L2_VIDIOC_S_PARM
        case .requestBuffers: return CV4L2_VIDIOC_REQBUFS
        case .queryBuffer: return CV4L2_VIDIOC_QUERYBUF
        case .queueBuffer: return CV4L2_VIDIOC_QBUF
        case .dequeueBuffer: return CV4L2_VIDIOC_DQBUF
        case .streamOn: return CV4L2_VIDIOC_STREAMON
        case .streamOff: return CV4L2_VIDIOC_STREAMOFF
        }
    }

    /// The request whose code is `code`, if it is one of ours.
    public init?(code: UInt) {
        guard let match = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }

    /// The kernel's name, e.g. `VIDIOC_DQBUF`.
    public var description: String {
        switch self {
        case .queryCapability: return "VIDIOC_QUERYCAP"
        case .enumerateFormat: return "VIDIOC_ENUM_FMT"
        case .enumerateFrameSizes: return "VIDIOC_ENUM_FRAMESIZES"
        case .enumerateFrameIntervals: return "VIDIOC_ENUM_FRAMEINTERVALS"
        case .getFormat: return "VIDIOC_G_FMT"
        case .setFormat: return "VIDIOC_S_FMT"
        case .getParameters: return "VIDIOC_G_PARM"
        case .setParameters: return "VIDIOC_S_PARM"
        case .requestBuffers: return "VIDIOC_REQBUFS"
        case .queryBuffer: return "VIDIOC_QUERYBUF"
        case .queueBuffer: return "VIDIOC_QBUF"
        case .dequeueBuffer: return "VIDIOC_DQBUF"
        case .streamOn: return "VIDIOC_STREAMON"
        case .streamOff: return "VIDIOC_STREAMOFF"
        }
    }
}
