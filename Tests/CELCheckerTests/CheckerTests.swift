import CELChecker
import CELCommon
import Testing

@Suite struct TypeInferenceTests {
    @Test(arguments: [
        ("1", CELType.int), ("1u", .uint), ("1.5", .double), ("'a'", .string), ("b'a'", .bytes),
        ("true", .bool), ("null", .null),
        ("[1, 2]", .list(.int)), ("[]", .list(.dyn)), ("[1, 'a']", .list(.dyn)),
        ("{'a': 1}", .map(.string, .int)), ("{}", .map(.dyn, .dyn)), ("{'a': 1, 2: 'b'}", .map(.dyn, .dyn)),
        ("[[], [1]]", .list(.list(.int))),
    ])
    func literals(source: String, expected: CELType) {
        #expect(typeOf(source) == expected)
    }

    @Test(arguments: [
        ("1 + 2", CELType.int), ("1u * 2u", .uint), ("1.0 / 2.0", .double), ("'a' + 'b'", .string),
        ("[1] + [2]", .list(.int)), ("-1", .int), ("!true", .bool), ("1 < 2.0", .bool), ("1u >= -1", .bool),
        ("1 == 1", .bool), ("true ? 1 : 2", .int), ("now - duration('1h')", .timestamp),
        ("now - now", .duration), ("[1, 2][0]", .int), ("{'a': 1}['a']", .int), ("2 in [1, 2]", .bool),
        ("'a' in {'a': 1}", .bool), ("size('abc')", .int), ("'abc'.size()", .int), ("size([1])", .int),
        ("'abc'.contains('b')", .bool), ("'abc'.matches('b+')", .bool), ("matches('abc', 'b')", .bool),
        ("int('1')", .int), ("uint(1)", .uint), ("double(1)", .double), ("string(1)", .string),
        ("bytes('a')", .bytes), ("bool('true')", .bool), ("timestamp('2024-01-01T00:00:00Z')", .timestamp),
        ("duration('1s')", .duration), ("dyn(1)", .dyn), ("type(1)", .type(.int)), ("int", .type(.int)),
        ("type(1) == int", .bool), ("google.protobuf.Timestamp", .type(.timestamp)),
        ("now.getFullYear()", .int), ("now.getHours('Europe/Paris')", .int), ("duration('1h').getMinutes()", .int),
        ("dyn(1) == 1u", .bool), ("dyn([]) + [1]", .list(.int)),
    ])
    func operatorsAndFunctions(source: String, expected: CELType) {
        #expect(typeOf(source) == expected)
    }

    @Test(arguments: [
        ("order.total", CELType.double), ("order.items", .list(.object(Fixtures.item))),
        ("order.customer.email", .string), ("order.metadata.channel", .string), ("limits.daily", .int),
        ("has(order.customer)", .bool), ("has(order.metadata.channel)", .bool), ("dyn(order).anything", .dyn),
        ("order.status", .enumString(Fixtures.orderStatus)),
    ])
    func fieldSelection(source: String, expected: CELType) {
        #expect(typeOf(source) == expected)
    }

    @Test(arguments: [
        ("order.items.all(i, i.quantity > 0)", CELType.bool),
        ("order.items.exists(i, i.sku == 'x')", .bool),
        ("order.items.exists_one(i, i.price > 100.0)", .bool),
        ("order.items.map(i, i.price)", .list(.double)),
        ("order.items.filter(i, i.quantity > 1)", .list(.object(Fixtures.item))),
        ("order.items.map(i, i.quantity > 1, i.sku)", .list(.string)),
        ("order.metadata.exists(k, k.startsWith('x'))", .bool),
        ("[[1, 2], [3]].map(l, l.map(x, x * 2))", .list(.list(.int))),
        ("[].map(x, x)", .list(.dyn)),
    ])
    func macros(source: String, expected: CELType) {
        #expect(typeOf(source) == expected)
    }

    @Test func comprehensionVariablesShadowOuterNames() {
        let env = Fixtures.environment.adding(variables: ["x": .string])
        #expect(typeOf("[1, 2].map(x, x + 1)", in: env) == .list(.int))
        #expect(typeOf("x + '!'", in: env) == .string)
        // The iteration variable is not visible after the macro.
        #expect(issueCodes("[1].all(y, y > 0) && y", in: env) == ["cel-undeclared-reference"])
    }

    @Test func typeParametersAreFreshPerCall() {
        // Two calls of `size(list(A))` with different element types.
        #expect(typeOf("size([1]) + size(['a'])") == .int)
        #expect(issueCodes("[1][0] + ['a'][0]") == ["cel-no-matching-overload"])
    }

    @Test func dynIsAssignableBothWays() {
        #expect(typeOf("dyn('a') + 1") == .int)
        #expect(typeOf("1 + dyn('a')") == .int)
        #expect(typeOf("dyn(1) ? 1 : 2") == .int)
        #expect(typeOf("[dyn(1), 2]") == .list(.dyn))
    }

    @Test func nullIsAssignableOnlyToNullableTypes() {
        #expect(typeOf("now == null") == .bool)
        #expect(typeOf("order.customer == null") == .bool)
        #expect(issueCodes("1 == null") == ["cel-no-matching-overload"])
    }

