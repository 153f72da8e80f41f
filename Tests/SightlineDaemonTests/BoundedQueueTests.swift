import Foundation
@testable import SightlineRuntime
import Testing

/// The queue blocks real threads (capture and processing are threads, not tasks), so the tests
/// use threads too: a blocked task would starve the small cooperative pool.
@Suite struct BoundedQueueTests {
    /// Runs `body` on a new thread; the returned closure waits for it and gives its result.
    func onThread<T>(_ body: @escaping @Sendable () -> T) -> () -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        Thread {
            result = body()
            done.signal()
        }.start()
        return {
            done.wait()
            return result!
        }
    }

    @Test func keepsTheNewestWhenFull() {
        let queue = BoundedQueue<Int>(capacity: 3)
        for i in 1...5 { queue.push(i) }
        #expect(queue.dropped == 2)
        queue.finish()
        var out: [Int] = []
        while let v = queue.pop() { out.append(v) }
        #expect(out == [3, 4, 5])
    }

    @Test func pushReturnsTheDisplacedElement() {
        let queue = BoundedQueue<String>(capacity: 1)
        #expect(queue.push("a") == nil)
        #expect(queue.push("b") == "a")
        #expect(queue.depth == 1)
    }

    @Test func popWaitsForAProducerThread() {
        let queue = BoundedQueue<Int>(capacity: 2)
        let consumer = onThread { () -> [Int] in
            var got: [Int] = []
            while let v = queue.pop() { got.append(v) }
            return got
        }
        let producer = onThread {
            for i in 0..<100 {
                queue.push(i)
                if i % 10 == 0 { Thread.sleep(forTimeInterval: 0.001) }
            }
            queue.finish()
        }
        producer()
        let got = consumer()
        // Order is preserved and the last element always survives, whatever was dropped.
        #expect(got == got.sorted())
        #expect(got.last == 99)
        #expect(UInt64(got.count) + queue.dropped == 100)
    }

    @Test func waitPolicyLosesNothing() {
        let queue = BoundedQueue<Int>(capacity: 2, policy: .wait)
        let consumer = onThread { () -> [Int] in
            var got: [Int] = []
            while let v = queue.pop() {
                got.append(v)
                if v % 7 == 0 { Thread.sleep(forTimeInterval: 0.001) }
            }
            return got
        }
        let producer = onThread {
            for i in 0..<200 { queue.push(i) }
            queue.finish()
        }
        producer()
        #expect(consumer() == Array(0..<200))
        #expect(queue.dropped == 0)
    }

    @Test func finishReleasesAWaitingProducer() {
        let queue = BoundedQueue<Int>(capacity: 1, policy: .wait)
        queue.push(1)
        let producer = onThread { queue.push(2) }
        Thread.sleep(forTimeInterval: 0.02)
        queue.finish()
        #expect(producer() == nil)
        #expect(queue.pop() == 1)
        #expect(queue.pop() == nil)
    }

    @Test func aTimedPopTellsQuietFromFinished() {
        let queue = BoundedQueue<Int>(capacity: 2)
        guard case .idle = queue.pop(waitingAtMost: 0.05) else { Issue.record("an empty open queue is quiet"); return }
        queue.push(7)
        guard case .element(7) = queue.pop(waitingAtMost: 0.05) else { Issue.record("the element"); return }
        queue.push(8)
        queue.finish()
        guard case .element(8) = queue.pop(waitingAtMost: 0.05) else { Issue.record("drained first"); return }
        guard case .finished = queue.pop(waitingAtMost: 0.05) else { Issue.record("then finished"); return }
    }
}
