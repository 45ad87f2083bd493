import CELCommon
import CELParser
import Testing

@Suite("Grammar")
struct GrammarTests {
    @Test("binary operators bind by precedence", arguments: [
        ("1 + 2 * 3", "_+_(1, _*_(2, 3))"),
        ("1 * 2 + 3", "_+_(_*_(1, 2), 3)"),
        ("1 - 2 - 3", "_-_(_-_(1, 2), 3)"),
        ("8 / 4 / 2", "_/_(_/_(8, 4), 2)"),
        ("7 % 3 * 2", "_*_(_%_(7, 3), 2)"),
        ("a < b == c", "_==_(_<_(a, b), c)"),
        ("1 + 2 < 3 * 4", "_<_(_+_(1, 2), _*_(3, 4))"),
        ("a in b && c", "_&&_(@in(a, b), c)"),
        ("x + 1 in [1, 2]", "@in(_+_(x, 1), [1, 2])"),
        ("a <= b != c >= d", "_>=_(_!=_(_<=_(a, b), c), d)"),
        ("a > b", "_>_(a, b)"),
        ("a || b && c", "_||_(a, _&&_(b, c))"),
        ("a && b || c", "_||_(_&&_(a, b), c)"),
        ("a == b || c != d", "_||_(_==_(a, b), _!=_(c, d))"),
        ("(1 + 2) * 3", "_*_(_+_(1, 2), 3)"),
    ])
    func precedence(source: String, expected: String) {
        #expect(tree(source) == expected)
    }

    @Test func conditionalIsRightAssociativeAndLoosest() {
        #expect(tree("a ? b : c ? d : e") == "_?_:_(a, b, _?_:_(c, d, e))")
        #expect(tree("a || b ? c + 1 : d") == "_?_:_(_||_(a, b), _+_(c, 1), d)")
        #expect(tree("(a ? b : c) ? d : e") == "_?_:_(_?_:_(a, b, c), d, e)")
        #expect(tree("a ? (b ? c : d) : e") == "_?_:_(a, _?_:_(b, c, d), e)")
    }

    @Test func logicalChainsAreBalanced() {
        #expect(tree("a || b || c || d") == "_||_(_||_(a, b), _||_(c, d))")
        #expect(tree("a && b && c") == "_&&_(a, _&&_(b, c))")
        #expect(tree("a || b || c || d || e") == "_||_(_||_(a, b), _||_(c, _||_(d, e)))")
    }

    @Test func unaryOperators() {
        #expect(tree("!x") == "!_(x)")
        #expect(tree("!!x") == "!_(!_(x))")
        #expect(tree("-x") == "-_(x)")
        #expect(tree("--x") == "-_(-_(x))")
        #expect(tree("-x.y") == "-_(sel(x, y))")
        #expect(tree("!a && b") == "_&&_(!_(a), b)")
        #expect(tree("-a * b") == "_*_(-_(a), b)")
        #expect(tree("a - -b") == "_-_(a, -_(b))")
        #expect(tree("!-1") == "!_(-1)")
    }

    @Test func negativeNumbersAreConstants() {
        #expect(tree("-1") == "-1")
        #expect(tree("- 1") == "-1")
        #expect(tree("-1.5") == "-1.5d")
        #expect(tree("-(1)") == "-_(1)")
        #expect(tree("--1") == "-_(-1)")
        #expect(tree("1-1") == "_-_(1, 1)")
        #expect(tree("1 - -1") == "_-_(1, -1)")
        #expect(tree("-1u") == "-_(1u)")
        #expect(tree("-9223372036854775808") == "-9223372036854775808")
        #expect(tree("-0x8000000000000000") == "-9223372036854775808")
        // As in cel-go, a signed literal is a primary, so suffixes apply to it.
        #expect(tree("-1.abs()") == "-1.abs()")
    }

