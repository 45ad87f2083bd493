import Dispatch
import Synchronization

/// Runs `body` with a deadline: its result if it finishes within `timeout`, else a
/// `.timeout` error at the deadline, without waiting for it (it is cancelled and left to
/// wind down: GRDB interrupts SQLite, postgres-nio gives up a connection lease). A task
/// group would wait for a child that ignores cancellation; this does not, so no caller
/// hangs on a store that does not answer.
///
/// Nothing here needs a thread of Swift's cooperative pool, which the caller's other
/// work (request handlers, CPU-bound or blocking tasks) may hold: `body` runs in a task
/// on `HistoryExecutor` (its own threads; GRDB's queues and NIO's event loops resume it
/// there), and the timer is a Dispatch timer on a queue of its own. In the full test
/// suite on two cores, with both pool threads busy, a `body` task on the pool did not
/// start before its 5 s deadline (and a sleeping task woke 48 s late).
///
/// The deadline is measured against the store's work, not the caller's scheduling: the
/// outcome is decided when the work finishes or the timer fires, whichever comes first
/// (under a lock, on the store's threads), and the caller is resumed with that outcome
/// whenever its own executor runs it again. So a call the store completed in time is
/// never reported as a timeout because the caller was resumed late, and a `.timeout`
/// means the work had not finished at the deadline (a write is then rolled back or never
/// starts, unless its commit lands in the instant between the timer and the report:
/// record again to be sure, it is idempotent).
func withDeadline<T: Sendable>(
    _ timeout: Duration, operation: String, _ body: @escaping @Sendable () async throws -> T
) async throws(HistoryError) -> T {
    let race = Race<T>()
    do {
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.start(continuation)
                let work = Task(executorPreference: HistoryExecutor.shared) {
                    do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
                }
                // A Dispatch timer, not a sleeping task: it fires even while every thread
                // of the cooperative pool is busy (seen in the full test suite, where a
                // task's sleep ended 48 s late), and resumes the caller directly.
                let timer = DispatchWorkItem {
                    if race.finish(.failure(HistoryError(.timeout, HistoryMessages.timeout(operation, timeout)))) {
                        work.cancel()
                    }
                }
                HistoryExecutor.timers.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds(timeout))), execute: timer)
                race.tasks(work: work, timer: Timer(item: timer))
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    } catch let error as HistoryError {
        throw error
    } catch is CancellationError {
        throw HistoryError(.timeout, "`\(operation)` was cancelled")
    } catch {
        throw HistoryError(.unavailable, HistoryMessages.unavailable(operation, String(describing: error)))
    }
}

/// Where the stores' async work runs: a task executor on a private concurrent Dispatch
/// queue, whose threads are Dispatch's (started as needed), not the cooperative pool's.
/// Store calls run in tasks that prefer it (`withDeadline`), and so does postgres-nio's
/// pool (`PostgresHistoryStore.open`, `run`): its task group's children (connecting,
/// keep-alives) inherit the preference, and the continuations that NIO's event loops and
/// GRDB's queues resume come back here rather than to the pool.
final class HistoryExecutor: TaskExecutor {
    static let shared = HistoryExecutor()
    /// The deadlines' timers: a serial queue of their own, not a global queue that
    /// blocking work elsewhere in the process might fill.
    static let timers = DispatchQueue(label: "rescind-history-deadlines")

    private let queue = DispatchQueue(label: "rescind-history", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// The first of the work and the timer to finish resumes the caller; the other is
/// cancelled.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var result: Result<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Timer?
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func tasks(work: Task<Void, Never>, timer: Timer) {
        let finished = state.withLock { state -> Bool in
            state.work = work
            state.timer = timer
            return state.result != nil && state.continuation == nil
        }
        if finished {
            work.cancel()
            timer.cancel()
        }
    }

    /// Whether this call decided the race.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (won, continuation, work, timer) = state.withLock {
            state -> (Bool, CheckedContinuation<T, any Error>?, Task<Void, Never>?, Timer?) in
            guard state.result == nil else { return (false, nil, nil, nil) }
            state.result = result
            let continuation = state.continuation
            state.continuation = nil
            return (true, continuation, state.work, state.timer)
        }
        guard won else { return false }
        work?.cancel()
        timer?.cancel()
        continuation?.resume(with: result)
        return true
    }
}

/// The timer's work item: Dispatch's work items may be cancelled from any thread.
private struct Timer: @unchecked Sendable {
    let item: DispatchWorkItem
    func cancel() { item.cancel() }
}

private func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}
