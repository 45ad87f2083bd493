import CELCommon
import CELRuntime

extension CELLibrary {
    /// Rescind's extensions to CEL (`decimal` money and business calendars, see
    /// `RescindFunctions`), with the calendar functions bound to `calendars`. Policies are
    /// compiled with it; standard CEL runs without it.
    package static func rescind(calendars: CalendarRegistry = CalendarRegistry()) -> CELLibrary {
        CELLibrary(name: "rescind", functions: RescindFunctions.decimal + RescindFunctions.calendar(calendars))
    }
}

/// Rescind's extensions to CEL — not part of the CEL specification:
///
/// - `decimal` money: `decimal("129.99")`, `decimal(5)`, `+ - * /` between decimals
///   and with ints, comparisons, `-d`, `d.round(2)` (half-even), `min(a, b)`,
///   `max(a, b)`, `string(d)`.
/// - business-day calendars, looked up by name in a `CalendarRegistry` loaded from
///   policy files: `addBusinessDays(ts, n, "cn-mainland")`, `endOfDay(ts, "cn-mainland")`,
///   `isBusinessDay(ts, "cn-mainland")`.
///
/// Each function comes as a declaration for the checker and implementations for the
/// runtime, keyed by the same overload ids; `CELLibrary.rescind` bundles them.
package enum RescindFunctions {
    package typealias Function = CELLibrary.Function

    /// The decimal functions.
    package static let decimal: [Function] = decimalConversions + decimalArithmetic + decimalComparisons
        + decimalHelpers

    /// The calendar functions, bound to `calendars`.
    package static func calendar(_ calendars: CalendarRegistry) -> [Function] {
        let lookup: @Sendable (String) -> BusinessCalendar? = { calendars[$0] }
        return [
            Function(
                declaration: FunctionDecl(name: "addBusinessDays", overloads: [
                    OverloadDecl(id: "add_business_days", params: [.timestamp, .int, .string], result: .timestamp)
                ]),
                implementations: ["add_business_days": .ternary { at, days, name in
                    guard case .timestamp(let at) = at, case .int(let days) = days, case .string(let name) = name else {
                        return .error(EvalError(.noMatchingOverload, "no matching overload for 'addBusinessDays'"))
                    }
                    guard let calendar = lookup(name) else { return unknownCalendar(name, calendars) }
                    let date = calendar.localDate(ofEpochSeconds: at.seconds)
                    guard let target = calendar.addingBusinessDays(Int(clamping: days), to: date) else {
                        return .error(EvalError(
                            .outOfRange,
                            "cannot add \(days) business days: expected 0 to \(BusinessCalendar.maxBusinessDays)"))
                    }
                    // Every day counted must be one whose holidays the calendar lists.
                    if let error = outsideYears(calendar, date) ?? outsideYears(calendar, target) { return error }
                    let secondOfDay = Int(at.seconds - calendar.epochSeconds(of: date, secondOfDay: 0))
                    return timestamp(calendar.epochSeconds(of: target, secondOfDay: secondOfDay), nanos: at.nanos)
                }],
                constantFoldable: true),
            Function(
                declaration: FunctionDecl(name: "endOfDay", overloads: [
                    OverloadDecl(id: "end_of_day_calendar", params: [.timestamp, .string], result: .timestamp)
                ]),
                implementations: ["end_of_day_calendar": .binary { at, name in
                    guard case .timestamp(let at) = at, case .string(let name) = name else {
                        return .error(EvalError(.noMatchingOverload, "no matching overload for 'endOfDay'"))
                    }
                    guard let calendar = lookup(name) else { return unknownCalendar(name, calendars) }
                    return timestamp(calendar.endOfDay(calendar.localDate(ofEpochSeconds: at.seconds)), nanos: 0)
                }],
                constantFoldable: true),
            Function(
                declaration: FunctionDecl(name: "isBusinessDay", overloads: [
                    OverloadDecl(id: "is_business_day_calendar", params: [.timestamp, .string], result: .bool)
                ]),
                implementations: ["is_business_day_calendar": .binary { at, name in
                    guard case .timestamp(let at) = at, case .string(let name) = name else {
                        return .error(EvalError(.noMatchingOverload, "no matching overload for 'isBusinessDay'"))
                    }
                    guard let calendar = lookup(name) else { return unknownCalendar(name, calendars) }
                    let date = calendar.localDate(ofEpochSeconds: at.seconds)
                    if let error = outsideYears(calendar, date) { return error }
                    return .bool(calendar.isBusinessDay(date))
                }],
                constantFoldable: true),
        ]
    }

    /// An error when `date` is outside the years `calendar` lists holidays for: a
    /// business day there would be a guess (as refund deadlines, see `coveredYears`).
    private static func outsideYears(_ calendar: BusinessCalendar, _ date: CivilDate) -> Value? {
        guard let covered = calendar.coveredDays, let years = calendar.coveredYears,
            !covered.contains(date.daysSinceEpoch)
        else { return nil }
        let listed = years.lowerBound == years.upperBound ? "\(years.lowerBound)" : "\(years.lowerBound)..\(years.upperBound)"
        return .error(EvalError(
            .outOfRange,
            "`\(date)` is outside the years calendar `\(calendar.name)` lists holidays for (\(listed))"))
    }

    // MARK: - Decimal

    private static let decimalConversions: [Function] = [
        Function(
            declaration: FunctionDecl(name: "decimal", overloads: [
                OverloadDecl(id: "string_to_decimal", params: [.string], result: .decimal),
                OverloadDecl(id: "int64_to_decimal", params: [.int], result: .decimal),
                OverloadDecl(id: "decimal_to_decimal", params: [.decimal], result: .decimal),
            ]),
            implementations: [
                "string_to_decimal": .unary { value in
                    guard case .string(let text) = value else { return mismatch("decimal", value) }
                    guard let decimal = CELDecimal(parsing: text) else {
                        return .error(EvalError(
                            .conversion,
                            "`\(text.prefix(60))` is not a decimal number: expected digits with an optional sign and fraction, like \"129.99\""))
                    }
                    return .decimal(decimal)
                },
                "int64_to_decimal": .unary { value in
                    guard case .int(let int) = value else { return mismatch("decimal", value) }
                    return .decimal(CELDecimal(int))
                },
                "decimal_to_decimal": .unary { $0 },
            ],
            constantFoldable: true),
        Function(
            declaration: FunctionDecl(name: "string", overloads: [
                OverloadDecl(id: "decimal_to_string", params: [.decimal], result: .string)
            ]),
            implementations: ["decimal_to_string": .unary { value in
                guard case .decimal(let d) = value else { return mismatch("string", value) }
                return .string(d.description)
            }],
            constantFoldable: true),
    ]

    /// `+ - * /` for decimal∘decimal, decimal∘int and int∘decimal.
    private static let decimalArithmetic: [Function] = {
        let operations: [(function: String, name: String, apply: @Sendable (CELDecimal, CELDecimal) throws(CELDecimal.ArithmeticError) -> CELDecimal)] = [
            (Operator.add, "add", { a, b throws(CELDecimal.ArithmeticError) in try a.adding(b) }),
            (Operator.subtract, "subtract", { a, b throws(CELDecimal.ArithmeticError) in try a.subtracting(b) }),
            (Operator.multiply, "multiply", { a, b throws(CELDecimal.ArithmeticError) in try a.multiplying(by: b) }),
            (Operator.divide, "divide", { a, b throws(CELDecimal.ArithmeticError) in try a.dividing(by: b) }),
        ]
        var functions = operations.map { operation in
            let shapes: [(suffix: String, params: [CELType])] = [
                ("decimal", [.decimal, .decimal]), ("decimal_int64", [.decimal, .int]), ("int64_decimal", [.int, .decimal]),
            ]
            var implementations: [String: FunctionBody] = [:]
            var overloads: [OverloadDecl] = []
            for shape in shapes {
                let id = "\(operation.name)_\(shape.suffix)"
                overloads.append(OverloadDecl(id: id, params: shape.params, result: .decimal))
                let apply = operation.apply
                implementations[id] = .binary { lhs, rhs in
                    guard let a = asDecimal(lhs), let b = asDecimal(rhs) else { return mismatch(operation.function, lhs) }
                    do { return .decimal(try apply(a, b)) } catch { return arithmeticError(error) }
                }
            }
            return Function(
                declaration: FunctionDecl(name: operation.function, overloads: overloads),
                implementations: implementations, constantFoldable: true)
        }
        functions.append(Function(
            declaration: FunctionDecl(name: Operator.negate, overloads: [
                OverloadDecl(id: "negate_decimal", params: [.decimal], result: .decimal)
            ]),
            implementations: ["negate_decimal": .unary { value in
                guard case .decimal(let d) = value else { return mismatch(Operator.negate, value) }
                return .decimal(d.negated)
            }],
            constantFoldable: true))
        return functions
    }()

    /// `< <= > >=` for decimal∘decimal, decimal∘int and int∘decimal.
    private static let decimalComparisons: [Function] = {
        let comparisons: [(function: String, name: String, holds: @Sendable (CELDecimal, CELDecimal) -> Bool)] = [
            (Operator.less, "less", { $0 < $1 }),
            (Operator.lessEquals, "less_equals", { $0 <= $1 }),
            (Operator.greater, "greater", { $0 > $1 }),
            (Operator.greaterEquals, "greater_equals", { $0 >= $1 }),
        ]
        return comparisons.map { comparison in
            var overloads: [OverloadDecl] = []
            var implementations: [String: FunctionBody] = [:]
            for (suffix, params) in [("decimal", [CELType.decimal, .decimal]), ("decimal_int64", [.decimal, .int]), ("int64_decimal", [.int, .decimal])] {
                let id = "\(comparison.name)_\(suffix)"
                overloads.append(OverloadDecl(id: id, params: params, result: .bool))
                let holds = comparison.holds
                implementations[id] = .binary { lhs, rhs in
                    guard let a = asDecimal(lhs), let b = asDecimal(rhs) else { return mismatch(comparison.function, lhs) }
                    return .bool(holds(a, b))
                }
            }
            return Function(
                declaration: FunctionDecl(name: comparison.function, overloads: overloads),
                implementations: implementations, constantFoldable: true)
        }
    }()

    private static let decimalHelpers: [Function] = [
        Function(
            declaration: FunctionDecl(name: "round", overloads: [
                OverloadDecl(id: "decimal_round_int64", member: true, params: [.decimal, .int], result: .decimal)
            ]),
            implementations: ["decimal_round_int64": .binary { value, scale in
                guard case .decimal(let d) = value, case .int(let scale) = scale else { return mismatch("round", value) }
                do { return .decimal(try d.rounded(scale: Int(clamping: scale))) } catch { return arithmeticError(error) }
            }],
            constantFoldable: true),
        Function(
            declaration: FunctionDecl(name: "min", overloads: [
                OverloadDecl(id: "min_decimal", params: [.decimal, .decimal], result: .decimal)
            ]),
            implementations: ["min_decimal": .binary { lhs, rhs in
                guard case .decimal(let a) = lhs, case .decimal(let b) = rhs else { return mismatch("min", lhs) }
                return .decimal(min(a, b))
            }],
            constantFoldable: true),
        Function(
            declaration: FunctionDecl(name: "max", overloads: [
                OverloadDecl(id: "max_decimal", params: [.decimal, .decimal], result: .decimal)
            ]),
            implementations: ["max_decimal": .binary { lhs, rhs in
                guard case .decimal(let a) = lhs, case .decimal(let b) = rhs else { return mismatch("max", lhs) }
                return .decimal(max(a, b))
            }],
            constantFoldable: true),
    ]

    // MARK: - Helpers

    private static func asDecimal(_ value: Value) -> CELDecimal? {
        switch value {
        case .decimal(let d): d
        case .int(let i): CELDecimal(i)
        default: nil
        }
    }

    private static func mismatch(_ function: String, _ value: Value) -> Value {
        .error(EvalError(.noMatchingOverload, "no matching overload for '\(function)' applied to '\(value.runtimeType.name)'"))
    }

    private static func arithmeticError(_ error: any Error) -> Value {
        switch error as? CELDecimal.ArithmeticError ?? .overflow {
        case .overflow: .error(EvalError(.overflow, "decimal overflow: the result needs more than 38 digits"))
        case .divisionByZero: .error(EvalError(.divisionByZero, "division by zero"))
        case .invalidScale(let scale): .error(EvalError(.invalidArgument, "cannot round to \(scale) places: expected 0 to 18"))
        }
    }

    private static func unknownCalendar(_ name: String, _ calendars: CalendarRegistry) -> Value {
        let known = calendars.names.isEmpty ? "none is loaded" : "known: " + calendars.names.map { "`\($0)`" }.joined(separator: ", ")
        return .error(EvalError(.invalidArgument, "unknown calendar `\(name)` (\(known))"))
    }

    private static func timestamp(_ seconds: Int64, nanos: Int32) -> Value {
        guard let value = CELTimestamp(seconds: seconds, nanos: Int64(nanos)) else {
            return .error(EvalError(.outOfRange, "timestamp out of range"))
        }
        return .timestamp(value)
    }
}
