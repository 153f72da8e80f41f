/// The `k` smallest `(distance, id)` pairs offered so far, ascending; equal distances are ordered by id.
///
/// A fixed-capacity array of entries with insertion by shifting: a scan offers every lane of its first blocks
/// (the bound is +∞ until `k` pairs are held), so an offer must cost a few nanoseconds, not an `Array.insert`.
/// One array of entries (not one per field), so an offer pays one uniqueness check.
struct TopK {
    struct Entry {
        var distance: Float
        var id: UInt64
        var slot: Int
    }

    let k: Int
    private(set) var count = 0
    private(set) var entries: [Entry]
    /// Distances above this cannot enter (equal ones may, on a smaller id): +∞ until `k` pairs are held.
    private(set) var bound: Float = .infinity

    init(k: Int) {
        precondition(k >= 1)
        self.k = k
        entries = [Entry](repeating: Entry(distance: .infinity, id: 0, slot: 0), count: k)
    }

    /// Distance of the `i`-th best pair.
    func distance(_ i: Int) -> Float { entries[i].distance }
    /// Slot of the `i`-th best pair.
    func slot(_ i: Int) -> Int { entries[i].slot }
    /// Id of the `i`-th best pair.
    func id(_ i: Int) -> UInt64 { entries[i].id }

    /// The held distances, best first (`k` values; unused ones are +∞).
    var distances: [Float] { entries.map(\.distance) }
    /// The held slots, best first.
    var slots: [Int] { entries.map(\.slot) }
    /// The held ids, best first.
    var ids: [UInt64] { entries.map(\.id) }

    /// Offers one pair; keeps it if it is among the `k` smallest.
    @inline(__always)
    mutating func offer(_ distance: Float, slot: Int, id: UInt64) {
        guard distance <= bound else { return }
        insert(distance, slot: slot, id: id)
    }

    private mutating func insert(_ distance: Float, slot: Int, id: UInt64) {
        let k = k
        var held = count
        entries.withUnsafeMutableBufferPointer { e in
            if held == k {
                let last = e[k - 1]
                guard distance < last.distance || (distance == last.distance && id < last.id) else { return }
            } else {
                held += 1
            }
            var i = held - 1
            while i > 0 && (e[i - 1].distance > distance || (e[i - 1].distance == distance && e[i - 1].id > id)) {
                e[i] = e[i - 1]
                i -= 1
            }
            e[i] = Entry(distance: distance, id: id, slot: slot)
        }
        count = held
        if held == k { bound = entries[k - 1].distance }
    }

    /// Offers every pair of `other`.
    mutating func merge(_ other: TopK) {
        for i in 0..<other.count { offer(other.distance(i), slot: other.slot(i), id: other.id(i)) }
    }
}
