import CELCommon
import CELParser
import Testing

/// One expected issue: code, message and the text its range covers (or its offsets).
private func expectIssue(
    _ source: String, code: String, message: String, range: (Int, Int), help: String? = nil,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let issues = parseIssues(source, sourceLocation: sourceLocation)
    #expect(issues.count == 1, "issues: \(issues)", sourceLocation: sourceLocation)
    guard let issue = issues.first else { return }
    #expect(issue.stage == .parse, sourceLocation: sourceLocation)
    #expect(issue.severity == .error, sourceLocation: sourceLocation)
    #expect(issue.code.rawValue == code, sourceLocation: sourceLocation)
    #expect(issue.message == message, sourceLocation: sourceLocation)
    #expect(issue.range == TextRange(range.0, range.1), "range of \(issue)", sourceLocation: sourceLocation)
    if let help { #expect(issue.help == help, sourceLocation: sourceLocation) }
}

@Suite("Errors")
struct ErrorTests {
    @Test func syntaxErrors() {
        expectIssue("1 +", code: "cel-syntax", message: "unexpected end of input; expected an expression", range: (3, 3))
        expectIssue("(1 + 2", code: "cel-syntax", message: "unexpected end of input; expected `)`", range: (6, 6))
        expectIssue("f(1))", code: "cel-syntax", message: "unexpected `)` with no matching opening bracket",
                    range: (4, 5))
        expectIssue("a b", code: "cel-syntax",
                    message: "unexpected token `b`; expected an operator or the end of the expression", range: (2, 3))
        expectIssue("[1 2]", code: "cel-syntax", message: "unexpected token `2`; expected `,` or `]`", range: (3, 4))
        expectIssue("a ? b", code: "cel-syntax", message: "unexpected end of input; expected `:` to continue the conditional",
                    range: (5, 5))
        expectIssue("a.1", code: "cel-syntax",
                    message: "unexpected token `1`; expected a field or method name after `.`", range: (2, 3))
        expectIssue("a.true", code: "cel-syntax",
                    message: "unexpected token `true`; expected a field or method name after `.`", range: (2, 6))
        expectIssue("{1 2}", code: "cel-syntax", message: "unexpected token `2`; expected `:` after the map key",
                    range: (3, 4))
        expectIssue("Msg{1: 2}", code: "cel-syntax", message: "unexpected token `1`; expected a field name", range: (4, 5))
        expectIssue("f(1,)", code: "cel-syntax", message: "unexpected token `)`; expected an expression", range: (4, 5),
                    help: "remove the trailing `,`: argument lists do not allow one")
        expectIssue("", code: "cel-syntax", message: "unexpected end of input; expected an expression", range: (0, 0))
        expectIssue("-!x", code: "cel-syntax", message: "`!` and `-` cannot be combined without parentheses",
                    range: (1, 2))
        expectIssue("1 = 2", code: "cel-syntax", message: "unexpected character `=`", range: (2, 3),
                    help: "use `==` to compare values")
        expectIssue("a # b", code: "cel-syntax", message: "unexpected character `#`", range: (2, 3))
        expectIssue("a § b", code: "cel-syntax", message: "unexpected character `§`", range: (2, 4))
        expectIssue(".", code: "cel-syntax", message: "unexpected end of input; expected a name after the leading `.`",
                    range: (1, 1))
        expectIssue("a.b(c", code: "cel-syntax", message: "unexpected end of input; expected `,` or `)`", range: (5, 5))
    }

    @Test func longTokensAreShortenedInMessages() {
        let long = "'" + String(repeating: "x", count: 60) + "'"
        let issue = parseIssues("a " + long)[0]
        #expect(issue.message == "unexpected token `'" + String(repeating: "x", count: 38)
                + "…`; expected an operator or the end of the expression")
        #expect(issue.range == TextRange(2, 64))
    }

    @Test func literalErrors() {
        expectIssue("99999999999999999999", code: "cel-invalid-literal",
                    message: "integer literal `99999999999999999999` is out of range", range: (0, 20))
        expectIssue("9223372036854775808", code: "cel-invalid-literal",
                    message: "integer literal `9223372036854775808` is out of range", range: (0, 19))
        expectIssue("-9223372036854775809", code: "cel-invalid-literal",
                    message: "integer literal `-9223372036854775809` is out of range", range: (0, 20))
        expectIssue("18446744073709551616u", code: "cel-invalid-literal",
                    message: "unsigned integer literal `18446744073709551616u` is out of range", range: (0, 21))
        expectIssue("1e400", code: "cel-invalid-literal", message: "double literal `1e400` is out of range", range: (0, 5))
        expectIssue("0x", code: "cel-invalid-literal", message: "invalid numeric literal `0x`", range: (0, 2))
        expectIssue("12abc", code: "cel-invalid-literal", message: "invalid numeric literal `12abc`", range: (0, 5))
        expectIssue("0x1g", code: "cel-invalid-literal", message: "invalid numeric literal `0x1g`", range: (0, 4))
    }

    @Test func stringErrors() {
        expectIssue("'abc", code: "cel-invalid-literal", message: "unterminated string literal", range: (0, 4),
                    help: "add the closing quote")
        expectIssue("f('abc)", code: "cel-invalid-literal", message: "unterminated string literal", range: (2, 7))
        expectIssue("'ab\n + 1", code: "cel-invalid-literal", message: "unterminated string literal", range: (0, 3),
                    help: "close the string before the end of the line, or use a triple-quoted string ('''…''') for text that spans lines")
        expectIssue("'''abc''", code: "cel-invalid-literal", message: "unterminated string literal", range: (0, 8))
        expectIssue(#"'a\sb'"#, code: "cel-invalid-literal", message: #"invalid escape sequence `\s`"#, range: (2, 4))
        expectIssue(#"'\é'"#, code: "cel-invalid-literal", message: #"invalid escape sequence `\é`"#, range: (1, 4))
        expectIssue(#"'\x4'"#, code: "cel-invalid-literal",
                    message: #"escape sequence `\x4` needs exactly 2 hexadecimal digits"#, range: (1, 4))
        expectIssue(#"'\u12'"#, code: "cel-invalid-literal",
                    message: #"escape sequence `\u12` needs exactly 4 hexadecimal digits"#, range: (1, 5))
        expectIssue(#"'\12'"#, code: "cel-invalid-literal",
                    message: #"escape sequence `\12` needs exactly 3 octal digits"#, range: (1, 4))
        expectIssue(#"'\400'"#, code: "cel-invalid-literal", message: #"invalid escape sequence `\4`"#, range: (1, 3))
        expectIssue(#"'\uD83D'"#, code: "cel-invalid-literal",
                    message: #"escape sequence `\uD83D` is a UTF-16 surrogate, not a valid code point"#, range: (1, 7))
        expectIssue(#"'\U0000DFFF'"#, code: "cel-invalid-literal",
                    message: #"escape sequence `\U0000DFFF` is a UTF-16 surrogate, not a valid code point"#,
                    range: (1, 11))
        expectIssue(#"'\U00110000'"#, code: "cel-invalid-literal",
                    message: #"escape sequence `\U00110000` is not a valid Unicode code point"#, range: (1, 11))
        expectIssue(#"b'\u0041'"#, code: "cel-invalid-literal",
                    message: #"escape sequence `\u0041` is not allowed in a bytes literal"#, range: (2, 8))
    }

    @Test func literalErrorsKeepTheTree() throws {
        // The tree is still complete, so tools can show it; the error must still block use.
        let (parsed, issues) = CELParser().parse(#"x == '\q' && y > 99999999999999999999"#)
        #expect(issues.map(\.code.rawValue) == ["cel-invalid-literal", "cel-invalid-literal"])
        #expect(parsed != nil)
    }

    @Test func reservedIdentifiers() {
        expectIssue("if", code: "cel-reserved-identifier",
                    message: "`if` is a reserved word and cannot be used as an identifier", range: (0, 2),
                    help: "reserved words may only appear as field names, e.g. `msg.if` or `m['if']`")
        expectIssue("1 + package.x", code: "cel-reserved-identifier",
                    message: "`package` is a reserved word and cannot be used as an identifier", range: (4, 11))
        expectIssue("while(x)", code: "cel-reserved-identifier",
                    message: "`while` is a reserved word and cannot be used as an identifier", range: (0, 5))
        expectIssue(".let", code: "cel-reserved-identifier",
                    message: "`let` is a reserved word and cannot be used as an identifier", range: (1, 4))
        for word in CELParser.reservedWords {
            #expect(parseIssues(word).map(\.code.rawValue) == ["cel-reserved-identifier"])
            _ = parseOK("a.\(word) || a.\(word)() || M{\(word): 1}.\(word)")
        }
        // The keywords are not identifiers at all.
        #expect(parseIssues("in").map(\.code.rawValue) == ["cel-syntax"])
    }

    @Test func severalErrorsAreReported() {
        let issues = parseIssues("[1 +, 2 *, f(3 -)]")
        #expect(issues.map(\.message) == [
            "unexpected token `,`; expected an expression",
            "unexpected token `,`; expected an expression",
            "unexpected token `)`; expected an expression",
        ])
        #expect(issues.map(\.range) == [TextRange(4, 5), TextRange(9, 10), TextRange(16, 17)])

        let mixed = parseIssues(#"f('\q', if, 1 +)"#)
        #expect(mixed.map(\.code.rawValue) == ["cel-invalid-literal", "cel-reserved-identifier", "cel-syntax"])
    }

    @Test func errorsDoNotCascade() {
        #expect(parseIssues("f(a b c d)").count == 1)
        #expect(parseIssues("((((").count == 1)
        #expect(parseIssues("[1, (2]").map(\.message) == ["unexpected token `]`; expected `)`"])
        #expect(parseIssues("'abc").count == 1)
        #expect(parseIssues("a && (b || 'unclosed)").count == 1)
        #expect(parseIssues("a ## b").count == 1)
    }

    @Test func syntaxErrorsGiveNoTree() {
        let (parsed, issues) = CELParser().parse("[1 +, 2]")
        #expect(parsed == nil)
        #expect(!issues.isEmpty)
    }

    @Test func issueCountIsCapped() {
        let source = Array(repeating: "'\\q'", count: 500).joined(separator: " + ")
        let issues = parseIssues(source)
        #expect(issues.count <= 50)
    }

    @Test func renderedDiagnostics() {
        #expect(rendered("a.b +* 2") == """
            <expr>:1:6: error[cel-syntax]: unexpected token `*`; expected an expression
              |
            1 | a.b +* 2
              |      ^

            """)
        #expect(rendered(#"name == "J\qohn""#) == #"""
            <expr>:1:11: error[cel-invalid-literal]: invalid escape sequence `\q`
              |
            1 | name == "J\qohn"
              |           ^~
              = help: valid escapes are \a \b \f \n \r \t \v \\ \? \" \' \` \xHH \uHHHH \UHHHHHHHH and \ooo; a raw string (r"…") keeps backslashes as they are

            """#)
        #expect(rendered("x > 99999999999999999999") == """
            <expr>:1:5: error[cel-invalid-literal]: integer literal `99999999999999999999` is out of range
              |
            1 | x > 99999999999999999999
              |     ^~~~~~~~~~~~~~~~~~~~
              = help: int literals must lie between -9223372036854775808 and 9223372036854775807

            """)
        #expect(rendered("items.all(i.x, true)") == """
            <expr>:1:11: error[cel-invalid-macro]: the first argument of `all` must be a simple variable name
              |
            1 | items.all(i.x, true)
              |           ^~~
              = help: write e.g. `list.all(x, …)` and use `x` in the rest of the call

            """)
    }
}
