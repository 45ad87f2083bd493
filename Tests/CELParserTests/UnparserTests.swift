import CELCommon
import CELParser
import Testing

@Suite("Unparser")
struct UnparserTests {
    private func canonical(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
        Unparser.unparse(parseOK(source, sourceLocation: sourceLocation))
    }

    @Test("canonical text", arguments: [
        ("1+2*3", "1 + 2 * 3"),
        ("(1+2)*3", "(1 + 2) * 3"),
        ("1-(2-3)", "1 - (2 - 3)"),
        ("(1-2)-3", "1 - 2 - 3"),
        ("a?b:c?d:e", "a ? b : c ? d : e"),
        ("(a?b:c)?d:e", "(a ? b : c) ? d : e"),
        ("a?(b?c:d):e", "a ? (b ? c : d) : e"),
        ("a||b&&c", "a || b && c"),
        ("(a||b)&&c", "(a || b) && c"),
        ("a||b||c||d", "a || b || c || d"),
        ("(a||b)||c", "(a || b) || c"),
        ("a||(b||c)", "a || b || c"),
        ("!!x", "!!x"),
        ("-(-x)", "--x"),
        ("-(!x)", "-(!x)"),
        ("!(a&&b)", "!(a && b)"),
        ("-(1)", "-(1)"),
        ("-1", "-1"),
        ("-(-1)", "--1"),
        ("-(1).f()", "-(1.f())"),
        ("(-1).f()", "-1.f()"),
        ("(-x).f()", "(-x).f()"),
        ("(a+b).c", "(a + b).c"),
        ("(a+b)[0]", "(a + b)[0]"),
        ("a.b.c(1,2)[3]", "a.b.c(1, 2)[3]"),
        (".a.b", ".a.b"),
        ("x in [1,2,]", "x in [1, 2]"),
        ("{'a':1,2:b'x'}", "{\"a\": 1, 2: b\"x\"}"),
        ("pkg.Msg{f:1,g:[]}", "pkg.Msg{f: 1, g: []}"),
        ("1u + 0x10", "1u + 16"),
        ("1.0 + 2e3 + .5 + 1e100", "1.0 + 2000.0 + 0.5 + 1e+100"),
        ("has(a.b)", "has(a.b)"),
        ("l.all(x,x>0)", "l.all(x, x > 0)"),
        ("l.exists(x,x>0)", "l.exists(x, x > 0)"),
        ("l.exists_one(x,x>0)", "l.exists_one(x, x > 0)"),
        ("l.map(x,x*2)", "l.map(x, x * 2)"),
        ("l.map(x,x>0,x*2)", "l.map(x, x > 0, x * 2)"),
        ("l.filter(x,x>0)", "l.filter(x, x > 0)"),
        ("(a+b).all(x,x)", "(a + b).all(x, x)"),
        ("a.if", "a.if"),
    ])
    func canonicalText(source: String, expected: String) {
        #expect(canonical(source) == expected)
    }

    @Test func stringsAndBytesAreEscaped() {
        #expect(canonical(#"'a"b\\c\n\t\r\x01\x7f é 😀'"#) == #""a\"b\\c\n\t\r\x01\x7F é 😀""#)
        #expect(canonical("'\\u200b\\u0085'") == #""\u200B\u0085""#)
        #expect(canonical(#"b'\xff\x00a"\\'"#) == #"b"\xFF\x00a\"\\""#)
        #expect(canonical("r'\\d+'") == #""\\d+""#)
        #expect(canonical("'''multi\nline'''") == #""multi\nline""#)
    }

    @Test func specialDoubles() {
        #expect(Unparser.unparse(Expr(id: 1, .constant(.double(.infinity)))) == #"double("Infinity")"#)
        #expect(Unparser.unparse(Expr(id: 1, .constant(.double(-.infinity)))) == #"-double("Infinity")"#)
        #expect(Unparser.unparse(Expr(id: 1, .constant(.double(.nan)))) == #"double("NaN")"#)
        #expect(Unparser.unparse(Expr(id: 1, .constant(.double(-0.0)))) == "-0.0")
        #expect(Unparser.unparse(Expr(id: 1, .constant(.int(.min)))) == "-9223372036854775808")
    }

    @Test("round trip", arguments: [
        "a || b || c || d || e || f || g",
        "(a || b) || (c || d || e)",
        "a && (b || c) && !d",
        "-(-(-1))",
        "x - -1 - -(2)",
        "!-1",
        "[1, -2.5, 3u, 'x', b'y', null, true]",
        "{a ? b : c: d}",
        "a.all(x, a.exists(y, x == y)) && a.map(x, x, x).filter(y, y).exists_one(z, z)",
        "-1.abs() + 2",
        "f(-1)[0].g",
        #"'\u00e9\U0001F600\x00'"#,
        "Msg{f: -1}.f",
        "-0.0",
        "(-9223372036854775808).f()",
    ])
    func roundTrip(source: String) {
        let first = parseOK(source)
        let text = Unparser.unparse(first)
        let second = parseOK(text)
        #expect(withoutIDs(first) == withoutIDs(second), "\(source) → \(text)")
    }

    @Test func unrecognizedComprehensionPrintsReadably() {
        let accu = Expr(id: 2, .ident("acc"))
        let c = Comprehension(
            iterVar: "x", iterRange: Expr(id: 1, .ident("l")), accuVar: "acc", accuInit: Expr(id: 3, .constant(.int(0))),
            loopCondition: Expr(id: 4, .constant(.bool(true))), loopStep: accu, result: accu, macro: "")
        #expect(Unparser.unparse(Expr(id: 5, .comprehension(c))) == "__comprehension__(x, l, acc, 0, true, acc, acc)")
    }
}
