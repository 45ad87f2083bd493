import Foundation
import RescindUnsafe

/// A serial queue with a thread of its own that runs at a low CPU priority: the policy
/// store's loads, checks and deployments run here, one at a time, in the order given.
///
/// Why not a `DispatchQueue`: on a 2-core machine a 10,000-rule set compiling for
/// seconds at normal priority takes a core from the threads answering requests, and
/// their latency doubled (docs/performance.md, "Policy sets at scale"). A thread of our
/// own can have its nice value raised for good (ThreadPriority); a pool thread cannot,
/// as it runs other work afterwards. (libdispatch on Linux does renice its threads by
/// quality of service, `.background` to 10 and `.utility` to 2, but that is its own
/// undocumented mapping, and 10 is not the lowest.)
final class ReloadQueue: @unchecked Sendable {
    /// The thread's nice value: 19, the lowest priority. A reload still gets every idle
    /// cycle; it gives way when request threads want the CPU.
    static let defaultNice: Int32 = 19

    /// Shared with the thread, which must not keep the queue itself alive.
    private final class Work: @unchecked Sendable {
        let condition = NSCondition()
        /// Waiting items, in order; `head` is the next one (taken without shifting).
        var items: [@Sendable () -> Void] = []
        var head = 0
        var stopped = false
        /// Whether the thread has set its priority, and the nice value it read back then.
        var started = false
        var nice: Int32?
    }

    private let work = Work()
    let label: String

    init(label: String, nice: Int32 = ReloadQueue.defaultNice) {
        self.label = label
        let work = self.work
        let thread = Thread {
            ThreadPriority.setCurrentThreadNice(nice)
            work.condition.withLock {
                work.nice = ThreadPriority.currentThreadNice
                work.started = true
                work.condition.broadcast()
            }
            while true {
                work.condition.lock()
                while work.head == work.items.count, !work.stopped { work.condition.wait() }
                guard work.head < work.items.count else {
                    work.condition.unlock()
                    return
                }
                let next = work.items[work.head]
                work.head += 1
                if work.head == work.items.count {
                    work.items.removeAll(keepingCapacity: true)
                    work.head = 0
                }
                work.condition.unlock()
                next()
            }
        }
        thread.name = label
        // As a process's main thread has: loading runs recursive descent parsers.
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        // The thread finishes what is queued, then ends.
        work.condition.withLock {
            work.stopped = true
            work.condition.broadcast()
        }
    }

    /// The nice value the thread runs at, once it has started (nil where unsupported).
    var threadNice: Int32? {
        work.condition.withLock {
            while !work.started { work.condition.wait() }
            return work.nice
        }
    }

    /// Runs `body` on the queue's thread after everything queued before it.
    func async(_ body: @escaping @Sendable () -> Void) {
        work.condition.withLock {
            work.items.append(body)
            work.condition.signal()
        }
    }

    /// Runs `body` on the queue's thread after everything queued before it and waits for
    /// it. Never call it from the queue's own thread (it would wait for itself).
    func sync<T>(_ body: () -> T) -> T {
        withoutActuallyEscaping(body) { body in
            let box = SyncBox(body)
            let done = DispatchSemaphore(value: 0)
            async {
                box.run()
                done.signal()
            }
            done.wait()
            return box.result!
        }
    }
}

/// Carries a `sync` body and its result across to the queue's thread: the caller waits
/// until the body has run, so neither is touched by two threads at once. The body is
/// dropped once run: it must not outlive `sync` (`withoutActuallyEscaping` checks).
private final class SyncBox<T>: @unchecked Sendable {
    private var body: (() -> T)?
    var result: T?

    init(_ body: @escaping () -> T) { self.body = body }

    func run() {
        result = body?()
        body = nil
    }
}