    @Test func memberSuffixes() {
        #expect(tree("a.b.c") == "sel(sel(a, b), c)")
        #expect(tree("a.b()") == "a.b()")
        #expect(tree("a.b(1, 2).c") == "sel(a.b(1, 2), c)")
        #expect(tree("a[0][1]") == "_[_](_[_](a, 0), 1)")
        #expect(tree("a.b[c.d]") == "_[_](sel(a, b), sel(c, d))")
        #expect(tree("size(x)") == "size(x)")
        #expect(tree("f()") == "f()")
        #expect(tree("'abc'.size()") == "\"abc\".size()")
        #expect(tree("[1, 2][0]") == "_[_]([1, 2], 0)")
        #expect(tree("(a + b).c") == "sel(_+_(a, b), c)")
    }

    @Test func leadingDotNames() {
        #expect(tree(".x") == ".x")
        #expect(tree(".x.y") == "sel(.x, y)")
        #expect(tree(".f(1)") == ".f(1)")
        #expect(tree(".pkg.Msg{a: 1}") == ".pkg.Msg{a: 1}")
    }

    @Test func aggregates() {
        #expect(tree("[]") == "[]")
        #expect(tree("[1, 2, 3,]") == "[1, 2, 3]")
        #expect(tree("{}") == "{}")
        #expect(tree("{'a': 1, 2: [3],}") == "{\"a\": 1, 2: [3]}")
        #expect(tree("{true ? 1 : 2: 3}") == "{_?_:_(true, 1, 2): 3}")
        #expect(tree("Msg{}") == "Msg{}")
        #expect(tree("a.b.Msg{f: 1, g: 'x',}") == "a.b.Msg{f: 1, g: \"x\"}")
        #expect(tree("Msg{f: Other{g: 1}}.f.g") == "sel(sel(Msg{f: Other{g: 1}}, f), g)")
    }

    @Test func reservedWordsAsSelectorsAndFields() {
        #expect(tree("a.if") == "sel(a, if)")
        #expect(tree("a.package()") == "a.package()")
        #expect(tree("Msg{return: 1}") == "Msg{return: 1}")
        #expect(tree("{'as': 1}.as") == "sel({\"as\": 1}, as)")
    }

    @Test func whitespaceAndComments() {
        #expect(tree("  1 //comment\n + // another\n\t2\r\n") == "_+_(1, 2)")
        #expect(tree("a\u{0C}.\u{0C}b") == "sel(a, b)")
        #expect(tree("// leading\nx") == "x")
    }

    @Test func identifiersAndKeywords() {
        #expect(tree("_a1") == "_a1")
        #expect(tree("true && false") == "_&&_(true, false)")
        #expect(tree("null") == "null")
        #expect(tree("dyn(x)") == "dyn(x)")
        #expect(tree("int") == "int")
        #expect(tree("type(x) == int") == "_==_(type(x), int)")
        #expect(tree("x in y") == "@in(x, y)")
        #expect(tree("inx") == "inx")
        #expect(tree("trueish") == "trueish")
    }

    @Test func idsAreUniqueDeterministicAndNextIDFollowsMax() throws {
        let sources = [
            "a.b.c(1, [2, {3: 4}], Msg{f: 5}) ? x.all(y, y > 0) : -z[0] || has(q.r)",
            "[1,2].map(x, x > 1, x * 2).filter(y, y != 4).exists_one(z, z == 6)",
        ]
        for source in sources {
            let (first, _) = CELParser().parse(source)
            let (second, _) = CELParser().parse(source)
            let parsed = try #require(first)
            let ids = allIDs(parsed.expr)
            #expect(Set(ids).count == ids.count, "duplicate ids in \(source)")
            #expect(parsed.nextID == ids.max()! + 1)
            #expect(ids == allIDs(try #require(second).expr))
            #expect(!ids.contains(0))
        }
    }

    @Test func idsFollowSourceOrder() {
        // Operands before the operator that joins them, as cel-go numbers them.
        let expr = parseOK("a + b * c")
        guard case .call(_, _, let args) = expr.kind, case .call(_, _, let inner) = args[1].kind else {
            Issue.record("unexpected shape")
            return
        }
        #expect([args[0].id, expr.id, inner[0].id, args[1].id, inner[1].id] == [1, 2, 3, 4, 5])
    }

