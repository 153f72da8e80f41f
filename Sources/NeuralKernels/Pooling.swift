/// Max and average pooling over HWC tensors with dlib's semantics, vectorised across channels.
///
/// Windows are clipped to the image (padding never contributes): a max is taken over the clipped window and
/// an average divides by the number of pixels inside it, as dlib's `max_pool_` and `avg_pool_` do. Output size
/// is `1 + (in + 2·pad − window) / stride`.
public enum Pooling {
    /// Output shape of a pooling window over `shape`.
    public static func outputShape(
        for shape: TensorShape, windowHeight: Int, windowWidth: Int, strideY: Int, strideX: Int,
        paddingY: Int, paddingX: Int
    ) -> TensorShape {
        precondition(windowHeight > 0 && windowWidth > 0 && strideY > 0 && strideX > 0, "bad pooling window")
        precondition(paddingY >= 0 && paddingY < windowHeight && paddingX >= 0 && paddingX < windowWidth,
                     "pooling padding must be smaller than the window")
        precondition(windowHeight <= shape.height + 2 * paddingY && windowWidth <= shape.width + 2 * paddingX,
                     "pooling window larger than padded input \(shape)")
        return TensorShape(height: 1 + (shape.height + 2 * paddingY - windowHeight) / strideY,
                           width: 1 + (shape.width + 2 * paddingX - windowWidth) / strideX,
                           channels: shape.channels)
    }

    /// Max pooling (dlib `max_pool_`), written into `output`.
    public static func maxPool(
        _ input: Tensor, windowHeight: Int, windowWidth: Int, strideY: Int, strideX: Int,
        paddingY: Int, paddingX: Int, into output: inout Tensor, images: Int = 1
    ) {
        pool(input, windowHeight, windowWidth, strideY, strideX, paddingY, paddingX, average: false, images: images,
             into: &output)
    }

    /// Average pooling (dlib `avg_pool_`) over the clipped window, written into `output`.
    public static func averagePool(
        _ input: Tensor, windowHeight: Int, windowWidth: Int, strideY: Int, strideX: Int,
        paddingY: Int, paddingX: Int, into output: inout Tensor, images: Int = 1
    ) {
        pool(input, windowHeight, windowWidth, strideY, strideX, paddingY, paddingX, average: true, images: images,
             into: &output)
    }

    /// Mean over all pixels per channel (dlib `avg_pool_everything`): `output` becomes 1×1×C, or images×1×C
    /// for `images` images stacked vertically in `input`.
    public static func globalAveragePool(_ input: Tensor, into output: inout Tensor, images: Int = 1) {
        precondition(images >= 1 && input.shape.height % images == 0, "\(images) images in a \(input.shape) tensor")
        let channels = input.shape.channels
        output.reshape(to: TensorShape(height: images, width: 1, channels: channels))
        let pixels = input.shape.pixels / images
        let inverse = pixels > 0 ? 1 / Float(pixels) : 0
        input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                for image in 0..<images {
                    let d = dst.baseAddress! + image * channels
                    let s = src.baseAddress! + image * pixels * channels
                    zeroFloats(d, channels)
                    for p in 0..<pixels { addFloats(d, s + p * channels, channels) }
                    for c in 0..<channels { d[c] *= inverse }
                }
            }
        }
    }

    private static func pool(
        _ input: Tensor, _ wh: Int, _ ww: Int, _ sy: Int, _ sx: Int, _ py: Int, _ px: Int, average: Bool,
        images: Int, into output: inout Tensor
    ) {
        precondition(images >= 1 && input.shape.height % images == 0, "\(images) images in a \(input.shape) tensor")
        let inShape = TensorShape(height: input.shape.height / images, width: input.shape.width,
                                  channels: input.shape.channels)
        let outShape = outputShape(for: inShape, windowHeight: wh, windowWidth: ww, strideY: sy, strideX: sx,
                                   paddingY: py, paddingX: px)
        output.reshape(to: TensorShape(height: outShape.height * images, width: outShape.width,
                                       channels: outShape.channels))
        let channels = inShape.channels
        input.withUnsafeBufferPointer { srcBuffer in
            output.withUnsafeMutableBufferPointer { dstBuffer in
                var dst = dstBuffer.baseAddress!
                for image in 0..<images {
                    let src = srcBuffer.baseAddress! + image * inShape.count
                    for oy in 0..<outShape.height {
                        let y0 = max(0, oy * sy - py)
                        let y1 = min(inShape.height, oy * sy - py + wh)
                        for ox in 0..<outShape.width {
                            let x0 = max(0, ox * sx - px)
                            let x1 = min(inShape.width, ox * sx - px + ww)
                            let first = src + (y0 * inShape.width + x0) * channels
                            copyFloats(dst, first, channels)
                            for y in y0..<y1 {
                                for x in x0..<x1 where y != y0 || x != x0 {
                                    let pixel = src + (y * inShape.width + x) * channels
                                    if average {
                                        addFloats(dst, pixel, channels)
                                    } else {
                                        maxFloats(dst, pixel, channels)
                                    }
                                }
                            }
                            if average {
                                let inverse = 1 / Float((y1 - y0) * (x1 - x0))
                                for c in 0..<channels { dst[c] *= inverse }
                            }
                            dst += channels
                        }
                    }
                }
            }
        }
    }
}

/// `dst[i] += src[i]` for `n` floats.
@inline(__always)
func addFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let d = UnsafeMutableRawPointer(dst)
    let s = UnsafeRawPointer(src)
    while i &+ 16 <= n {
        let v = d.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            + s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        d.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD16<Float>.self)
        i &+= 16
    }
    while i < n {
        dst[i] += src[i]
        i &+= 1
    }
}

/// `dst[i] = max(dst[i], src[i])` for `n` floats.
@inline(__always)
func maxFloats(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let d = UnsafeMutableRawPointer(dst)
    let s = UnsafeRawPointer(src)
    while i &+ 16 <= n {
        // A compare-and-select lowers to vmaxps; the standard library's pointwiseMax does not (NaN rules).
        let old = d.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        let new = s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        let v = old.replacing(with: new, where: new .> old)
        d.storeBytes(of: v, toByteOffset: i &* 4, as: SIMD16<Float>.self)
        i &+= 16
    }
    while i < n {
        dst[i] = max(dst[i], src[i])
        i &+= 1
    }
}
