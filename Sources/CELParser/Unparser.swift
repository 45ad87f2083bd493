import CELCommon

/// Turns an AST back into canonical CEL source: minimal parentheses by precedence,
/// macros written as macro calls, literals escaped so they read back to the same value.
///
/// For any expression the parser accepts, parsing the unparsed text yields the same
/// tree up to node ids. Trees the parser cannot produce (a comprehension that matches no
/// macro, internal functions such as `@not_strictly_false`) print in a readable but not
/// necessarily parseable form.
package enum Unparser {
    /// The CEL source text of `expr`.
    package static func unparse(_ expr: Expr) -> String {
        var printer = Printer()
        printer.write(expr)
        return printer.output
    }
}

/// Binding strength, loosest first; a child binding looser than its slot needs parentheses.
private enum Precedence: Int, Comparable {
    case conditional, logicalOr, logicalAnd, relation, additive, multiplicative, unary, member

    static func < (lhs: Precedence, rhs: Precedence) -> Bool { lhs.rawValue < rhs.rawValue }

    init(binary function: String) {
        switch function {
        case Operator.logicalOr: self = .logicalOr
        case Operator.logicalAnd: self = .logicalAnd
        case Operator.add, Operator.subtract: self = .additive
        case Operator.multiply, Operator.divide, Operator.modulo: self = .multiplicative
        default: self = .relation
        }
    }
}

private let binaryFunctions: Set<String> = [
    Operator.logicalOr, Operator.logicalAnd, Operator.equals, Operator.notEquals, Operator.less,
    Operator.lessEquals, Operator.greater, Operator.greaterEquals, Operator.in, Operator.add, Operator.subtract,
    Operator.multiply, Operator.divide, Operator.modulo,
]

private struct Printer {
    var output = ""

    // MARK: Classification

    private func precedence(of expr: Expr) -> Precedence {
        guard case .call(nil, let function, let args) = expr.kind else { return .member }
        switch (function, args.count) {
        case (Operator.conditional, 3): return .conditional
        case (Operator.logicalNot, 1), (Operator.negate, 1): return .unary
        case (_, 2) where binaryFunctions.contains(function): return Precedence(binary: function)
        default: return .member
        }
    }

    // MARK: Writing

    mutating func write(_ expr: Expr) {
        switch expr.kind {
        case .constant(let value):
            writeConstant(value)
        case .ident(let name):
            output += name
        case .select(let operand, let field, let testOnly):
            if testOnly { output += "has(" }
            writeOperand(operand, minimum: .member)
            output += "." + Self.fieldName(field)
            if testOnly { output += ")" }
        case .call(let target, let function, let args):
            writeCall(target: target, function: function, args: args, whole: expr)
        case .list(let elements):
            output += "["
            writeList(elements)
            output += "]"
        case .map(let entries):
            output += "{"
            for (offset, entry) in entries.enumerated() {
                if offset > 0 { output += ", " }
                write(entry.key)
                output += ": "
                write(entry.value)
            }
            output += "}"
        case .structure(let typeName, let fields):
            output += typeName + "{"
            for (offset, field) in fields.enumerated() {
                if offset > 0 { output += ", " }
                output += Self.fieldName(field.field) + ": "
                write(field.value)
            }
            output += "}"
        case .comprehension(let comprehension):
            writeComprehension(comprehension)
        }
    }

    private mutating func writeList(_ elements: [Expr]) {
        for (offset, element) in elements.enumerated() {
            if offset > 0 { output += ", " }
            write(element)
        }
    }

    /// Writes `expr`, parenthesized if it binds looser than `minimum`.
    private mutating func writeOperand(_ expr: Expr, minimum: Precedence) {
        if precedence(of: expr) < minimum {
            output += "("
            write(expr)
            output += ")"
        } else {
            write(expr)
        }
    }

