/// Scalar reference for `Pooling.maxPool`/`averagePool`: dlib's clipped centred window, one element at a time.
public func poolReference(
    _ input: Tensor, windowHeight: Int, windowWidth: Int, strideY: Int, strideX: Int,
    paddingY: Int, paddingX: Int, average: Bool
) -> Tensor {
    let s = input.shape
    let outH = 1 + (s.height + 2 * paddingY - windowHeight) / strideY
    let outW = 1 + (s.width + 2 * paddingX - windowWidth) / strideX
    var output = Tensor(shape: TensorShape(height: outH, width: outW, channels: s.channels))
    for oy in 0..<outH {
        for ox in 0..<outW {
            // dlib centres a window of the given size on (stride·o + window/2 − padding).
            let top = oy * strideY + windowHeight / 2 - paddingY - windowHeight / 2
            let left = ox * strideX + windowWidth / 2 - paddingX - windowWidth / 2
            for c in 0..<s.channels {
                var best = -Float.infinity
                var sum = 0.0
                var count = 0
                for y in top..<(top + windowHeight) where y >= 0 && y < s.height {
                    for x in left..<(left + windowWidth) where x >= 0 && x < s.width {
                        best = max(best, input[y, x, c])
                        sum += Double(input[y, x, c])
                        count += 1
                    }
                }
                output[oy, ox, c] = average ? Float(sum / Double(count)) : best
            }
        }
    }
    return output
}

/// Scalar reference for `Pooling.globalAveragePool`.
public func globalAveragePoolReference(_ input: Tensor) -> Tensor {
    let s = input.shape
    var output = Tensor(shape: TensorShape(height: 1, width: 1, channels: s.channels))
    for c in 0..<s.channels {
        var sum = 0.0
        for y in 0..<s.height { for x in 0..<s.width { sum += Double(input[y, x, c]) } }
        output[0, 0, c] = Float(sum / Double(s.pixels))
    }
    return output
}
