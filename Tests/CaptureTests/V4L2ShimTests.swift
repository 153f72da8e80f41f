import CV4L2
@testable import Capture
import SightlineCore
import Testing

/// The shim's constants against the kernel's encoding (`_IOC` in asm-generic/ioctl.h) and the
/// values `strace` shows for these requests on 64-bit Linux.
@Suite struct V4L2ShimTests {
    /// `_IOC(dir, 'V', nr, size)`: dir in bits 30–31 (1 write, 2 read), size in 16–29.
    private func ioc(_ dir: UInt, _ nr: UInt, _ size: Int) -> UInt {
        dir << 30 | UInt(size) << 16 | UInt(UInt8(ascii: "V")) << 8 | nr
    }

    @Test func requestCodesMatchTheKernelEncoding() {
        let readWrite: UInt = 3, read: UInt = 2, write: UInt = 1
        let expected: [V4L2Request: UInt] = [
            .queryCapability: ioc(read, 0, MemoryLayout<v4l2_capability>.size),
            .enumerateFormat: ioc(readWrite, 2, MemoryLayout<v4l2_fmtdesc>.size),
            .getFormat: ioc(readWrite, 4, MemoryLayout<v4l2_format>.size),
            .setFormat: ioc(readWrite, 5, MemoryLayout<v4l2_format>.size),
            .requestBuffers: ioc(readWrite, 8, MemoryLayout<v4l2_requestbuffers>.size),
            .queryBuffer: ioc(readWrite, 9, MemoryLayout<v4l2_buffer>.size),
            .queueBuffer: ioc(readWrite, 15, MemoryLayout<v4l2_buffer>.size),
            .dequeueBuffer: ioc(readWrite, 17, MemoryLayout<v4l2_buffer>.size),
            .streamOn: ioc(write, 18, MemoryLayout<Int32>.size),
            .streamOff: ioc(write, 19, MemoryLayout<Int32>.size),
            .getParameters: ioc(readWrite, 21, MemoryLayout<v4l2_streamparm>.size),
            .setParameters: ioc(readWrite, 22, MemoryLayout<v4l2_streamparm>.size),
            .enumerateFrameSizes: ioc(readWrite, 74, MemoryLayout<v4l2_frmsizeenum>.size),
            .enumerateFrameIntervals: ioc(readWrite, 75, MemoryLayout<v4l2_frmivalenum>.size),
        ]
        for request in V4L2Request.allCases {
            #expect(request.code == expected[request], "\(request)")
            #expect(V4L2Request(code: request.code) == request)
        }
    }

    @Test(.enabled(if: MemoryLayout<Int>.size == 8)) func requestCodesMatchStraceOn64Bit() {
        #expect(V4L2Request.queryCapability.code == 0x8068_5600)
        #expect(V4L2Request.setFormat.code == 0xC0D0_5605)
        #expect(V4L2Request.requestBuffers.code == 0xC014_5608)
        #expect(V4L2Request.dequeueBuffer.code == 0xC058_5611)
        #expect(V4L2Request.streamOn.code == 0x4004_5612)
        #expect(V4L2Request.setParameters.code == 0xC0CC_5616)
        #expect(V4L2Request.enumerateFrameSizes.code == 0xC02C_564A)
        #expect(V4L2Request.enumerateFrameIntervals.code == 0xC034_564B)
    }

    @Test func fourccsArePackedLittleEndian() {
        #expect(V4L2FourCC.mjpeg.rawValue == 0x4750_4A4D)
        #expect(V4L2FourCC.jpeg.rawValue == 0x4745_504A)
        #expect(V4L2FourCC.yuyv.rawValue == 0x5659_5559)
        #expect(V4L2FourCC.grey.rawValue == 0x5945_5247)
        #expect(V4L2FourCC.nv12.rawValue == 0x3231_564E)
        #expect(V4L2FourCC.yu12.rawValue == 0x3231_5559)
        #expect(V4L2FourCC("MJPG") == .mjpeg)
        #expect(V4L2FourCC.yu12.description == "YU12")
    }

    @Test func mapFailedIsAllOnes() {
        #expect(CV4L2_MAP_FAILED() == UnsafeMutableRawPointer(bitPattern: -1))
    }

    @Test func realSystemReportsAMissingNode() {
        // No camera exists on build machines; this checks the real funnel's error path only.
        #expect(throws: V4L2Errno.noSuchFile) {
            try LibV4L2System.shared.resolveSymlinks("/dev/v4l/by-id/no-such-camera")
        }
        #expect(throws: CaptureError.cannotOpen(path: "/dev/video-missing",
                                                reason: "no such device (is the camera plugged in?)")) {
            try V4L2Source(path: "/dev/video-missing").open()
        }
    }

    @Test func realSystemRejectsANodeThatIsNotV4L2() {
        // libv4l2's open asks the kernel for VIDIOC_QUERYCAP itself and fails with ENOTTY.
        let reason = "not a V4L2 device (open: Inappropriate ioctl for device)"
        #expect(throws: CaptureError.unsupported(path: "/dev/null", reason: reason)) {
            try V4L2Source(path: "/dev/null").open()
        }
        #expect(throws: CaptureError.unsupported(path: "/dev/null", reason: reason)) {
            try V4L2Probe(path: "/dev/null")
        }
    }
}
