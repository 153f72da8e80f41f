import NeuralKernels

/// One convolution of dlib's face ResNet (dlib_face_recognition_resnet_model_v1) at a 150×150 input.
struct FaceConvLayer {
    var name: String
    var input: TensorShape
    var outChannels: Int
    var kernel: Int
    var stride: Int

    var padding: Int { PackedConvolution.dlibPadding(window: kernel, stride: stride) }
}

/// The 29 convolutions in execution order; shapes follow dlib's rules (stride-2 convs and pools unpadded,
/// add_prev taking the larger shape: 256×3×3 + 128×4×4 → 256×4×4).
func faceConvLayers() -> [FaceConvLayer] {
    func shape(_ s: Int, _ c: Int) -> TensorShape { TensorShape(height: s, width: s, channels: c) }
    var layers = [FaceConvLayer(name: "stem 7x7/2", input: shape(150, 3), outChannels: 32, kernel: 7, stride: 2)]
    for i in 0..<6 { layers.append(FaceConvLayer(name: "l4 32 #\(i)", input: shape(35, 32), outChannels: 32, kernel: 3, stride: 1)) }
    layers.append(FaceConvLayer(name: "l3 down 64", input: shape(35, 32), outChannels: 64, kernel: 3, stride: 2))
    for i in 0..<7 { layers.append(FaceConvLayer(name: "l3 64 #\(i)", input: shape(17, 64), outChannels: 64, kernel: 3, stride: 1)) }
    layers.append(FaceConvLayer(name: "l2 down 128", input: shape(17, 64), outChannels: 128, kernel: 3, stride: 2))
    for i in 0..<5 { layers.append(FaceConvLayer(name: "l2 128 #\(i)", input: shape(8, 128), outChannels: 128, kernel: 3, stride: 1)) }
    layers.append(FaceConvLayer(name: "l1 down 256", input: shape(8, 128), outChannels: 256, kernel: 3, stride: 2))
    layers.append(FaceConvLayer(name: "l1 256 3x3", input: shape(3, 256), outChannels: 256, kernel: 3, stride: 1))
    for i in 0..<4 { layers.append(FaceConvLayer(name: "l1 256 #\(i)", input: shape(4, 256), outChannels: 256, kernel: 3, stride: 1)) }
    layers.append(FaceConvLayer(name: "l0 down 256", input: shape(4, 256), outChannels: 256, kernel: 3, stride: 2))
    layers.append(FaceConvLayer(name: "l0 256 1x1", input: shape(1, 256), outChannels: 256, kernel: 3, stride: 1))
    return layers
}
