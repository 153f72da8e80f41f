import Testing
@testable import FaceKit

/// The network as read, run by a plain scalar forward pass, against descriptors dlib computed for the
/// same chips (Golden/descriptors.json). This checks what the reader recovers — weight layouts, the
/// tag/skip/add_prev wiring that dlib's file does not spell out, add_prev's zero-extension — end to end.
@Suite(.enabled(if: ModelFiles.available(ModelFiles.faceNetName), "run Models/fetch to get the model files"))
struct DlibNetworkParityTests {
    @Test(arguments: ["face", "gradient", "noise", "smooth-noise"])
    func descriptorMatchesDlib(chipName: String) throws {
        let network = try DlibNetwork(bytes: ModelFiles.faceNetBytes)
        let golden = try GoldenData.descriptors()
        let chip = try #require(golden.chips.first { $0.name == chipName })
        let image = try GoldenData.pnm(chip.file)
        #expect(image.width == 150 && image.height == 150 && image.channels == 3)
        let output = ReferenceForward.run(network, rgb: image.bytes, rows: 150, cols: 150)
        #expect(output.count == 128 && chip.descriptor.count == 128)
        let worst = zip(output, chip.descriptor).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "largest difference from dlib \(worst)")
    }
}
