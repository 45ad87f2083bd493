import Foundation
import RescindJSON

/// A point in time: whole seconds since the Unix epoch plus nanoseconds
/// (0 ..< 1e9). Valid CEL timestamps lie in 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59.999999999Z.
@usableFromInline package struct CELTimestamp: Sendable, Hashable, Comparable {
    package let seconds: Int64
    package let nanos: Int32

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds.
    package static let minSeconds: Int64 = -62_135_596_800
    package static let maxSeconds: Int64 = 253_402_300_799

    /// A timestamp, or nil when outside CEL's range. `nanos` may be any value; it is
    /// carried into seconds.
    package init?(seconds: Int64, nanos: Int64 = 0) {
        let (carry, remainder) = floorDivide(nanos, 1_000_000_000)
        let (total, overflow) = seconds.addingReportingOverflow(carry)
        guard !overflow, total >= Self.minSeconds, total <= Self.maxSeconds else { return nil }
        self.seconds = total
        self.nanos = Int32(remainder)
    }

    @usableFromInline package static func < (lhs: CELTimestamp, rhs: CELTimestamp) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }

    /// `self + duration`, or nil when out of range.
    package func adding(_ duration: CELDuration) -> CELTimestamp? {
        let (seconds, overflow) = self.seconds.addingReportingOverflow(duration.seconds)
        guard !overflow else { return nil }
        return CELTimestamp(seconds: seconds, nanos: Int64(nanos) + Int64(duration.nanos))
    }

    /// `self - other` as a duration, or nil when out of the duration range.
    package func subtracting(_ other: CELTimestamp) -> CELDuration? {
        CELDuration(seconds: seconds - other.seconds, nanos: Int64(nanos) - Int64(other.nanos))
    }

    /// The RFC 3339 form in UTC, with 0, 3, 6 or 9 fractional digits as needed
    /// (`2009-02-13T23:31:30Z`, `…30.123Z`).
    package var rfc3339: String { RFC3339.string(seconds: seconds, nanoseconds: nanos, fraction: .shortest) }

    /// Parses an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    /// Nil for malformed text or a time outside CEL's range.
    package init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var value = 0
            for k in 0..<count {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            i += count
            return value
        }
        func expect(_ chars: String) -> Bool {
            guard i < b.count, chars.utf8.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
            expect("Tt"), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"),
            let second = digits(2)
        else { return nil }
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if count < 9 { nanos = nanos * 10 + Int64(b[i] - 48) }
                count += 1
                i += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 9) { nanos *= 10 }
        }
        var offset = 0
        if expect("Zz") {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(":"), let om = digits(2), oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count, year >= 1, (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let days = Int64(CivilDate.daysSinceEpoch(year: year, month: month, day: day))
        let local = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(seconds: local - Int64(offset), nanos: nanos)
    }
}