    private mutating func writeCall(target: Expr?, function: String, args: [Expr], whole: Expr) {
        if let target {
            writeOperand(target, minimum: .member)
            output += "." + function + "("
            writeList(args)
            output += ")"
            return
        }
        switch (function, args.count) {
        case (Operator.conditional, 3):
            // `Expr = ConditionalOr ["?" ConditionalOr ":" Expr]`: only the last part may be
            // another conditional without parentheses.
            writeOperand(args[0], minimum: .logicalOr)
            output += " ? "
            writeOperand(args[1], minimum: .logicalOr)
            output += " : "
            write(args[2])
        case (Operator.logicalNot, 1), (Operator.negate, 1):
            writeUnary(function: function, operand: args[0])
        case (Operator.index, 2):
            writeOperand(args[0], minimum: .member)
            output += "["
            write(args[1])
            output += "]"
        case (Operator.logicalOr, 2), (Operator.logicalAnd, 2):
            writeLogical(whole, function: function)
        case (_, 2) where binaryFunctions.contains(function):
            // Left-associative: a left operand of the same precedence needs no parentheses,
            // a right one does.
            let level = Precedence(binary: function)
            writeOperand(args[0], minimum: level)
            output += " " + (Operator.display(function) ?? function) + " "
            if precedence(of: args[1]) <= level {
                output += "("
                write(args[1])
                output += ")"
            } else {
                write(args[1])
            }
        default:
            output += function + "("
            writeList(args)
            output += ")"
        }
    }

    private mutating func writeUnary(function: String, operand: Expr) {
        output += function == Operator.logicalNot ? "!" : "-"
        var needsParentheses = precedence(of: operand) < .unary
        if case .call(nil, let inner, let innerArgs) = operand.kind, innerArgs.count == 1,
            inner == Operator.logicalNot || inner == Operator.negate, inner != function
        {
            // The grammar allows runs of one unary operator only: `-(!x)`.
            needsParentheses = true
        }
        if function == Operator.negate, !needsParentheses, startsWithDigit(operand) {
            // `-1` would read back as the constant -1, and `-1.f()` as `(-1).f()`.
            needsParentheses = true
        }
        if needsParentheses { output += "(" }
        write(operand)
        if needsParentheses { output += ")" }
    }

    /// Whether the text of `expr` begins with a digit, found by following the leftmost
    /// operand of member expressions (without printing, which would be quadratic).
    private func startsWithDigit(_ expr: Expr) -> Bool {
        var leftmost = expr
        while true {
            guard precedence(of: leftmost) == .member else { return false }
            switch leftmost.kind {
            case .constant(.int(let value)): return value >= 0
            case .constant(.uint): return true
            case .constant(.double(let value)): return value.isFinite && value.sign == .plus
            case .select(let operand, _, false): leftmost = operand
            case .call(let target?, _, _): leftmost = target
            case .call(nil, Operator.index, let args) where args.count == 2: leftmost = args[0]
            case .comprehension(let c) where macroArguments(c) != nil: leftmost = c.iterRange
            default: return false
            }
        }
    }

    /// `&&` and `||` chains are parsed into balanced trees, so a chain prints flat only
    /// when its shape is exactly the balanced tree of its terms; otherwise the operands
    /// that are themselves chains get parentheses.
    private mutating func writeLogical(_ expr: Expr, function: String) {
        var terms: [Expr] = []
        if isBalancedChain(expr, function: function, terms: &terms) {
            for (offset, term) in terms.enumerated() {
                if offset > 0 { output += " " + Operator.display(function)! + " " }
                writeOperand(term, minimum: nextTighter(Precedence(binary: function)))
            }
            return
        }
        guard case .call(_, _, let args) = expr.kind else { return }
        let level = nextTighter(Precedence(binary: function))
        writeOperand(args[0], minimum: level)
        output += " " + Operator.display(function)! + " "
        writeOperand(args[1], minimum: level)
    }

    private func nextTighter(_ level: Precedence) -> Precedence { Precedence(rawValue: level.rawValue + 1)! }

    /// Whether the maximal `function` subtree under `expr` has the shape the parser gives
    /// to a chain of its leaves; collects the leaves.
    private func isBalancedChain(_ expr: Expr, function: String, terms: inout [Expr]) -> Bool {
        func isChainNode(_ e: Expr) -> Bool {
            if case .call(nil, function, let args) = e.kind, args.count == 2 { return true }
            return false
        }
        func collect(_ e: Expr) {
            if case .call(nil, function, let args) = e.kind, args.count == 2 {
                collect(args[0])
                collect(args[1])
            } else {
                terms.append(e)
            }
        }
        collect(expr)
        // Check the shape: the parser splits n terms at (n + 1) / 2, recursively.
        func matches(_ e: Expr, count: Int) -> Bool {
            if count == 1 { return !isChainNode(e) }
            guard case .call(nil, function, let args) = e.kind, args.count == 2 else { return false }
            // The parser's split point for terms 0..<count is count / 2.
            return matches(args[0], count: count / 2) && matches(args[1], count: count - count / 2)
        }
        return matches(expr, count: terms.count)
    }

