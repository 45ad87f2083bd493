import Foundation
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
}
