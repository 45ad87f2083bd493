import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// One unmet expectation: which, what was expected and found, and where it is written.
package struct ExpectationFailure: Sendable, Hashable {
    /// The expectation's key: `effect`, `deciding`, `obligations`, …
    package let expectation: String
    /// Expected against actual, in words, in every locale (`message` is the English).
    package let text: DiagnosticText
    /// Expected against actual, in English.
    package var message: String { text.en }
    /// The expectation in the test file (for a table row, its cell).
    package let location: SourceSpan
}

/// The outcome of one case.
package struct PolicyTestResult: Sendable {
    /// The case that ran.
    package let testCase: PolicyTestCase
    /// Every unmet expectation; empty when the case passed.
    package let failures: [ExpectationFailure]
    /// The decision; explained when the case failed, so the report can say why.
    package let decision: Decision

    /// Whether every expectation was met.
    package var passed: Bool { failures.isEmpty }
}

/// The outcome of a run: every case's result and what the cases covered.
package struct PolicyTestResults: Sendable {
    /// In suite order, then case order.
    package let results: [PolicyTestResult]
    /// What the cases exercised of the policy set.
    package let coverage: CoverageReport

    /// The results of the cases that failed, in order.
    package var failed: [PolicyTestResult] { results.filter { !$0.passed } }
    /// How many cases passed.
    package var passedCount: Int { results.count - failed.count }
}

extension PolicyTestPlan {
    /// Decides every case (only those whose name contains `filter`, when given) and
    /// checks its expectations. Deterministic: the clock is each request's `at`.
    package func run(filter: String? = nil) -> PolicyTestResults {
        var coverage = CoverageRecorder(policySet: policySet)
        var results: [PolicyTestResult] = []
        for testCase in cases where filter.map({ testCase.name.contains($0) }) ?? true {
            var decision = policySet.decide(testCase.request, options: DecisionOptions(locale: testCase.locale))
            let failures = ExpectationCheck(policySet: policySet, testCase: testCase, decision: decision).failures()
            coverage.record(testCase, decision)
            if !failures.isEmpty {
                decision = policySet.decide(testCase.request, options: DecisionOptions(locale: testCase.locale, explain: true))
            }
            results.append(PolicyTestResult(testCase: testCase, failures: failures, decision: decision))
        }
        return PolicyTestResults(results: results, coverage: coverage.report())
    }
}

/// Checks one decision against one case's expectations.
struct ExpectationCheck {
    let policySet: PolicySet
    let testCase: PolicyTestCase
    let decision: Decision

    private var expectations: Expectations { testCase.expectations }

    func failures() -> [ExpectationFailure] {
        var failures: [ExpectationFailure] = []
        func fail(_ key: String, _ message: DiagnosticText, _ span: SourceSpan) {
            failures.append(ExpectationFailure(expectation: key, text: message, location: span))
        }
        typealias Failures = TestMessages.Failures
        if let effect = expectations.effect, effect.value != decision.effect {
            fail("effect", Failures.effect(expected: effect.value.rawValue, got: decision.effect.rawValue), effect.span)
        }
        if let deciding = expectations.deciding, Set(deciding.value) != Set(decision.decidingRules) {
            fail("deciding", Failures.deciding(expected: deciding.value, got: decision.decidingRules), deciding.span)
        }
        let matched = decision.matchedRules
        for id in expectations.matched where !matched.contains(id.value) {
            fail("matched", Failures.notMatched(id.value, matched: matched), id.span)
        }
        for id in expectations.notMatched where matched.contains(id.value) {
            fail("not_matched", Failures.matched(id.value), id.span)
        }
        if let tier = expectations.tier {
            let tiers = Set(policySet.thresholds.flatMap { $0.tiers.map(\.id) })
            let reached = matched.filter(tiers.contains)
            if let expected = tier.value {
                if !reached.contains(expected) { fail("tier", Failures.tier(expected, reached: reached), tier.span) }
            } else if !reached.isEmpty {
                fail("tier", Failures.tier(nil, reached: reached), tier.span)
            }
        }
        if let expected = expectations.obligations {
            for (message, span) in obligationMismatches(expected) { fail("obligations", message, span) }
        }
        for reason in expectations.reasons {
            if let message = reasonMismatch(reason) { fail("reason", message, reason.span) }
        }
        if let expected = expectations.problems {
            // Kinds, not counts: a case says which problems the request must meet.
            let got = Set(decision.problems.map(\.kind.rawValue))
            if got != Set(expected.value) {
                fail("problems", Failures.problems(expected: Set(expected.value), got: got), expected.span)
            }
        } else {
            for problem in decision.problems {
                fail(
                    "problems",
                    Failures.unexpectedProblem(
                        kind: problem.kind.rawValue, rule: problem.rule, expression: problem.expression,
                        message: problem.message, location: "\(problem.location)"),
                    testCase.location)
            }
        }
        return failures
    }

