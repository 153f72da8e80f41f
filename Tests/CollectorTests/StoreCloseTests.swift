import Dispatch
import Foundation
import SightlineTestKit
import Testing

@testable import Collector

/// Closing a store while reads are in flight.
struct StoreCloseTests {
    /// Seen as a hang of the whole suite on two cores: GRDB's `close()` blocks its thread until every reader
    /// connection is back in its pool, and an async read gives its connection back only once it has resumed on the
    /// Swift concurrency pool. Called there, with the pool's other thread busy (a test's `blockingAwait`), the close
    /// waited for a read that needed the thread it held. Here the pool is one thread wide: a read held inside
    /// SQLite, then `close()` on that thread, then other work that must still run on it.
    @Test func closeWaitsForAReadInFlightWithoutHoldingItsThread() async throws {
        let store = try SQLiteCollectorStore(path: temporaryDirectory("close") + "/collector.sqlite")
        try await store.migrate()
        let pool = OneThreadExecutor()
        let inRead = DispatchSemaphore(value: 0)
        let finishRead = DispatchSemaphore(value: 0)
        let read = Task(executorPreference: pool) {
            try await store.db.read { _ in
                inRead.signal()
                finishRead.wait()
                return 1
            }
        }
        await Self.wait(inRead)
        let closing = Task(executorPreference: pool) { try await store.close() }
        // A hang guard, not a timing: the old close held the pool's only thread until the read ended, never.
        let free = await Self.runs(on: pool, orGivesUpAfter: 60)
        #expect(free, "close() blocked the pool's thread while a read was in flight")
        finishRead.signal()
        guard free else { return }  // the old close and the read wait for each other for good
        #expect(try await read.value == 1)
        try await closing.value
        await #expect(throws: StoreError.self) { try await store.devices() }
    }

    static func wait(_ semaphore: DispatchSemaphore) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                semaphore.wait()
                done.resume()
            }
        }
    }

    /// Whether a job put on `pool` runs before `seconds` have passed.
    static func runs(on pool: OneThreadExecutor, orGivesUpAfter seconds: Int) async -> Bool {
        final class Once: @unchecked Sendable {
            private let lock = NSLock()
            private var continuation: CheckedContinuation<Bool, Never>?
            init(_ c: CheckedContinuation<Bool, Never>) { continuation = c }
            func resume(_ value: Bool) {
                lock.lock()
                let c = continuation
                continuation = nil
                lock.unlock()
                c?.resume(returning: value)
            }
        }
        return await withCheckedContinuation { c in
            let once = Once(c)
            Task(executorPreference: pool) { once.resume(true) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) { once.resume(false) }
        }
    }
}

/// A Swift concurrency pool one thread wide: the jobs of tasks that prefer it run on one serial queue, in order.
final class OneThreadExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "test.one-thread-executor")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
