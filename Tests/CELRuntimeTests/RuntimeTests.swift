import CEL
import CELCommon
import CELRuntime
import Foundation
import Testing

/// Compiles without the checker and evaluates with the given bindings.
private func eval(_ source: String, _ bindings: [String: Value] = [:]) -> Result<Value, EvalError> {
    let compiled = CELEnvironment().compileUnchecked(source)
    guard let program = compiled.program else {
        Issue.record("compile failed: \(compiled.issues)")
        return .failure(EvalError(.invalidArgument, "compile failed"))
    }
    return program.evaluate(bindings)
}

private let orderType = ObjectType(name: "Order", fields: [
    .init(name: "status", type: .string),
    .init(name: "placed_at", type: .timestamp),
    .init(name: "total", type: .double),
    .init(name: "note", type: .string, required: false),
])
private let requestType = ObjectType(name: "Request", fields: [.init(name: "at", type: .timestamp)])

private func timestamp(_ text: String) -> Value { .timestamp(CELTimestamp(rfc3339: text)!) }

@Suite struct ErrorPropagation {
    @Test func andAbsorbsErrorsOnEitherSide() {
        #expect(eval("1/0 == 1 && false").value == .false)
        #expect(eval("false && 1/0 == 1").value == .false)
        #expect(eval("1/0 == 1 && true").value.isError)
        #expect(eval("true && 1/0 == 1").value.isError)
    }

    @Test func orAbsorbsErrorsOnEitherSide() {
        #expect(eval("1/0 == 1 || true").value == .true)
        #expect(eval("true || 1/0 == 1").value == .true)
        #expect(eval("1/0 == 1 || false").value.isError)
        #expect(eval("x || true", [:]).value == .true)  // unbound variable is an absorbable error
    }

    @Test func errorsCarryCodeAndExpressionID() throws {
        let result = eval("1 + (2 / 0)")
        let error = try #require(result.value.error)
        #expect(error.code == .divisionByZero)
        #expect(error.exprID >= 0)
    }

    @Test func overflowIsAnError() {
        #expect(eval("9223372036854775807 + 1").value.error?.code == .overflow)
        #expect(eval("-9223372036854775808 - 1").value.error?.code == .overflow)
        #expect(eval("0u - 1u").value.error?.code == .overflow)
        #expect(eval("-(-9223372036854775808)").value.error?.code == .overflow)
        #expect(eval("9223372036854775807 - 1").value == .int(9_223_372_036_854_775_806))
    }

    @Test func notStrictlyFalseKeepsLoopsGoing() {
        #expect(eval("[0, 1].exists(x, 1 / x == 1)").value == .true)
        #expect(eval("[0, 1].all(x, 1 / x == 1)").value.isError)
    }
}

@Suite struct Values {
    @Test func heterogeneousNumericEquality() {
        #expect(eval("dyn(1) == 1u && dyn(1u) == 1.0 && dyn(1.0) == 1").value == .true)
        #expect(eval("{1u: 'a'}[1] == 'a' && {1: 'a'}[1.0] == 'a'").value == .true)
        #expect(eval("0.0/0.0 == 0.0/0.0").value == .false)
        #expect(eval("dyn('1') == 1").value == .false)
    }

    @Test func displayInCELSyntax() {
        #expect(eval("[1, 2, 3].map(x, x * 2)").value.celLiteral == "[2, 4, 6]")
        #expect(Value.uint(3).celLiteral == "3u")
        #expect(Value.string("a\"b\n").celLiteral == #""a\"b\n""#)
        #expect(Value.bytes([0, 65]).celLiteral == #"b"\x00A""#)
        #expect(Value.double(1.5).celLiteral == "1.5")
        #expect(Value.double(2).celLiteral == "2.0")
        #expect(eval("{'b': 2, 'a': 1}").value.celLiteral == #"{"a": 1, "b": 2}"#)
        #expect(timestamp("2026-11-27T02:00:00Z").celLiteral == #"timestamp("2026-11-27T02:00:00Z")"#)
        #expect(eval("duration('30m')").value.celLiteral == #"duration("1800s")"#)
        #expect(eval("int").value.celLiteral == "int")
        #expect(Value.decimal(CELDecimal(parsing: "129.99")!).celLiteral == #"decimal("129.99")"#)
        #expect(Value.null.celLiteral == "null")
    }

    @Test func typeNames() {
        #expect(eval("[1, 2]").value.celTypeName == "list(int)")
        #expect(eval("[1, 'a']").value.celTypeName == "list(dyn)")
        #expect(eval("{'a': 1}").value.celTypeName == "map(string, int)")
        #expect(eval("type(1)").value == .type(.int))
    }

    @Test func jsonNumbers() throws {
        let text = #"{"n": 2, "d": 2.5, "list": [true, null, "x"]}"#
        let standard = try Value(jsonText: text)
        let preserving = try Value(jsonText: text, numbers: .preserveIntegers)
        guard case .map(let a) = standard, case .map(let b) = preserving else {
            Issue.record("not maps")
            return
        }
        #expect(a[string: "n"]?.kind == .double)
        #expect(b[string: "n"]?.kind == .int)
        #expect(b[string: "d"] == .double(2.5))
        #expect(b[string: "list"]?.celLiteral == #"[true, null, "x"]"#)
    }

