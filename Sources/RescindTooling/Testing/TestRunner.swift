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
    /// Expected against actual, in words.
    package let message: String
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
        func fail(_ key: String, _ message: String, _ span: SourceSpan) {
            failures.append(ExpectationFailure(expectation: key, message: message, location: span))
        }
        if let effect = expectations.effect, effect.value != decision.effect {
            fail("effect", "expected effect `\(effect.value.rawValue)`, got `\(decision.effect.rawValue)`", effect.span)
        }
        if let deciding = expectations.deciding, Set(deciding.value) != Set(decision.decidingRules) {
            fail(
                "deciding", "expected \(Self.deciders(deciding.value)) to decide, got \(Self.deciders(decision.decidingRules))",
                deciding.span)
        }
        let matched = decision.matchedRules
        for id in expectations.matched where !matched.contains(id.value) {
            fail("matched", "expected `\(id.value)` to match; \(Self.matchedText(matched))", id.span)
        }
        for id in expectations.notMatched where matched.contains(id.value) {
            fail("not_matched", "expected `\(id.value)` not to match, but it did", id.span)
        }
        if let tier = expectations.tier {
            let tiers = Set(policySet.thresholds.flatMap { $0.tiers.map(\.id) })
            let reached = matched.filter(tiers.contains)
            let got = reached.isEmpty ? "no tier" : Suggestions.quotedList(reached, conjunction: "and")
            if let expected = tier.value {
                if !reached.contains(expected) { fail("tier", "expected tier `\(expected)`, got \(got)", tier.span) }
            } else if !reached.isEmpty {
                fail("tier", "expected no tier, got \(got)", tier.span)
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
                let show = { (kinds: Set<String>) in kinds.isEmpty ? "none" : Suggestions.quotedList(kinds.sorted(), conjunction: "and") }
                fail("problems", "expected problems \(show(Set(expected.value))), got \(show(got))", expected.span)
            }
        } else {
            for problem in decision.problems {
                fail(
                    "problems", "an unexpected problem: \(problem.kind.rawValue): rule `\(problem.rule)`: "
                        + "`\(problem.expression)`: \(problem.message) (\(problem.location))", testCase.location)
            }
        }
        return failures
    }

    private static func deciders(_ ids: [String]) -> String {
        ids.isEmpty ? "the default (no rule)" : Suggestions.quotedList(ids, conjunction: "and")
    }

    private static func matchedText(_ matched: [String]) -> String {
        matched.isEmpty ? "nothing matched" : "matched: \(Suggestions.quotedList(matched, conjunction: "and"))"
    }

    // MARK: - Obligations

    /// Pairs expected and actual obligations one to one, first match first; what is
    /// left over on either side is a mismatch.
    private func obligationMismatches(_ expected: Located<[ExpectedObligation]>) -> [(String, SourceSpan)] {
        let actual = decision.obligations
        var used = Array(repeating: false, count: actual.count)
        var mismatches: [(String, SourceSpan)] = []
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
                let differences = item.fields.compactMap { field -> String? in
                    let value = Self.value(of: field.name.value, in: candidate)
                    guard value != field.value.value else { return nil }
                    return value.map { "\(field.name.value) `\($0)`" } ?? "no \(field.name.value)"
                }
                used[index] = true
                mismatches.append((
                    "expected \(item.description); the decision's `\(candidate.type)` (from `\(candidate.source)`) has "
                        + differences.joined(separator: "; "), item.span))
            } else {
                let types = actual.map { "`\($0.type)`" }
                mismatches.append((
                    "expected \(item.description); the decision has "
                        + (types.isEmpty ? "no obligations" : "no such obligation, only " + types.joined(separator: ", ")),
                    item.span))
            }
        }
        for index in actual.indices where !used[index] {
            let extra = actual[index]
            mismatches.append((
                "the decision has an unexpected `\(extra.type)` obligation (from `\(extra.source)`)"
                    + (expected.value.isEmpty ? "; expected none" : ""), expected.span))
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

    private func reasonMismatch(_ expected: ExpectedReason) -> String? {
        let locale = expected.locale?.value ?? decision.locale
        let decided = locale == decision.locale
            ? decision
            : policySet.decide(testCase.request, options: DecisionOptions(locale: locale))
        var reasons = decided.reasons
        if let rule = expected.rule?.value {
            reasons = reasons.filter { $0.rule == rule }
            if reasons.isEmpty {
                return "expected a reason from `\(rule)`; the reasons come from "
                    + Suggestions.quotedList(decided.reasons.map(\.rule), conjunction: "and")
            }
        }
        let texts = reasons.map(\.text)
        switch expected.match {
        case .equals(let text):
            if texts.contains(text) { return nil }
            return "expected the reason (\(locale)) `\(text)`; got " + texts.map { "`\($0)`" }.joined(separator: ", ")
        case .contains(let part):
            if texts.contains(where: { $0.contains(part) }) { return nil }
            return "expected a reason (\(locale)) containing `\(part)`; got " + texts.map { "`\($0)`" }.joined(separator: ", ")
        }
    }
}
