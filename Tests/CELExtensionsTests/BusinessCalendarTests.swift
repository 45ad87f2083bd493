import Foundation
@testable import RescindCELLibrary
import Testing

@testable import CELRuntime

@Suite("business calendars")
struct BusinessCalendarTests {
    private func date(_ text: String) -> CivilDate {
        guard let value = CivilDate(iso: text) else { fatalError("bad test date \(text)") }
        return value
    }

    /// Mainland China's 2026 National Day break, as a small fixture: 10-01..10-07 off,
    /// Sunday 09-20 and Saturday 10-10 are make-up workdays.
    private var shanghai: BusinessCalendar {
        BusinessCalendar(
            name: "cn", timeZone: TimeZone(identifier: "Asia/Shanghai")!,
            holidays: Set((1...7).map { date("2026-10-0\($0)") }),
            makeUpWorkdays: [date("2026-09-20"), date("2026-10-10")])
    }

    @Test("civil dates round-trip through day numbers", arguments: ["1970-01-01", "2000-02-29", "1969-12-31", "0001-01-01", "9999-12-31", "2026-11-27"])
    func roundTrip(_ text: String) {
        let d = date(text)
        #expect(CivilDate(daysSinceEpoch: d.daysSinceEpoch) == d)
        #expect(d.description == text)
    }

    @Test("rejects impossible dates", arguments: ["2026-02-29", "2026-13-01", "2026-1-01", "20261101", "2026-04-31", "abcd-ef-gh"])
    func rejects(_ text: String) {
        #expect(CivilDate(iso: text) == nil)
    }

    @Test("weekdays are ISO numbered")
    func weekdays() {
        #expect(date("2026-11-27").weekday == 5)  // Friday
        #expect(date("1970-01-01").weekday == 4)  // Thursday
        #expect(date("2026-11-29").weekday == 7)  // Sunday
    }

    @Test("weekends and holidays are skipped, make-up workdays counted")
    func addBusinessDays() {
        let cn = shanghai
        // Friday + 1 business day skips the weekend.
        #expect(cn.addingBusinessDays(1, to: date("2026-11-27")) == date("2026-11-30"))
        #expect(cn.addingBusinessDays(0, to: date("2026-11-28")) == date("2026-11-28"))
        // Saturday 09-19 + 1 → Sunday 09-20, a make-up workday.
        #expect(cn.addingBusinessDays(1, to: date("2026-09-19")) == date("2026-09-20"))
        // Wednesday 09-30 + 1 → the holiday week and the weekend are skipped; 10-08 (Thu).
        #expect(cn.addingBusinessDays(1, to: date("2026-09-30")) == date("2026-10-08"))
        // 10-08 Thu, 10-09 Fri, 10-10 Sat (make-up), 10-12 Mon.
        #expect(cn.addingBusinessDays(3, to: date("2026-09-30")) == date("2026-10-10"))
        #expect(cn.addingBusinessDays(4, to: date("2026-09-30")) == date("2026-10-12"))
        #expect(cn.addingBusinessDays(-1, to: date("2026-09-30")) == nil)
        #expect(cn.addingBusinessDays(BusinessCalendar.maxBusinessDays + 1, to: date("2026-09-30")) == nil)
    }

    @Test("a calendar with no workday never loops")
    func noWorkdays() {
        let never = BusinessCalendar(name: "never", timeZone: TimeZone(identifier: "UTC")!, weekend: Set(1...7))
        #expect(never.addingBusinessDays(3, to: date("2026-01-01")) == nil)
    }

    @Test("local dates and end of day follow the calendar's time zone")
    func timeZones() {
        let cn = shanghai
        // 2026-11-27T10:00:00+08:00 = 02:00Z.
        let at: Int64 = 1_795_744_800
        #expect(cn.localDate(ofEpochSeconds: at) == date("2026-11-27"))
        // 2026-11-26T20:00:00Z is already the 27th in Shanghai.
        #expect(cn.localDate(ofEpochSeconds: at - 6 * 3600) == date("2026-11-27"))
        #expect(cn.localDate(ofEpochSeconds: at - 11 * 3600) == date("2026-11-26"))
        // 23:59:59+08:00 on 2026-11-30 = 15:59:59Z.
        #expect(cn.endOfDay(date("2026-11-30")) == 1_796_054_399)
    }

    @Test("end of day across a daylight-saving change")
    func daylightSaving() {
        let ny = BusinessCalendar(name: "ny", timeZone: TimeZone(identifier: "America/New_York")!)
        // 2026-03-08 is the spring-forward day; 23:59:59 EDT (-04:00) = 03:59:59Z next day.
        #expect(ny.endOfDay(date("2026-03-08")) == Int64(CivilDate(iso: "2026-03-09")!.daysSinceEpoch * 86_400 + 3 * 3600 + 3599))
    }

