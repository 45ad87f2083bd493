import CEL
import CELCommon
import CELRuntime
import Foundation
import RescindCELLibrary
import Testing

/// Rescind's extension functions, through the whole pipeline (parse → check → plan → evaluate).
@Suite("Rescind CEL extensions")
struct RescindFunctionsTests {
    private static let calendars: CalendarRegistry = {
        let holidays = Set((1...7).compactMap { CivilDate(year: 2026, month: 10, day: $0) })
        return CalendarRegistry([
            BusinessCalendar(
                name: "cn-mainland", timeZone: TimeZone(identifier: "Asia/Shanghai")!, holidays: holidays,
                makeUpWorkdays: [CivilDate(iso: "2026-09-20")!, CivilDate(iso: "2026-10-10")!])
        ])
    }()

    private func evaluate(_ source: String, _ variables: [String: (CELType, Value)] = [:]) throws -> Value {
        let environment = CELEnvironment(
            variables: variables.mapValues(\.0), libraries: [.rescind(calendars: Self.calendars)])
        let program = try environment.compile(source).get()
        return try program.evaluate(variables.mapValues(\.1)).get()
    }

    private func literal(_ source: String) throws -> String {
        try evaluate(source).celLiteral
    }

    @Test("decimal arithmetic is exact", arguments: [
        ("decimal(\"0.1\") + decimal(\"0.2\") == decimal(\"0.3\")", "true"),
        ("decimal(\"129.99\") - decimal(\"6.50\")", "decimal(\"123.49\")"),
        ("decimal(\"129.99\") * decimal(\"0.05\")", "decimal(\"6.4995\")"),
        ("(decimal(\"129.99\") * decimal(\"0.05\")).round(2)", "decimal(\"6.5\")"),
        ("min(decimal(\"129.99\") * decimal(\"0.05\"), decimal(\"20.00\")).round(2)", "decimal(\"6.5\")"),
        ("min(decimal(\"999.99\") * decimal(\"0.05\"), decimal(\"20.00\")).round(2)", "decimal(\"20\")"),
        ("max(decimal(\"1\"), decimal(\"2\"))", "decimal(\"2\")"),
        ("decimal(\"10\") / 4", "decimal(\"2.5\")"),
        ("2 * decimal(\"1.25\")", "decimal(\"2.5\")"),
        ("-decimal(\"1.5\")", "decimal(\"-1.5\")"),
        ("decimal(\"100.00\") > 99", "true"),
        ("decimal(\"0.05\") <= decimal(\"0.050\")", "true"),
        ("string(decimal(\"6.50\"))", "\"6.5\""),
        ("decimal(7)", "decimal(\"7\")"),
    ])
    func decimalArithmetic(_ source: String, _ expected: String) throws {
        #expect(try literal(source) == expected)
    }

    @Test("decimal errors are evaluation errors", arguments: [
        ("decimal(\"12abc\")", "is not a decimal number"),
        ("decimal(\"1\") / decimal(\"0\")", "division by zero"),
        ("decimal(\"1\").round(40)", "cannot round to 40 places"),
    ])
    func decimalErrors(_ source: String, _ message: String) throws {
        let environment = CELEnvironment(libraries: [.rescind()])
        let compiled = environment.compile(source)
        let outcome: String
        if let program = compiled.program {
            switch program.evaluate() {
            case .success(let value): outcome = value.celLiteral
            case .failure(let error): outcome = error.message
            }
        } else {
            outcome = compiled.issues.map(\.message).joined()
        }
        #expect(outcome.contains(message), "got \(outcome)")
    }

    @Test("decimal never mixes with double")
    func noDouble() {
        let result = CELEnvironment(libraries: [.rescind()]).compile("decimal(\"1.5\") + 1.5")
        #expect(result.program == nil)
        #expect(result.failedStage == .check)
    }

