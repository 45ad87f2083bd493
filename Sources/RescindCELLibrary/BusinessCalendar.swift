import CELRuntime
import Foundation
import RescindJSON

/// A working-day calendar: a time zone, the weekly days off, public holidays and
/// make-up workdays (weekend days declared working days, as in mainland China).
/// Refund deadlines are counted in its business days. (A Rescind extension.)
// `@usableFromInline`, with the day-number routines, so that its date-typed wrappers
// below inline into callers in other modules, as they did when they were public.
@usableFromInline
package struct BusinessCalendar: Sendable, Hashable {
    package let name: String
    package let timeZone: TimeZone
    /// ISO weekdays that are off (6 = Saturday, 7 = Sunday).
    package let weekend: Set<Int>
    package let holidays: Set<CivilDate>
    package let makeUpWorkdays: Set<CivilDate>
    /// The years whose holidays and make-up workdays the calendar lists in full (`years:`);
    /// nil when it claims every year (a calendar of weekends only). A refund deadline
    /// that needs a day outside them is a problem on the decision, not a guess.
    package let coveredYears: ClosedRange<Int>?
    /// `coveredYears` as day numbers (days since 1970-01-01), first to last day.
    package let coveredDays: ClosedRange<Int>?

    /// The most business days one call may add: keeps a bad policy from looping for long.
    @inlinable package static var maxBusinessDays: Int { 3660 }

    package init(
        name: String, timeZone: TimeZone, weekend: Set<Int> = [6, 7],
        holidays: Set<CivilDate> = [], makeUpWorkdays: Set<CivilDate> = [], years: ClosedRange<Int>? = nil
    ) {
        self.coveredYears = years
        self.coveredDays = years.flatMap { years in
            guard let first = CivilDate(year: years.lowerBound, month: 1, day: 1),
                let last = CivilDate(year: years.upperBound, month: 12, day: 31)
            else { return nil }
            return first.daysSinceEpoch...last.daysSinceEpoch
        }
        self.name = name
        self.timeZone = timeZone
        self.weekend = weekend
        self.holidays = holidays
        self.makeUpWorkdays = makeUpWorkdays
        let holidayDays = Set(holidays.map(\.daysSinceEpoch))
        let workdayDays = Set(makeUpWorkdays.map(\.daysSinceEpoch))
        let weekendMask = weekend.reduce(0) { $0 | (1 << $1) }
        self.holidayDays = holidayDays
        self.workdayDays = workdayDays
        self.weekendMask = weekendMask
        self.offsets = ZoneOffsets(timeZone)
        self.businessDays = BusinessDayTable(listing: holidays.union(makeUpWorkdays)) { day in
            Self.isBusinessDay(day, holidayDays: holidayDays, workdayDays: workdayDays, weekendMask: weekendMask)
        }
    }

    // Derived once: deadlines are computed on every allowed refund, and looking days up
    // in arrays is far cheaper than hashing dates or asking the time-zone database.
    private let holidayDays: Set<Int>
    private let workdayDays: Set<Int>
    /// Bit `d` set when ISO weekday `d` is off.
    private let weekendMask: Int
    fileprivate let offsets: ZoneOffsets
    /// The listed years' business days; nil when the calendar lists no dates.
    fileprivate let businessDays: BusinessDayTable?

    /// The zone's offset from UTC at an instant.
    package func offset(atEpochSeconds seconds: Int64) -> Int {
        offsets.offset(atEpochSeconds: seconds)
            ?? timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    private func isBusinessDay(dayNumber day: Int) -> Bool {
        Self.isBusinessDay(day, holidayDays: holidayDays, workdayDays: workdayDays, weekendMask: weekendMask)
    }

    private static func isBusinessDay(_ day: Int, holidayDays: Set<Int>, workdayDays: Set<Int>, weekendMask: Int) -> Bool {
        if workdayDays.contains(day) { return true }
        let weekday = ((day + 3) % 7 + 7) % 7 + 1
        return weekendMask & (1 << weekday) == 0 && !holidayDays.contains(day)
    }

    @usableFromInline
    package static func == (lhs: BusinessCalendar, rhs: BusinessCalendar) -> Bool {
        lhs.name == rhs.name && lhs.timeZone == rhs.timeZone && lhs.weekend == rhs.weekend
            && lhs.holidays == rhs.holidays && lhs.makeUpWorkdays == rhs.makeUpWorkdays
            && lhs.coveredYears == rhs.coveredYears
    }

    @usableFromInline
    package func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Whether people work on `date`: a make-up workday always; otherwise not on a
    /// holiday nor a weekend day.
    package func isBusinessDay(_ date: CivilDate) -> Bool {
        let day = date.daysSinceEpoch
        return businessDays?.isBusinessDay(day) ?? isBusinessDay(dayNumber: day)
    }

    /// The `count`-th business day after `date` (not counting `date` itself); `date`
    /// itself when `count` is 0. Nil when `count` is negative or too large, or when the
    /// calendar has no business day in sight (every weekday off).
    @inlinable
    package func addingBusinessDays(_ count: Int, to date: CivilDate) -> CivilDate? {
        addingBusinessDays(count, toDay: date.daysSinceEpoch).map(CivilDate.init(daysSinceEpoch:))
    }

    /// `addingBusinessDays(_:to:)` on day numbers (days since 1970-01-01), for callers
    /// that never need the civil date.
    @usableFromInline
    package func addingBusinessDays(_ count: Int, toDay start: Int) -> Int? {
        guard count >= 0, count <= Self.maxBusinessDays, weekend.count < 7 || !makeUpWorkdays.isEmpty else {
            return nil
        }
        guard count > 0, let day = businessDays?.day(afterBusinessDays: count, from: start) else {
            return walkBusinessDays(count, from: start)
        }
        // The walk gives up past `maxSteps`; so must the table, to answer the same.
        return day - start <= maxSteps(count) ? day : nil
    }

    /// `addingBusinessDays` day by day: the reference the table is tested against, and
    /// the answer outside the years the table covers.
    func walkBusinessDays(_ count: Int, from start: Int) -> Int? {
        var current = start
        var remaining = count
        var steps = 0
        let maxSteps = maxSteps(count)
        while remaining > 0 {
            current += 1
            steps += 1
            if steps > maxSteps { return nil }
            if isBusinessDay(dayNumber: current) { remaining -= 1 }
        }
        return current
    }

    /// How far a search for `count` business days may go. Each week has at least one
    /// workday unless holidays cover it; holidays are a finite set, so the walk ends. The
    /// cap is a belt for broken data.
    private func maxSteps(_ count: Int) -> Int { count * 7 + holidays.count + 7 }

    /// The local date of an instant (seconds since the Unix epoch) in this calendar's zone.
    @inlinable
    package func localDate(ofEpochSeconds seconds: Int64) -> CivilDate {
        CivilDate(daysSinceEpoch: localDay(ofEpochSeconds: seconds))
    }

    /// The local date of an instant as a day number (days since 1970-01-01).
    @usableFromInline
    package func localDay(ofEpochSeconds seconds: Int64) -> Int {
        let local = seconds + Int64(offset(atEpochSeconds: seconds))
        return Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
    }

    /// The instant (epoch seconds) at which the local wall clock shows `secondOfDay` on
    /// `date`. In a daylight-saving gap the later offset is used.
    @inlinable
    package func epochSeconds(of date: CivilDate, secondOfDay: Int) -> Int64 {
        epochSeconds(ofDay: date.daysSinceEpoch, secondOfDay: secondOfDay)
    }

    /// `epochSeconds(of:secondOfDay:)` for a day number.
    @usableFromInline
    package func epochSeconds(ofDay day: Int, secondOfDay: Int) -> Int64 {
        let local = Int64(day) * 86_400 + Int64(secondOfDay)
        var guess = local - Int64(offset(atEpochSeconds: local))
        let corrected = local - Int64(offset(atEpochSeconds: guess))
        guess = corrected
        return guess
    }

    /// 23:59:59 local time on `date`: the end of a business day for deadlines.
    @inlinable
    package func endOfDay(_ date: CivilDate) -> Int64 { epochSeconds(of: date, secondOfDay: 86_399) }
}

/// A time zone's offsets from UTC from 1900 to 2100, read from the time-zone database
/// once: the offset changes only at the transitions the database reports, so between
/// two of them it is one number, found by a binary search instead of a database call.
struct ZoneOffsets: Sendable {
    /// The first instant covered (1900-01-01T00:00:00Z).
    fileprivate static let firstCovered: Int64 = -2_208_988_800
    /// The end of the instants covered for zones that still change then (2100-01-01T00:00:00Z).
    private static let lastCovered: Int64 = 4_102_444_800

    /// Instants covered: `firstCovered ..< coveredUntil`: to 2100 for zones that still
    /// change then, for good (`Int64.max`) for zones that change no more after their last
    /// transition (Asia/Shanghai since 1991).
    fileprivate let coveredUntil: Int64
    /// The instants at which the offset changes, ascending.
    fileprivate let transitions: [Int64]
    /// `offsets[i]` holds from `transitions[i - 1]` (or the first instant covered) until
    /// `transitions[i]`; the last one holds until `coveredUntil`.
    fileprivate let offsets: [Int32]

    init(_ zone: TimeZone) {
        var transitions: [Int64] = []
        var offsets = [Int32(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(Self.firstCovered))))]
        var coveredUntil = Int64.max
        var instant = Date(timeIntervalSince1970: TimeInterval(Self.firstCovered))
        while let next = zone.nextDaylightSavingTimeTransition(after: instant) {
            // Whole seconds: from the first one at or after the transition on.
            let seconds = Int64(next.timeIntervalSince1970.rounded(.up))
            // Past 2100, or a database that does not move forward, the database answers.
            guard seconds < Self.lastCovered, next > instant else {
                coveredUntil = min(seconds, Self.lastCovered)
                break
            }
            transitions.append(seconds)
            offsets.append(Int32(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))))
            instant = next
        }
        self.transitions = transitions
        self.offsets = offsets
        self.coveredUntil = coveredUntil
    }

    /// The offset at an instant, or nil outside the instants covered.
    func offset(atEpochSeconds seconds: Int64) -> Int? {
        guard seconds >= Self.firstCovered, seconds < coveredUntil else { return nil }
        // Most instants asked about are recent: past the last change, for zones without
        // daylight saving.
        if transitions.isEmpty || seconds >= transitions[transitions.count - 1] { return Int(offsets[offsets.count - 1]) }
        // The number of transitions at or before `seconds` picks the offset.
        var low = 0
        var high = transitions.count
        while low < high {
            let middle = (low + high) / 2
            if transitions[middle] <= seconds { low = middle + 1 } else { high = middle }
        }
        return Int(offsets[low])
    }
}

