import CELCommon
import RescindDiagnostics

/// Every diagnostic the checker reports, with its stable code and wording, kept in one
/// place so the texts stay consistent: lowercase, user input in backticks, a `help:`
/// with a concrete fix where one is known.
enum CheckerMessages {
    /// The stable codes of checker diagnostics.
    enum Code {
        static let undeclaredReference: DiagnosticCode = "cel-undeclared-reference"
        static let unknownFunction: DiagnosticCode = "cel-unknown-function"
        static let unknownField: DiagnosticCode = "cel-unknown-field"
        static let noFieldSelection: DiagnosticCode = "cel-no-field-selection"
        static let noMatchingOverload: DiagnosticCode = "cel-no-matching-overload"
        static let wrongArgumentCount: DiagnosticCode = "cel-wrong-argument-count"
        static let callStyle: DiagnosticCode = "cel-call-style"
        static let typeMismatch: DiagnosticCode = "cel-type-mismatch"
        static let notIterable: DiagnosticCode = "cel-not-iterable"
        static let invalidMapKey: DiagnosticCode = "cel-invalid-map-key"
        static let invalidEnumValue: DiagnosticCode = "cel-invalid-enum-value"
        static let messageConstruction: DiagnosticCode = "cel-message-construction"
        static let resultType: DiagnosticCode = "cel-result-type"
        static let costLimit: DiagnosticCode = "cel-cost-limit"
    }

    /// Lists of allowed names longer than this are left out of notes; the did-you-mean
    /// help is more useful than a wall of names.
    static let maxListedNames = 12

    private static func issue(
        _ code: DiagnosticCode, _ message: DiagnosticText, at range: TextRange, help: DiagnosticText? = nil,
        notes: [DiagnosticText] = []
    ) -> CELIssue {
        CELIssue(.check, code, message, at: range, help: help, notes: notes)
    }

    // MARK: - Names

    /// `declared` lists the variables in scope; they are shown when nothing is close
    /// enough to suggest and there are few of them.
    /// `isEnumValue`: the name is one of an enum's values, so it was meant as a string.
    static func undeclaredReference(
        _ name: String, at range: TextRange, suggestion: String?, declared: [String], isEnumValue: Bool = false
    ) -> CELIssue {
        let message = DiagnosticText.en("undeclared reference to `\(name)`", zh: "引用了未声明的 `\(name)`")
        if isEnumValue {
            return issue(
                Code.undeclaredReference, message, at: range,
                help: .en("put it in quotes: \"\(name)\"", zh: "请给它加上引号：\"\(name)\""),
                notes: [.en(
                    "`\(name)` is an enum value; in CEL a value is a string literal",
                    zh: "`\(name)` 是枚举值；在 CEL 中，枚举值要写成字符串字面量")])
        }
        var notes: [DiagnosticText] = []
        if suggestion == nil {
            if declared.isEmpty {
                notes.append(.en("no variables are declared", zh: "没有声明任何变量"))
            } else if declared.count <= maxListedNames {
                let list = Suggestions.quoted(declared, .and)
                notes.append(.en("the declared variables are \(list.en)", zh: "已声明的变量有 \(list.zh)"))
            }
        }
        return issue(Code.undeclaredReference, message, at: range, help: suggestion.map(Suggestions.didYouMean), notes: notes)
    }

    static func unknownFunction(_ name: String, at range: TextRange, suggestion: String?) -> CELIssue {
        issue(
            Code.unknownFunction, .en("unknown function `\(name)`", zh: "未知的函数 `\(name)`"), at: range,
            help: suggestion.map(Suggestions.didYouMean))
    }

    static func unknownField(
        _ field: String, of object: ObjectType, at range: TextRange, suggestion: String?
    ) -> CELIssue {
        let names = object.fieldNames
        var notes: [DiagnosticText] = []
        if names.isEmpty {
            notes.append(.en("`\(object.name)` has no fields", zh: "`\(object.name)` 没有任何字段"))
        } else if names.count <= maxListedNames {
            let list = Suggestions.quoted(names, .and)
            notes.append(.en("the fields of `\(object.name)` are \(list.en)", zh: "`\(object.name)` 的字段有 \(list.zh)"))
        }
        return issue(
            Code.unknownField, .en("`\(object.name)` has no field `\(field)`", zh: "`\(object.name)` 没有字段 `\(field)`"),
            at: range, help: suggestion.map(Suggestions.didYouMean), notes: notes)
    }

    static func noFieldSelection(_ field: String, on type: CELType, at range: TextRange) -> CELIssue {
        var help: DiagnosticText?
        if case .list = type {
            help = .en(
                "to test every element, use a macro such as `list.all(x, x.\(field) ...)`",
                zh: "要检查每个元素，请使用宏，例如 `list.all(x, x.\(field) ...)`")
        }
        return issue(
            Code.noFieldSelection,
            .en(
                "type `\(type)` does not support field selection (`.\(field)`)",
                zh: "类型 `\(type)` 不支持字段选择（`.\(field)`）"),
            at: range, help: help)
    }

