import Logging
import SightlineCore

/// Opening: capability check, format negotiation, buffer setup.
extension V4L2Source {
    /// Resolves and opens the node, checks it, and negotiates format, size and rate.
    func openAndNegotiate() throws(CaptureError) {
        let node: String
        do {
            node = try system.resolveSymlinks(path)
        } catch {
            throw CaptureError.cannotOpen(path: path, reason: Self.openFailureReason(error))
        }
        if node != path { logger.info("\(path) is \(node)") }
        let device = try Self.openDevice(node, path: path, system: system)
        self.device = device

        do {
            let capability = try Self.queryCapability(device, path: path)
            try check(capability)
            logger.info("\(capability.card) (\(capability.driver) \(capability.versionString), \(capability.busInfo))")

            let formats = try device.enumerateFormats()
            guard let chosen = V4L2Negotiation.chooseFormat(from: formats, preference: configuration.formatPreference)
            else {
                let offered = formats.map(\.fourcc.description).joined(separator: ", ")
                throw CaptureError.unsupported(
                    path: path, reason: "no usable pixel format (device offers \(offered.isEmpty ? "none" : offered))")
            }
            if chosen.emulated { logger.notice("\(chosen.fourcc) is converted in software by libv4l2") }

            let sizes = try device.enumerateFrameSizes(chosen.fourcc)
            let size = V4L2Negotiation.chooseSize(from: sizes, width: configuration.width, height: configuration.height)
                ?? (configuration.width, configuration.height)

            let pix = try device.setFormat(chosen.fourcc, width: size.width, height: size.height)
            if pix.fourcc != chosen.fourcc || pix.width != size.width || pix.height != size.height {
                logger.notice("""
                    asked for \(chosen.fourcc) \(size.width)x\(size.height), \
                    driver chose \(pix.fourcc) \(pix.width)x\(pix.height)
                    """)
            }
            guard pix.fourcc.isJPEG || pix.fourcc.pixelFormat != nil, pix.width > 0, pix.height > 0 else {
                throw CaptureError.unsupported(path: path, reason: "driver switched to unusable format \(pix.fourcc)")
            }

            let interval = try negotiateFrameRate(device, pix)
            let rate = interval.map { " at \($0.framesPerSecond) fps" } ?? ""
            logger.info("streaming \(pix.fourcc) \(pix.width)x\(pix.height)\(rate)")
            negotiated = Negotiated(devicePath: node, fourcc: pix.fourcc, width: pix.width, height: pix.height,
                                    bytesPerLine: pix.fourcc.isJPEG ? 0 : pix.bytesPerLine,
                                    frameInterval: interval, bufferCount: 0)
        } catch let error as CaptureError {
            throw error
        } catch let error as V4L2CallError {
            throw error.captureError(path: path)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Requests, maps and queues the buffers, then starts streaming.
    func startStreaming() throws(CaptureError) {
        guard let device, negotiated != nil else { preconditionFailure("startStreaming before negotiation") }
        do {
            let granted = try device.requestBuffers(configuration.bufferCount)
            buffersRequested = true
            guard granted >= 2 else {
                throw CaptureError.unsupported(
                    path: path, reason: "driver granted \(granted) buffer\(granted == 1 ? "" : "s"), need at least 2")
            }
            if granted != configuration.bufferCount {
                logger.notice("asked for \(configuration.bufferCount) buffers, driver granted \(granted)")
            }
            for index in 0..<granted {
                let location = try device.queryBuffer(index)
                mappings.append((try device.map(offset: location.offset, length: location.length), location.length))
            }
            for index in 0..<granted { try device.queueBuffer(index) }
            try device.streamOn()
            streaming = true
            negotiated?.bufferCount = granted
        } catch let error as CaptureError {
            throw error
        } catch let error as V4L2CallError {
            throw error.captureError(path: path)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private func check(_ capability: V4L2Capability) throws(CaptureError) {
        guard capability.canCapture else {
            let why = capability.canCaptureMultiplanar
                ? "multi-planar capture devices are not supported"
                : "not a video capture device (\(capability.driver): \(capability.card))"
            throw CaptureError.unsupported(path: path, reason: why)
        }
        guard capability.canStream else {
            throw CaptureError.unsupported(path: path, reason: "device cannot stream (no V4L2_CAP_STREAMING)")
        }
    }

    /// Sets the frame interval closest to the requested rate when the driver allows it.
    private func negotiateFrameRate(_ device: V4L2Device, _ pix: V4L2PixFormat) throws(V4L2CallError) -> V4L2Fraction? {
        guard let fps = configuration.framesPerSecond else { return nil }
        let offered = try device.enumerateFrameIntervals(pix.fourcc, width: pix.width, height: pix.height)
        let wanted = offered?.closest(toFramesPerSecond: fps)
            ?? V4L2Fraction(1000, UInt32(clamping: Int((fps * 1000).rounded())))
        let setting = try device.frameIntervalSetting()
        guard setting.settable else {
            logger.notice("driver cannot set the frame rate; staying at \(setting.current.framesPerSecond) fps")
            return setting.current.numerator > 0 ? setting.current : nil
        }
        let chosen = try device.setFrameInterval(wanted)
        if chosen != wanted { logger.notice("asked for frame interval \(wanted), driver chose \(chosen)") }
        return chosen.numerator > 0 ? chosen : nil
    }

    /// Opens the node. libv4l2 refuses a file that is not a V4L2 node with `ENOTTY`: retrying
    /// will not help, so that is `unsupported`; everything else is `cannotOpen`.
    static func openDevice(_ node: String, path: String, system: any V4L2System) throws(CaptureError) -> V4L2Device {
        do {
            return try V4L2Device.open(node, system: system)
        } catch where error.errno == .notATypewriter {
            let why = "not a V4L2 device (\(error.call): \(error.errno.message))"
            throw CaptureError.unsupported(path: path, reason: why)
        } catch {
            throw CaptureError.cannotOpen(path: path, reason: openFailureReason(error.errno))
        }
    }

    /// `VIDIOC_QUERYCAP`, where `ENOTTY` means the path is not a V4L2 node at all (a file,
    /// another kind of device): no retry will help, so it is `unsupported`.
    static func queryCapability(_ device: V4L2Device, path: String) throws(CaptureError) -> V4L2Capability {
        do {
            return try device.queryCapability()
        } catch where error.errno == .notATypewriter || error.errno == .invalidArgument {
            let why = "not a V4L2 device (\(error.call): \(error.errno.message))"
            throw CaptureError.unsupported(path: path, reason: why)
        } catch {
            throw error.captureError(path: path)
        }
    }

    static func openFailureReason(_ errno: V4L2Errno) -> String {
        switch errno {
        case .noSuchFile: return "no such device (is the camera plugged in?)"
        case .permissionDenied: return "permission denied (is the user in the 'video' group?)"
        case .busy: return "device busy (another program is using the camera)"
        default: return errno.message
        }
    }
}
