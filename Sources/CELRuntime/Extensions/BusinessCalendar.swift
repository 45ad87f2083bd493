import Foundation

/// A date on the proleptic Gregorian calendar with no time zone (a "local date").
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's civil-from-days algorithm.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        let w = (daysSinceEpoch + 3) % 7  // 1970-01-01 was a Thursday (ISO 4).
        return (w < 0 ? w + 7 : w) + 1
    }

    public func adding(days: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + days) }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A working-day calendar: a time zone, the weekly days off, public holidays and
/// make-up workdays (weekend days declared working days, as in mainland China).
/// Refund deadlines are counted in its business days. (A Rescind extension.)
public struct BusinessCalendar: Sendable, Hashable {
    public let name: String
    public let timeZone: TimeZone
    /// ISO weekdays that are off (6 = Saturday, 7 = Sunday).
    public let weekend: Set<Int>
    public let holidays: Set<CivilDate>
    public let makeUpWorkdays: Set<CivilDate>

    /// The most business days one call may add: keeps a bad policy from looping for long.
    public static let maxBusinessDays = 3660

    public init(
        name: String, timeZone: TimeZone, weekend: Set<Int> = [6, 7],
        holidays: Set<CivilDate> = [], makeUpWorkdays: Set<CivilDate> = []
    ) {
        self.name = name
        self.timeZone = timeZone
        self.weekend = weekend
        self.holidays = holidays
        self.makeUpWorkdays = makeUpWorkdays
        self.holidayDays = Set(holidays.map(\.daysSinceEpoch))
        self.workdayDays = Set(makeUpWorkdays.map(\.daysSinceEpoch))
        self.weekendMask = weekend.reduce(0) { $0 | (1 << $1) }
        self.modernOffset = Self.fixedOffset(of: timeZone)
    }

    // Derived once: deadlines are computed on every allowed refund, and hashing day
    // numbers and reading a fixed offset is far cheaper than hashing dates and asking
    // the time-zone database each time.
    private let holidayDays: Set<Int>
    private let workdayDays: Set<Int>
    /// Bit `d` set when ISO weekday `d` is off.
    private let weekendMask: Int
    /// The zone's offset from 1992 on, when it has kept one fixed offset since then
    /// (Asia/Shanghai, for one); nil for zones with daylight saving.
    private let modernOffset: Int?
    private static let modernEra: Int64 = 694_224_000  // 1992-01-01T00:00:00Z

    private static func fixedOffset(of zone: TimeZone) -> Int? {
        let start = Date(timeIntervalSince1970: TimeInterval(modernEra))
        guard zone.nextDaylightSavingTimeTransition(after: start) == nil else { return nil }
        let offset = zone.secondsFromGMT(for: start)
        return zone.secondsFromGMT(for: Date(timeIntervalSince1970: 4_102_444_800)) == offset ? offset : nil
    }

    /// The zone's offset from UTC at an instant.
    public func offset(atEpochSeconds seconds: Int64) -> Int {
        if let modernOffset, seconds >= Self.modernEra { return modernOffset }
        return timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    private func isBusinessDay(dayNumber day: Int) -> Bool {
        if workdayDays.contains(day) { return true }
        let weekday = ((day + 3) % 7 + 7) % 7 + 1
        return weekendMask & (1 << weekday) == 0 && !holidayDays.contains(day)
    }

    public static func == (lhs: BusinessCalendar, rhs: BusinessCalendar) -> Bool {
        lhs.name == rhs.name && lhs.timeZone == rhs.timeZone && lhs.weekend == rhs.weekend
            && lhs.holidays == rhs.holidays && lhs.makeUpWorkdays == rhs.makeUpWorkdays
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Whether people work on `date`: a make-up workday always; otherwise not on a
    /// holiday nor a weekend day.
    public func isBusinessDay(_ date: CivilDate) -> Bool {
        isBusinessDay(dayNumber: date.daysSinceEpoch)
    }

    /// The `count`-th business day after `date` (not counting `date` itself); `date`
    /// itself when `count` is 0. Nil when `count` is negative or too large, or when the
    /// calendar has no business day in sight (every weekday off).
    public func addingBusinessDays(_ count: Int, to date: CivilDate) -> CivilDate? {
        guard count >= 0, count <= Self.maxBusinessDays, weekend.count < 7 || !makeUpWorkdays.isEmpty else {
            return nil
        }
        var current = date.daysSinceEpoch
        var remaining = count
        // Each week has at least one workday unless holidays cover it; holidays are a
        // finite set, so the walk ends. The cap is a belt for broken data.
        var steps = 0
        let maxSteps = count * 7 + holidays.count + 7
        while remaining > 0 {
            current += 1
            steps += 1
            if steps > maxSteps { return nil }
            if isBusinessDay(dayNumber: current) { remaining -= 1 }
        }
        return CivilDate(daysSinceEpoch: current)
    }

    /// The local date of an instant (seconds since the Unix epoch) in this calendar's zone.
    public func localDate(ofEpochSeconds seconds: Int64) -> CivilDate {
        let offset = Int64(offset(atEpochSeconds: seconds))
        let local = seconds + offset
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        return CivilDate(daysSinceEpoch: Int(days))
    }

    /// The instant (epoch seconds) at which the local wall clock shows `secondOfDay` on
    /// `date`. In a daylight-saving gap the later offset is used.
    public func epochSeconds(of date: CivilDate, secondOfDay: Int) -> Int64 {
        let local = Int64(date.daysSinceEpoch) * 86_400 + Int64(secondOfDay)
        var guess = local - Int64(offset(atEpochSeconds: local))
        let corrected = local - Int64(offset(atEpochSeconds: guess))
        guess = corrected
        return guess
    }

    /// 23:59:59 local time on `date`: the end of a business day for deadlines.
    public func endOfDay(_ date: CivilDate) -> Int64 { epochSeconds(of: date, secondOfDay: 86_399) }
}

/// Calendars by name, as loaded from policy files; CEL's calendar functions look
/// them up here.
public struct CalendarRegistry: Sendable {
    public private(set) var calendars: [String: BusinessCalendar] = [:]

    public init(_ calendars: [BusinessCalendar] = []) {
        for calendar in calendars { self.calendars[calendar.name] = calendar }
    }

    public mutating func add(_ calendar: BusinessCalendar) { calendars[calendar.name] = calendar }
    public subscript(name: String) -> BusinessCalendar? { calendars[name] }
    public var names: [String] { calendars.keys.sorted() }
}
