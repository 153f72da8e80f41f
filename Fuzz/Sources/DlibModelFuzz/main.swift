import FaceKit
import FuzzSupport

// The dlib model readers on arbitrary bytes: every input goes to the HOG detector, shape predictor and
// DNN readers. Invariant: each loads or throws a ModelLoadError, never traps, and never allocates from
// an unchecked header (AddressSanitizer's allocation limit turns a wild reserve into a crash).
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    _ = try? FHOGDetectorModel(bytes: bytes)
    _ = try? ShapePredictorModel(bytes: bytes)
    if let network = try? DlibNetwork(bytes: bytes) {
        _ = network.layers.count
    }
    return 0
}

runFuzzer(seeds: {
    [("detector.model", DlibSeeds.svm()), ("shape.model", DlibSeeds.shapePredictor()),
     ("network.model", DlibSeeds.network()), ("network-con6.model", DlibSeeds.network(convTag: "con_6"))]
}) { data, size in fuzzOne(data, size) }
