import Capture
import SightlineCore
import Testing

@Suite struct SourceSpecTests {
    @Test(arguments: [
        ("v4l2:/dev/video0", SourceSpec.v4l2(device: "/dev/video0")),
        ("mjpeg:/srv/a.mjpeg", .mjpeg(path: "/srv/a.mjpeg")),
        ("mjpeg:-", .mjpeg(path: "-")),
        ("avi:clip.avi", .avi(path: "clip.avi")),
        ("jpegdir:/srv/frames/", .jpegDirectory(path: "/srv/frames/")),
        ("y4m:-", .y4m(path: "-")),
        ("Y4M:a:b.y4m", .y4m(path: "a:b.y4m")),
    ])
    func parses(text: String, expected: SourceSpec) throws {
        let spec = try SourceSpec(parsing: text)
        #expect(spec == expected)
        #expect(try SourceSpec(parsing: spec.description) == spec)
    }

    @Test(arguments: ["/dev/video0", "mjpeg:", "rtsp://cam/stream", "jpegdir:-", "v4l2:-", "avi:-", "v4l2:video0", "",
                      "webm:a.webm"])
    func rejects(text: String) {
        #expect(throws: CaptureError.badSourceSpec(text)) { try SourceSpec(parsing: text) }
    }

    @Test func factoryBuildsEachKindOfSource() throws {
        #expect(try SourceFactory.make("mjpeg:/x.mjpeg").description == "mjpeg:/x.mjpeg")
        #expect(try SourceFactory.make("avi:/x.avi") is AVISource)
        #expect(try SourceFactory.make("y4m:-") is Y4MSource)
        #expect(try SourceFactory.make("jpegdir:/d") is JPEGDirectorySource)
        let camera = try SourceFactory.make("v4l2:/dev/video9", options: SourceOptions(fps: 15, width: 640, height: 480))
        let v4l2 = try #require(camera as? V4L2Source)
        #expect(v4l2.configuration.width == 640 && v4l2.configuration.height == 480)
        #expect(v4l2.configuration.framesPerSecond == 15)
        #expect(SourceSpec.v4l2(device: "/dev/video0").isRecorded == false)
        #expect(SourceSpec.y4m(path: "-").isRecorded)
    }
}
