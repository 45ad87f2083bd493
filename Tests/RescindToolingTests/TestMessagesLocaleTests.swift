import RescindDiagnostics
import RescindYAML
import Testing

@testable import RescindTooling

/// Every message of the test layer (problems in test files, and the failures of cases),
/// called with sample arguments in each branch, has a zh-CN text that differs from the
/// English and keeps its backticked inputs; `PolicyTestFileTests` checks the ones its
/// test files make the same way.
@Suite("test messages in zh-CN")
struct TestMessagesLocaleTests {
    static let file = SourceFile(path: "p/a.tests.yaml", text: "kind: tests\ncases: []\n")
    static let span = file.span(from: 0, to: 4)
    static let other = file.span(from: 12, to: 17)

    static var diagnostics: [Diagnostic] {
        let span = Self.span, other = Self.other
        typealias M = TestMessages
        typealias F = TestMessages.Failures
        let expected = DiagnosticText.en("`voucher` with amount `12.34`", zh: "`voucher`（amount `12.34`）")
        let failures: [DiagnosticText] = [
            F.effect(expected: "review", got: "allow"), F.deciding(expected: ["a", "b"], got: []),
            F.deciding(expected: [], got: ["a"]), F.notMatched("a", matched: []), F.notMatched("a", matched: ["b", "c"]),
            F.matched("a"), F.tier("t", reached: []), F.tier("t", reached: ["u"]), F.tier(nil, reached: ["u"]),
            F.problems(expected: ["missing-list"], got: []), F.problems(expected: [], got: ["x", "y"]),
            F.unexpectedProblem(kind: "eval-error", rule: "r", expression: "a / 0", message: "division by zero", location: "p/r.yaml:3:5"),
            F.obligationDiffers(expected: expected, type: "voucher", source: "r", differences: [("amount", "10.00"), ("to", nil)]),
            F.obligationMissing(expected: expected, types: []), F.obligationMissing(expected: expected, types: ["notify"]),
            F.extraObligation(type: "notify", source: "r", expectedNone: true),
            F.extraObligation(type: "notify", source: "r", expectedNone: false),
            F.noReasonFrom("r", rules: ["s", "t"]), F.reasonEquals("late", locale: "en", got: ["early", "never"]),
            F.reasonContains("late", locale: "zh-CN", got: ["迟到"]),
        ]
        return [
            M.noFiles(["Policies"]), M.unknownKind("test", at: span), M.unknownKind("zzzzzz", at: span),
            M.duplicate(.fixture, "f", at: span, first: other), M.duplicate(.testCase, "c", at: span, first: other),
            M.duplicate(.generator, "g", at: span, first: other),
            M.unknownFixture("paid", at: span, known: ["paied"]), M.unknownFixture("zzzzzz", at: span, known: []),
            M.unknownFixture("zzzzzz", at: span, known: ["a", "b"]), M.fixtureCycle(["a", "b", "a"], at: span),
            M.unknown(.tier, "t", at: span, known: ["u"], in: M.policySet("set")),
            M.unknown(.ruleOrTier, "zzzzzz", at: span, known: ["a", "b"], in: M.policySet("set")),
            M.unknown(.obligationType, "zzzzzz", at: span, known: [], in: M.policySet("set")),
            M.unknown(.field, "amout", at: span, known: ["amount"], in: M.obligation("voucher")),
            M.unknown(.locale, "fr", at: span, known: ["en", "zh-CN"], in: M.policySet("set")),
            M.unknown(.expectation, "efect", at: span, known: ["effect"], in: M.aCase),
            M.invalidSpacing("0h", at: span), M.tableShape(cells: 1, columns: ["a", "b"], at: span),
            M.tableShape(cells: 3, columns: ["a"], at: span), M.invalidEffect("alow", at: span),
            M.unknownProblemKind("x", at: span, known: ["missing-list", "none"]), M.obligationWithoutType(at: span, types: ["a", "b"]),
            M.reasonMatch(at: span), M.severalDocuments(2, at: span), M.emptyTestFile(at: span), M.includesItself("a.yaml", at: span),
            M.noIncludedFile("a.yaml", lookedFor: "p/a.yaml", at: span, help: M.sibling("b.yaml")),
            M.includesTests("a.tests.yaml", at: span), M.caseWithoutRequest("c", at: span), M.caseExpectsNothing("c", at: span),
            M.tableExpectsNothing("t", at: span), M.requestNotAMapping(at: span), M.baseAndFile(at: span),
            M.fixtureNotAMapping("f", at: span), M.noRequestFile("r.json", lookedFor: "p/r.json", at: span, help: nil),
            M.requestFileNotObject("r.json", at: span), M.notARequestPath("order..status", at: span),
            M.cannotSet("order.status.x", prefix: "order.status", found: YAMLNodeKind.string.described, at: span),
            M.generatedCount("cancellations", maximum: 1000, found: "-1", at: span),
            M.generatorWithoutAt("cancellations", at: span), M.beforeYearOne("cancellations", item: 3, at: span),
            Diagnostic.error("test-failed", .en("in a case", zh: "在用例中"), at: span, notes: [M.inRequestOfCase("c", at: other)]),
        ] + failures.map { Diagnostic.error("test-failed", $0, at: span) }
    }

    @Test("every message and failure has a zh-CN text, different from the English, that keeps the backticked inputs")
    func everyMessageIsTranslated() {
        let problems = Self.diagnostics.flatMap(\.translationProblems)
        #expect(Self.diagnostics.count > 60)
        #expect(problems.isEmpty, "untranslated:\n\(problems.joined(separator: "\n"))")
    }

    @Test("a failure reads as its expectation key, then the Chinese")
    func failureText() {
        let failure = ExpectationFailure(
            expectation: "effect", text: TestMessages.Failures.effect(expected: "review", got: "allow"), location: Self.span)
        #expect(TestMessages.failure(failure).en == "effect: expected effect `review`, got `allow`")
        #expect(TestMessages.failure(failure).zh == "effect：预期效果为 `review`，实际为 `allow`")
    }
}
