/// Per-channel and element-wise layers on HWC tensors: affine (folded batch norm), ReLU, residual add.
public enum Elementwise {
    /// In place `x = x · scale[c] + shift[c]` (dlib `affine_` in convolution mode).
    public static func affine(_ tensor: inout Tensor, scale: [Float], shift: [Float]) {
        let channels = tensor.shape.channels
        precondition(scale.count == channels && shift.count == channels, "affine needs \(channels) values")
        let pixels = tensor.shape.pixels
        scale.withUnsafeBufferPointer { sc in
            shift.withUnsafeBufferPointer { sh in
                tensor.withUnsafeMutableBufferPointer { buffer in
                    let epilogue = GEMMEpilogue(scale: sc.baseAddress, shift: sh.baseAddress, residual: nil, relu: false)
                    GEMMDriver.applyEpilogue(epilogue, c: buffer.baseAddress!, ldc: channels, rows: pixels,
                                             cols: channels, i0: 0, j0: 0)
                }
            }
        }
    }

    /// In place `x = max(x, 0)`.
    public static func relu(_ tensor: inout Tensor) {
        tensor.withUnsafeMutableBufferPointer { buffer in
            let n = buffer.count
            guard let p = buffer.baseAddress else { return }
            let raw = UnsafeMutableRawPointer(p)
            var i = 0
            while i + 16 <= n {
                var v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                v = v.replacing(with: 0, where: v .< 0)
                raw.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
                i += 16
            }
            while i < n {
                if p[i] < 0 { p[i] = 0 }
                i += 1
            }
        }
    }

    /// dlib `add_prev`: `output = a + b` over the per-dimension maximum shape, each operand zero-extended at
    /// the end of every dimension (height, width, channels); then a ReLU when `relu` is true. With `images` > 1,
    /// `a`, `b` and `output` each hold that many images stacked vertically, added image by image.
    public static func residualAdd(_ a: Tensor, _ b: Tensor, relu: Bool, into output: inout Tensor, images: Int = 1) {
        precondition(images >= 1 && a.shape.height % images == 0 && b.shape.height % images == 0,
                     "\(images) images in \(a.shape) and \(b.shape)")
        let aShape = TensorShape(height: a.shape.height / images, width: a.shape.width, channels: a.shape.channels)
        let bShape = TensorShape(height: b.shape.height / images, width: b.shape.width, channels: b.shape.channels)
        let shape = TensorShape.residualUnion(aShape, bShape)
        output.reshape(to: TensorShape(height: shape.height * images, width: shape.width, channels: shape.channels))
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                output.withUnsafeMutableBufferPointer { op in
                    for image in 0..<images {
                        let out = op.baseAddress! + image * shape.count
                        let first = ap.baseAddress! + image * aShape.count
                        let second = bp.baseAddress! + image * bShape.count
                        for y in 0..<shape.height {
                            for x in 0..<shape.width {
                                let dst = out + (y * shape.width + x) * shape.channels
                                zeroFloats(dst, shape.channels)
                                addPixel(first, aShape, y, x, into: dst)
                                addPixel(second, bShape, y, x, into: dst)
                            }
                        }
                    }
                }
            }
        }
        if relu { Elementwise.relu(&output) }
    }

    /// Adds pixel (y, x) of an HWC tensor into `dst` when the pixel exists (zero extension otherwise).
    @inline(__always)
    private static func addPixel(
        _ source: UnsafePointer<Float>, _ s: TensorShape, _ y: Int, _ x: Int, into dst: UnsafeMutablePointer<Float>
    ) {
        guard y < s.height && x < s.width else { return }
        addFloats(dst, source + (y * s.width + x) * s.channels, s.channels)
    }
}
