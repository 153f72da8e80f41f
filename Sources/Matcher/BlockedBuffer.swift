/// Growable 64-byte-aligned memory holding vectors in blocks of `blockWidth` (dimension-major inside a block).
///
/// Block `b` holds vectors `64b ..< 64b + 64`; component `j` of the vector in lane `l` sits at element
/// `(b · dimension + j) · 64 + l`. Owned by one `FlatIndex`; not thread-safe for mutation.
final class BlockedBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacityBlocks: Int
    let dimension: Int
    let zero: Element

    init(dimension: Int, zero: Element) {
        self.dimension = dimension
        self.zero = zero
        capacityBlocks = 1
        base = Self.allocate(blocks: 1, dimension: dimension, zero: zero)
    }

    deinit { base.deallocate() }

    /// Elements in one block.
    var blockElements: Int { dimension * blockWidth }

    private static func allocate(blocks: Int, dimension: Int, zero: Element) -> UnsafeMutablePointer<Element> {
        let count = blocks * dimension * blockWidth
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(64, count * MemoryLayout<Element>.stride), alignment: 64)
        let typed = raw.bindMemory(to: Element.self, capacity: count)
        typed.initialize(repeating: zero, count: count)
        return typed
    }

    /// Makes room for `blocks` blocks, doubling so appends stay O(1) amortised.
    func reserve(blocks: Int) {
        guard blocks > capacityBlocks else { return }
        let newCapacity = max(blocks, capacityBlocks * 2)
        let fresh = Self.allocate(blocks: newCapacity, dimension: dimension, zero: zero)
        fresh.update(from: base, count: capacityBlocks * blockElements)
        base.deallocate()
        base = fresh
        capacityBlocks = newCapacity
    }

    /// Writes `values` (dimension elements) into `slot`.
    func store(slot: Int, _ values: UnsafeBufferPointer<Element>) {
        let start = base + (slot / blockWidth) * blockElements + slot % blockWidth
        for j in 0..<dimension { start[j * blockWidth] = values[j] }
    }

    /// Copies the vector in slot `from` into slot `to`.
    func move(from: Int, to: Int) {
        let source = base + (from / blockWidth) * blockElements + from % blockWidth
        let target = base + (to / blockWidth) * blockElements + to % blockWidth
        for j in 0..<dimension { target[j * blockWidth] = source[j * blockWidth] }
    }

    /// Overwrites `slot` with zeros (so padding lanes never hold a removed vector's data).
    func clear(slot: Int) {
        let start = base + (slot / blockWidth) * blockElements + slot % blockWidth
        for j in 0..<dimension { start[j * blockWidth] = zero }
    }

    /// Component `j` of the vector in `slot`.
    func component(slot: Int, _ j: Int) -> Element {
        base[(slot / blockWidth) * blockElements + j * blockWidth + slot % blockWidth]
    }
}

/// Vectors per block of the blocked layouts: four AVX-512 registers of floats per component.
let blockWidth = 64
