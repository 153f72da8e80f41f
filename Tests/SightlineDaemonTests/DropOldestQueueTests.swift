@testable import SightlineDaemon
import Testing

@Suite struct DropOldestQueueTests {
    @Test func keepsTheNewestWhenFull() {
        let queue = DropOldestQueue<Int>(capacity: 3)
        for i in 1...5 { queue.push(i) }
        #expect(queue.dropped == 2)
        queue.finish()
        var out: [Int] = []
        while let v = queue.pop() { out.append(v) }
        #expect(out == [3, 4, 5])
    }

    @Test func pushReturnsTheDisplacedElement() {
        let queue = DropOldestQueue<String>(capacity: 1)
        #expect(queue.push("a") == nil)
        #expect(queue.push("b") == "a")
        #expect(queue.depth == 1)
    }

    @Test func popWaitsForAProducerThread() async {
        let queue = DropOldestQueue<Int>(capacity: 2)
        let consumer = Task.detached { () -> [Int] in
            var got: [Int] = []
            while let v = queue.pop() { got.append(v) }
            return got
        }
        Task.detached {
            for i in 0..<100 {
                queue.push(i)
                if i % 10 == 0 { try? await Task.sleep(for: .milliseconds(1)) }
            }
            queue.finish()
        }
        let got = await consumer.value
        // Order is preserved and the last element always survives, whatever was dropped.
        #expect(got == got.sorted())
        #expect(got.last == 99)
        #expect(UInt64(got.count) + queue.dropped == 100)
    }
}