/// A signed span of time: seconds plus nanoseconds with `nanos` in 0 ..< 1e9 (so
/// -1.5s is seconds -2, nanos 5e8).
///
/// The range is what a signed 64-bit count of nanoseconds holds, about ±292 years, as
/// in the reference implementations: the conformance suite expects
/// `timestamp('9999-12-31T23:59:59Z') - timestamp('0001-01-01T00:00:00Z')` to be a
/// range error, so the wider ±10,000 years of `google.protobuf.Duration` is not used.
@usableFromInline package struct CELDuration: Sendable, Hashable, Comparable {
    package let seconds: Int64
    package let nanos: Int32

    /// A duration, or nil when out of range. `nanos` may be any value.
    package init?(seconds: Int64, nanos: Int64 = 0) {
        let (carry, remainder) = floorDivide(nanos, 1_000_000_000)
        let (total, overflow) = seconds.addingReportingOverflow(carry)
        guard !overflow else { return nil }
        // In range exactly when the total in nanoseconds fits in Int64.
        let (scaled, o1) = total.multipliedReportingOverflow(by: 1_000_000_000)
        let (_, o2) = scaled.addingReportingOverflow(remainder)
        guard !o1, !o2 else { return nil }
        self.seconds = total
        self.nanos = Int32(remainder)
    }

    /// A duration of whole nanoseconds.
    package init(nanoseconds: Int64) {
        let (s, n) = floorDivide(nanoseconds, 1_000_000_000)
        self.seconds = s
        self.nanos = Int32(n)
    }

    @usableFromInline package static func < (lhs: CELDuration, rhs: CELDuration) -> Bool {
        (lhs.seconds, lhs.nanos) < (rhs.seconds, rhs.nanos)
    }

    package func adding(_ other: CELDuration) -> CELDuration? {
        let (s, overflow) = seconds.addingReportingOverflow(other.seconds)
        guard !overflow else { return nil }
        return CELDuration(seconds: s, nanos: Int64(nanos) + Int64(other.nanos))
    }

    package func subtracting(_ other: CELDuration) -> CELDuration? {
        let (s, overflow) = seconds.subtractingReportingOverflow(other.seconds)
        guard !overflow else { return nil }
        return CELDuration(seconds: s, nanos: Int64(nanos) - Int64(other.nanos))
    }

    package var negated: CELDuration? { CELDuration(seconds: -seconds, nanos: -Int64(nanos)) }

    /// Whole seconds, truncated toward zero, and the remaining nanoseconds with the
    /// same sign: the way accessors and display see a duration.
    package var truncatedParts: (seconds: Int64, nanos: Int64) {
        if seconds < 0, nanos > 0 { return (seconds + 1, Int64(nanos) - 1_000_000_000) }
        return (seconds, Int64(nanos))
    }

    /// The total in nanoseconds (always representable, given the range).
    package var totalNanoseconds: Int64 { seconds &* 1_000_000_000 &+ Int64(nanos) }

    /// The proto3 JSON form: decimal seconds with 0, 3, 6 or 9 fractional digits, then `s`
    /// (`1800s`, `-1.5s`).
    package var secondsString: String {
        let (s, n) = truncatedParts
        let sign = (s < 0 || n < 0) ? "-" : ""
        return sign + String(s.magnitude) + fractionDigits(Int32(n.magnitude)) + "s"
    }

    /// Parses Go-style duration text as CEL's `duration()` accepts it: an optional sign
    /// and one or more decimal numbers with units `h`, `m`, `s`, `ms`, `us`/`µs`, `ns`
    /// (`"1h2m3.5s"`, `"-1.5s"`). Nil when malformed or out of range.
    package init?(parsing text: String) {
        var scalars = Array(text.unicodeScalars)[...]
        var negative = false
        if let first = scalars.first, first == "-" || first == "+" {
            negative = first == "-"
            scalars = scalars.dropFirst()
        }
        if scalars.count == 1, scalars.first == "0" {  // "0" alone is allowed, as in Go
            self.init(nanoseconds: 0)
            return
        }
        guard !scalars.isEmpty else { return nil }
        var totalSeconds: Int64 = 0
        var totalNanos: Int64 = 0
        while !scalars.isEmpty {
            var whole: Int64 = 0
            var fraction: Int64 = 0  // nanoseconds-of-one-unit scale: 9 digits
            var sawDigits = false
            while let c = scalars.first, let d = asciiDigit(c) {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                guard !o1, !o2 else { return nil }
                whole = a
                sawDigits = true
                scalars = scalars.dropFirst()
            }
            if scalars.first == "." {
                scalars = scalars.dropFirst()
                var scale: Int64 = 100_000_000
                while let c = scalars.first, let d = asciiDigit(c) {
                    fraction += d * scale
                    scale /= 10
                    sawDigits = true
                    scalars = scalars.dropFirst()
                }
            }
            guard sawDigits else { return nil }
            var unit = ""
            while let c = scalars.first, asciiDigit(c) == nil, c != "." {
                unit.unicodeScalars.append(c)
                scalars = scalars.dropFirst()
            }
            // Unit size in nanoseconds, split as whole seconds + nanoseconds for the big units.
            let unitNanos: Int64
            switch unit {
            case "ns": unitNanos = 1
            case "us", "µs", "μs": unitNanos = 1_000
            case "ms": unitNanos = 1_000_000
            case "s": unitNanos = 1_000_000_000
            case "m": unitNanos = 60_000_000_000
            case "h": unitNanos = 3_600_000_000_000
            default: return nil
            }
            if unitNanos >= 1_000_000_000 {
                let unitSeconds = unitNanos / 1_000_000_000
                let (s, o1) = whole.multipliedReportingOverflow(by: unitSeconds)
                let (t, o2) = totalSeconds.addingReportingOverflow(s)
                guard !o1, !o2 else { return nil }
                totalSeconds = t
                // fraction is in units of 1e-9 of the unit: scale to nanoseconds.
                totalNanos += fraction * unitSeconds
            } else {
                let (n, o1) = whole.multipliedReportingOverflow(by: unitNanos)
                guard !o1 else { return nil }
                let (s, r) = floorDivide(n, 1_000_000_000)
                let (t, o2) = totalSeconds.addingReportingOverflow(s)
                guard !o2 else { return nil }
                totalSeconds = t
                totalNanos += r + fraction * unitNanos / 1_000_000_000
            }
            let (carry, rest) = floorDivide(totalNanos, 1_000_000_000)
            let (seconds, overflow) = totalSeconds.addingReportingOverflow(carry)
            guard !overflow else { return nil }
            totalSeconds = seconds
            totalNanos = rest
        }
        if negative {
            self.init(seconds: -totalSeconds, nanos: -totalNanos)
        } else {
            self.init(seconds: totalSeconds, nanos: totalNanos)
        }
    }
}

