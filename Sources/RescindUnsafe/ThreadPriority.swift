#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's CPU priority, for work that must yield to requests (a policy
/// reload compiling for seconds on a 2-core machine, say).
///
/// Linux only: there the nice value belongs to each thread, and `setpriority` with
/// `PRIO_PROCESS` and id 0 sets the calling thread's alone (on other systems it would
/// renice the whole process, so it is not called there). Threads the calling thread
/// creates afterwards start with its nice value. An unprivileged process may raise its
/// threads' nice values but not lower them again: a thread lowered here stays lowered,
/// so lower only a thread of one's own, never a pool thread others share.
package enum ThreadPriority {
    /// Sets the calling thread's nice value to `nice` (0 normal … 19 lowest); false
    /// where that is not supported or was refused. Lowering the priority is always
    /// allowed; raising it (a smaller value than now) needs privileges.
    @discardableResult
    package static func setCurrentThreadNice(_ nice: Int32) -> Bool {
        #if os(Linux)
        return setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) == 0
        #else
        return false
        #endif
    }

    /// The calling thread's nice value; nil where it cannot be read.
    package static var currentThreadNice: Int32? {
        #if os(Linux)
        // -1 is also a valid nice value: only errno tells a failure apart.
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return value == -1 && errno != 0 ? nil : value
        #else
        return nil
        #endif
    }
}