    // MARK: - Calls

    /// `literalConversion`: a number literal written against an operand of an extension
    /// type (`decimal`), as written, and the function that makes that type from text.
    static func noMatchingOverload(
        _ function: String, receiver: CELType?, arguments: [CELType], candidates: [OverloadDecl], at range: TextRange,
        literalConversion: (function: String, literal: String)? = nil
    ) -> CELIssue {
        let argumentList = "(" + arguments.map(\.description).joined(separator: ", ") + ")"
        let appliedTo = receiver.map { "\($0).\(argumentList)" } ?? argumentList
        var notes: [DiagnosticText] = []
        // Generic signatures such as `(A, A)` explain nothing a reader can act on.
        let concrete = candidates.filter(\.typeParams.isEmpty)
        if !concrete.isEmpty, concrete.count == candidates.count, candidates.count <= 6 {
            let signatures = Suggestions.quoted(candidates.map { signature(function, $0) })
            notes.append(.en("`\(function)` is declared for \(signatures.en)", zh: "`\(function)` 的声明有 \(signatures.zh)"))
        }
        var help: DiagnosticText?
        let numeric = ([receiver].compactMap { $0 } + arguments).filter(\.isNumeric)
        if let literalConversion {
            let written = "\(literalConversion.function)(\"\(literalConversion.literal)\")"
            help = .en("write the number as \(written)", zh: "请把这个数写成 \(written)")
        } else if Set(numeric.map(\.description)).count > 1 {
            help = .en(
                "CEL never converts between `int`, `uint` and `double` implicitly; "
                    + "convert one operand with `int(...)`, `uint(...)` or `double(...)`",
                zh: "CEL 不会在 `int`、`uint` 和 `double` 之间自动转换；"
                    + "请用 `int(...)`、`uint(...)` 或 `double(...)` 转换其中一个操作数")
        } else if function == Operator.equals || function == Operator.notEquals {
            let op = Operator.display(function) ?? function
            help = .en("both operands of `\(op)` must have the same type", zh: "`\(op)` 两边的操作数类型必须相同")
        }
        return issue(
            Code.noMatchingOverload,
            .en(
                "no matching overload for `\(function)` applied to \(appliedTo)",
                zh: "`\(function)` 没有适用于 \(appliedTo) 的重载"),
            at: range, help: help, notes: notes)
    }

    static func wrongArgumentCount(
        _ function: String, expected: [Int], found: Int, isMember: Bool, at range: TextRange
    ) -> CELIssue {
        let counts = expected.sorted().map(String.init)
        let expectedText: DiagnosticText
        if counts.count == 1 {
            expectedText = .en("\(counts[0]) \(plural("argument", counts[0] == "1" ? 1 : 2))", zh: "\(counts[0]) 个参数")
        } else {
            let list = Suggestions.quoted(counts)
            expectedText = .en(
                "\(list.en.replacingBackticks()) arguments", zh: "\(list.zh.replacingBackticks()) 个参数")
        }
        let kind: DiagnosticText = isMember ? .en("method", zh: "方法") : .en("function", zh: "函数")
        return issue(
            Code.wrongArgumentCount,
            .en(
                "\(kind.en) `\(function)` expects \(expectedText.en), found \(found)",
                zh: "\(kind.zh) `\(function)` 需要 \(expectedText.zh)，实际有 \(found) 个"),
            at: range)
    }

    static func callAsMethod(_ function: String, at range: TextRange) -> CELIssue {
        issue(
            Code.callStyle,
            .en("`\(function)` is a method, not a global function", zh: "`\(function)` 是方法，不是全局函数"), at: range,
            help: .en(
                "call it on its first argument: `x.\(function)(...)`", zh: "请在它的第一个参数上调用：`x.\(function)(...)`"))
    }

    /// `unary` when every overload takes one argument, so the help shows `f(x)`.
    static func callAsFunction(_ function: String, unary: Bool, at range: TextRange) -> CELIssue {
        let example = unary ? "\(function)(x)" : "\(function)(x, ...)"
        return issue(
            Code.callStyle,
            .en("`\(function)` is a global function, not a method", zh: "`\(function)` 是全局函数，不是方法"), at: range,
            help: .en(
                "pass the receiver as the first argument: `\(example)`", zh: "请把接收者作为第一个参数传入：`\(example)`"))
    }

    static func logicalOperandNotBool(_ function: String, found: CELType, at range: TextRange) -> CELIssue {
        let op = Operator.display(function) ?? function
        return issue(
            Code.typeMismatch,
            .en(
                "operator `\(op)` expects `bool` operands, found `\(found)`",
                zh: "运算符 `\(op)` 的操作数应为 `bool`，实际是 `\(found)`"),
            at: range)
    }

    // MARK: - Types

