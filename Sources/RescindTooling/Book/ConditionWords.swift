import CEL
import CELCommon
import CELRuntime
import RescindCELLibrary
import RescindEngine

/// A condition or an amount as the book shows it: in words when every part of it is
/// understood, else the CEL as written.
package enum BookPhrase: Sendable, Equatable {
    case words([BookInline])
    case code(String)

    /// The phrase as inline content.
    package var inlines: [BookInline] {
        switch self {
        case .words(let words): words
        case .code(let code): [.code(code)]
        }
    }

    var isWords: Bool { if case .words = self { true } else { false } }
}

/// Reads CEL conditions and amounts into words, from the checker's typed AST — never
/// from the text. Understood: enum tests (`==`, `!=`, `in`, and `!` of them), bool
/// fields, comparisons of a field with a constant (ints, decimals, timestamps), the
/// time between two timestamps against a duration, `&&` / `||` / `!` of those, and
/// amounts built from fields, constants and the fee with `*`, `+`, `-`, `min`, `max` and
/// `round`. Anything else, or any part of it, leaves the whole expression as code: a
/// paraphrase is given only where it says exactly what the CEL does.
package struct ConditionReader: Sendable {
    let environment: CELEnvironment
    let words: BookWords

    /// A reader for the expressions of `policySet`: the request's fields as variables,
    /// `fee` (refund amounts) and Rescind's functions, as the policy compiler declares them.
    package init(policySet: PolicySet, locale: String) {
        var variables: [String: CELType] = [PolicySet.requestVariable: .object(policySet.schema.root)]
        for field in policySet.schema.root.fields { variables[field.name] = field.type }
        variables[PolicySet.feeVariable] = .decimal
        environment = CELEnvironment(variables: variables, libraries: [.rescind(calendars: policySet.calendars)])
        words = BookWords(locale: locale)
    }

    /// A condition in words, or as code. `item` binds `item` (a threshold's `where`).
    package func condition(_ source: String, item: CELType? = nil, negated: Bool = false) -> BookPhrase {
        guard let checked = check(source, item: item), let phrase = Reading(checked: checked, words: words).condition(
            checked.expr, negated: negated)
        else { return .code(negated ? "!(\(source))" : source) }
        return .words(phrase.inlines)
    }

    /// An amount (a decimal expression) in words, or as code.
    package func amount(_ source: String) -> BookPhrase {
        guard let checked = check(source, item: nil),
            let phrase = Reading(checked: checked, words: words).amount(checked.expr)
        else { return .code(source) }
        return .words(phrase.inlines)
    }

    /// A field path (`order.currency`, `actor.id`) in words, or a choice between two
    /// (`cond ? a : b`: "a when cond, otherwise b"); else code.
    package func value(_ source: String, item: CELType? = nil) -> BookPhrase {
        guard let checked = check(source, item: item) else { return .code(source) }
        if let path = Reading.path(checked.expr) { return .words(words.subject(path)) }
        guard case .call(nil, Operator.conditional, let args) = checked.expr.kind, args.count == 3,
            let test = Reading(checked: checked, words: words).condition(args[0], negated: false),
            let yes = Reading.path(args[1]), let no = Reading.path(args[2])
        else { return .code(source) }
        return .words(words.choice(words.subject(yes), when: test.inlines, otherwise: words.subject(no)))
    }

    /// The element type of a list expression (a threshold's `count`), to read its
    /// `where` and `timestamp` with `item` bound.
    package func elementType(of source: String) -> CELType? {
        guard case .list(let element)? = check(source, item: nil)?.resultType else { return nil }
        return element
    }

    private func check(_ source: String, item: CELType?) -> CheckedExpr? {
        var environment = self.environment
        if let item { environment.variables["item"] = item }
        return environment.compile(source).program?.checked
    }
}

/// One expression's reading.
private struct Reading {
    let checked: CheckedExpr
    let words: BookWords

    /// A phrase and how it is built, so a mix of "and" and "or" is never run together.
    struct Phrase {
        enum Shape { case simple, and, or }
        var inlines: [BookInline]
        var shape: Shape
    }

    /// A written field path, `request.` dropped (`order.status`); nil for anything else.
    static func path(_ expr: Expr) -> String? {
        var names: [String] = []
        var current = expr
        while true {
            switch current.kind {
            case .ident(let name):
                if name == PolicySet.requestVariable && !names.isEmpty { return names.reversed().joined(separator: ".") }
                return ([name] + names.reversed()).joined(separator: ".")
            case .select(let operand, let field, false):
                names.append(field)
                current = operand
            default:
                return nil
            }
        }
    }

