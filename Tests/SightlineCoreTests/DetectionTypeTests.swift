import SightlineCore
import Testing

/// The one list of event types: dotted names, families, and which ones a camera may select.
@Suite struct DetectionTypeTests {
    @Test func rawValuesAreTheDottedWireNames() {
        #expect(DetectionType.trafficRedLightCrossing.rawValue == "traffic.red_light_crossing")
        #expect(DetectionType(rawValue: "face.match") == .faceMatch)
        #expect(DetectionType(rawValue: "face.matches") == nil)
        for type in DetectionType.allCases {
            #expect(type.rawValue.split(separator: ".").first.map(String.init) == type.family.rawValue)
        }
    }

    @Test func onlyStageOutputsAreCameraDetections() {
        #expect(DetectionType.cameraDetections
            == [.frameStats, .faceDetected, .faceMatch, .trafficSignalState, .trafficRedLightCrossing])
        #expect(!DetectionType.logCheckpoint.isCameraDetection)
        #expect(!DetectionType.systemTest.isCameraDetection)
        #expect(!DetectionType.cameraStatus.isCameraDetection)
    }
}
