import Foundation

/// Runs async work from a synchronous command (the CLI's root command is synchronous), blocking the calling thread
/// until it is done.
///
/// The work runs on a queue of its own, not on Swift's concurrency pool (an actor it calls still runs on its
/// executor): a synchronous test calls this on a thread of that pool, two threads on two cores, and work that
/// needed the pool as well left it one thread short, or none when two such tests ran at once.
public func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task(executorPreference: QueueExecutor()) {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

/// Carries a value out of the task in `blockingAwait`; written once before the semaphore is signalled.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// Runs a task's jobs on one serial dispatch queue of its own.
private final class QueueExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "sightline.blocking-await")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
