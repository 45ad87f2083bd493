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
/// lowercase, user input in backticks, a `help:` line where a fix is known; each in
/// English and in Chinese (zh-CN), side by side.
enum ParserMessages {
    typealias Code = CELParser.Code

    private static func issue(
        _ code: DiagnosticCode, _ message: DiagnosticText, _ range: TextRange, help: DiagnosticText? = nil
    ) -> CELIssue {
        CELIssue(.parse, code, message, at: range, help: help)
    }

    // MARK: Limits

    static func tooLong(length: Int, limit: Int) -> CELIssue {
        issue(
            Code.tooLong,
            .en(
                "expression is \(length) bytes long, more than the limit of \(limit) bytes",
                zh: "表达式长 \(length) 字节，超过了 \(limit) 字节的上限"),
            TextRange(limit, length),
            help: .en("split the condition into several smaller ones", zh: "请把这个条件拆成几个较小的条件"))
    }

    static func tooDeep(limit: Int, at range: TextRange) -> CELIssue {
        issue(
            Code.depthLimit,
            .en("expression is nested too deeply (more than \(limit) levels)", zh: "表达式嵌套过深（超过 \(limit) 层）"),
            range,
            help: .en(
                "split the expression into smaller parts or flatten the nesting", zh: "请把表达式拆成较小的部分，或减少嵌套"))
    }

    // MARK: Lexical problems

    static func unexpectedCharacter(_ text: String, at range: TextRange) -> CELIssue {
        let help: DiagnosticText? =
            switch text {
            case "&": .en("use `&&` for logical and", zh: "逻辑“与”请写 `&&`")
            case "|": .en("use `||` for logical or", zh: "逻辑“或”请写 `||`")
            case "=": .en("use `==` to compare values", zh: "比较两个值请用 `==`")
            case "\u{201C}", "\u{201D}", "\u{2018}", "\u{2019}":
                .en("use straight quotes (`\"` or `'`) around strings", zh: "字符串请用英文直引号（`\"` 或 `'`）括起来")
            default: nil
            }
        return issue(Code.syntax, .en("unexpected character `\(text)`", zh: "意外的字符 `\(text)`"), range, help: help)
    }

    static func unterminatedString(at range: TextRange, hitNewline: Bool) -> CELIssue {
        issue(
            Code.invalidLiteral, .en("unterminated string literal", zh: "字符串字面量没有结束"), range,
            help: hitNewline
                ? .en(
                    "close the string before the end of the line, or use a triple-quoted string ('''…''') for text that spans lines",
                    zh: "请在行尾之前结束字符串；跨行的文本请用三引号字符串（'''…'''）")
                : .en("add the closing quote", zh: "请补上结尾的引号"))
    }