    func type(_ expr: Expr) -> CELType? { checked.types[expr.id] }

    // MARK: Conditions

    func condition(_ expr: Expr, negated: Bool) -> Phrase? {
        if let path = Self.path(expr), type(expr) == .bool {
            return Phrase(inlines: words.flag(path, value: !negated), shape: .simple)
        }
        guard case .call(nil, let function, let args) = expr.kind else { return nil }
        switch function {
        case Operator.logicalNot where args.count == 1:
            return condition(args[0], negated: !negated)
        case Operator.logicalAnd, Operator.logicalOr:
            // `!(a && b)` reads as "not a or not b", and the other way round.
            let isAnd = (function == Operator.logicalAnd) != negated
            var parts: [[BookInline]] = []
            for operand in Self.operands(of: function, expr) {
                guard let part = condition(operand, negated: negated) else { return nil }
                // "a and b or c" could be read two ways: such mixes stay code.
                if part.shape != .simple && (part.shape == .and) != isAnd { return nil }
                parts.append(part.inlines)
            }
            return Phrase(inlines: isAnd ? words.all(parts) : words.any(parts), shape: isAnd ? .and : .or)
        case Operator.equals, Operator.notEquals, Operator.in:
            guard args.count == 2 else { return nil }
            let negate = negated != (function == Operator.notEquals)
            if let phrase = enumTest(args[0], args[1], isIn: function == Operator.in, negated: negate) {
                return Phrase(inlines: phrase, shape: .simple)
            }
            guard function != Operator.in else { return nil }
            if let path = Self.path(args[0]), type(args[0]) == .bool, case .constant(.bool(let value)) = args[1].kind {
                return Phrase(inlines: words.flag(path, value: value != negate), shape: .simple)
            }
            return comparison(function == Operator.equals ? .equals : .notEquals, args[0], args[1], negated: negated)
                .map { Phrase(inlines: $0, shape: .simple) }
        case Operator.less, Operator.lessEquals, Operator.greater, Operator.greaterEquals:
            guard args.count == 2 else { return nil }
            let relation: BookWords.Relation = switch function {
            case Operator.less: .less
            case Operator.lessEquals: .atMost
            case Operator.greater: .greater
            default: .atLeast
            }
            return comparison(relation, args[0], args[1], negated: negated).map { Phrase(inlines: $0, shape: .simple) }
        default:
            return nil
        }
    }

    /// The operands of a chain of one logical operator, flattened.
    static func operands(of function: String, _ expr: Expr) -> [Expr] {
        guard case .call(nil, let name, let args) = expr.kind, name == function else { return [expr] }
        return args.flatMap { operands(of: function, $0) }
    }

    /// `field == "v"`, `field in ["v", …]` on an enum field.
    func enumTest(_ lhs: Expr, _ rhs: Expr, isIn: Bool, negated: Bool) -> [BookInline]? {
        guard let path = Self.path(lhs), case .enumString(let enumeration)? = type(lhs) else { return nil }
        var listed: [String] = []
        let constants: [Expr]
        if isIn {
            guard case .list(let elements) = rhs.kind else { return nil }
            constants = elements
        } else {
            constants = [rhs]
        }
        for element in constants {
            guard case .constant(.string(let value)) = element.kind else { return nil }
            if !listed.contains(value) { listed.append(value) }
        }
        guard !listed.isEmpty else { return nil }
        return words.enumTest(path, enumeration: enumeration.name, values: listed, negated: negated)
    }

    /// A field compared with a constant, or the time between two timestamps compared
    /// with a duration; the constant may be on either side.
    func comparison(_ relation: BookWords.Relation, _ lhs: Expr, _ rhs: Expr, negated: Bool) -> [BookInline]? {
        var relation = negated ? relation.negated : relation
        var (subject, constant) = (lhs, rhs)
        if self.constant(lhs) != nil {
            (subject, constant) = (rhs, lhs)
            relation = relation.swapped
        }
        guard let value = self.constant(constant) else { return nil }
        if let path = Self.path(subject) {
            let subjectType = type(subject)
            switch value {
            case .number(let text) where subjectType == .int || subjectType == .uint || subjectType == .decimal:
                return words.compare(path, relation, text)
            case .decimal(let text) where subjectType == .decimal:
                return words.compare(path, relation, text)
            case .timestamp(let text) where subjectType == .timestamp:
                return words.compareTime(path, relation, text)
            default:
                return nil
            }
        }
        // `a - b <op> duration("…")`: how long after b a comes.
        guard case .duration(let duration) = value, relation != .equals, relation != .notEquals,
            case .call(nil, Operator.subtract, let operands) = subject.kind, operands.count == 2,
            let later = Self.path(operands[0]), let earlier = Self.path(operands[1]),
            type(operands[0]) == .timestamp, type(operands[1]) == .timestamp,
            let length = words.duration(duration)
        else { return nil }
        return words.elapsed(later, relation, length, after: earlier)
    }

