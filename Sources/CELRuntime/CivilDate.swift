import RescindJSON
/// A date on the proleptic Gregorian calendar with no time zone (a "local date").
///
/// Its arithmetic is `@inlinable`: business calendars (RescindCELLibrary) count days
/// with it from another module, on every refund deadline.
@usableFromInline package struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    @usableFromInline package let year: Int
    @usableFromInline package let month: Int
    @usableFromInline package let day: Int

    @inlinable
    package init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    package init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's civil-from-days algorithm.
    @inlinable
    package var daysSinceEpoch: Int { Self.daysSinceEpoch(year: year, month: month, day: day) }

    /// The same for a year, month and day not (yet) validated as a date: for parsers,
    /// which check the ranges themselves.
    @inlinable
    package static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    @inlinable
    package init(daysSinceEpoch days: Int) {
        // The one civil-from-days routine; inlinable, so calendar loops lose nothing.
        (year, month, day) = RFC3339.civil(daysSinceEpoch: Int64(days))
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    @inlinable
    package var weekday: Int {
        let w = (daysSinceEpoch + 3) % 7  // 1970-01-01 was a Thursday (ISO 4).
        return (w < 0 ? w + 7 : w) + 1
    }

    @inlinable
    package func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }

    @inlinable
    package static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    @usableFromInline package var description: String { RFC3339.date(year: year, month: month, day: day) }

    /// The number of days in a month of the proleptic Gregorian calendar.
    @inlinable
    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

