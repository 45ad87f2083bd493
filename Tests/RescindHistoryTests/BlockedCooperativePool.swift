import Dispatch
import Foundation
import Synchronization
import Testing

/// Runs `body` while every thread of Swift's cooperative pool is blocked, as in a full
/// test run or a server whose request handlers block: `ProcessInfo.activeProcessorCount
/// + 1` tasks each block their pool thread on a semaphore, and `body` runs on a thread
/// of its own (a task executor on a private Dispatch queue), so it can go on while the
/// pool cannot. The blockers let go when `body` ends (or after 20 s, so a wrong store
/// cannot hang the run); `body` then must have finished while all of them still held
/// their threads (a blocker that let go early fails the test).
func whileTheCooperativePoolIsBlocked<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws
    -> T
{
    let threads = ProcessInfo.processInfo.activeProcessorCount
    let counts = BlockerCounts()
    let release = DispatchSemaphore(value: 0)
    let blockers = (0...threads).map { _ in
        Task.detached {
            counts.started.add(1, ordering: .sequentiallyConsistent)
            if release.wait(timeout: .now() + 20) == .timedOut { counts.gaveUp.add(1, ordering: .sequentiallyConsistent) }
        }
    }
    let driver = Task(executorPreference: ThreadExecutor.shared) { () async throws -> T in
        // The pool is full once as many blockers run as it has threads (the pool's
        // width is the processor count). In a full test run other tests may hold pool
        // threads too: a blocker that has not started after 10 s means no pool thread
        // came free for it in all that time, so the pool is full either way.
        let limit = ContinuousClock.now + .seconds(10)
        while counts.started.load(ordering: .sequentiallyConsistent) < threads && ContinuousClock.now < limit {
            usleep(10_000)  // this thread is not the pool's
        }
        defer { for _ in 0...threads { release.signal() } }
        return try await body()
    }
    let value = try await driver.value
    for blocker in blockers { await blocker.value }
    #expect(counts.gaveUp.load(ordering: .sequentiallyConsistent) == 0, "a blocker let go before the body ended")
    return value
}

/// A task executor on a private concurrent Dispatch queue (whose threads are not the
/// cooperative pool's).
final class ThreadExecutor: TaskExecutor {
    static let shared = ThreadExecutor()
    private let queue = DispatchQueue(label: "rescind-history-tests", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

private final class BlockerCounts: Sendable {
    /// Blockers that hold a pool thread.
    let started = Atomic<Int>(0)
    /// Blockers whose wait ended before `body` did.
    let gaveUp = Atomic<Int>(0)
}