    enum Constant {
        case number(String)
        case decimal(String)
        case timestamp(String)
        case duration(CELDuration)
    }

    /// A literal, or a conversion of a literal the checker resolved (`decimal("0.05")`).
    func constant(_ expr: Expr) -> Constant? {
        switch expr.kind {
        case .constant(.int(let value)): return .number(String(value))
        case .constant(.uint(let value)): return .number(String(value))
        case .call(nil, let function, let args) where args.count == 1:
            guard case .constant(.string(let text)) = args[0].kind,
                case .function(let overloads)? = checked.references[expr.id], overloads.count == 1
            else { return nil }
            switch (function, overloads[0]) {
            case ("decimal", "string_to_decimal"):
                return CELDecimal(parsing: text) != nil ? .decimal(text) : nil
            case ("timestamp", "string_to_timestamp"): return .timestamp(text)
            case ("duration", "string_to_duration"): return CELDuration(parsing: text).map(Constant.duration)
            default: return nil
            }
        default:
            return nil
        }
    }

    // MARK: Amounts

    /// An amount; `atom` marks a field, a constant or the fee, which arithmetic may
    /// join without brackets.
    struct Amount {
        var inlines: [BookInline]
        var atom: Bool
    }

    func amount(_ expr: Expr) -> Amount? {
        if case .ident(PolicySet.feeVariable) = expr.kind, checked.references[expr.id] == .variable(PolicySet.feeVariable) {
            return Amount(inlines: [.text(words.fee)], atom: true)
        }
        if let path = Self.path(expr), type(expr) == .decimal || type(expr) == .int {
            return Amount(inlines: words.subject(path), atom: true)
        }
        if let constant = constant(expr) {
            switch constant {
            case .number(let text), .decimal(let text): return Amount(inlines: [.text(text)], atom: true)
            default: return nil
            }
        }
        guard case .call(let target, let function, let args) = expr.kind,
            case .function(let overloads)? = checked.references[expr.id], overloads.count == 1
        else { return nil }
        let overload = overloads[0]
        let operands = (target.map { [$0] } ?? []) + args
        switch (function, operands.count) {
        case ("round", 2) where overload == "decimal_round_int64":
            guard case .constant(.int(let places)) = operands[1].kind, let inner = amount(operands[0]) else { return nil }
            return Amount(inlines: words.rounded(inner.inlines, places: places), atom: false)
        case ("min", 2) where overload == "min_decimal", ("max", 2) where overload == "max_decimal":
            guard let value = amount(operands[0]), let bound = amount(operands[1]), bound.atom else { return nil }
            return Amount(inlines: words.capped(value.inlines, bound.inlines, atMost: function == "min"), atom: false)
        case (Operator.multiply, 2), (Operator.add, 2), (Operator.subtract, 2):
            guard overload.hasPrefix("multiply_") || overload.hasPrefix("add_") || overload.hasPrefix("subtract_"),
                overload.contains("decimal"),
                let a = amount(operands[0]), let b = amount(operands[1]), a.atom, b.atom
            else { return nil }
            if function == Operator.multiply {
                // A rate below one reads as a percentage of the other operand.
                for (rate, other) in [(operands[1], a), (operands[0], b)] {
                    if case .decimal(let text)? = constant(rate), let percent = Self.percent(text) {
                        return Amount(inlines: words.percent(percent, of: other.inlines), atom: false)
                    }
                }
            }
            return Amount(inlines: words.arithmetic(function, a.inlines, b.inlines), atom: false)
        default:
            return nil
        }
    }

    /// `"0.05"` → `"5"`: a rate strictly between 0 and 1 as an exact percentage.
    static func percent(_ text: String) -> String? {
        guard text.hasPrefix("0."), text.count > 2 else { return nil }
        let digits = Array(text.dropFirst(2))
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.contains(where: { $0 != "0" }) else { return nil }
        let padded = digits + Array(repeating: Character("0"), count: max(0, 2 - digits.count))
        var whole = String(padded.prefix(2))
        while whole.count > 1 && whole.hasPrefix("0") { whole.removeFirst() }
        var fraction = String(padded.dropFirst(2))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? whole : whole + "." + fraction
    }
}
