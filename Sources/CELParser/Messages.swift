import CELCommon
import RescindDiagnostics

extension CELParser {
    /// The stable codes of every problem the parser reports. Tools and tests match on
    /// these, never on message text.
    package enum Code {
        /// The tokens do not form an expression: an unexpected token, a missing `)`, an
        /// unexpected character.
        package static let syntax: DiagnosticCode = "cel-syntax"
        /// A literal is malformed or out of range: a bad escape, an unterminated string,
        /// an integer that does not fit in 64 bits.
        package static let invalidLiteral: DiagnosticCode = "cel-invalid-literal"
        /// A reserved word (`if`, `let`, `package`, …) is used as an identifier or
        /// function name.
        package static let reservedIdentifier: DiagnosticCode = "cel-reserved-identifier"
        /// A macro (`has`, `all`, `exists`, `exists_one`, `map`, `filter`) is called with
        /// arguments it cannot expand.
        package static let invalidMacro: DiagnosticCode = "cel-invalid-macro"
        /// The expression nests deeper than `Options.maxDepth`.
        package static let depthLimit: DiagnosticCode = "cel-depth-limit"
        /// The expression is longer than `Options.maxLength` bytes.
        package static let tooLong: DiagnosticCode = "cel-too-long"
    }
}

/// Every message the parser produces, kept together so wording stays consistent:
/// lowercase, user input in backticks, a `help:` line where a fix is known.
enum ParserMessages {
    typealias Code = CELParser.Code

    private static func issue(
        _ code: DiagnosticCode, _ message: String, _ range: TextRange, help: String? = nil
    ) -> CELIssue {
        CELIssue(.parse, code, message, at: range, help: help)
    }

    // MARK: Limits

    static func tooLong(length: Int, limit: Int) -> CELIssue {
        issue(
            Code.tooLong, "expression is \(length) bytes long, more than the limit of \(limit) bytes",
            TextRange(limit, length), help: "split the condition into several smaller ones")
    }

    static func tooDeep(limit: Int, at range: TextRange) -> CELIssue {
        issue(
            Code.depthLimit, "expression is nested too deeply (more than \(limit) levels)", range,
            help: "split the expression into smaller parts or flatten the nesting")
    }

    // MARK: Lexical problems

    static func unexpectedCharacter(_ text: String, at range: TextRange) -> CELIssue {
        let help: String? =
            switch text {
            case "&": "use `&&` for logical and"
            case "|": "use `||` for logical or"
            case "=": "use `==` to compare values"
            case "\u{201C}", "\u{201D}", "\u{2018}", "\u{2019}": "use straight quotes (`\"` or `'`) around strings"
            default: nil
            }
        return issue(Code.syntax, "unexpected character `\(text)`", range, help: help)
    }

    static func unterminatedString(at range: TextRange, hitNewline: Bool) -> CELIssue {
        issue(
            Code.invalidLiteral, "unterminated string literal", range,
            help: hitNewline
                ? "close the string before the end of the line, or use a triple-quoted string ('''…''') for text that spans lines"
                : "add the closing quote")
    }