    static func typeMismatch(expected: CELType, found: CELType, at range: TextRange) -> CELIssue {
        issue(
            Code.typeMismatch, .en("expected `\(expected)`, found `\(found)`", zh: "应为 `\(expected)`，实际是 `\(found)`"),
            at: range)
    }

    static func notIterable(_ type: CELType, macro: String, at range: TextRange) -> CELIssue {
        let what: DiagnosticText = macro.isEmpty ? .en("a comprehension", zh: "推导式") : .en("`\(macro)`", zh: "`\(macro)`")
        return issue(
            Code.notIterable,
            .en(
                "\(what.en) cannot iterate over a value of type `\(type)`",
                zh: "\(what.zh)不能遍历类型为 `\(type)` 的值"),
            at: range, help: .en("iterate over a list or a map", zh: "请遍历列表或映射"))
    }

    static func invalidMapKey(_ type: CELType, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidMapKey, .en("type `\(type)` cannot be a map key", zh: "类型 `\(type)` 不能作为映射的键"), at: range,
            help: .en(
                "map keys must be `int`, `uint`, `bool` or `string`",
                zh: "映射的键必须是 `int`、`uint`、`bool` 或 `string`"))
    }

    static func invalidEnumValue(_ value: String, of enumType: StringEnum, at range: TextRange) -> CELIssue {
        let shownEN = enumType.values.prefix(maxListedNames).map { "`\($0)`" }.joined(separator: ", ")
        let shownZH = enumType.values.prefix(maxListedNames).map { "`\($0)`" }.joined(separator: "、")
        let more = enumType.values.count > maxListedNames
        let suggestion = Suggestions.closest(to: value, in: enumType.values)
        return issue(
            Code.invalidEnumValue,
            .en(
                "`\(value)` is not a valid `\(enumType.name)`; expected one of \(shownEN)\(more ? ", …" : "")",
                zh: "`\(value)` 不是有效的 `\(enumType.name)`；应为 \(shownZH)\(more ? "、…" : "") 之一"),
            at: range, help: suggestion.map(Suggestions.didYouMean))
    }

    static func messageConstruction(_ typeName: String, at range: TextRange) -> CELIssue {
        issue(
            Code.messageConstruction,
            .en(
                "message construction is not supported (`\(typeName){...}`)",
                zh: "不支持构造消息（`\(typeName){...}`）"),
            at: range,
            help: .en("build a map literal instead: `{'field': value}`", zh: "请改用映射字面量：`{'field': value}`"))
    }

    /// `role` names the expression: "condition", "`buyer`".
    static func wrongResultType(
        role: DiagnosticText, expected: CELType, found: CELType, at range: TextRange
    ) -> CELIssue {
        var help: DiagnosticText?
        if expected == .bool {
            help = switch found {
            case .list, .map:
                .en(
                    "test the collection, e.g. `size(x) > 0` or `x.exists(e, ...)`",
                    zh: "请对集合做判断，例如 `size(x) > 0` 或 `x.exists(e, ...)`")
            case .string, .enumString: .en("compare the value, e.g. `x == \"...\"`", zh: "请比较这个值，例如 `x == \"...\"`")
            case .int, .uint, .double: .en("compare the value, e.g. `x > 0`", zh: "请比较这个值，例如 `x > 0`")
            default: nil
            }
        }
        return issue(
            Code.resultType,
            .en("\(role.en) must be a `\(expected)`, found `\(found)`", zh: "\(role.zh)的结果必须是 `\(expected)`，实际是 `\(found)`"),
            at: range, help: help)
    }

    static func costLimitExceeded(estimate: UInt64, limit: UInt64, at range: TextRange) -> CELIssue {
        issue(
            Code.costLimit,
            .en(
                "estimated evaluation cost of \(estimate) exceeds the limit of \(limit)",
                zh: "预估的求值开销 \(estimate) 超过了上限 \(limit)"),
            at: range,
            help: .en(
                "iterate over fewer elements, avoid nested macros, or raise the cost limit",
                zh: "请减少遍历的元素、避免嵌套宏，或调高开销上限"),
            notes: [.en(
                "the estimate assumes the largest sizes allowed for lists, maps and strings",
                zh: "该估算按列表、映射和字符串允许的最大长度计算")])
    }

    // MARK: - Helpers

    private static func plural(_ word: String, _ count: Int) -> String { count == 1 ? word : word + "s" }

    /// `f(int, string) -> bool`, or `int.f(string) -> bool` for a method.
    static func signature(_ function: String, _ overload: OverloadDecl) -> String {
        let params = overload.params.map(\.description)
        if overload.isMember, let receiver = params.first {
            return "\(receiver).\(function)(\(params.dropFirst().joined(separator: ", ")))"
        }
        return "(\(params.joined(separator: ", ")))"
    }
}

extension String {
    fileprivate func replacingBackticks() -> String { String(filter { $0 != "`" }) }
}
