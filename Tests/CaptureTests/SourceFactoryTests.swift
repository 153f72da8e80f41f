import Capture
import SightlineCore
import Testing

@Suite struct SourceFactoryTests {
    @Test func factoryBuildsEachKindOfSource() throws {
        #expect(try SourceFactory.make("mjpeg:/x.mjpeg").description == "mjpeg:/x.mjpeg")
        #expect(try SourceFactory.make("avi:/x.avi") is AVISource)
        #expect(try SourceFactory.make("y4m:-") is Y4MSource)
        #expect(try SourceFactory.make("jpegdir:/d") is JPEGDirectorySource)
        let camera = try SourceFactory.make("v4l2:/dev/video9", options: SourceOptions(fps: 15, width: 640, height: 480))
        let v4l2 = try #require(camera as? V4L2Source)
        #expect(v4l2.configuration.width == 640 && v4l2.configuration.height == 480)
        #expect(v4l2.configuration.framesPerSecond == 15)
    }

    @Test func footageWithoutARateIsPlayedAtTheDefault() {
        #expect(SourceOptions().footageFPS == SourceSpec.defaultFootageFPS)
        #expect(SourceOptions(fps: 7).footageFPS == 7)
    }
}
