/// The `k` smallest `(distance, id)` pairs offered so far, ascending; equal distances are ordered by id.
///
/// Fixed-capacity arrays with insertion by shifting: a scan offers every lane of its first blocks (the bound is
/// +∞ until `k` pairs are held), so an offer must cost a few nanoseconds, not an `Array.insert`.
struct TopK {
    let k: Int
    private(set) var count = 0
    private(set) var distances: [Float]
    private(set) var slots: [Int]
    private(set) var ids: [UInt64]

    init(k: Int) {
        precondition(k >= 1)
        self.k = k
        distances = [Float](repeating: .infinity, count: k)
        slots = [Int](repeating: 0, count: k)
        ids = [UInt64](repeating: 0, count: k)
    }

    /// Distances above this cannot enter (equal ones may, on a smaller id).
    var bound: Float { count < k ? .infinity : distances[k - 1] }

    /// Offers one pair; keeps it if it is among the `k` smallest.
    mutating func offer(_ distance: Float, slot: Int, id: UInt64) {
        if count == k {
            let last = distances[k - 1]
            guard distance < last || (distance == last && id < ids[k - 1]) else { return }
        } else {
            count += 1
        }
        var i = count - 1
        while i > 0 && (distances[i - 1] > distance || (distances[i - 1] == distance && ids[i - 1] > id)) {
            distances[i] = distances[i - 1]
            slots[i] = slots[i - 1]
            ids[i] = ids[i - 1]
            i -= 1
        }
        distances[i] = distance
        slots[i] = slot
        ids[i] = id
    }

    /// Offers every pair of `other`.
    mutating func merge(_ other: TopK) {
        for i in 0..<other.count { offer(other.distances[i], slot: other.slots[i], id: other.ids[i]) }
    }
}
