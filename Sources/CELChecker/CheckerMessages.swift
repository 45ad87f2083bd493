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
        _ code: DiagnosticCode, _ message: String, at range: TextRange, help: String? = nil, notes: [String] = []
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
        if isEnumValue {
            return issue(Code.undeclaredReference, "undeclared reference to `\(name)`", at: range,
                         help: "put it in quotes: \"\(name)\"",
                         notes: ["`\(name)` is an enum value; in CEL a value is a string literal"])
        }
        var notes: [String] = []
        if suggestion == nil {
            if declared.isEmpty {
                notes.append("no variables are declared")
            } else if declared.count <= maxListedNames {
                notes.append("the declared variables are \(Suggestions.quotedList(declared, conjunction: "and"))")
            }
        }
        return issue(Code.undeclaredReference, "undeclared reference to `\(name)`", at: range,
                     help: suggestion.map(didYouMean), notes: notes)
    }

    static func unknownFunction(_ name: String, at range: TextRange, suggestion: String?) -> CELIssue {
        issue(Code.unknownFunction, "unknown function `\(name)`", at: range, help: suggestion.map(didYouMean))
    }

    static func unknownField(
        _ field: String, of object: ObjectType, at range: TextRange, suggestion: String?
    ) -> CELIssue {
        let names = object.fieldNames
        var notes: [String] = []
        if names.isEmpty {
            notes.append("`\(object.name)` has no fields")
        } else if names.count <= maxListedNames {
            notes.append("the fields of `\(object.name)` are \(Suggestions.quotedList(names, conjunction: "and"))")
        }
        return issue(Code.unknownField, "`\(object.name)` has no field `\(field)`", at: range,
                     help: suggestion.map(didYouMean), notes: notes)
    }

    static func noFieldSelection(_ field: String, on type: CELType, at range: TextRange) -> CELIssue {
        var help: String?
        if case .list = type { help = "to test every element, use a macro such as `list.all(x, x.\(field) ...)`" }
        return issue(Code.noFieldSelection, "type `\(type)` does not support field selection (`.\(field)`)",
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
        var notes: [String] = []
        // Generic signatures such as `(A, A)` explain nothing a reader can act on.
        let concrete = candidates.filter(\.typeParams.isEmpty)
        if !concrete.isEmpty, concrete.count == candidates.count, candidates.count <= 6 {
            let signatures = candidates.map { signature(function, $0) }
            notes.append("`\(function)` is declared for \(Suggestions.quotedList(signatures))")
        }
        var help: String?
        let numeric = ([receiver].compactMap { $0 } + arguments).filter(\.isNumeric)
        if let literalConversion {
            help = "write the number as \(literalConversion.function)(\"\(literalConversion.literal)\")"
        } else if Set(numeric.map(\.description)).count > 1 {
            help = "CEL never converts between `int`, `uint` and `double` implicitly; "
                + "convert one operand with `int(...)`, `uint(...)` or `double(...)`"
        } else if function == Operator.equals || function == Operator.notEquals {
            help = "both operands of `\(Operator.display(function) ?? function)` must have the same type"
        }
        return issue(Code.noMatchingOverload, "no matching overload for `\(function)` applied to \(appliedTo)",
                     at: range, help: help, notes: notes)
    }

    static func wrongArgumentCount(
        _ function: String, expected: [Int], found: Int, isMember: Bool, at range: TextRange
    ) -> CELIssue {
        let counts = expected.sorted().map(String.init)
        let expectedText = counts.count == 1
            ? "\(counts[0]) \(plural("argument", counts[0] == "1" ? 1 : 2))"
            : "\(Suggestions.quotedList(counts).replacingBackticks()) arguments"
        let kind = isMember ? "method" : "function"
        return issue(Code.wrongArgumentCount,
                     "\(kind) `\(function)` expects \(expectedText), found \(found)", at: range)
    }

    static func callAsMethod(_ function: String, at range: TextRange) -> CELIssue {
        issue(Code.callStyle, "`\(function)` is a method, not a global function", at: range,
              help: "call it on its first argument: `x.\(function)(...)`")
    }

    /// `unary` when every overload takes one argument, so the help shows `f(x)`.
    static func callAsFunction(_ function: String, unary: Bool, at range: TextRange) -> CELIssue {
        let example = unary ? "\(function)(x)" : "\(function)(x, ...)"
        return issue(Code.callStyle, "`\(function)` is a global function, not a method", at: range,
                     help: "pass the receiver as the first argument: `\(example)`")
    }

    static func logicalOperandNotBool(_ function: String, found: CELType, at range: TextRange) -> CELIssue {
        let op = Operator.display(function) ?? function
        return issue(Code.typeMismatch, "operator `\(op)` expects `bool` operands, found `\(found)`", at: range)
    }

    // MARK: - Types

    static func typeMismatch(expected: CELType, found: CELType, at range: TextRange) -> CELIssue {
        issue(Code.typeMismatch, "expected `\(expected)`, found `\(found)`", at: range)
    }

    static func notIterable(_ type: CELType, macro: String, at range: TextRange) -> CELIssue {
        let what = macro.isEmpty ? "a comprehension" : "`\(macro)`"
        return issue(Code.notIterable, "\(what) cannot iterate over a value of type `\(type)`", at: range,
                     help: "iterate over a list or a map")
    }

    static func invalidMapKey(_ type: CELType, at range: TextRange) -> CELIssue {
        issue(Code.invalidMapKey, "type `\(type)` cannot be a map key", at: range,
              help: "map keys must be `int`, `uint`, `bool` or `string`")
    }

    static func invalidEnumValue(_ value: String, of enumType: StringEnum, at range: TextRange) -> CELIssue {
        let shown = enumType.values.prefix(maxListedNames).map { "`\($0)`" }.joined(separator: ", ")
        let more = enumType.values.count > maxListedNames ? ", …" : ""
        let suggestion = Suggestions.closest(to: value, in: enumType.values)
        return issue(Code.invalidEnumValue,
                     "`\(value)` is not a valid `\(enumType.name)`; expected one of \(shown)\(more)",
                     at: range, help: suggestion.map(didYouMean))
    }

    static func messageConstruction(_ typeName: String, at range: TextRange) -> CELIssue {
        issue(Code.messageConstruction, "message construction is not supported (`\(typeName){...}`)", at: range,
              help: "build a map literal instead: `{'field': value}`")
    }

    static func wrongResultType(role: String, expected: CELType, found: CELType, at range: TextRange) -> CELIssue {
        var help: String?
        if expected == .bool {
            help = switch found {
            case .list, .map: "test the collection, e.g. `size(x) > 0` or `x.exists(e, ...)`"
            case .string, .enumString: "compare the value, e.g. `x == \"...\"`"
            case .int, .uint, .double: "compare the value, e.g. `x > 0`"
            default: nil
            }
        }
        return issue(Code.resultType, "\(role) must be a `\(expected)`, found `\(found)`", at: range, help: help)
    }

    static func costLimitExceeded(estimate: UInt64, limit: UInt64, at range: TextRange) -> CELIssue {
        issue(Code.costLimit, "estimated evaluation cost of \(estimate) exceeds the limit of \(limit)", at: range,
              help: "iterate over fewer elements, avoid nested macros, or raise the cost limit",
              notes: ["the estimate assumes the largest sizes allowed for lists, maps and strings"])
    }

    // MARK: - Helpers

    private static func didYouMean(_ name: String) -> String { "did you mean `\(name)`?" }

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
