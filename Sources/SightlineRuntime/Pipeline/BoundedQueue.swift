import Foundation

/// A bounded single-producer, single-consumer queue between capture and processing.
///
/// Capture pushes, processing pops. With `.dropOldest` (live cameras, footage replayed at recorded
/// speed) the producer never blocks: a camera delivers at its own rate whether or not we keep up,
/// so when the queue is full the oldest frame is discarded and counted. With `.wait` (footage
/// replayed as fast as possible) the producer waits for room, so every frame is processed.
final class BoundedQueue<Element>: @unchecked Sendable {
    enum OverflowPolicy: Sendable {
        case dropOldest
        case wait
    }

    private let condition = NSCondition()
    private var buffer: [Element?]
    private var head = 0
    private var count = 0
    private var finished = false
    private(set) var dropped: UInt64 = 0

    let capacity: Int
    let policy: OverflowPolicy

    init(capacity: Int, policy: OverflowPolicy = .dropOldest) {
        precondition(capacity >= 1, "queue capacity must be at least 1")
        self.capacity = capacity
        self.policy = policy
        buffer = Array(repeating: nil, count: capacity)
    }

    /// Appends `element`; returns the element it displaced when the queue was full (`.dropOldest`).
    /// With `.wait` it blocks while the queue is full; after `finish()` the element is discarded.
    @discardableResult
    func push(_ element: Element) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        if policy == .wait {
            while count == capacity && !finished { condition.wait() }
            if finished { return nil }
        }
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
        condition.broadcast()  // room for a waiting producer
        return element
    }

    /// What `pop(waitingAtMost:)` found.
    enum Pop {
        case element(Element)
        /// Nothing arrived within the wait (the queue is still open).
        case idle
        /// `finish()` was called and the queue is drained.
        case finished
    }

    /// As `pop()`, but gives up after `seconds` without an element.
    func pop(waitingAtMost seconds: Double) -> Pop {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !finished {
            if !condition.wait(until: deadline) && count == 0 && !finished { return .idle }
        }
        guard count > 0, let element = buffer[head] else { return .finished }
        buffer[head] = nil
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return .element(element)
    }

    /// No more elements will come: wakes the consumer, which drains what is left and then gets nil,
    /// and a producer waiting for room, whose element is discarded.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Discards everything queued (used on shutdown so the consumer stops promptly); returns how many.
    @discardableResult
    func clear() -> Int {
        condition.lock()
        defer { condition.unlock() }
        let discarded = count
        while count > 0 {
            buffer[head] = nil
            head = (head + 1) % capacity
            count -= 1
        }
        return discarded
    }

    var depth: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }
}
