import SightlineCore
import Testing

/// The one parser of `KIND:PATH` source strings (configuration, CLI and daemon).
@Suite struct SourceSpecTests {
    @Test(arguments: [
        ("v4l2:/dev/video0", SourceSpec.v4l2(device: "/dev/video0")),
        ("mjpeg:/srv/a.mjpeg", .mjpeg(path: "/srv/a.mjpeg")),
        ("mjpeg:-", .mjpeg(path: "-")),
        ("avi:clip.avi", .avi(path: "clip.avi")),
        ("jpegdir:/srv/frames/", .jpegDirectory(path: "/srv/frames/")),
        ("y4m:-", .y4m(path: "-")),
        ("y4m:a:b.y4m", .y4m(path: "a:b.y4m")),
        ("video:/srv/a.mp4", .video(path: "/srv/a.mp4")),
        ("video:-", .video(path: "-")),
        ("rtsp://cam/stream", .rtsp(url: "rtsp://cam/stream")),
        ("rtsps://cam:322/s?x=1", .rtsp(url: "rtsps://cam:322/s?x=1")),
        ("rtsp://[::1]:8554/live", .rtsp(url: "rtsp://[::1]:8554/live")),
    ])
    func parses(text: String, expected: SourceSpec) throws {
        let spec = try SourceSpec(parsing: text)
        #expect(spec == expected)
        #expect(try SourceSpec(parsing: spec.description) == spec)
        #expect(spec.description == text)
    }

    @Test(arguments: [
        ("/dev/video0", SourceSpec.Problem.notKindPath("/dev/video0")),
        ("", .notKindPath("")),
        ("mjpeg:", .emptyPath("mjpeg:")),
        ("rtsp:/cam/stream", .badURL("rtsp:/cam/stream")),
        ("rtsp://", .badURL("rtsp://")),
        ("rtsp://user:secret@/stream", .badURL("rtsp://***@/stream")),
        ("rtsp://cam/a b", .badURL("rtsp://cam/a b")),
        ("webm:a.webm", .unknownKind("webm")),
        ("V4L2:/dev/video0", .unknownKind("V4L2")),
        ("jpegdir:-", .standardInput("jpegdir:-")),
        ("v4l2:-", .standardInput("v4l2:-")),
        ("avi:-", .standardInput("avi:-")),
        ("v4l2:video0", .relativeDevice("v4l2:video0")),
    ])
    func rejects(text: String, problem: SourceSpec.Problem) {
        #expect(throws: problem) { try SourceSpec(parsing: text) }
    }

    @Test func problemsSuggestWhatWasMeant() {
        #expect(SourceSpec.Problem.unknownKind("V4L2").description.contains("did you mean 'v4l2'?"))
        #expect(SourceSpec.Problem.unknownKind("v4l").description.contains("did you mean 'v4l2'?"))
        #expect(SourceSpec.Problem.notKindPath("/dev/video0").description.contains("did you mean 'v4l2:/dev/video0'?"))
    }

    @Test func kindsAndPacing() {
        #expect(SourceSpec.v4l2(device: "/dev/video0").isRecorded == false)
        #expect(SourceSpec.y4m(path: "-").isRecorded)
        #expect(SourceSpec.y4m(path: "-").isStandardInput)
        #expect(!SourceSpec.mjpeg(path: "a.mjpeg").isStandardInput)
        #expect(SourceSpec.Kind.jpegdir.needsFileRate && !SourceSpec.Kind.avi.needsFileRate)
        #expect(ReplayPacing(rawValue: "fast") == .asFastAsPossible)
        let camera = SourceSpec.rtsp(url: "rtsp://cam/live")
        #expect(!camera.isRecorded && camera.kind.isLive && camera.kind.isNetwork && camera.kind.isDecodedBySource)
        #expect(SourceSpec.video(path: "-").isStandardInput && SourceSpec.video(path: "a.mp4").isRecorded)
        #expect(SourceSpec.Kind.video.isDecodedBySource && !SourceSpec.Kind.video.isLive)
        #expect(ReplayPacing.allCases.map(\.rawValue) == ["realtime", "fast"])
    }

    @Test func credentialsNeverShowButInTheURL() throws {
        let spec = try SourceSpec(parsing: "rtsp://admin:s3cret@10.0.0.9:554/Streaming/101?password=s3cret&ch=1")
        #expect(spec.url == "rtsp://admin:s3cret@10.0.0.9:554/Streaming/101?password=s3cret&ch=1")
        #expect(spec.description == "rtsp://***@10.0.0.9:554/Streaming/101?password=***&ch=1")
        #expect(spec.path == spec.description)
        #expect(!"\(CaptureError.badSourceSpec(spec.url!))".contains("s3cret"))
        #expect(SourceSpec.video(path: "a.mp4").url == nil)
    }
}
