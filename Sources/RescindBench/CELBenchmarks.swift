import Rescind

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
            "order": .object(ObjectValue(type: order, values: ["status": .string("paid"), "placed_at": placedAt])),
            "request": .object(ObjectValue(type: request, values: ["at": at])),
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

        return [
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
}
