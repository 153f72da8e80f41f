/// The `k` smallest `(distance, id)` pairs offered so far, ascending; equal distances are ordered by id.
struct TopK {
    let k: Int
    private(set) var distances: [Float] = []
    private(set) var slots: [Int] = []
    private(set) var ids: [UInt64] = []

    init(k: Int) {
        precondition(k >= 1)
        self.k = k
        distances.reserveCapacity(k + 1)
        slots.reserveCapacity(k + 1)
        ids.reserveCapacity(k + 1)
    }

    var count: Int { distances.count }

    /// Distances above this cannot enter (equal ones may, on a smaller id).
    var bound: Float { distances.count < k ? .infinity : distances[k - 1] }

    /// Offers one pair; keeps it if it is among the `k` smallest.
    mutating func offer(_ distance: Float, slot: Int, id: UInt64) {
        if distances.count == k {
            let last = distances[k - 1]
            guard distance < last || (distance == last && id < ids[k - 1]) else { return }
            distances.removeLast()
            slots.removeLast()
            ids.removeLast()
        }
        var i = distances.count
        while i > 0 && (distances[i - 1] > distance || (distances[i - 1] == distance && ids[i - 1] > id)) { i -= 1 }
        distances.insert(distance, at: i)
        slots.insert(slot, at: i)
        ids.insert(id, at: i)
    }

    /// Offers every pair of `other`.
    mutating func merge(_ other: TopK) {
        for i in 0..<other.count { offer(other.distances[i], slot: other.slots[i], id: other.ids[i]) }
    }
}
