#if canImport(Glibc)
import Glibc
#endif

/// Hands memory the allocator holds free back to the system.
///
/// glibc's malloc gives each thread that allocates an arena of its own and keeps what is
/// freed there for later: a policy load that parses on a second thread leaves that arena
/// mostly free but resident (16 MB for 10,000 rules) unless it is trimmed.
package enum FreedMemory {
    /// glibc's `malloc_trim`, looked up once (the Glibc module does not export it);
    /// nil on other C libraries, where there is nothing to do.
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Returns the free pages of every arena to the system; true when some were.
    @discardableResult
    package static func release() -> Bool {
        (trim?(0) ?? 0) != 0
    }
}