private func asciiDigit(_ c: Unicode.Scalar) -> Int64? {
    c.value >= 48 && c.value <= 57 ? Int64(c.value - 48) : nil
}

// MARK: - Calendar arithmetic

/// Floor division and its non-negative remainder.
@inlinable
func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
    var q = a / b
    var r = a % b
    if r < 0 {
        q -= 1
        r += b
    }
    return (q, r)
}

/// A broken-down wall-clock time in the proleptic Gregorian calendar.
struct CivilTime {
    var year: Int
    var month: Int  // 1...12
    var day: Int  // 1...31
    var hour: Int
    var minute: Int
    var second: Int
    var dayOfYear: Int  // 0-based
    var dayOfWeek: Int  // 0 = Sunday

    /// The civil time of a count of seconds since the epoch (already shifted to local time).
    init(unixSeconds: Int64) {
        let (days, secondOfDay) = floorDivide(unixSeconds, 86_400)
        let date = CivilDate(daysSinceEpoch: Int(days))
        year = date.year
        month = date.month
        day = date.day
        hour = Int(secondOfDay / 3600)
        minute = Int(secondOfDay % 3600 / 60)
        second = Int(secondOfDay % 60)
        dayOfYear = Int(days) - CivilDate.daysSinceEpoch(year: year, month: 1, day: 1)
        dayOfWeek = Int(floorDivide(days + 4, 7).remainder)  // 1970-01-01 was a Thursday
    }
}

/// A time zone for timestamp accessors: an IANA name (`Australia/Sydney`, `UTC`) or a
/// fixed offset (`+05:30`, `-02:30`, `02:00`).
enum CELTimeZone {
    /// The offset from UTC in seconds at a given instant, or nil for an unknown zone.
    static func offset(_ zone: String, at seconds: Int64) -> Int? {
        if let fixed = fixedOffset(zone) { return fixed }
        guard let tz = TimeZone(identifier: zone) else { return nil }
        return tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    private static func fixedOffset(_ zone: String) -> Int? {
        var text = Substring(zone)
        var sign = 1
        if let first = text.first, first == "+" || first == "-" {
            sign = first == "-" ? -1 : 1
            text = text.dropFirst()
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hours = Int(parts[0]), let minutes = Int(parts[1]), hours < 24, minutes < 60
        else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}

// MARK: - Formatting helpers

/// `.123`, `.123456` or `.123456789` for a nanosecond count; empty for zero.
func fractionDigits(_ nanos: Int32) -> String {
    guard nanos != 0 else { return "" }
    if nanos % 1_000_000 == 0 { return "." + RFC3339.padded(Int(nanos / 1_000_000), width: 3) }
    if nanos % 1_000 == 0 { return "." + RFC3339.padded(Int(nanos / 1_000), width: 6) }
    return "." + RFC3339.padded(Int(nanos), width: 9)
}
