import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// Explanations are views over what deciding recorded; reading one must show what
/// evaluating every condition through CEL shows, and must stay valid on its own.
@Suite("explanation views")
struct ExplanationViewTests {
    static let pack = ReferencePackTests.policies.policySet!
    static let explain = DecisionOptions(explain: true)

    /// Everything an explanation shows, as lines.
    static func lines(_ explanation: Explanation) -> [String] {
        var lines: [String] = []
        for rule in explanation.rules {
            lines.append("rule \(rule.id) \(rule.effect) matched=\(rule.matched) \(rule.location)")
            for condition in rule.conditions {
                let values = condition.observed.map { "\($0.path)=\($0.value)" }.joined(separator: ",")
                lines.append("  \(condition.expression) \(condition.outcome) \(condition.location) [\(values)]")
            }
        }
        for threshold in explanation.thresholds { lines.append("threshold \(threshold.id): \(threshold.text)") }
        lines += explanation.alternatives.map { "alternative \($0)" }
        return lines
    }

    @Test("an explanation shows what CEL shows, for every example request", arguments: ShortcutEquivalenceTests.examples)
    func matchesCEL(_ name: String) throws {
        // Each set decodes the request with its own schema's types, as a service would.
        let plain = ShortcutEquivalenceTests.plain
        let example = String(name.dropLast(".json".count))
        let request = try EvaluationBudgetTests.request(example, Self.pack)
        let viaShortcuts = try #require(Self.pack.decide(request, options: Self.explain).explanation)
        let viaCEL = try #require(
            plain.decide(EvaluationBudgetTests.request(example, plain), options: Self.explain).explanation)
        #expect(Self.lines(viaShortcuts) == Self.lines(viaCEL))
        #expect(viaShortcuts.rules.count == Self.pack.rules.count)
    }

    @Test("conditions index from zero in every rule, and every one is evaluated, past the first false one too")
    func indexesAndEveryCondition() throws {
        let request = try EvaluationBudgetTests.request("buyer-paid-card", Self.pack)
        let explanation = try #require(Self.pack.decide(request, options: Self.explain).explanation)
        var pastFirstFalse = 0
        var sources: [String] = []
        for rule in explanation.rules {
            #expect(rule.conditions.startIndex == 0, "\(rule.id)")
            // `conditions[0]` is the rule's own first condition, for every rule.
            if let first = rule.conditions.first { #expect(rule.conditions[0].expression == first.expression) }
            sources += rule.conditions.map(\.expression)
            for index in rule.conditions.indices {
                #expect(rule.conditions[index].outcome != .notEvaluated, "\(rule.id)")
                if rule.conditions[rule.conditions.startIndex..<index].contains(where: { $0.outcome == .false }) {
                    pastFirstFalse += 1
                    #expect(!rule.conditions[index].observed.isEmpty)
                }
            }
        }
        #expect(pastFirstFalse > 0, "conditions after a false one are evaluated and show their values")
        // Each rule's conditions are its own: together they are every condition once.
        let written = Self.pack.rules.flatMap { rule in Self.leaves(rule.condition) }
        #expect(sources.count == written.count)
    }

    /// A condition's CEL expressions, in the order they are written.
    static func leaves(_ condition: Condition) -> [String] {
        switch condition {
        case .expression(let expression): [expression.source]
        case .all(let items), .any(let items): items.flatMap(leaves)
        case .not(let inner): leaves(inner)
        }
    }

    @Test("an explanation outlives its decision and reads the same every time")
    func outlivesDecision() throws {
        let request = try EvaluationBudgetTests.request("abuse-review", Self.pack)
        let expected = try Self.lines(#require(Self.pack.decide(request, options: Self.explain).explanation))
        let explanation: Explanation = try {
            let decision = Self.pack.decide(request, options: Self.explain)
            return try #require(decision.explanation)
        }()
        #expect(Self.lines(explanation) == expected)
        #expect(Self.lines(explanation) == expected)
        #expect(expected.contains { $0.hasPrefix("threshold ") && $0.contains("counted in") })
    }
}