    @Test func enumStringsAreStrings() {
        #expect(typeOf("order.status == 'paid'") == .bool)
        #expect(typeOf("order.status + '!'") == .string)
        #expect(typeOf("order.status.startsWith('p')") == .bool)
        #expect(typeOf("[order.status, 'x']") == .list(.string))
    }
}

@Suite struct ResolutionTests {
    @Test func containerCandidatesAreTriedMostQualifiedFirst() {
        let env = TypeEnvironment(container: "com.example", variables: ["com.example.y": .bool, "y": .string])
        guard let (checked, issues) = check("y", in: env) else { return }
        #expect(issues.isEmpty)
        #expect(checked.resultType == .bool)
        #expect(checked.references[checked.expr.id] == .variable("com.example.y"))
        #expect(checked.expr.kind == .ident("com.example.y"))
        #expect(typeOf(".y", in: env) == .string)
    }

    @Test func longestQualifiedNameWins() {
        let env = TypeEnvironment(variables: ["a.b.c": .string, "a.b": .map(.string, .int)])
        guard let (checked, _) = check("a.b.c", in: env) else { return }
        #expect(checked.resultType == .string)
        #expect(typeOf("a.b.d", in: env) == .int)
    }

    @Test func shadowedGlobalsGetALeadingDot() {
        let env = TypeEnvironment(variables: ["y": .string])
        guard let (checked, issues) = check("['a'].exists(y, .y == y)", in: env) else { return }
        #expect(issues.isEmpty)
        #expect(checked.references.values.contains(.variable(".y")))
        #expect(checked.references.values.contains(.variable("y")))
    }

    @Test func namespacedFunctionsBecomeGlobalCalls() {
        let env = TypeEnvironment().adding(functions: [
            FunctionDecl(name: "calendar.isBusinessDay", overloads: [
                OverloadDecl(id: "calendar_is_business_day", params: [.timestamp], result: .bool),
            ]),
        ])
        guard let (checked, issues) = check("calendar.isBusinessDay(timestamp(0))", in: env) else { return }
        #expect(issues.isEmpty)
        #expect(checked.resultType == .bool)
        guard case .call(nil, "calendar.isBusinessDay", let args) = checked.expr.kind else {
            Issue.record("not rewritten: \(checked.expr.kind)")
            return
        }
        #expect(args.count == 1)
        #expect(checked.references[checked.expr.id] == .function(overloads: ["calendar_is_business_day"]))
    }

    @Test func extensionFunctionsMergeWithStandardOnes() {
        let env = TypeEnvironment().adding(functions: [
            FunctionDecl(name: "_+_", overloads: [
                OverloadDecl(id: "add_decimal", params: [.decimal, .decimal], result: .decimal),
            ]),
        ])
        let withDecimal = env.adding(variables: ["price": .decimal])
        #expect(typeOf("price + price", in: withDecimal) == .decimal)
        #expect(typeOf("1 + 2", in: withDecimal) == .int)
    }
}

@Suite struct CheckErrorTests {
    @Test func undeclaredReferenceSuggestsADeclaredName() {
        guard let (_, issues) = check("ordr.total > 10.0") else { return }
        #expect(issues.map(\.code.rawValue) == ["cel-undeclared-reference"])
        #expect(issues.first?.message == "undeclared reference to `ordr`")
        #expect(issues.first?.help == "did you mean `order`?")
    }

    @Test func undeclaredReferenceWithoutSuggestionListsTheVariables() {
        guard let (_, issues) = check("request.user") else { return }
        #expect(issues.first?.help == nil)
        #expect(issues.first?.notes == ["the declared variables are `limits`, `now` and `order`"])
    }

    @Test func dynIsNotATypeName() {
        // cel-spec conformance: conversions/type/dyn_no_denotation.
        #expect(issueCodes("dyn") == ["cel-undeclared-reference"])
    }

    @Test func unknownQualifiedNameIsReportedWhole() {
        let env = TypeEnvironment(variables: ["request.user.id": .string])
        guard let (_, issues) = check("request.user.idd", in: env) else { return }
        #expect(issues.first?.message == "undeclared reference to `request.user.idd`")
        #expect(issues.first?.help == "did you mean `request.user.id`?")
    }

    @Test func unknownFieldSuggestsADeclaredField() {
        guard let (_, issues) = check("order.totl") else { return }
        #expect(issues.map(\.code.rawValue) == ["cel-unknown-field"])
        #expect(issues.first?.message == "`order` has no field `totl`")
        #expect(issues.first?.help == "did you mean `total`?")
        #expect(issues.first?.range == TextRange(6, 10))
        #expect(check("has(order.totl)")?.1.first?.range == TextRange(10, 14))
    }

    @Test func unknownFunctionSuggestsADeclaredFunction() {
        guard let (_, issues) = check("sise('a')") else { return }
        #expect(issues.map(\.code.rawValue) == ["cel-unknown-function"])
        #expect(issues.first?.help == "did you mean `size`?")
    }

