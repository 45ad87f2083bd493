import CELCommon
import CELParser
import Testing

@Suite("Literals")
struct LiteralTests {
    private func constant(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Constant? {
        let expr = parseOK(source, sourceLocation: sourceLocation)
        guard case .constant(let value) = expr.kind else {
            Issue.record("not a constant: \(sexpr(expr))", sourceLocation: sourceLocation)
            return nil
        }
        return value
    }

    @Test func integers() {
        #expect(constant("0") == .int(0))
        #expect(constant("123") == .int(123))
        #expect(constant("007") == .int(7))
        #expect(constant("0x1F") == .int(31))
        #expect(constant("0XfF") == .int(255))
        #expect(constant("9223372036854775807") == .int(Int64.max))
        #expect(constant("-9223372036854775808") == .int(Int64.min))
        #expect(constant("-0x7fffffffffffffff") == .int(-Int64.max))
    }

    @Test func unsignedIntegers() {
        #expect(constant("123u") == .uint(123))
        #expect(constant("123U") == .uint(123))
        #expect(constant("0x1Fu") == .uint(31))
        #expect(constant("18446744073709551615u") == .uint(UInt64.max))
        #expect(constant("0xFFFFFFFFFFFFFFFFu") == .uint(UInt64.max))
    }

    @Test func doubles() {
        #expect(constant("1.5") == .double(1.5))
        #expect(constant("1e10") == .double(1e10))
        #expect(constant("1E-3") == .double(0.001))
        #expect(constant("2.5e+2") == .double(250))
        #expect(constant(".5") == .double(0.5))
        #expect(constant(".5e1") == .double(5))
        #expect(constant("0.0") == .double(0))
        #expect(constant("1e-400") == .double(0))
        #expect(tree("[.5]") == "[0.5d]")
        #expect(tree("x+.5") == "_+_(x, 0.5d)")
        // `1.` is not a double: the dot starts a member access.
        #expect(tree("1.f()") == "1.f()")
    }

    @Test func stringQuotingForms() {
        #expect(constant("'hello'") == .string("hello"))
        #expect(constant("\"hello\"") == .string("hello"))
        #expect(constant("'''he'l\"lo'''") == .string("he'l\"lo"))
        #expect(constant("\"\"\"a\nb\"\"\"") == .string("a\nb"))
        #expect(constant("'''x''x'''") == .string("x''x"))
        #expect(constant("''") == .string(""))
        #expect(constant("''''''") == .string(""))
        #expect(constant("'\"\"'") == .string("\"\""))
        #expect(constant("'héllo ☃ 😀'") == .string("héllo ☃ 😀"))
    }

    @Test("escapes decode", arguments: [
        (#"'\a\b\f\n\r\t\v'"#, "\u{07}\u{08}\u{0C}\n\r\t\u{0B}"),
        (#"'\\ \? \" \' \`'"#, "\\ ? \" ' `"),
        (#"'\x41\X42\x7f'"#, "AB\u{7F}"),
        (#"'\xFF'"#, "\u{FF}"),
        (#"'\u00e9\u2603'"#, "é☃"),
        (#"'\U0001F600'"#, "😀"),
        (#"'\101\060\377'"#, "A0\u{FF}"),
        (#"'\303\277'"#, "\u{C3}\u{BF}"),
        (#"'''\'''\''''"#, "''''"),
        (#""\"""#, "\""),
    ])
    func escapes(source: String, value: String) {
        #expect(constant(source) == .string(value))
    }

    @Test func rawStrings() {
        #expect(constant(#"r'\n\x41'"#) == .string(#"\n\x41"#))
        #expect(constant(#"R"\\""#) == .string(#"\\"#))
        #expect(constant(#"r'''a\'b'''"#) == .string(#"a\'b"#))
        #expect(constant(#"r"it's""#) == .string("it's"))
    }

    @Test func bytes() {
        #expect(constant("b'abc'") == .bytes([97, 98, 99]))
        #expect(constant("B\"\"") == .bytes([]))
        #expect(constant("b'ÿ'") == .bytes([0xC3, 0xBF]))
        #expect(constant(#"b'\303\277'"#) == .bytes([0xC3, 0xBF]))
        #expect(constant(#"b'\377\xff\x00'"#) == .bytes([0xFF, 0xFF, 0x00]))
        #expect(constant(#"b'\n\\\''"#) == .bytes([0x0A, 0x5C, 0x27]))
        #expect(constant(#"br'\x41'"#) == .bytes(Array(#"\x41"#.utf8)))
        #expect(constant(#"BR'''\n'''"#) == .bytes(Array(#"\n"#.utf8)))
        #expect(constant("b'''a\nb'''") == .bytes([97, 10, 98]))
    }

    @Test func prefixesNeedAnAdjacentQuote() {
        #expect(tree("r + b") == "_+_(r, b)")
        #expect(tree("br") == "br")
        #expect(tree("rb") == "rb")
    }

    @Test func boolsAndNull() {
        #expect(constant("true") == .bool(true))
        #expect(constant("false") == .bool(false))
        #expect(constant("null") == .null)
    }
}
