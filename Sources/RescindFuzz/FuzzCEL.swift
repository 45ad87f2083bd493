import CEL
import CELCommon
import CELParser
import CELRuntime
import Foundation
import Rescind
import RescindCELLibrary
import RescindDiagnostics
import RescindEngine
import RescindPolicy

// Fuzz target for the CEL pipeline: any text must parse, check, plan and evaluate (or
// fail with issues / an evaluation error) without crashing or hanging, under the
// default evaluation limits. The bytes are read as UTF-8 with invalid sequences
// replaced, as a policy file's expression would be after loading.

/// The request schema a policy sees: an order with fields of every kind the checker
/// and runtime treat specially (enum string, timestamp, decimal, int, lists, a map, a
/// nested object, an optional field left absent), a request, and a `dyn` variable.
private enum Schema {
    static let status = StringEnum(
        name: "order_status", values: ["pending_payment", "paid", "processing", "shipped", "delivered", "cancelled"])

    static let item = ObjectType(name: "item", fields: [
        .init(name: "sku", type: .string),
        .init(name: "quantity", type: .int),
        .init(name: "price", type: .decimal),
    ])

    static let order = ObjectType(name: "order", fields: [
        .init(name: "id", type: .string),
        .init(name: "status", type: .enumString(status)),
        .init(name: "placed_at", type: .timestamp),
        .init(name: "total", type: .decimal),
        .init(name: "quantity", type: .int),
        .init(name: "tags", type: .list(.string)),
        .init(name: "items", type: .list(.object(item))),
        .init(name: "previous_statuses", type: .list(.enumString(status))),
        .init(name: "metadata", type: .map(.string, .string)),
        .init(name: "note", type: .string, required: false),
    ])

    static let request = ObjectType(name: "request", fields: [
        .init(name: "at", type: .timestamp),
        .init(name: "reason", type: .string),
        .init(name: "channel", type: .string),
        .init(name: "by_buyer", type: .bool),
        .init(name: "wait", type: .duration),
    ])

    static let variables: [String: CELType] = [
        "order": .object(order),
        "request": .object(request),
        "x": .dyn,
    ]

    static let calendars = CalendarRegistry([
        BusinessCalendar(
            name: "cn-mainland", timeZone: TimeZone(identifier: "Asia/Shanghai")!,
            holidays: Set((1...7).compactMap { CivilDate(year: 2026, month: 10, day: $0) }),
            makeUpWorkdays: [CivilDate(iso: "2026-09-20")!, CivilDate(iso: "2026-10-10")!]),
        BusinessCalendar(name: "us-ny", timeZone: TimeZone(identifier: "America/New_York")!),
    ])

    static func timestamp(_ text: String) -> Value { .timestamp(CELTimestamp(rfc3339: text)!) }
    static func decimal(_ text: String) -> Value { .decimal(CELDecimal(parsing: text)!) }

    /// Realistic values for every variable; `note` is absent so `has(order.note)` is false.
    static let bindings: [String: Value] = {
        let items: [Value] = [
            .object(ObjectValue.make(type: item, values: [
                "sku": .string("SKU-1"), "quantity": .int(2), "price": decimal("49.99"),
            ])),
            .object(ObjectValue.make(type: item, values: [
                "sku": .string("SKU-2"), "quantity": .int(1), "price": decimal("30.01"),
            ])),
        ]
        let orderValue = ObjectValue.make(type: order, values: [
            "id": .string("B2026112700042"),
            "status": .string("paid"),
            "placed_at": timestamp("2026-11-27T09:40:00+08:00"),
            "total": decimal("129.99"),
            "quantity": .int(3),
            "tags": .list([.string("gift"), .string("express")]),
            "items": .list(items),
            "previous_statuses": .list([.string("pending_payment")]),
            "metadata": .map(MapValue(["source": .string("app"), "coupon": .string("NEW10")])),
        ])
        let requestValue = ObjectValue.make(type: request, values: [
            "at": timestamp("2026-11-27T10:00:00+08:00"),
            "reason": .string("changed_mind"),
            "channel": .string("app"),
            "by_buyer": .true,
            "wait": .duration(CELDuration(seconds: 1800)!),
        ])
        let x = Value.map(MapValue([
            "n": .int(-7), "u": .uint(42), "d": .double(2.5), "s": .string("héllo 世界"),
            "b": .bytes([0, 0xff, 0x41]), "l": .list([.int(1), .double(1.0), .uint(1), .null]),
            "t": timestamp("2026-02-28T23:59:59.999999999Z"), "m": decimal("-0.05"), "z": .null,
        ]))
        return ["order": .object(orderValue), "request": .object(requestValue), "x": x]
    }()

    /// Type-checked compilation, with Rescind's extensions and the default limits.
    static let environment = CELEnvironment(variables: variables, libraries: [.rescind(calendars: calendars)])
}

func fuzzCEL(_ data: UnsafeRawBufferPointer) {
    let source = String(decoding: data, as: UTF8.self)
    let environment = Schema.environment

    // Checked: parse → check → plan → evaluate.
    let checked = environment.compile(source)
    if let program = checked.program {
        exercise(program.evaluate(program.makeActivation(Schema.bindings)))
    } else {
        precondition(!checked.errors.isEmpty, "compilation failed without an error")
    }
    checkIssues(checked.issues, in: source)

    // Unchecked: names resolve at evaluation time, calls dispatch on runtime kinds.
    let unchecked = environment.compileUnchecked(source)
    if let program = unchecked.program {
        exercise(program.evaluate(program.makeActivation(Schema.bindings)))
    }
    checkIssues(unchecked.issues, in: source)

    // Unparse and re-parse: for a tree the parser accepts, the canonical text parses
    // back to the same tree, so unparsing again gives the same text.
    let parser = CELParser(options: environment.parserOptions)
    let (parsed, issues) = parser.parse(source)
    guard let parsed, !issues.contains(where: { $0.severity == .error }) else { return }
    let text = Unparser.unparse(parsed.expr)
    // The depth limit counts grammar levels, which the canonical text may spend
    // differently (parentheses); give the re-parse room so only real differences show.
    var roomy = environment.parserOptions
    roomy.maxDepth *= 2
    roomy.maxLength = max(roomy.maxLength, text.utf8.count)
    let (reparsed, reissues) = CELParser(options: roomy).parse(text)
    guard let reparsed, !reissues.contains(where: { $0.severity == .error }) else {
        preconditionFailure("unparsed text does not parse: \(text) — \(reissues)")
    }
    let again = Unparser.unparse(reparsed.expr)
    precondition(again == text, "unparse is not a fixed point: \(text) → \(again)")
}

/// Issues point into the source and render as `rescind cel` shows them. Rendering quotes
/// source lines; a handful is enough to exercise it.
private func checkIssues(_ issues: [CELIssue], in source: String) {
    let length = source.utf8.count
    for issue in issues {
        precondition(
            0 <= issue.range.start && issue.range.start <= issue.range.end && Int(issue.range.end) <= length,
            "issue range \(issue.range) outside the source (\(length) bytes): \(issue)")
    }
    let file = SourceFile(path: "<expr>", text: source)
    _ = HumanRenderer(sources: SourceMap([file])).render(issues.prefix(16).map { $0.diagnostic(in: file) })
}

/// Renders the result as `rescind cel` would, so value display runs on fuzzed values.
private func exercise(_ result: Result<Value, EvalError>) {
    switch result {
    case .success(let value):
        _ = value.celLiteral
        _ = value.celTypeName
    case .failure(let error):
        _ = error.message
    }
}
