import Glibc
import NeuralKernels

// Kernel benchmarks: SGEMM 512³ against numpy/OpenBLAS from the same run, then every convolution of dlib's
// face ResNet at 150×150, one core, thread CPU time, best of N. Each distinct conv shape is first checked
// against conv2dReference so a fast wrong kernel cannot pass unnoticed.

func randomFloats(_ n: Int) -> [Float] {
    var rng = SystemRandomNumberGenerator()
    return (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
}

let workspace = Workspace()
print("target: \(KernelTarget.description)")

// SGEMM 512³.
let n = 512
let a = randomFloats(n * n)
let b = randomFloats(n * n)
var c = [Float](repeating: 0, count: n * n)
let gemmNanos = bestTime(repetitions: 40) { _ in
    SGEMM.multiply(m: n, n: n, k: n, a: a, b: b, into: &c, workspace: workspace)
}
let gemmGFLOPS = 2 * Double(n * n * n) / Double(gemmNanos)
let scriptPath = #filePath.split(separator: "/").dropLast(3).map { "/" + $0 }.joined() + "/numpy_sgemm.py"
if let peer = commandOutput("OPENBLAS_NUM_THREADS=1 python3 \(scriptPath) 2>/dev/null").flatMap({ Double($0.filter { !$0.isWhitespace }) }) {
    print("sgemm 512^3: \(fmt(gemmGFLOPS, 1)) GFLOP/s   numpy/OpenBLAS: \(fmt(peer, 1)) GFLOP/s   ratio \(fmt(gemmGFLOPS / peer))")
} else {
    print("sgemm 512^3: \(fmt(gemmGFLOPS, 1)) GFLOP/s   (numpy not available)")
}

// Face ResNet convolutions, each with a fused affine + ReLU epilogue as in the network.
var totalNanos: UInt64 = 0
var totalMACs = 0
var verified = Set<String>()
print("layer            input        out  MACs(M)   ms     GFLOP/s")
for layer in faceConvLayers() {
    let k = layer.kernel
    let weights = randomFloats(layer.outChannels * layer.input.channels * k * k)
    let bias = randomFloats(layer.outChannels)
    let conv = PackedConvolution(weights: weights, bias: bias, inChannels: layer.input.channels,
                                 outChannels: layer.outChannels, kernelHeight: k, kernelWidth: k,
                                 strideY: layer.stride, strideX: layer.stride, paddingY: layer.padding,
                                 paddingX: layer.padding)
    let input = Tensor(shape: layer.input, storage: randomFloats(layer.input.count))
    var output = Tensor()
    let key = "\(layer.input) \(layer.outChannels) \(k) \(layer.stride)"
    if !verified.contains(key) {
        verified.insert(key)
        conv.apply(input, into: &output, workspace: workspace)
        let expected = conv2dReference(input, weights: weights, bias: bias, outChannels: layer.outChannels,
                                       kernelHeight: k, kernelWidth: k, strideY: layer.stride, strideX: layer.stride,
                                       paddingY: layer.padding, paddingX: layer.padding)
        let scale = expected.storage.reduce(Float(1)) { max($0, abs($1)) }
        let worst = zip(output.storage, expected.storage).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        let tolerance = 1e-5 * Float(k * k * layer.input.channels).squareRoot() * scale
        if output.shape != expected.shape || !(worst <= tolerance) {
            print("MISMATCH \(layer.name): shape \(output.shape) vs \(expected.shape), max diff \(worst) > \(tolerance)")
            exit(1)
        }
    }
    let fused = conv.fusingAffine(scale: randomFloats(layer.outChannels), shift: randomFloats(layer.outChannels))
        .fusingReLU()
    let nanos = bestTime(repetitions: 30) { _ in fused.apply(input, into: &output, workspace: workspace) }
    let macs = conv.multiplyAdds(for: layer.input)
    totalNanos += nanos
    totalMACs += macs
    let columns = [pad(layer.name, 16), pad("\(layer.input)", 13), pad("\(layer.outChannels)", 5),
                   pad(fmt(Double(macs) / 1e6, 2), 10), pad(fmt(Double(nanos) / 1e6, 3), 8),
                   fmt(2 * Double(macs) / Double(nanos), 1)]
    print(columns.joined())
}
print("conv stack (29 layers, sum of best): \(fmt(Double(totalNanos) / 1e6, 3)) ms, \(fmt(Double(totalMACs) / 1e6, 2)) M MACs, "
      + "\(fmt(2 * Double(totalMACs) / Double(totalNanos), 1)) GFLOP/s; all shapes verified against conv2dReference")

// The whole network chained, weights cold-ish (11 MB of weights cycle through the caches every face).
let network = FaceNetwork(random: randomFloats)
let face = Tensor(shape: TensorShape(height: 150, width: 150, channels: 3), storage: randomFloats(150 * 150 * 3))
var buffers = FaceNetwork.Buffers()
let faceNanos = bestTime(repetitions: 30) { _ in network.run(face, &buffers, workspace: workspace) }
print("whole face (chained, incl. pools/adds/fc): \(fmt(Double(faceNanos) / 1e6, 3)) ms, output \(buffers.out.shape), "
      + "\(fmt(2 * 270.854144e6 / Double(faceNanos), 1)) GFLOP/s")

// Non-convolution layers on their largest face shapes.
let stemOut = Tensor(shape: TensorShape(height: 72, width: 72, channels: 32), storage: randomFloats(72 * 72 * 32))
var pooledOut = Tensor()
let mpNanos = bestTime(repetitions: 30) { _ in
    Pooling.maxPool(stemOut, windowHeight: 3, windowWidth: 3, strideY: 2, strideX: 2, paddingY: 0, paddingX: 0, into: &pooledOut)
}
let l4 = Tensor(shape: TensorShape(height: 35, width: 35, channels: 32), storage: randomFloats(35 * 35 * 32))
let apNanos = bestTime(repetitions: 30) { _ in
    Pooling.averagePool(l4, windowHeight: 2, windowWidth: 2, strideY: 2, strideX: 2, paddingY: 0, paddingX: 0, into: &pooledOut)
}
let c64 = Tensor(shape: TensorShape(height: 17, width: 17, channels: 64), storage: randomFloats(17 * 17 * 64))
let s32 = Tensor(shape: TensorShape(height: 17, width: 17, channels: 32), storage: randomFloats(17 * 17 * 32))
var added = Tensor()
let addNanos = bestTime(repetitions: 30) { _ in Elementwise.residualAdd(c64, s32, relu: true, into: &added) }
print("other ops: max_pool 3x3/2 on 72x72x32 \(fmt(Double(mpNanos) / 1e6, 4)) ms, avg_pool 2x2/2 on 35x35x32 "
      + "\(fmt(Double(apNanos) / 1e6, 4)) ms, add_prev 17x17x64 + 17x17x32 + relu \(fmt(Double(addNanos) / 1e6, 4)) ms")