    static func invalidEscape(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral, "invalid escape sequence `\(text)`", range,
            help: "valid escapes are \\a \\b \\f \\n \\r \\t \\v \\\\ \\? \\\" \\' \\` \\xHH \\uHHHH \\UHHHHHHHH and \\ooo; a raw string (r\"…\") keeps backslashes as they are")
    }

    static func incompleteEscape(_ text: String, digits: Int, hex: Bool, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral,
            "escape sequence `\(text)` needs exactly \(digits) \(hex ? "hexadecimal" : "octal") digits", range)
    }

    static func surrogateEscape(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral, "escape sequence `\(text)` is a UTF-16 surrogate, not a valid code point", range,
            help: "write the code point itself, e.g. `\\U0001F600` instead of a surrogate pair")
    }

    static func codePointOutOfRange(_ text: String, at range: TextRange) -> CELIssue {
        issue(Code.invalidLiteral, "escape sequence `\(text)` is not a valid Unicode code point", range,
              help: "code points go up to `\\U0010FFFF`")
    }

    static func unicodeEscapeInBytes(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral, "escape sequence `\(text)` is not allowed in a bytes literal", range,
            help: "write the bytes with `\\xHH` or octal `\\ooo` escapes")
    }

    static func invalidNumber(_ text: String, at range: TextRange) -> CELIssue {
        issue(Code.invalidLiteral, "invalid numeric literal `\(text)`", range)
    }

    static func intOutOfRange(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral, "integer literal `\(text)` is out of range", range,
            help: "int literals must lie between -9223372036854775808 and 9223372036854775807")
    }

    static func uintOutOfRange(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral, "unsigned integer literal `\(text)` is out of range", range,
            help: "uint literals must lie between 0u and 18446744073709551615u")
    }

    static func doubleOutOfRange(_ text: String, at range: TextRange) -> CELIssue {
        issue(Code.invalidLiteral, "double literal `\(text)` is out of range", range)
    }

    static func emptyQuotedIdentifier(at range: TextRange) -> CELIssue {
        issue(Code.syntax, "quoted field name is empty", range)
    }

    static func invalidQuotedIdentifierCharacter(_ character: String, at range: TextRange) -> CELIssue {
        issue(
            Code.syntax, "character `\(character)` is not allowed in a quoted field name", range,
            help: "quoted field names may contain letters, digits, `_`, `.`, `/`, `-` and spaces; use an index such as `m['key']` for other keys")
    }

    static func unterminatedQuotedIdentifier(at range: TextRange) -> CELIssue {
        issue(Code.syntax, "unterminated quoted field name", range, help: "add the closing backtick")
    }

    // MARK: Syntax

    static func quotedNameOutsideSelection(at range: TextRange) -> CELIssue {
        issue(
            Code.syntax, "a quoted name can only be a field name after `.` or in a message literal", range,
            help: "to look up a variable, write its name without backticks")
    }

    static func quotedMethodName(at range: TextRange) -> CELIssue {
        issue(
            Code.syntax, "a quoted name cannot be called as a method", range,
            help: "backticks quote field names only; method names must be plain identifiers")
    }

    /// "unexpected token `x`" or "unexpected end of input", followed by what was expected.
    static func unexpected(_ found: String?, expected: String, at range: TextRange, help: String? = nil) -> CELIssue {
        let head = found.map { "unexpected token `\($0)`" } ?? "unexpected end of input"
        return issue(Code.syntax, "\(head); expected \(expected)", range, help: help)
    }

    static func unmatchedCloser(_ closer: String, at range: TextRange) -> CELIssue {
        issue(Code.syntax, "unexpected `\(closer)` with no matching opening bracket", range)
    }

    static func mixedUnaryOperators(at range: TextRange) -> CELIssue {
        issue(
            Code.syntax, "`!` and `-` cannot be combined without parentheses", range,
            help: "add parentheses, e.g. `!(-x)` or `-(!x)`")
    }

    static func reservedIdentifier(_ name: String, at range: TextRange) -> CELIssue {
        issue(
            Code.reservedIdentifier, "`\(name)` is a reserved word and cannot be used as an identifier", range,
            help: "reserved words may only appear as field names, e.g. `msg.\(name)` or `m['\(name)']`")
    }

    // MARK: Macros

    static func hasNeedsSelection(at range: TextRange) -> CELIssue {
        issue(
            Code.invalidMacro, "the argument of `has` must be a field selection", range,
            help: "write `has(a.b)` to test whether field `b` of `a` is set")
    }

    static func macroVariableNotSimple(macro: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidMacro, "the first argument of `\(macro)` must be a simple variable name", range,
            help: "write e.g. `list.\(macro)(x, …)` and use `x` in the rest of the call")
    }

    static func macroVariableShadowsAccumulator(macro: String, name: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidMacro, "`\(name)` is reserved for the accumulator of `\(macro)` and cannot be its variable",
            range, help: "choose another variable name")
    }
}
