extension PackedConvolution {
    /// Writes `relu?(conv(input) · scale + shift + residual?)` into `output` (reshaped to `outputShape`).
    ///
    /// `residual`, when given, must have the output's shape (use `Residual.add` for dlib's zero-extending
    /// add of mismatched shapes). Allocates nothing once `output` and `workspace` have grown to size.
    ///
    /// `images` > 1 runs a batch in one GEMM: `input` holds that many images of equal height stacked
    /// vertically (HWC, image after image), and so do `residual` and `output`. Rows of all images share each
    /// packed weight block while it is in cache, which is what makes a batch faster than one image at a time.
    public func apply(
        _ input: Tensor, residual: Tensor? = nil, into output: inout Tensor, images: Int = 1, workspace: Workspace
    ) {
        precondition(images >= 1 && input.shape.height % images == 0, "\(images) images in a \(input.shape) tensor")
        let imageShape = TensorShape(height: input.shape.height / images, width: input.shape.width,
                                     channels: input.shape.channels)
        let single = outputShape(for: imageShape)
        let outShape = TensorShape(height: single.height * images, width: single.width, channels: single.channels)
        if let residual {
            precondition(residual.shape == outShape, "residual \(residual.shape) differs from conv output \(outShape)")
        }
        output.reshape(to: outShape)
        let geometry = ConvolutionGeometry(
            inHeight: imageShape.height, inWidth: input.shape.width, inChannels: inChannels,
            kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideY: strideY, strideX: strideX,
            paddingY: paddingY, paddingX: paddingX, outHeight: single.height, outWidth: single.width, images: images)
        let k = kernelHeight * kernelWidth * inChannels
        let scratch = workspace.reserve(GEMMDriver.scratchCount(k: k))
        input.withUnsafeBufferPointer { src in
            packedWeights.withUnsafeBufferPointer { weights in
                shift.withUnsafeBufferPointer { shiftBuffer in
                    withOptionalPointer(scale) { scalePointer in
                        withOptionalPointer(residual?.storage) { residualPointer in
                            output.withUnsafeMutableBufferPointer { dst in
                                let epilogue = GEMMEpilogue(scale: scalePointer, shift: shiftBuffer.baseAddress,
                                                            residual: residualPointer, relu: relu)
                                GEMMDriver.run(m: outShape.pixels, n: outChannels, k: k,
                                               source: .convolution(src.baseAddress!, geometry),
                                               packedB: weights.baseAddress!, c: dst.baseAddress!, ldc: outChannels,
                                               epilogue: epilogue, scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Calls `body` with the array's base address, or nil for a nil array.
@inline(__always)
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
