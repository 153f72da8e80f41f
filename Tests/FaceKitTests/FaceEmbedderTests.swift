import SightlineCore
import Testing
@testable import FaceKit

/// The embedder against dlib's own descriptors (Golden/descriptors.json: synthetic chips and chips dlib cut
/// from real photographs), and against the scalar reference forward pass on small generated networks that
/// exercise what the face ResNet does not: unfusable orders, per-element affine, spatial fc, fused-ReLU con.
struct FaceEmbedderTests {
    static func image(_ file: String) throws -> Image {
        let pnm = try GoldenData.pnm(file)
        return Image(width: pnm.width, height: pnm.height, channels: pnm.channels, pixels: pnm.bytes)
    }

    static func distance(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    @Test(.enabled(if: ModelFiles.available(ModelFiles.faceNetName), "run Models/fetch to get the model files"))
    func everyGoldenChipMatchesDlib() throws {
        let golden = try GoldenData.descriptors()
        #expect(golden.chips.filter { $0.name.hasPrefix("photo-") }.count >= 6)
        let embedder = try FaceEmbedder(network: DlibNetwork(bytes: ModelFiles.faceNetBytes))
        let chips = try golden.chips.map { try Self.image($0.file) }
        let descriptors = try embedder.embed(chips: chips)
        for (chip, descriptor) in zip(golden.chips, descriptors) {
            #expect(descriptor.count == 128)
            let distance = Self.distance(descriptor, chip.descriptor)
            #expect(distance <= 1e-3, "\(chip.name): distance \(distance) from dlib")
        }
    }

    /// dlib's decision rule on our descriptors of the photographs: one person's chips within 0.6, two people apart.
    @Test(.enabled(if: ModelFiles.available(ModelFiles.faceNetName), "run Models/fetch to get the model files"))
    func photographsKeepDlibsSamePersonDecisions() throws {
        let photos = try GoldenData.descriptors().chips.filter { $0.name.hasPrefix("photo-") }
        let embedder = try FaceEmbedder(network: DlibNetwork(bytes: ModelFiles.faceNetBytes), threads: 2)
        let descriptors = try embedder.embed(chips: photos.map { try Self.image($0.file) })
        for i in photos.indices {
            for j in photos.indices where j > i {
                let samePerson = photos[i].name.hasPrefix("photo-obama") == photos[j].name.hasPrefix("photo-obama")
                let distance = Self.distance(descriptors[i], descriptors[j])
                #expect(samePerson ? distance < 0.6 : distance > 0.6,
                        "\(photos[i].name) – \(photos[j].name): \(distance)")
            }
        }
    }

    @Test(.enabled(if: ModelFiles.available(ModelFiles.faceNetName), "run Models/fetch to get the model files"))
    func faceNetworkCompilesToFusedSteps() throws {
        let program = try EmbeddingProgram(network: DlibNetwork(bytes: ModelFiles.faceNetBytes))
        #expect(program.rows == 150 && program.cols == 150 && program.outputLength == 128)
        #expect(program.multiplyAdds == 270_854_144)
        let labels = program.stepLabels
        #expect(labels.filter { $0.hasPrefix("con") }.count == 29)
        #expect(labels.filter { $0.hasPrefix("con") && $0.contains("+affine") }.count == 29)
        // 10 of the 14 residual blocks keep their input's shape: the add and ReLU go into the second conv.
        #expect(labels.filter { $0.contains("+add_prev1+relu") }.count == 10)
        // The 4 down-sampling blocks add an average-pooled, zero-extended input in a separate step.
        #expect(labels.filter { $0.hasPrefix("add_prev2+relu") }.count == 4)
        #expect(!labels.contains { $0.hasPrefix("relu") || $0.hasPrefix("affine") })
        #expect(program.slots <= 4)
        // Batches run chip by chip until the 8×8 stage, then together: the pooled shortcut and the block's
        // convolution output cross the boundary.
        #expect(program.boundarySlots.map(\.shape) == [ActivationShape(channels: 64, rows: 8, cols: 8),
                                                        ActivationShape(channels: 128, rows: 8, cols: 8)])
        #expect(labels[program.batchedFrom].hasPrefix("add_prev2+relu 64×8×8"))
    }

    @Test func missingOrTruncatedModelIsAModelLoadError() throws {
        let missing = #expect(throws: ModelLoadError.self) {
            try FaceEmbedder(contentsOfFile: "/nonexistent/dlib_face_recognition_resnet_model_v1.dat")
        }
        #expect(missing?.reason == .unreadable)
        let bytes = ModelFiles.faceNetBytes
        if !bytes.isEmpty {
            let truncated = #expect(throws: ModelLoadError.self) {
                try FaceEmbedder(network: DlibNetwork(bytes: Array(bytes.prefix(bytes.count / 2))))
            }
            #expect(truncated?.reason == .truncated)
        }
    }

    @Test func wrongChipSizeIsAnError() throws {
        let embedder = try FaceEmbedder(network: SmallNetworks.residual(seed: 1))
        let good = SmallNetworks.chip(rows: 9, cols: 11, seed: 1)
        let error = #expect(throws: EmbeddingError.self) {
            try embedder.embed(chips: [good, Image(width: 10, height: 9, channels: 3)])
        }
        #expect(error == .wrongChipShape(index: 1, width: 10, height: 9, channels: 3, expectedWidth: 11,
                                         expectedHeight: 9))
        #expect(throws: EmbeddingError.self) { try embedder.embed(chip: Image(width: 11, height: 9, channels: 1)) }
    }

    @Test(arguments: [1, 2, 3])
    func generatedNetworksMatchTheReferenceForward(seed: UInt64) throws {
        for network in [SmallNetworks.residual(seed: seed), SmallNetworks.unusual(seed: seed)] {
            let input = network.input
            let embedder = try FaceEmbedder(network: network)
            let chips = (0..<3).map { SmallNetworks.chip(rows: input.rows!, cols: input.cols!, seed: seed * 10 + $0) }
            let descriptors = try embedder.embed(chips: chips)
            for (chip, descriptor) in zip(chips, descriptors) {
                let expected = ReferenceForward.run(network, rgb: chip.pixels, rows: chip.height, cols: chip.width)
                #expect(descriptor.count == expected.count)
                let scale = expected.reduce(Float(1)) { max($0, abs($1)) }
                let worst = zip(descriptor, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
                #expect(worst <= 1e-5 * scale, "seed \(seed): \(embedder.program.stepLabels)")
            }
        }
    }

    @Test func batchesAndThreadsGiveTheSameDescriptorsAsSingleChips() throws {
        let network = SmallNetworks.residual(seed: 7)
        let single = try FaceEmbedder(network: network, batchSize: 1)
        let batched = try FaceEmbedder(network: network, batchSize: 3)
        let threaded = try FaceEmbedder(network: network, threads: 3, batchSize: 2)
        let chips = (0..<7).map { SmallNetworks.chip(rows: 9, cols: 11, seed: 100 + UInt64($0)) }
        let one = try chips.map { try single.embed(chip: $0) }
        #expect(try single.embed(chips: chips) == one)
        #expect(try batched.embed(chips: chips) == one)
        #expect(try threaded.embed(chips: chips) == one)
        #expect(try single.embed(chips: []) == [])
        // Buffers are reused: a second pass over the same chips gives identical results.
        #expect(try threaded.embed(chips: chips.reversed()) == one.reversed())
    }
}
