import Foundation

/// A bounded single-producer, single-consumer queue that never blocks the producer: when full,
/// the oldest element is discarded and counted.
///
/// Capture pushes, processing pops. A camera delivers at its own rate whether or not we keep up,
/// so the freshest frames are the ones worth processing.
final class DropOldestQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffer: [Element?]
    private var head = 0
    private var count = 0
    private var finished = false
    private(set) var dropped: UInt64 = 0

    let capacity: Int

    init(capacity: Int) {
        precondition(capacity >= 1, "queue capacity must be at least 1")
        self.capacity = capacity
        buffer = Array(repeating: nil, count: capacity)
    }

    /// Appends `element`; returns the element it displaced when the queue was full.
    @discardableResult
    func push(_ element: Element) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        var displaced: Element? = nil
        if count == capacity {
            displaced = buffer[head]
            buffer[head] = nil
            head = (head + 1) % capacity
            count -= 1
            dropped += 1
        }
        buffer[(head + count) % capacity] = element
        count += 1
        condition.signal()
        return displaced
    }

    /// Blocks until an element is available; nil once `finish()` was called and the queue drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !finished { condition.wait() }
        guard count > 0 else { return nil }
        let element = buffer[head]
        buffer[head] = nil
        head = (head + 1) % capacity
        count -= 1
        return element
    }

    /// No more elements will come: wakes the consumer, which drains what is left and then gets nil.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Discards everything queued (used on shutdown so the consumer stops promptly).
    func clear() {
        condition.lock()
        while count > 0 {
            buffer[head] = nil
            head = (head + 1) % capacity
            count -= 1
        }
        condition.unlock()
    }

    var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }
}