    @Test func wrongArgumentCountSaysWhatIsExpected() {
        guard let (_, issues) = check("size('a', 'b')") else { return }
        #expect(issues.map(\.code.rawValue) == ["cel-wrong-argument-count"])
        #expect(issues.first?.message == "function `size` expects 1 argument, found 2")
        #expect(self.issues(of: "now.getHours(1, 2)").first?.message == "method `getHours` expects 0 or 1 arguments, found 2")
    }

    @Test func methodCalledAsFunction() {
        #expect(issueCodes("contains('abc', 'b')") == ["cel-call-style"])
        #expect(issueCodes("'1'.int()") == ["cel-call-style"])
    }

    @Test func noMatchingOverloadNamesTheArgumentTypes() {
        #expect(issues(of: "1 + 'a'").first?.message == "no matching overload for `_+_` applied to (int, string)")
        #expect(issues(of: "'a'.contains(1)").first?.message
            == "no matching overload for `contains` applied to string.(int)")
        #expect(issues(of: "1 + 1.0").first?.help?.contains("implicitly") == true)
    }

    @Test func wrongOperandTypes() {
        #expect(issues(of: "1 && true").first?.message == "operator `&&` expects `bool` operands, found `int`")
        #expect(issueCodes("1 ? 2 : 3") == ["cel-type-mismatch"])
        #expect(issueCodes("[1].all(x, x)") == ["cel-type-mismatch"])
        #expect(issueCodes("1.exists(x, true)") == ["cel-not-iterable"])
        #expect(issueCodes("{1.5: 1}") == ["cel-invalid-map-key"])
        #expect(issueCodes("(1).field") == ["cel-no-field-selection"])
    }

    @Test func enumLiteralsAreValidated() {
        #expect(issueCodes("order.status == 'shiped'") == ["cel-invalid-enum-value"])
        #expect(issueCodes("'shiped' != order.status") == ["cel-invalid-enum-value"])
        #expect(issueCodes("order.status in ['paid', 'shiped', 'lost']") == ["cel-invalid-enum-value", "cel-invalid-enum-value"])
        #expect(issueCodes("'shiped' in order.previous_statuses") == ["cel-invalid-enum-value"])
        #expect(issueCodes("order.status == 'shipped' || order.status in ['paid']").isEmpty)
        let issue = issues(of: "order.status == \"shiped\"").first
        #expect(issue?.message == "`shiped` is not a valid `order_status`; expected one of `pending_payment`, "
            + "`paid`, `shipped`, `delivered`, `cancelled`")
        #expect(issue?.help == "did you mean `shipped`?")
    }

    @Test func resultTypeIsEnforced() {
        guard let parsed = parse("order.total + 1.0") else { return }
        let (_, issues) = Checker(environment: Fixtures.environment).check(parsed, expecting: .bool)
        #expect(issues.map(\.message) == ["condition must be a `bool`, found `double`"])
        guard let dynParsed = parse("dyn(1)") else { return }
        #expect(Checker(environment: Fixtures.environment).check(dynParsed, expecting: .bool).1.isEmpty)
    }

    private func issues(of source: String) -> [CELIssue] { check(source)?.1 ?? [] }
}

@Suite struct GoldenDiagnosticTests {
    private func render(_ source: String) -> String {
        guard let (_, issues) = check(source) else { return "<parse error>" }
        return rendered(issues, source: source)
    }

    @Test func undeclaredReference() {
        #expect(render("ordr.total > 100.0") == """
            <expr>:1:1: error[cel-undeclared-reference]: undeclared reference to `ordr`
              |
            1 | ordr.total > 100.0
              | ^~~~
              = help: did you mean `order`?

            """)
    }

    @Test func unknownField() {
        #expect(render("order.customer.emial == ''") == """
            <expr>:1:16: error[cel-unknown-field]: `customer` has no field `emial`
              |
            1 | order.customer.emial == ''
              |                ^~~~~
              = note: the fields of `customer` are `name`, `email` and `tier`
              = help: did you mean `email`?

            """)
    }

    @Test func noMatchingOverload() {
        #expect(render("order.total + 'x'") == """
            <expr>:1:1: error[cel-no-matching-overload]: no matching overload for `_+_` applied to (double, string)
              |
            1 | order.total + 'x'
              | ^~~~~~~~~~~~~~~~~

            """)
    }

    @Test func wrongArgumentCount() {
        #expect(render("order.created_at.getHours(1, 2)") == """
            <expr>:1:18: error[cel-wrong-argument-count]: method `getHours` expects 0 or 1 arguments, found 2
              |
            1 | order.created_at.getHours(1, 2)
              |                  ^~~~~~~~

            """)
    }

    @Test func invalidEnumValue() {
        #expect(render("order.status == \"shiped\"") == """
            <expr>:1:17: error[cel-invalid-enum-value]: `shiped` is not a valid `order_status`; expected one of \
            `pending_payment`, `paid`, `shipped`, `delivered`, `cancelled`
              |
            1 | order.status == "shiped"
              |                 ^~~~~~~~
              = help: did you mean `shipped`?

            """)
    }
}
