/// Scalar reference for `Elementwise.affine`.
public func affineReference(_ input: Tensor, scale: [Float], shift: [Float]) -> Tensor {
    var output = input
    let s = input.shape
    for y in 0..<s.height {
        for x in 0..<s.width {
            for c in 0..<s.channels { output[y, x, c] = input[y, x, c] * scale[c] + shift[c] }
        }
    }
    return output
}

/// Scalar reference for `Elementwise.relu`.
public func reluReference(_ input: Tensor) -> Tensor {
    Tensor(shape: input.shape, storage: input.storage.map { $0 > 0 ? $0 : 0 })
}

/// Scalar reference for `Elementwise.residualAdd`, following dlib's `add` index rules.
public func residualAddReference(_ a: Tensor, _ b: Tensor, relu: Bool) -> Tensor {
    let shape = TensorShape.residualUnion(a.shape, b.shape)
    var output = Tensor(shape: shape)
    func value(_ t: Tensor, _ y: Int, _ x: Int, _ c: Int) -> Float {
        y < t.shape.height && x < t.shape.width && c < t.shape.channels ? t[y, x, c] : 0
    }
    for y in 0..<shape.height {
        for x in 0..<shape.width {
            for c in 0..<shape.channels {
                let v = value(a, y, x, c) + value(b, y, x, c)
                output[y, x, c] = relu && v < 0 ? 0 : v
            }
        }
    }
    return output
}
