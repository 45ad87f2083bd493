import CEL
import CELCommon
import CELRuntime
import Foundation
import Rescind
import RescindCELLibrary
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// The CEL hot path from the foundation issue: a typical policy condition on a prepared
/// activation, with the request schema's objects (fields by slot) and with `dyn` maps.
enum CELBenchmarks {
    static let condition = #"order.status in ["paid","processing"] && request.at - order.placed_at <= duration("30m")"#

    static func all() throws -> [Benchmark] {
        let order = ObjectType(name: "Order", fields: [
            .init(name: "status", type: .enumString(StringEnum(name: "order_status", values: ["pending_payment", "paid", "processing", "shipped"]))),
            .init(name: "placed_at", type: .timestamp),
        ])
        let request = ObjectType(name: "Request", fields: [.init(name: "at", type: .timestamp)])
        let placedAt = Value.timestamp(CELTimestamp(rfc3339: "2026-11-27T09:40:00+08:00")!)
        let at = Value.timestamp(CELTimestamp(rfc3339: "2026-11-27T10:00:00+08:00")!)

        let typed = try CELEnvironment(variables: ["order": .object(order), "request": .object(request)])
            .compile(condition).get()
        let typedActivation = typed.makeActivation([
            "order": .object(ObjectValue.make(type: order, values: ["status": .string("paid"), "placed_at": placedAt])),
            "request": .object(ObjectValue.make(type: request, values: ["at": at])),
        ])

        let dynamic = try CELEnvironment(variables: ["order": .dyn, "request": .dyn]).compile(condition).get()
        let dynamicActivation = dynamic.makeActivation([
            "order": .map(MapValue(["status": .string("paid"), "placed_at": placedAt])),
            "request": .map(MapValue(["at": at])),
        ])

        for (program, activation) in [(typed, typedActivation), (dynamic, dynamicActivation)] {
            guard case .success(.bool(true)) = program.evaluate(activation) else {
                fatalError("benchmark condition does not evaluate to true")
            }
        }

        return calendarBenchmarks() + [
            Benchmark("cel condition, schema objects") { n in
                for _ in 0..<n { blackHole(typed.evaluate(typedActivation)) }
            },
            Benchmark("cel condition, dyn maps") { n in
                for _ in 0..<n { blackHole(dynamic.evaluate(dynamicActivation)) }
            },
            Benchmark("cel condition, schema objects, traced", iterations: 200_000) { n in
                for _ in 0..<n { blackHole(typed.evaluateWithTrace(typedActivation)) }
            },
            Benchmark("cel compile (parse+check+plan)", iterations: 20_000) { n in
                let environment = CELEnvironment(variables: ["order": .object(order), "request": .object(request)])
                for _ in 0..<n { blackHole(environment.compile(condition)) }
            },
        ] + decimalBenchmarks()
    }

    /// The money arithmetic of a refund decision: parse an amount, take a fee off it,
    /// round the fee, and render amounts as text.
    private static func decimalBenchmarks() -> [Benchmark] {
        let priceText = "129.99"
        guard let price = CELDecimal(parsing: priceText), let fee = CELDecimal(parsing: "6.50"),
            let rate = CELDecimal(parsing: "0.05")
        else { fatalError("benchmark decimals do not parse") }
        return [
            Benchmark("decimal parse \"129.99\"", iterations: 1_000_000) { n in
                for _ in 0..<n { blackHole(CELDecimal(parsing: priceText)) }
            },
            Benchmark("decimal subtract", iterations: 1_000_000) { n in
                for _ in 0..<n { blackHole(try! price.subtracting(fee)) }
            },
            Benchmark("decimal multiply + rounded(scale: 2)", iterations: 1_000_000) { n in
                for _ in 0..<n { blackHole(try! price.multiplying(by: rate).rounded(scale: 2)) }
            },
            Benchmark("decimal formatted(scale: 2)", iterations: 1_000_000) { n in
                for _ in 0..<n { blackHole(price.formatted(scale: 2)) }
            },
            Benchmark("decimal description", iterations: 1_000_000) { n in
                for _ in 0..<n { blackHole(fee.description) }
            },
        ]
    }

    /// A refund deadline's calendar work, as `RescindEngine` does it on every allowed
    /// refund: the request's local date, two business-day steps, the end of each day.
    static func calendarBenchmarks() -> [Benchmark] {
        func date(_ text: String) -> CivilDate { CivilDate(iso: text)! }
        func days(_ first: String, _ last: String) -> Set<CivilDate> {
            Set((date(first).daysSinceEpoch...date(last).daysSinceEpoch).map { CivilDate(daysSinceEpoch: $0) })
        }
        // cn-mainland's 2026 arrangement (Policies/calendar-cn-mainland.yaml).
        let holidays = days("2026-01-01", "2026-01-03").union(days("2026-02-15", "2026-02-23"))
            .union(days("2026-04-04", "2026-04-06")).union(days("2026-05-01", "2026-05-05"))
            .union(days("2026-06-19", "2026-06-21")).union(days("2026-09-25", "2026-09-27"))
            .union(days("2026-10-01", "2026-10-07"))
        let workdays: Set<CivilDate> = [
            date("2026-01-04"), date("2026-02-14"), date("2026-02-28"), date("2026-05-09"), date("2026-09-20"),
            date("2026-10-10"),
        ]
        let shanghai = BusinessCalendar(
            name: "cn", timeZone: TimeZone(identifier: "Asia/Shanghai")!, holidays: holidays, makeUpWorkdays: workdays)
        let newYork = BusinessCalendar(
            name: "us", timeZone: TimeZone(identifier: "America/New_York")!, holidays: [date("2026-11-26")])
        // 2026-09-30T12:00:00+08:00: the National Day break lies ahead.
        let at: Int64 = 1_790_740_800
        func deadline(_ calendar: BusinessCalendar) -> Int64 {
            let requestDate = calendar.localDate(ofEpochSeconds: at)
            guard let initiate = calendar.addingBusinessDays(3, to: requestDate),
                let expect = calendar.addingBusinessDays(7, to: initiate)
            else { fatalError("no deadline") }
            return calendar.endOfDay(initiate) &+ calendar.endOfDay(expect)
        }
        return [
            Benchmark("calendar deadline, Asia/Shanghai, 3+7 days") { n in
                for _ in 0..<n { blackHole(deadline(shanghai)) }
            },
            Benchmark("calendar deadline, America/New_York, 3+7 days") { n in
                for _ in 0..<n { blackHole(deadline(newYork)) }
            },
        ]
    }
}
