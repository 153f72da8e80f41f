import CMatcherKernels

/// Growable 64-byte-aligned memory holding vectors in blocks of `blockWidth` (dimension-major inside a block).
///
/// Block `b` holds vectors `64b ..< 64b + 64`. With `group` 1, component `j` of the vector in lane `l` sits at
/// element `(b · dimension + j) · 64 + l`. With `group` G (the int8 codes use 4, one 32-bit word per lane for
/// `vpdpbusd`), the dimension is padded to a multiple of G with `zero`, and components `Gg ..< Gg + G` of lane
/// `l` are the G consecutive elements at `((b · dimension / G + g) · 64 + l) · G`. Owned by one `FlatIndex`;
/// not thread-safe for mutation. Buffers of 2 MiB or more sit on transparent huge pages where Linux allows
/// (`slm_allocate`): a scan at 10⁶ vectors otherwise spends a good part of its time on TLB misses.
final class BlockedBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacityBlocks: Int
    /// Components per vector, padded to a multiple of `group`.
    let dimension: Int
    /// Consecutive components of one lane.
    let group: Int
    let zero: Element

    init(dimension: Int, zero: Element, group: Int = 1) {
        self.group = group
        self.dimension = (dimension + group - 1) / group * group
        self.zero = zero
        capacityBlocks = 1
        base = Self.allocate(blocks: 1, dimension: self.dimension, zero: zero)
    }

    deinit { slm_free(base, Self.byteCount(blocks: capacityBlocks, dimension: dimension)) }

    /// Elements in one block.
    var blockElements: Int { dimension * blockWidth }

    /// Element offset of component `j` of `slot`.
    @inline(__always)
    func offset(slot: Int, _ j: Int) -> Int {
        (slot / blockWidth) * blockElements + ((j / group) * blockWidth + slot % blockWidth) * group + j % group
    }

    /// Bytes `slm_allocate` is asked for (and `slm_free` told) for `blocks` blocks.
    private static func byteCount(blocks: Int, dimension: Int) -> Int {
        max(64, blocks * dimension * blockWidth * MemoryLayout<Element>.stride)
    }

    private static func allocate(blocks: Int, dimension: Int, zero: Element) -> UnsafeMutablePointer<Element> {
        let count = blocks * dimension * blockWidth
        guard let raw = slm_allocate(byteCount(blocks: blocks, dimension: dimension)) else {
            fatalError("out of memory for \(blocks) blocks of \(dimension) components")
        }
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
        slm_free(base, Self.byteCount(blocks: capacityBlocks, dimension: dimension))
        base = fresh
        capacityBlocks = newCapacity
    }

    /// Writes `values` (at most `dimension` elements; the rest of the padded slot becomes `zero`) into `slot`.
    func store(slot: Int, _ values: UnsafeBufferPointer<Element>) {
        for j in 0..<dimension { base[offset(slot: slot, j)] = j < values.count ? values[j] : zero }
    }

    /// Copies the vector in slot `from` into slot `to`.
    func move(from: Int, to: Int) {
        for j in 0..<dimension { base[offset(slot: to, j)] = base[offset(slot: from, j)] }
    }

    /// Overwrites `slot` with zeros (so padding lanes never hold a removed vector's data).
    func clear(slot: Int) {
        for j in 0..<dimension { base[offset(slot: slot, j)] = zero }
    }

    /// Component `j` of the vector in `slot`.
    func component(slot: Int, _ j: Int) -> Element {
        base[offset(slot: slot, j)]
    }
}

/// Vectors per block of the blocked layouts: four AVX-512 registers of floats per component.
let blockWidth = 64