    static func invalidEscape(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral, .en("invalid escape sequence `\(text)`", zh: "无效的转义序列 `\(text)`"), range,
            help: .en(
                "valid escapes are \\a \\b \\f \\n \\r \\t \\v \\\\ \\? \\\" \\' \\` \\xHH \\uHHHH \\UHHHHHHHH and \\ooo; a raw string (r\"…\") keeps backslashes as they are",
                zh: "有效的转义有 \\a \\b \\f \\n \\r \\t \\v \\\\ \\? \\\" \\' \\` \\xHH \\uHHHH \\UHHHHHHHH 和 \\ooo；原始字符串（r\"…\"）会原样保留反斜杠"))
    }

    static func incompleteEscape(_ text: String, digits: Int, hex: Bool, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral,
            .en(
                "escape sequence `\(text)` needs exactly \(digits) \(hex ? "hexadecimal" : "octal") digits",
                zh: "转义序列 `\(text)` 需要正好 \(digits) 位\(hex ? "十六进制" : "八进制")数字"),
            range)
    }

    static func surrogateEscape(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral,
            .en(
                "escape sequence `\(text)` is a UTF-16 surrogate, not a valid code point",
                zh: "转义序列 `\(text)` 是 UTF-16 代理项，不是有效的码位"),
            range,
            help: .en(
                "write the code point itself, e.g. `\\U0001F600` instead of a surrogate pair",
                zh: "请直接写出码位，例如用 `\\U0001F600` 代替代理对"))
    }

    static func codePointOutOfRange(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral,
            .en("escape sequence `\(text)` is not a valid Unicode code point", zh: "转义序列 `\(text)` 不是有效的 Unicode 码位"),
            range, help: .en("code points go up to `\\U0010FFFF`", zh: "码位最大为 `\\U0010FFFF`"))
    }

    static func unicodeEscapeInBytes(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral,
            .en("escape sequence `\(text)` is not allowed in a bytes literal", zh: "字节字面量中不能使用转义序列 `\(text)`"),
            range,
            help: .en(
                "write the bytes with `\\xHH` or octal `\\ooo` escapes", zh: "请用 `\\xHH` 或八进制 `\\ooo` 转义写出字节"))
    }

    static func invalidNumber(_ text: String, at range: TextRange) -> CELIssue {
        issue(Code.invalidLiteral, .en("invalid numeric literal `\(text)`", zh: "无效的数字字面量 `\(text)`"), range)
    }

    static func intOutOfRange(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral, .en("integer literal `\(text)` is out of range", zh: "整数字面量 `\(text)` 超出范围"), range,
            help: .en(
                "int literals must lie between -9223372036854775808 and 9223372036854775807",
                zh: "int 字面量必须在 -9223372036854775808 到 9223372036854775807 之间"))
    }

    static func uintOutOfRange(_ text: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidLiteral,
            .en("unsigned integer literal `\(text)` is out of range", zh: "无符号整数字面量 `\(text)` 超出范围"), range,
            help: .en(
                "uint literals must lie between 0u and 18446744073709551615u",
                zh: "uint 字面量必须在 0u 到 18446744073709551615u 之间"))
    }

    static func doubleOutOfRange(_ text: String, at range: TextRange) -> CELIssue {
        issue(Code.invalidLiteral, .en("double literal `\(text)` is out of range", zh: "double 字面量 `\(text)` 超出范围"), range)
    }

    static func emptyQuotedIdentifier(at range: TextRange) -> CELIssue {
        issue(Code.syntax, .en("quoted field name is empty", zh: "带反引号的字段名为空"), range)
    }

    static func invalidQuotedIdentifierCharacter(_ character: String, at range: TextRange) -> CELIssue {
        issue(
            Code.syntax,
            .en(
                "character `\(character)` is not allowed in a quoted field name",
                zh: "带反引号的字段名中不能出现字符 `\(character)`"),
            range,
            help: .en(
                "quoted field names may contain letters, digits, `_`, `.`, `/`, `-` and spaces; use an index such as `m['key']` for other keys",
                zh: "带反引号的字段名只能包含字母、数字、`_`、`.`、`/`、`-` 和空格；其他键请用下标，例如 `m['key']`"))
    }

    static func unterminatedQuotedIdentifier(at range: TextRange) -> CELIssue {
        issue(
            Code.syntax, .en("unterminated quoted field name", zh: "带反引号的字段名没有结束"), range,
            help: .en("add the closing backtick", zh: "请补上结尾的反引号"))
    }

    // MARK: Syntax

    static func quotedNameOutsideSelection(at range: TextRange) -> CELIssue {
        issue(
            Code.syntax,
            .en(
                "a quoted name can only be a field name after `.` or in a message literal",
                zh: "带反引号的名称只能用作 `.` 之后或消息字面量中的字段名"),
            range,
            help: .en("to look up a variable, write its name without backticks", zh: "引用变量时，请直接写变量名，不加反引号"))
    }

    static func quotedMethodName(at range: TextRange) -> CELIssue {
        issue(
            Code.syntax, .en("a quoted name cannot be called as a method", zh: "带反引号的名称不能作为方法调用"), range,
            help: .en(
                "backticks quote field names only; method names must be plain identifiers",
                zh: "反引号只用于字段名；方法名必须是普通标识符"))
    }

    /// "unexpected token `x`" or "unexpected end of input", followed by what was expected.
    static func unexpected(
        _ found: String?, expected: DiagnosticText, at range: TextRange, help: DiagnosticText? = nil
    ) -> CELIssue {
        let head: DiagnosticText =
            found.map { .en("unexpected token `\($0)`", zh: "意外的记号 `\($0)`") }
            ?? .en("unexpected end of input", zh: "表达式意外结束")
        return issue(
            Code.syntax, .en("\(head.en); expected \(expected.en)", zh: "\(head.zh)；此处应为\(expected.zh)"), range,
            help: help)
    }

    // What `unexpected` says was expected.
    static let operatorOrEnd = DiagnosticText.en("an operator or the end of the expression", zh: "运算符或表达式结尾")
    static let anExpression = DiagnosticText.en("an expression", zh: "表达式")
    static let fieldOrMethodName = DiagnosticText.en("a field or method name after `.`", zh: "`.` 之后的字段名或方法名")
    static let nameAfterLeadingDot = DiagnosticText.en("a name after the leading `.`", zh: "开头的 `.` 之后的名称")
    static let aFieldName = DiagnosticText.en("a field name", zh: "字段名")
    static let colonOfConditional = DiagnosticText.en("`:` to continue the conditional", zh: "条件表达式中的 `:`")
    static let closingBracket = DiagnosticText.en("`]` to close the index", zh: "结束下标的 `]`")
    static let closingParenthesis = DiagnosticText.en("`)`", zh: "`)`")
    static let colonAfterFieldName = DiagnosticText.en("`:` after the field name", zh: "字段名之后的 `:`")
    static let colonAfterMapKey = DiagnosticText.en("`:` after the map key", zh: "映射键之后的 `:`")
    static func commaOr(_ closer: String) -> DiagnosticText { .en("`,` or `\(closer)`", zh: "`,` 或 `\(closer)`") }
    static let trailingComma = DiagnosticText.en(
        "remove the trailing `,`: argument lists do not allow one", zh: "请删除末尾的 `,`：参数列表不允许以逗号结尾")

    static func unmatchedCloser(_ closer: String, at range: TextRange) -> CELIssue {
        issue(
            Code.syntax,
            .en("unexpected `\(closer)` with no matching opening bracket", zh: "多余的 `\(closer)`，没有与之匹配的左括号"), range)
    }

    static func mixedUnaryOperators(at range: TextRange) -> CELIssue {
        issue(
            Code.syntax,
            .en("`!` and `-` cannot be combined without parentheses", zh: "`!` 和 `-` 连用时必须加括号"), range,
            help: .en("add parentheses, e.g. `!(-x)` or `-(!x)`", zh: "请加上括号，例如 `!(-x)` 或 `-(!x)`"))
    }

    static func reservedIdentifier(_ name: String, at range: TextRange) -> CELIssue {
        issue(
            Code.reservedIdentifier,
            .en(
                "`\(name)` is a reserved word and cannot be used as an identifier",
                zh: "`\(name)` 是保留字，不能用作标识符"),
            range,
            help: .en(
                "reserved words may only appear as field names, e.g. `msg.\(name)` or `m['\(name)']`",
                zh: "保留字只能用作字段名，例如 `msg.\(name)` 或 `m['\(name)']`"))
    }

    // MARK: Macros

    static func hasNeedsSelection(at range: TextRange) -> CELIssue {
        issue(
            Code.invalidMacro, .en("the argument of `has` must be a field selection", zh: "`has` 的参数必须是字段选择"), range,
            help: .en(
                "write `has(a.b)` to test whether field `b` of `a` is set", zh: "要判断 `a` 的字段 `b` 是否已设置，请写 `has(a.b)`"))
    }

    static func macroVariableNotSimple(macro: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidMacro,
            .en(
                "the first argument of `\(macro)` must be a simple variable name",
                zh: "`\(macro)` 的第一个参数必须是简单的变量名"),
            range,
            help: .en(
                "write e.g. `list.\(macro)(x, …)` and use `x` in the rest of the call",
                zh: "例如写成 `list.\(macro)(x, …)`，并在调用的其余部分使用 `x`"))
    }

    static func macroVariableShadowsAccumulator(macro: String, name: String, at range: TextRange) -> CELIssue {
        issue(
            Code.invalidMacro,
            .en(
                "`\(name)` is reserved for the accumulator of `\(macro)` and cannot be its variable",
                zh: "`\(name)` 已留作 `\(macro)` 的累加器，不能用作它的变量"),
            range, help: .en("choose another variable name", zh: "请换一个变量名"))
    }
}