    // MARK: - Obligations

    /// Pairs expected and actual obligations one to one, first match first; what is
    /// left over on either side is a mismatch.
    private func obligationMismatches(_ expected: Located<[ExpectedObligation]>) -> [(DiagnosticText, SourceSpan)] {
        typealias Failures = TestMessages.Failures
        let actual = decision.obligations
        var used = Array(repeating: false, count: actual.count)
        var mismatches: [(DiagnosticText, SourceSpan)] = []
        var unmatched: [ExpectedObligation] = []
        for item in expected.value {
            if let index = actual.indices.first(where: { !used[$0] && Self.matches(item, actual[$0]) }) {
                used[index] = true
            } else {
                unmatched.append(item)
            }
        }
        for item in unmatched {
            // Explain against the first unused obligation of the same type, when there is one.
            if let index = actual.indices.first(where: { !used[$0] && actual[$0].type == item.type.value }) {
                let candidate = actual[index]
                let differences = item.fields.compactMap { field -> (name: String, value: String?)? in
                    let value = Self.value(of: field.name.value, in: candidate)
                    guard value != field.value.value else { return nil }
                    return (field.name.value, value)
                }
                used[index] = true
                mismatches.append((
                    Failures.obligationDiffers(
                        expected: item.text, type: candidate.type, source: candidate.source, differences: differences),
                    item.span))
            } else {
                mismatches.append((Failures.obligationMissing(expected: item.text, types: actual.map(\.type)), item.span))
            }
        }
        for index in actual.indices where !used[index] {
            let extra = actual[index]
            mismatches.append((
                Failures.extraObligation(type: extra.type, source: extra.source, expectedNone: expected.value.isEmpty),
                expected.span))
        }
        return mismatches
    }

    private static func matches(_ expected: ExpectedObligation, _ actual: Obligation) -> Bool {
        expected.type.value == actual.type
            && expected.fields.allSatisfy { value(of: $0.name.value, in: actual) == $0.value.value }
    }

    /// A field as the decision JSON writes it (amounts at their scale, times in RFC 3339).
    private static func value(of field: String, in obligation: Obligation) -> String? {
        field == "source" ? obligation.source : obligation[field]?.text
    }

    // MARK: - Reasons

    private func reasonMismatch(_ expected: ExpectedReason) -> DiagnosticText? {
        let locale = expected.locale?.value ?? decision.locale
        let decided = locale == decision.locale
            ? decision
            : policySet.decide(testCase.request, options: DecisionOptions(locale: locale))
        var reasons = decided.reasons
        if let rule = expected.rule?.value {
            reasons = reasons.filter { $0.rule == rule }
            if reasons.isEmpty {
                return TestMessages.Failures.noReasonFrom(rule, rules: decided.reasons.map(\.rule))
            }
        }
        let texts = reasons.map(\.text)
        switch expected.match {
        case .equals(let text):
            if texts.contains(text) { return nil }
            return TestMessages.Failures.reasonEquals(text, locale: locale, got: texts)
        case .contains(let part):
            if texts.contains(where: { $0.contains(part) }) { return nil }
            return TestMessages.Failures.reasonContains(part, locale: locale, got: texts)
        }
    }
}