/// A calendar's business days over the years it lists, and one year either side,
/// counted once so that within them a day's status and the `n`-th business day after
/// it are array lookups, whatever `n`.
struct BusinessDayTable: Sendable {
    /// The longest span tabulated; a calendar listing dates further apart walks instead.
    /// It keeps every count and index below 2¹⁶.
    private static let maxDays = 100 * 366

    /// The day number of the first day covered.
    fileprivate let firstDay: Int
    /// `businessDaysBefore[i]`: how many of the first `i` days covered are business days
    /// (one entry more than there are days).
    fileprivate let businessDaysBefore: [UInt16]
    /// `businessDayOffsets[k]`: the `k`-th business day covered, as days after `firstDay`.
    fileprivate let businessDayOffsets: [UInt16]

    /// Nil when `listing` is empty or spans more than `maxDays`.
    init?(listing dates: Set<CivilDate>, isBusinessDay: (Int) -> Bool) {
        guard let earliest = dates.min(), let latest = dates.max(),
            let first = CivilDate(year: max(1, earliest.year - 1), month: 1, day: 1),
            let last = CivilDate(year: min(9999, latest.year + 1), month: 12, day: 31),
            last.daysSinceEpoch - first.daysSinceEpoch < Self.maxDays
        else { return nil }
        firstDay = first.daysSinceEpoch
        var before: [UInt16] = [0]
        var offsets: [UInt16] = []
        for offset in 0...(last.daysSinceEpoch - firstDay) {
            if isBusinessDay(firstDay + offset) { offsets.append(UInt16(offset)) }
            before.append(UInt16(offsets.count))
        }
        businessDaysBefore = before
        businessDayOffsets = offsets
    }

