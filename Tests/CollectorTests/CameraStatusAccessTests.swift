import Collector
import Testing

/// `camera.status` (a camera going online or offline) carries no face and no identity: a traffic token reads it.
@Suite struct CameraStatusAccessTests {
    @Test func aTrafficTokenSeesCameraStatusButNoFaceEvent() {
        #expect(Role.traffic.mayRead(type: "camera.status"))
        #expect(!Role.traffic.mayRead(type: "face.match") && !Role.traffic.mayRead(type: "face.detected"))
        #expect(Role.reviewer.mayRead(type: "camera.status"))
    }
}
