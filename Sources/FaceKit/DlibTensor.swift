/// The four dimensions of a dlib DNN tensor: samples, channels (k), rows (nr), columns (nc).
public struct DlibTensorShape: Sendable, Hashable, CustomStringConvertible {
    public var n: Int
    public var k: Int
    public var nr: Int
    public var nc: Int

    public init(n: Int, k: Int, nr: Int, nc: Int) {
        self.n = n
        self.k = k
        self.nr = nr
        self.nc = nc
    }

    /// Number of elements.
    public var count: Int { n * k * nr * nc }

    public var description: String { "\(n)×\(k)×\(nr)×\(nc)" }
}

/// A dlib DNN tensor as stored in a model file: its shape and its float values in dlib's order
/// (samples, then channels, rows, columns; the last index varies fastest).
struct DlibTensor: Sendable {
    var shape: DlibTensorShape
    var values: [Float]
}

/// The shape of one activation flowing through a network: channels × rows × columns (one sample).
public struct ActivationShape: Sendable, Hashable, CustomStringConvertible {
    public var channels: Int
    public var rows: Int
    public var cols: Int

    public init(channels: Int, rows: Int, cols: Int) {
        self.channels = channels
        self.rows = rows
        self.cols = cols
    }

    /// Number of elements.
    public var count: Int { channels * rows * cols }

    public var description: String { "\(channels)×\(rows)×\(cols)" }
}
