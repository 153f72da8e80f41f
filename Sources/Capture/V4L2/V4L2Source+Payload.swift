import SightlineCore

/// Turning a filled driver buffer into a frame payload.
extension V4L2Source {
    /// Copies one buffer out of driver memory. JPEG formats are copied as they are (a UVC MJPEG
    /// frame often lacks the DHT segment; libjpeg-turbo supplies the standard tables). Raw
    /// formats are repacked without the driver's row padding. Nil when the buffer is empty or
    /// shorter than its format needs.
    static func payload(from bytes: UnsafeRawBufferPointer, format: Negotiated) -> CapturedFrame.Payload? {
        if format.fourcc.isJPEG {
            guard !bytes.isEmpty else { return nil }
            return .jpeg(Array(bytes))
        }
        guard let pixelFormat = format.fourcc.pixelFormat else { return nil }
        let width = format.width, height = format.height
        let packedSize = pixelFormat.frameByteCount(width: width, height: height)
        let planes = Self.planes(of: pixelFormat, width: width, height: height, bytesPerLine: format.bytesPerLine)
        let paddedSize = planes.reduce(0) { $0 + $1.rows * $1.stride }
        if planes.allSatisfy({ $0.stride == $0.rowBytes }) {
            guard bytes.count >= packedSize else { return nil }
            return .raw(format: pixelFormat, width: width, height: height, bytes: Array(bytes.prefix(packedSize)))
        }
        guard bytes.count >= paddedSize else { return nil }
        var packed = [UInt8]()
        packed.reserveCapacity(packedSize)
        var planeStart = 0
        for plane in planes {
            for row in 0..<plane.rows {
                let start = planeStart + row * plane.stride
                packed.append(contentsOf: bytes[start..<(start + plane.rowBytes)])
            }
            planeStart += plane.rows * plane.stride
        }
        return .raw(format: pixelFormat, width: width, height: height, bytes: packed)
    }

    /// Row layout of each plane as V4L2 single-planar formats store them: the chroma planes of
    /// `YU12` have half the luma stride, the interleaved chroma plane of `NV12` the full stride.
    static func planes(of format: PixelFormat, width: Int, height: Int, bytesPerLine: Int)
        -> [(rows: Int, rowBytes: Int, stride: Int)]
    {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        func stride(_ rowBytes: Int, _ driver: Int) -> Int { driver >= rowBytes ? driver : rowBytes }
        switch format {
        case .yuyv:
            return [(height, cw * 4, stride(cw * 4, bytesPerLine))]
        case .gray:
            return [(height, width, stride(width, bytesPerLine))]
        case .nv12:
            let s = stride(width, bytesPerLine)
            return [(height, width, s), (ch, cw * 2, stride(cw * 2, s))]
        case .i420:
            let s = stride(width, bytesPerLine)
            return [(height, width, s), (ch, cw, stride(cw, s / 2)), (ch, cw, stride(cw, s / 2))]
        case .rgb24:
            return [(height, width * 3, stride(width * 3, bytesPerLine))]
        }
    }
}
