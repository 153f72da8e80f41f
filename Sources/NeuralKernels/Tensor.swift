/// A float32 activation tensor stored HWC: element `(y, x, c)` is at `(y * width + x) * channels + c`.
///
/// A value type backed by `[Float]`. Kernels write into an `inout Tensor`; `reshape(to:)` keeps the array's
/// capacity, so a network that keeps one output tensor per layer (or a ping-pong pair) allocates nothing once
/// the first face has been run.
public struct Tensor: Sendable, Equatable {
    /// Current shape; `storage.count == shape.count`.
    public private(set) var shape: TensorShape
    /// The elements in HWC order.
    public private(set) var storage: [Float]

    /// A zero-filled tensor.
    public init(shape: TensorShape) {
        self.shape = shape
        self.storage = [Float](repeating: 0, count: shape.count)
    }

    /// Wraps `storage` (HWC order); its count must equal `shape.count`.
    public init(shape: TensorShape, storage: [Float]) {
        precondition(storage.count == shape.count, "tensor storage has \(storage.count) floats, shape \(shape) needs \(shape.count)")
        self.shape = shape
        self.storage = storage
    }

    /// An empty tensor, useful as a reusable output slot.
    public init() {
        self.shape = TensorShape(height: 0, width: 0, channels: 0)
        self.storage = []
    }

    /// The element at `(y, x, c)`.
    public subscript(y: Int, x: Int, c: Int) -> Float {
        get { storage[(y * shape.width + x) * shape.channels + c] }
        set { storage[(y * shape.width + x) * shape.channels + c] = newValue }
    }

    /// Changes the shape, reusing the existing capacity; contents become unspecified (zero-filled when grown).
    public mutating func reshape(to newShape: TensorShape) {
        let delta = newShape.count - storage.count
        if delta > 0 {
            storage.append(contentsOf: repeatElement(0, count: delta))
        } else if delta < 0 {
            storage.removeLast(-delta)
        }
        shape = newShape
    }

    /// Calls `body` with a pointer to the elements; the pointer is valid only inside `body`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the elements; the pointer is valid only inside `body`.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { try body($0) }
    }
}