    @Test("ranges cover the whole node", arguments: [
        ("a + b", "a + b"),
        ("-1", "-1"),
        ("-(1)", "-(1)"),
        ("!x", "!x"),
        ("a.b", "a.b"),
        (".a.b", ".a.b"),
        ("f(1, 2)", "f(1, 2)"),
        ("x.f(1)", "x.f(1)"),
        ("x[0]", "x[0]"),
        ("[1, 2]", "[1, 2]"),
        ("{1: 2}", "{1: 2}"),
        ("a.B{c: 1}", "a.B{c: 1}"),
        ("a ? b : c", "a ? b : c"),
        ("(a)", "(a)"),
        ("x.all(y, y)", "x.all(y, y)"),
        ("has(a.b)", "has(a.b)"),
        ("'é' + b'x'", "'é' + b'x'"),
    ])
    func rootRange(source: String, covered: String) {
        let expr = parseOK("  " + source + "  ")
        #expect(text(of: expr.range, in: "  " + source + "  ") == covered)
    }

    @Test func childRangesNestInsideParents() {
        let source = "a.b(c[d] + -e, [f, {g: h}]) ? i.all(j, j < 2) : 'k\u{e9}'.size()"
        let root = parseOK(source)
        let length = Int32(source.utf8.count)
        for node in allNodes(root) {
            #expect(node.range.start >= 0 && node.range.start < node.range.end && node.range.end <= length)
            #expect(node.range.start >= root.range.start && node.range.end <= root.range.end)
        }
        if case .call(_, _, let args) = root.kind {
            #expect(text(of: args[0].range, in: source) == "a.b(c[d] + -e, [f, {g: h}])")
            #expect(text(of: args[2].range, in: source) == "'k\u{e9}'.size()")
        }
    }

    @Test func macrosCanBeDisabled() {
        let options = CELParser.Options(macros: false)
        #expect(tree("has(a.b)", options: options) == "has(sel(a, b))")
        #expect(tree("x.all(y, y)", options: options) == "x.all(y, y)")
        #expect(tree("x.map(y, 1)", options: options) == "x.map(y, 1)")
    }
}

@Suite("Quoted field names")
struct QuotedFieldNameTests {
    @Test func quotedNamesSelectFields() {
        #expect(tree("m.`content-type`") == "sel(m, content-type)")
        #expect(tree("m.`a.b/c d`.x") == "sel(sel(m, a.b/c d), x)")
        #expect(tree("has(m.`x-y`)") == "has(m, x-y)")
        #expect(tree("Msg{`in`: 1}") == "Msg{in: 1}")
        #expect(tree("m.`in`") == "sel(m, in)")
    }

    @Test func quotedNameErrors() {
        #expect(parseIssues("m.`a-b`()").map(\.message) == ["a quoted name cannot be called as a method"])
        #expect(parseIssues("`a`").map(\.message)
            == ["a quoted name can only be a field name after `.` or in a message literal"])
        let bad = parseIssues("m.`a+b` == 1")
        #expect(bad.map(\.message) == ["character `+` is not allowed in a quoted field name"])
        #expect(bad.first?.range == TextRange(4, 5))
        #expect(parseIssues("m.``").map(\.message) == ["quoted field name is empty"])
        #expect(parseIssues("m.`abc").map(\.message) == ["unterminated quoted field name"])
    }

    @Test func unparseQuotesWhenNeeded() {
        #expect(Unparser.unparse(parseOK("m.`content-type`")) == "m.`content-type`")
        #expect(Unparser.unparse(parseOK("m.`plain`")) == "m.plain")
        #expect(Unparser.unparse(parseOK("m.`in`")) == "m.`in`")
        #expect(Unparser.unparse(parseOK("M{`a b`: 1}")) == "M{`a b`: 1}")
    }
}
