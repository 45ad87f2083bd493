import CELCommon
import CELParser
import Testing

@Suite("Macros")
struct MacroTests {
    @Test func has() {
        #expect(tree("has(a.b)") == "has(a, b)")
        #expect(tree("has(a.b.c)") == "has(sel(a, b), c)")
        #expect(tree("has({'k': 1}.k)") == "has({\"k\": 1}, k)")
        #expect(tree("has(a.b) && !has(c.d)") == "_&&_(has(a, b), !_(has(c, d)))")
        // Only the one-argument global form is the macro.
        #expect(tree("x.has(a.b)") == "x.has(sel(a, b))")
        #expect(tree(".has(a.b)") == ".has(sel(a, b))")
    }

    @Test func hasKeepsTheCallsIDAndRange() {
        let source = "has(a.b)"
        let expr = parseOK(source)
        #expect(expr.id == 1)
        #expect(text(of: expr.range, in: source) == "has(a.b)")
    }

    @Test func all() {
        #expect(tree("[1, 2].all(x, x > 0)")
            == "all[x in [1, 2]; __result__ = true; while @not_strictly_false(__result__); "
            + "__result__ = _&&_(__result__, _>_(x, 0)); __result__]")
    }

    @Test func exists() {
        #expect(tree("m.exists(k, k == 'a')")
            == "exists[k in m; __result__ = false; while @not_strictly_false(!_(__result__)); "
            + "__result__ = _||_(__result__, _==_(k, \"a\")); __result__]")
    }

    @Test func existsOne() {
        #expect(tree("l.exists_one(x, x)")
            == "exists_one[x in l; __result__ = 0; while true; "
            + "__result__ = _?_:_(x, _+_(__result__, 1), __result__); _==_(__result__, 1)]")
    }

    @Test func map() {
        #expect(tree("l.map(x, x * 2)")
            == "map[x in l; __result__ = []; while true; __result__ = _+_(__result__, [_*_(x, 2)]); __result__]")
        #expect(tree("l.map(x, x > 1, x * 2)")
            == "map[x in l; __result__ = []; while true; "
            + "__result__ = _?_:_(_>_(x, 1), _+_(__result__, [_*_(x, 2)]), __result__); __result__]")
    }

    @Test func filter() {
        #expect(tree("l.filter(x, x > 1)")
            == "filter[x in l; __result__ = []; while true; "
            + "__result__ = _?_:_(_>_(x, 1), _+_(__result__, [x]), __result__); __result__]")
    }

    @Test func macroNameIsRecorded() throws {
        for (source, name) in [
            ("a.all(x, x)", "all"), ("a.exists(x, x)", "exists"), ("a.exists_one(x, x)", "exists_one"),
            ("a.map(x, x)", "map"), ("a.map(x, x, x)", "map"), ("a.filter(x, x)", "filter"),
        ] {
            guard case .comprehension(let c) = parseOK(source).kind else {
                Issue.record("\(source) did not expand")
                continue
            }
            #expect(c.macro == name)
            #expect(c.accuVar == CELParser.accumulatorVariable)
        }
    }

    @Test func nestedMacros() {
        let expr = tree("a.all(x, x.exists(y, y == x))")
        #expect(expr.hasPrefix("all[x in a;"))
        #expect(expr.contains("exists[y in x;"))
    }

    @Test func otherArityOrStyleIsAnOrdinaryCall() {
        #expect(tree("l.map(x)") == "l.map(x)")
        #expect(tree("l.all(x, y, z)") == "l.all(x, y, z)")
        #expect(tree("all(l, x, p)") == "all(l, x, p)")
        #expect(tree("l.filter(x, y, z)") == "l.filter(x, y, z)")
        #expect(tree("has(a, b)") == "has(a, b)")
        #expect(tree("dyn(x)") == "dyn(x)")
    }

    @Test func invalidMacroArguments() {
        let hasIssue = parseIssues("has(a)")
        #expect(hasIssue.map(\.code.rawValue) == ["cel-invalid-macro"])
        #expect(hasIssue.first?.message == "the argument of `has` must be a field selection")
        #expect(hasIssue.first?.range == TextRange(4, 5))
        #expect(parseIssues("has(a[0])").map(\.code.rawValue) == ["cel-invalid-macro"])
        #expect(parseIssues("has(f(a.b))").map(\.code.rawValue) == ["cel-invalid-macro"])

        let variable = parseIssues("l.map(x.y, 1)")
        #expect(variable.first?.message == "the first argument of `map` must be a simple variable name")
        #expect(variable.first?.range == TextRange(6, 9))
        #expect(parseIssues("l.all(1, true)").map(\.code.rawValue) == ["cel-invalid-macro"])
        #expect(parseIssues("l.exists(.x, true)").map(\.code.rawValue) == ["cel-invalid-macro"])

        let accumulator = parseIssues("l.all(__result__, true)")
        #expect(accumulator.first?.message
            == "`__result__` is reserved for the accumulator of `all` and cannot be its variable")
    }
}