    @Test func timestampsAndDurations() {
        #expect(eval("timestamp('2009-02-13T23:31:30+01:00').getHours()").value == .int(22))
        #expect(eval("timestamp('2009-02-13T23:31:30Z').getHours('+05:30')").value == .int(5))
        #expect(eval("duration('1h2m3.5s')").value.celLiteral == #"duration("3723.500s")"#)
        #expect(eval("string(duration('-1.5s'))").value == .string("-1.500s"))
        #expect(eval("timestamp('0001-01-01T00:00:00Z') - duration('1s')").value.error?.code == .outOfRange)
    }
}

@Suite struct Planning {
    @Test func activationBySlot() throws {
        let program = try CELEnvironment(variables: ["x": .int, "y": .int]).compile("x * 10 + y").get()
        let xSlot = try #require(program.program.layout.slot(of: "x"))
        let ySlot = try #require(program.program.layout.slot(of: "y"))
        var activation = program.makeActivation()
        activation[slot: xSlot] = .int(4)
        activation[slot: ySlot] = .int(2)
        #expect(program.evaluate(activation).value == .int(42))
        activation[slot: ySlot] = .int(3)
        #expect(program.evaluate(activation).value == .int(43))
    }

    @Test func objectFieldsBySlot() throws {
        let env = CELEnvironment(variables: ["order": .object(orderType), "request": .object(requestType)])
        let program = try env.compile(
            #"order.status in ["paid", "processing"] && request.at - order.placed_at <= duration("30m")"#
        ).get()
        let order = ObjectValue.make(type: orderType, values: [
            "status": .string("paid"), "placed_at": timestamp("2026-01-01T10:00:00Z"), "total": .double(12),
        ])
        var activation = program.makeActivation(["order": .object(order)])
        activation["request"] = .object(ObjectValue.make(type: requestType, values: ["at": timestamp("2026-01-01T10:20:00Z")]))
        #expect(program.evaluate(activation).value == .true)
        activation["request"] = .object(ObjectValue.make(type: requestType, values: ["at": timestamp("2026-01-01T11:00:00Z")]))
        #expect(program.evaluate(activation).value == .false)
    }

    @Test func hasOnObjects() throws {
        let env = CELEnvironment(variables: ["order": .object(orderType)])
        let program = try env.compile("has(order.note) ? order.note : 'none'").get()
        let without = ObjectValue.make(type: orderType, values: ["status": .string("paid")])
        let with = ObjectValue.make(type: orderType, values: ["note": .string("gift")])
        #expect(program.evaluate(["order": .object(without)]).value == .string("none"))
        #expect(program.evaluate(["order": .object(with)]).value == .string("gift"))
        let absent = try env.compile("order.note").get().evaluate(["order": .object(without)])
        #expect(absent.value.error?.code == .noSuchKey)
    }

    @Test func handBuiltASTWithoutParser() {
        // (x + 1) > 2, built directly; checks the planner stands alone.
        let x = Expr(id: 1, .ident("x"))
        let sum = Expr(id: 2, .call(target: nil, function: Operator.add, args: [x, Expr(id: 3, .constant(.int(1)))]))
        let root = Expr(id: 4, .call(target: nil, function: Operator.greater, args: [sum, Expr(id: 5, .constant(.int(2)))]))
        let (program, issues) = Planner().plan(ParsedExpr(expr: root, source: "(x + 1) > 2", nextID: 6))
        #expect(issues.isEmpty)
        #expect(program?.evaluate(["x": .int(2)]).value == .true)
        #expect(program?.evaluate(["x": .int(1)]).value == .false)
    }

    @Test func traceRecordsEverySubexpression() throws {
        let program = try CELEnvironment(variables: ["x": .int]).compile("x + 1 > 2").get()
        let (result, trace) = program.evaluateWithTrace(program.makeActivation(["x": .int(5)]))
        #expect(result.value == .true)
        // x, 1, x + 1, 2, and the comparison.
        #expect(trace.count == 5)
        #expect(trace.values.contains(.int(6)))
        #expect(trace[program.parsed.expr.id] == .true)
    }

    @Test func costLimitStopsBlowups() {
        var env = CELEnvironment()
        env.limits.costLimit = 10_000
        let source = "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, a + b + c + d))))"
        let result = env.compileUnchecked(source).program?.evaluate()
        #expect(result?.value.error?.code == .costLimitExceeded)
        #expect(result?.value.error?.message == "evaluation cost exceeded the limit of 10000")
        // The limit error is not absorbed by `||`.
        let absorbed = env.compileUnchecked(source.replacingOccurrences(of: "d))))", with: "d)))) == [] || true"))
            .program?.evaluate()
        #expect(absorbed?.value.error?.code == .costLimitExceeded)
    }

    @Test func comprehensionNestingIsBounded() {
        var env = CELEnvironment()
        env.limits.maxComprehensionNesting = 2
        let compiled = env.compileUnchecked("[1].all(a, [1].all(b, [1].all(c, true)))")
        #expect(compiled.program == nil)
        #expect(compiled.failedStage == .plan)
    }

    @Test func constantsAreFolded() throws {
        let program = try CELEnvironment().compileUnchecked("duration('30m') + duration('1s')").get()
        #expect(program.evaluate().value.celLiteral == #"duration("1801s")"#)
    }

    @Test func containerResolution() throws {
        let env = CELEnvironment(container: "com.example")
        let program = try env.compileUnchecked("y").get()
        #expect(program.evaluate(["com.example.y": .int(1), "y": .int(2)]).value == .int(1))
        #expect(program.evaluate(["y": .int(2)]).value == .int(2))
        #expect(try env.compileUnchecked(".y").get().evaluate(["com.example.y": .int(1), "y": .int(2)]).value == .int(2))
    }
}