    @Test("business days skip weekends and holidays in the calendar's zone", arguments: [
        // Friday 10:00 Shanghai + 3 business days = Wednesday 10:00.
        ("addBusinessDays(timestamp(\"2026-11-27T10:00:00+08:00\"), 3, \"cn-mainland\")", "timestamp(\"2026-12-02T02:00:00Z\")"),
        // End of that day in Shanghai.
        ("endOfDay(addBusinessDays(timestamp(\"2026-11-27T10:00:00+08:00\"), 3, \"cn-mainland\"), \"cn-mainland\")", "timestamp(\"2026-12-02T15:59:59Z\")"),
        // 2026-09-30 (Wed) + 1 skips the National Day week: 10-08.
        ("endOfDay(addBusinessDays(timestamp(\"2026-09-30T12:00:00+08:00\"), 1, \"cn-mainland\"), \"cn-mainland\")", "timestamp(\"2026-10-08T15:59:59Z\")"),
        // 20:00Z on the 26th is already the 27th in Shanghai.
        ("endOfDay(timestamp(\"2026-11-26T20:00:00Z\"), \"cn-mainland\")", "timestamp(\"2026-11-27T15:59:59Z\")"),
        ("isBusinessDay(timestamp(\"2026-10-10T09:00:00+08:00\"), \"cn-mainland\")", "true"),
        ("isBusinessDay(timestamp(\"2026-10-01T09:00:00+08:00\"), \"cn-mainland\")", "false"),
    ])
    func businessDays(_ source: String, _ expected: String) throws {
        #expect(try literal(source) == expected)
    }

    @Test("an unknown calendar is a clear evaluation error")
    func unknownCalendar() throws {
        let program = try CELEnvironment(libraries: [.rescind(calendars: Self.calendars)])
            .compile("isBusinessDay(timestamp(\"2026-10-10T09:00:00Z\"), \"cn\")").get()
        guard case .failure(let error) = program.evaluate() else {
            Issue.record("expected an error")
            return
        }
        #expect(error.message == "unknown calendar `cn` (known: `cn-mainland`)")
    }

    /// A business day outside the years a calendar lists holidays for is an error, not
    /// an ordinary weekday: the decision then gets a problem and `on_error`.
    @Test("calendar functions refuse days outside the calendar's years")
    func outsideCoveredYears() throws {
        let calendars = CalendarRegistry([
            BusinessCalendar(
                name: "cn-mainland", timeZone: TimeZone(identifier: "Asia/Shanghai")!,
                holidays: [CivilDate(iso: "2026-10-01")!], years: 2026...2026)
        ])
        func run(_ source: String) throws -> Value {
            try CELEnvironment(libraries: [.rescind(calendars: calendars)]).compile(source).get().evaluate([:]).get()
        }
        #expect(try run(#"isBusinessDay(timestamp("2026-10-01T10:00:00+08:00"), "cn-mainland")"#) == .bool(false))
        #expect(try run(#"addBusinessDays(timestamp("2026-12-28T10:00:00+08:00"), 3, "cn-mainland")"#)
            == .timestamp(CELTimestamp(rfc3339: "2026-12-31T10:00:00+08:00")!))
        for source in [
            #"isBusinessDay(timestamp("2027-01-01T10:00:00+08:00"), "cn-mainland")"#,
            #"addBusinessDays(timestamp("2026-12-28T10:00:00+08:00"), 4, "cn-mainland")"#,
            #"addBusinessDays(timestamp("2025-12-31T10:00:00+08:00"), 1, "cn-mainland")"#,
        ] {
            let program = try CELEnvironment(libraries: [.rescind(calendars: calendars)]).compile(source).get()
            guard case .failure(let error) = program.evaluate([:]) else {
                Issue.record("\(source) should fail")
                continue
            }
            #expect(error.message.contains("is outside the years calendar `cn-mainland` lists holidays for (2026)"), "\(error.message)")
        }
    }
}