    // MARK: Tables against the day-by-day reference

    /// Days from `first` to `last`, inclusive.
    private func days(_ first: String, _ last: String) -> Set<CivilDate> {
        Set((date(first).daysSinceEpoch...date(last).daysSinceEpoch).map { CivilDate(daysSinceEpoch: $0) })
    }

    /// Policies/calendar-cn-mainland.yaml, 2025 and 2026.
    private var cnMainland: BusinessCalendar {
        let holidays = [
            ("2025-01-01", "2025-01-01"), ("2025-01-28", "2025-02-04"), ("2025-04-04", "2025-04-06"),
            ("2025-05-01", "2025-05-05"), ("2025-05-31", "2025-06-02"), ("2025-10-01", "2025-10-08"),
            ("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
            ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
            ("2026-10-01", "2026-10-07"),
        ].reduce(into: Set<CivilDate>()) { $0.formUnion(days($1.0, $1.1)) }
        let workdays = [
            "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
            "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
        ].map(date)
        return BusinessCalendar(
            name: "cn-mainland", timeZone: TimeZone(identifier: "Asia/Shanghai")!, holidays: holidays,
            makeUpWorkdays: Set(workdays))
    }

    /// Calendars whose walks are long or give up: one workday a week with holidays on it
    /// (the walk's step limit is reached), and no weekly workday at all, only make-up days.
    private var sparseCalendars: [BusinessCalendar] {
        let utc = TimeZone(identifier: "UTC")!
        let sundays = stride(from: date("2026-01-04").daysSinceEpoch, through: date("2026-03-29").daysSinceEpoch, by: 7)
            .map { CivilDate(daysSinceEpoch: $0) }
        return [
            BusinessCalendar(name: "sundays", timeZone: utc, weekend: Set(1...6), holidays: Set(sundays.prefix(6))),
            BusinessCalendar(
                name: "make-up only", timeZone: utc, weekend: Set(1...7),
                makeUpWorkdays: Set(sundays.enumerated().filter { $0.offset % 3 == 0 }.map(\.element))),
        ]
    }

    @Test("business-day tables answer as the day-by-day walk, from every day they cover and either side")
    func tablesMatchWalk() {
        for calendar in [cnMainland, shanghai] + sparseCalendars {
            let listed = calendar.holidays.union(calendar.makeUpWorkdays)
            // The table covers the listed years and one year either side; start 20 days
            // beyond it both ways, where the walk answers alone.
            let first = CivilDate(year: listed.min()!.year - 1, month: 1, day: 1)!.daysSinceEpoch - 20
            let last = CivilDate(year: listed.max()!.year + 1, month: 12, day: 31)!.daysSinceEpoch + 20
            for start in first...last {
                let day = CivilDate(daysSinceEpoch: start)
                for count in 0...30 {
                    let walked = calendar.walkBusinessDays(count, from: start)
                    #expect(calendar.addingBusinessDays(count, toDay: start) == walked, "\(calendar.name): \(day) + \(count)")
                    #expect(
                        calendar.addingBusinessDays(count, to: day) == walked.map(CivilDate.init(daysSinceEpoch:)),
                        "\(calendar.name): \(day) + \(count)")
                }
                let isWorkday = calendar.walkBusinessDays(1, from: start - 1) == start
                #expect(calendar.isBusinessDay(day) == isWorkday, "\(calendar.name): \(day)")
            }
        }
    }

    @Test("the walk's step limit is kept: a run of holidays on the only workday gives up")
    func stepLimit() {
        let sundays = sparseCalendars[0]
        // Monday 2026-01-05: the next six Sundays are holidays, more than the walk allows.
        #expect(sundays.addingBusinessDays(1, to: date("2026-01-05")) == nil)
        #expect(sundays.addingBusinessDays(1, to: date("2026-02-09")) == date("2026-02-15"))
    }

