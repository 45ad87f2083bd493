import Foundation
import RescindJSON

/// A wall-clock instant, read cheaply on the request path and formatted later (off it).
struct WallClock: Sendable {
    let seconds: Int
    let nanoseconds: Int

    /// The instant a `Date` stands for, to the nanosecond.
    init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        let whole = interval.rounded(.down)
        self.init(seconds: Int(whole), nanoseconds: min(999_999_999, Int((interval - whole) * 1_000_000_000)))
    }

    init(seconds: Int, nanoseconds: Int) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    static func now() -> WallClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return WallClock(seconds: Int(spec.tv_sec), nanoseconds: Int(spec.tv_nsec))
    }

    /// RFC 3339 in UTC with microseconds: `2026-07-03T05:26:22.000830Z` (truncated, not
    /// rounded, so an instant never moves into the next second).
    var rfc3339: String {
        RFC3339.string(seconds: Int64(seconds), nanoseconds: Int32(nanoseconds), fraction: .microseconds)
    }
}
