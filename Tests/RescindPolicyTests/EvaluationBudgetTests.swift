import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// A decision's cost budget bounds the CEL work of all its expressions together, and
/// spending it fails the expression that ran out — reported, never an allow by accident.
@Suite("evaluation cost budget")
struct EvaluationBudgetTests {
    /// Every condition through CEL, so the threshold's count is a comprehension that costs.
    static let plain = ShortcutEquivalenceTests.plain

    static func request(_ name: String, _ set: PolicySet) throws -> ObjectValue {
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/\(name).json")
        return try RequestDecoder(schema: set.schema).decode(Array(Data(contentsOf: url))).get().root
    }

    /// The smallest budget with which `request` decides without problems.
    static func smallestSufficientBudget(_ request: ObjectValue) -> Int? {
        (0...10_000).first { plain.decide(request, options: DecisionOptions(costBudget: $0)).problems.isEmpty }
    }

    @Test("a budget too small for the count fails it with a located problem; the smallest sufficient one decides as unlimited")
    func budgetBoundsTheCount() throws {
        let request = try Self.request("abuse-review", Self.plain)
        let unlimited = Self.plain.decide(request)
        #expect(unlimited.effect == .review)
        #expect(unlimited.problems.isEmpty)

        let budget = try #require(Self.smallestSufficientBudget(request))
        #expect(budget > 0, "counting cancellations in CEL costs something")
        #expect(Self.plain.decide(request, options: DecisionOptions(costBudget: budget)).json == unlimited.json)

        let starved = Self.plain.decide(request, options: DecisionOptions(costBudget: budget - 1))
        // The review tier needs the count; without it `on_error` reviews, not the tier.
        #expect(starved.decidingRules.isEmpty, "the review tier needs the count")
        #expect(starved.effect == .review)
        #expect(starved.reasons.map(\.rule) == ["on-error"])
        let problem = try #require(starved.problems.first)
        #expect(problem.kind == .costBudget)
        #expect(problem.message == "the decision's evaluation cost budget is spent")
        #expect(problem.location.file.hasSuffix("abuse-thresholds.yaml"))
    }

    @Test("the budget is shared by all of a decision's expressions")
    func budgetIsCumulative() throws {
        // Two review rules, each scanning the history: alone each needs some budget B;
        // together the decision needs 2B, and with less the second rule runs out.
        let rule = { (id: String) in
            """
              - id: \(id)
                when: history.events.exists(e, e.by == "seller")
                effect: review
                reason:
                  en: Look.
                  zh-CN: 看看。

            """
        }
        let one = try #require(PolicyFixture.load(["p/scan.yaml": PolicyFixture.rules(rule("scan-a"))]).policySet)
        let two = try #require(
            PolicyFixture.load(["p/scan.yaml": PolicyFixture.rules(rule("scan-a") + rule("scan-b"))]).policySet)
        let json = """
            {"id": "r", "at": "2026-11-27T10:00:00Z", "actor": {"id": "u", "role": "buyer"},
             "order": {"status": "paid", "total": "1.00", "currency": "CNY"},
             "history": {"events": [{"at": "2026-11-20T10:00:00Z", "by": "buyer"},
                                    {"at": "2026-11-21T10:00:00Z", "by": "buyer"},
                                    {"at": "2026-11-22T10:00:00Z", "by": "seller"}]}}
            """
        func decide(_ set: PolicySet, _ budget: Int) throws -> Decision {
            let request = try RequestDecoder(schema: set.schema).decode(json).get().root
            return set.decide(request, options: DecisionOptions(costBudget: budget))
        }
        let single = try #require((0...1000).first { try! decide(one, $0).problems.isEmpty })
        #expect(single > 0)
        #expect(try decide(two, 2 * single).problems.isEmpty)
        #expect(try decide(two, 2 * single).matchedRules == ["buyer-may-cancel", "scan-a", "scan-b"])
        let short = try decide(two, 2 * single - 1)
        #expect(short.problems.map(\.rule) == ["scan-b"])
        #expect(short.matchedRules == ["buyer-may-cancel", "scan-a"])
    }

    @Test("counts done natively spend no budget")
    func nativeCountIsFree() throws {
        let fast = ShortcutEquivalenceTests.fast
        let request = try Self.request("abuse-review", fast)
        let decision = fast.decide(request, options: DecisionOptions(costBudget: 0))
        #expect(decision.problems.isEmpty)
        #expect(decision.json == fast.decide(request).json)
    }
}