    // MARK: Macros

    private mutating func writeComprehension(_ c: Comprehension) {
        guard let args = macroArguments(c) else {
            output += "__comprehension__(\(c.iterVar), "
            writeList([c.iterRange])
            output += ", \(c.accuVar), "
            writeList([c.accuInit, c.loopCondition, c.loopStep, c.result])
            output += ")"
            return
        }
        writeOperand(c.iterRange, minimum: .member)
        output += "." + c.macro + "(" + c.iterVar
        for arg in args {
            output += ", "
            write(arg)
        }
        output += ")"
    }

    /// The macro arguments after the variable, recovered from the loop step, or nil if
    /// the comprehension does not have the shape its `macro` name promises.
    private func macroArguments(_ c: Comprehension) -> [Expr]? {
        func call(_ e: Expr, _ function: String, arity: Int) -> [Expr]? {
            guard case .call(nil, function, let args) = e.kind, args.count == arity else { return nil }
            return args
        }
        func isAccumulator(_ e: Expr) -> Bool {
            if case .ident(c.accuVar) = e.kind { return true }
            return false
        }
        /// `accu + [element]`
        func appended(_ e: Expr) -> Expr? {
            guard let args = call(e, Operator.add, arity: 2), isAccumulator(args[0]),
                case .list(let elements) = args[1].kind, elements.count == 1
            else { return nil }
            return elements[0]
        }
        switch c.macro {
        case "all":
            guard let args = call(c.loopStep, Operator.logicalAnd, arity: 2), isAccumulator(args[0]) else { return nil }
            return [args[1]]
        case "exists":
            guard let args = call(c.loopStep, Operator.logicalOr, arity: 2), isAccumulator(args[0]) else { return nil }
            return [args[1]]
        case "exists_one":
            guard let args = call(c.loopStep, Operator.conditional, arity: 3) else { return nil }
            return [args[0]]
        case "map":
            if let element = appended(c.loopStep) { return [element] }
            guard let args = call(c.loopStep, Operator.conditional, arity: 3), let element = appended(args[1])
            else { return nil }
            return [args[0], element]
        case "filter":
            guard let args = call(c.loopStep, Operator.conditional, arity: 3), appended(args[1]) != nil else {
                return nil
            }
            return [args[0]]
        default:
            return nil
        }
    }

    /// A field name as written after `.`: plain if it is an identifier, otherwise in
    /// backticks (`` a.`content-type` ``).
    static func fieldName(_ name: String) -> String {
        let bytes = Array(name.utf8)
        func isLetter(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == UInt8(ascii: "_")
        }
        let isIdentifier =
            !bytes.isEmpty && isLetter(bytes[0]) && bytes.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
        let isKeyword = ["true", "false", "null", "in"].contains(name)
        return isIdentifier && !isKeyword ? name : "`" + name + "`"
    }

    // MARK: Literals

    private mutating func writeConstant(_ value: Constant) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .int(let number): output += String(number)
        case .uint(let number): output += String(number) + "u"
        case .double(let number): output += Self.doubleText(number)
        case .string(let text): output += Self.quoted(text)
        case .bytes(let bytes): output += Self.quoted(bytes)
        }
    }

    /// Always with a `.` or an exponent so it reads back as a double; CEL has no literal
    /// for infinities and NaN, so those print as conversions.
    static func doubleText(_ number: Double) -> String {
        if number.isNaN { return "double(\"NaN\")" }
        if number.isInfinite { return number < 0 ? "-double(\"Infinity\")" : "double(\"Infinity\")" }
        let text = number.description  // shortest round-tripping form, e.g. `1.5`, `1e+20`
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if (0x80...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format
                    || scalar.properties.generalCategory == .lineSeparator
                    || scalar.properties.generalCategory == .paragraphSeparator
                {
                    // Invisible characters would make the text misleading.
                    out += scalar.value > 0xFFFF
                        ? "\\U" + hex(scalar.value, width: 8) : "\\u" + hex(scalar.value, width: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func quoted(_ bytes: [UInt8]) -> String {
        var out = "b\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\x" + hex(UInt32(byte), width: 2)
            }
        }
        return out + "\""
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