    /// Whether `day` is a business day; nil outside the days covered.
    func isBusinessDay(_ day: Int) -> Bool? {
        let index = day - firstDay
        guard index >= 0, index + 1 < businessDaysBefore.count else { return nil }
        return businessDaysBefore[index + 1] != businessDaysBefore[index]
    }

    /// The `count`-th business day after `day` (`count` > 0); nil when `day` or the
    /// answer lies outside the days covered.
    func day(afterBusinessDays count: Int, from day: Int) -> Int? {
        let index = day - firstDay
        guard index >= 0, index + 1 < businessDaysBefore.count else { return nil }
        // Business days up to and including `day`, then `count` more.
        let target = Int(businessDaysBefore[index + 1]) + count - 1
        guard target < businessDayOffsets.count else { return nil }
        return firstDay + Int(businessDayOffsets[target])
    }
}

/// Calendars by name, as loaded from policy files; CEL's calendar functions look
/// them up here.
package struct CalendarRegistry: Sendable {
    package private(set) var calendars: [String: BusinessCalendar] = [:]

    package init(_ calendars: [BusinessCalendar] = []) {
        for calendar in calendars { self.calendars[calendar.name] = calendar }
    }

    package mutating func add(_ calendar: BusinessCalendar) { calendars[calendar.name] = calendar }
    package subscript(name: String) -> BusinessCalendar? { calendars[name] }
    package var names: [String] { calendars.keys.sorted() }
}

