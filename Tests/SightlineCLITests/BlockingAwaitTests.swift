import SightlineTools
import Testing

/// `blockingAwait`, which the synchronous commands call (and so do the synchronous tests of them).
struct BlockingAwaitTests {
    /// A synchronous test runs on a thread of Swift's concurrency pool (two threads on two cores) and blocks it
    /// here: the work must not need the pool as well. It did; with a store's close blocking the other thread, the
    /// collector's suite hung.
    @Test func theWorkRunsOnAnExecutorOfItsOwn() {
        let preferred = blockingAwait { () async -> Bool in
            await Task.yield()
            return withUnsafeCurrentTask { $0?.unownedTaskExecutor } != nil
        }
        #expect(preferred)
    }
}