    @Test("offsets match the time-zone database, at every transition and in between", arguments: [
        "Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Africa/Casablanca",
        "Asia/Pyongyang", "America/Sao_Paulo", "Pacific/Chatham", "Asia/Kolkata", "America/St_Johns", "Europe/Moscow",
        "UTC",
    ])
    func offsetsMatchDatabase(_ identifier: String) throws {
        let zone = try #require(TimeZone(identifier: identifier))
        let calendar = BusinessCalendar(name: identifier, timeZone: zone)
        func expectDatabaseOffset(at seconds: Int64) {
            let expected = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(calendar.offset(atEpochSeconds: seconds) == expected, "\(identifier) at \(seconds)")
        }
        // 1899 to 2101: the table's span (1900 ..< 2100) and past both ends.
        let first: Int64 = -2_240_524_800
        let last: Int64 = 4_133_980_800
        var instant = Date(timeIntervalSince1970: TimeInterval(first))
        while let next = zone.nextDaylightSavingTimeTransition(after: instant), next.timeIntervalSince1970 < TimeInterval(last) {
            let seconds = Int64(next.timeIntervalSince1970)
            for delta: Int64 in [-3601, -1, 0, 1, 3601] { expectDatabaseOffset(at: seconds + delta) }
            instant = next
        }
        // Every 13 hours and 17 minutes, so that each hour of the day comes up.
        for seconds in stride(from: first, through: last, by: 13 * 3600 + 17 * 60) { expectDatabaseOffset(at: seconds) }
    }

    @Test("deadlines in a zone with daylight saving follow the database on every day of a year")
    func localDatesAcrossDaylightSaving() {
        let zone = TimeZone(identifier: "America/New_York")!
        let ny = BusinessCalendar(name: "ny", timeZone: zone, holidays: [date("2026-11-26")])
        for day in date("2026-01-01").daysSinceEpoch...date("2026-12-31").daysSinceEpoch {
            let civil = CivilDate(daysSinceEpoch: day)
            let end = ny.endOfDay(civil)
            // 23:59:59 local: one second later the database's local date is the next day.
            var gregorian = Calendar(identifier: .gregorian)
            gregorian.timeZone = zone
            let parts = gregorian.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(end)))
            #expect([parts.year, parts.month, parts.day] == [civil.year, civil.month, civil.day], "\(civil)")
            #expect([parts.hour, parts.minute, parts.second] == [23, 59, 59], "\(civil)")
            #expect(ny.localDate(ofEpochSeconds: end) == civil)
            #expect(ny.localDate(ofEpochSeconds: end + 1) == civil.adding(days: 1))
        }
    }

    @Test("deadline tables answer as the calendar, or leave the answer to it, from every hour of the days they cover")
    func deadlineTablesMatchCalendar() throws {
        for calendar in [cnMainland, shanghai] + sparseCalendars {
            let tables = try #require(BusinessDeadlines(calendar), "\(calendar.name) keeps one offset")
            let listed = calendar.holidays.union(calendar.makeUpWorkdays)
            let first = CivilDate(year: listed.min()!.year - 1, month: 1, day: 1)!.daysSinceEpoch - 3
            let last = CivilDate(year: listed.max()!.year + 1, month: 12, day: 31)!.daysSinceEpoch + 3
            var answered = 0
            // Every 7 hours: each hour of the local day comes up, and the days either side
            // of the table, where the tables must leave the answer to the calendar.
            for seconds in stride(from: Int64(first) * 86_400, through: Int64(last) * 86_400, by: 7 * 3600) {
                let day = calendar.localDay(ofEpochSeconds: seconds)
                guard let tableDay = tables.localDay(ofEpochSeconds: seconds) else { continue }
                #expect(tableDay == day, "\(calendar.name) at \(seconds)")
                for count in [0, 1, 2, 3, 5, 7, 15, 40, BusinessCalendar.maxBusinessDays + 1, -1] {
                    guard let fromTables = tables.addingBusinessDays(count, toDay: day) else { continue }
                    answered += 1
                    #expect(fromTables == calendar.addingBusinessDays(count, toDay: day), "\(calendar.name): \(day) + \(count)")
                }
                #expect(tables.endOfDay(day) == calendar.epochSeconds(ofDay: day, secondOfDay: 86_399))
                #expect(calendar.offset(atEpochSeconds: tables.endOfDay(day)) == tables.utcOffset)
            }
            #expect(answered > 1000, "\(calendar.name): the tables answered \(answered) times")
        }
    }

    @Test("no deadline tables where the zone's offset changes within the years a calendar lists")
    func deadlineTablesNeedOneOffset() {
        let ny = BusinessCalendar(name: "ny", timeZone: TimeZone(identifier: "America/New_York")!, holidays: [date("2026-11-26")])
        #expect(BusinessDeadlines(ny) == nil)
        // No listed dates: no business-day table to answer from.
        #expect(BusinessDeadlines(BusinessCalendar(name: "plain", timeZone: TimeZone(identifier: "Asia/Shanghai")!)) == nil)
        // Shanghai kept daylight saving until 1991: a calendar listing 1990 has none.
        let old = BusinessCalendar(name: "old", timeZone: TimeZone(identifier: "Asia/Shanghai")!, holidays: [date("1990-10-01")])
        #expect(BusinessDeadlines(old) == nil)
    }
}