/// A calendar's refund-deadline arithmetic for a hot path: where the calendar tabulates
/// its business days and its zone keeps one UTC offset over all of them (most zones
/// without daylight saving), a deadline is a few loads from flat memory. Everywhere
/// else it answers nil and the caller asks the calendar, whose answer it equals.
/// Its lookups are `@inlinable`: the engine's refund path calls them from another module.
@usableFromInline
package final class BusinessDeadlines: Sendable {
    @usableFromInline let firstDay: Int
    /// As `BusinessDayTable`: business days before each covered day, and each business
    /// day's position.
    @usableFromInline let businessDaysBefore: ContiguousArray<UInt16>
    @usableFromInline let businessDayOffsets: ContiguousArray<UInt16>
    /// The zone's offset over every instant of the covered days.
    @usableFromInline package let utcOffset: Int
    @usableFromInline let holidayCount: Int

    /// Nil when the calendar has no table or its zone's offset changes over it.
    package init?(_ calendar: BusinessCalendar) {
        guard let table = calendar.businessDaysTable,
            calendar.weekend.count < 7 || !calendar.makeUpWorkdays.isEmpty
        else { return nil }
        let days = table.coveredDays
        // One offset from a day before the first covered day to a day after the last.
        let from = Int64(days.lowerBound - 1) * 86_400
        let to = Int64(days.upperBound + 1) * 86_400
        guard let offset = calendar.zoneOffsets.constantOffset(from: from, to: to) else { return nil }
        firstDay = days.lowerBound
        utcOffset = offset
        holidayCount = calendar.holidays.count
        businessDaysBefore = ContiguousArray(table.businessDaysBefore)
        businessDayOffsets = ContiguousArray(table.businessDayOffsets)
    }

    /// The local day (days since 1970-01-01) of an instant; nil outside the covered days.
    @inlinable @inline(__always)
    package func localDay(ofEpochSeconds seconds: Int64) -> Int? {
        let local = seconds + Int64(utcOffset)
        let day = Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
        let index = day - firstDay
        return index >= 0 && index + 1 < businessDaysBefore.count ? day : nil
    }

    /// What `BusinessCalendar.addingBusinessDays(_:toDay:)` answers: `.some(day)`,
    /// `.some(nil)` for no answer; nil when the table cannot tell and the calendar must.
    @inlinable @inline(__always)
    package func addingBusinessDays(_ count: Int, toDay day: Int) -> Int?? {
        guard count >= 0, count <= BusinessCalendar.maxBusinessDays else { return .some(nil) }
        if count == 0 { return day }
        let index = day - firstDay
        guard index >= 0, index + 1 < businessDaysBefore.count else { return nil }
        let target = Int(businessDaysBefore[index + 1]) + count - 1
        guard target < businessDayOffsets.count else { return nil }
        let found = firstDay + Int(businessDayOffsets[target])
        // The calendar's walk gives up past this many days; so does the table.
        return found - day <= count * 7 + holidayCount + 7 ? found : .some(nil)
    }

    /// 23:59:59 local time on `day`, in epoch seconds; the offset there is `utcOffset`
    /// for every day `localDay` or `addingBusinessDays` answered.
    @inlinable @inline(__always)
    package func endOfDay(_ day: Int) -> Int64 { Int64(day) * 86_400 + 86_399 - Int64(utcOffset) }
}

extension BusinessCalendar {
    var businessDaysTable: BusinessDayTable? { businessDays }
    var zoneOffsets: ZoneOffsets { offsets }
}

extension BusinessDayTable {
    /// The day numbers covered.
    var coveredDays: Range<Int> { firstDay..<firstDay + businessDaysBefore.count - 1 }
}

extension ZoneOffsets {
    /// The offset when it is the same at every instant in `from..<to`, else nil.
    func constantOffset(from: Int64, to: Int64) -> Int? {
        guard from >= Self.firstCovered, to <= coveredUntil else { return nil }
        // The transitions inside the span must not change the offset.
        guard let first = offset(atEpochSeconds: from) else { return nil }
        for (index, transition) in transitions.enumerated() where transition > from && transition < to {
            if Int(offsets[index + 1]) != first { return nil }
        }
        return first
    }
}
