// TEMPORARY until the capture branches land.
import SightlineCore
import Logging
func makeSource(for camera: CameraConfiguration, logger: Logger) throws -> FrameSource {
    throw CaptureError.badSourceSpec(camera.source)
}
