import CELChecker
import CELCommon
import Testing

/// Checker behaviour on hand-built trees (independent of the parser).
@Suite struct CheckerASTTests {
    let checker = Checker(environment: Fixtures.environment)

    @Test func literalsHaveTheirTypes() {
        let b = ASTBuilder()
        let cases: [(Expr, CELType)] = [
            (b.int(1), .int), (b.uint(1), .uint), (b.double(1), .double), (b.string("a"), .string),
            (b.bool(true), .bool), (b.null(), .null),
        ]
        for (expr, expected) in cases {
            let (checked, issues) = checker.check(b.parsed(expr))
            #expect(issues.isEmpty)
            #expect(checked.resultType == expected)
        }
    }

    @Test func additionResolvesToOneOverload() {
        let b = ASTBuilder()
        let expr = b.call(Operator.add, b.int(1), b.int(2))
        let (checked, issues) = checker.check(b.parsed(expr))
        #expect(issues.isEmpty)
        #expect(checked.resultType == .int)
        #expect(checked.references[expr.id] == .function(overloads: ["add_int64"]))
    }

    @Test func dynArgumentKeepsEveryFittingOverload() {
        let b = ASTBuilder()
        let expr = b.call(Operator.add, b.call("dyn", b.int(1)), b.int(2))
        let (checked, issues) = checker.check(b.parsed(expr))
        #expect(issues.isEmpty)
        #expect(checked.resultType == .int)
        guard case .function(let overloads)? = checked.references[expr.id] else {
            Issue.record("no function reference")
            return
        }
        #expect(overloads.contains("add_int64"))
        #expect(!overloads.contains("add_string"))
    }

    @Test func qualifiedSelectChainBecomesIdentifier() {
        let b = ASTBuilder()
        let expr = b.select(b.select(b.ident("a"), "b"), "c")
        let env = TypeEnvironment(variables: ["a.b.c": .string])
        let (checked, issues) = Checker(environment: env).check(b.parsed(expr))
        #expect(issues.isEmpty)
        #expect(checked.resultType == .string)
        #expect(checked.expr.kind == .ident("a.b.c"))
        #expect(checked.references[expr.id] == .variable("a.b.c"))
    }

    @Test func mapMacroInfersListOfResults() {
        let b = ASTBuilder()
        let expr = b.mapMacro(b.select(b.ident("order"), "items"), "i") { b in b.select(b.ident("i"), "quantity") }
        let (checked, issues) = checker.check(b.parsed(expr))
        #expect(issues.isEmpty)
        #expect(checked.resultType == .list(.int))
    }

    @Test func allMacroOverMapIteratesKeys() {
        let b = ASTBuilder()
        let expr = b.all(b.select(b.ident("order"), "metadata"), "k") { b in
            b.member(b.ident("k"), "startsWith", b.string("x"))
        }
        let (checked, issues) = checker.check(b.parsed(expr))
        #expect(issues.isEmpty)
        #expect(checked.resultType == .bool)
    }

    @Test func enumComparisonWithUnknownLiteralIsAnError() {
        let b = ASTBuilder()
        let literal = b.string("shiped", at: TextRange(16, 24))
        let expr = b.call(Operator.equals, b.select(b.ident("order"), "status"), literal)
        let (_, issues) = checker.check(b.parsed(expr))
        #expect(issues.map(\.code.rawValue) == ["cel-invalid-enum-value"])
        #expect(issues.first?.range == TextRange(16, 24))
        #expect(issues.first?.help == "did you mean `shipped`?")
    }

    @Test func messageConstructionIsRejected() {
        let b = ASTBuilder()
        let expr = Expr(id: 99, .structure(typeName: "Foo", fields: []))
        let (_, issues) = checker.check(b.parsed(expr))
        #expect(issues.map(\.code.rawValue) == ["cel-message-construction"])
        #expect(issues.first?.message.hasPrefix("message construction is not supported") == true)
    }
}
