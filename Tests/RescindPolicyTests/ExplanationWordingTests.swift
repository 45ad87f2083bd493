import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// Explanations for a business reader: in the decision's locale, rules that decided
/// first with their descriptions, times in the calendar's zone, and the refund worked
/// out step by step.
@Suite("explanation wording")
struct ExplanationWordingTests {
    static let pack = ReferencePackTests.policies.policySet!

    static func explained(_ example: String, locale: String? = "en", in set: PolicySet = pack) throws -> Decision {
        let request = try EvaluationBudgetTests.request(example, set)
        return set.decide(request, options: DecisionOptions(locale: locale, explain: true))
    }

    @Test("zh-CN: labels, effects, thresholds, windows and advice are Chinese")
    func chinese() throws {
        let decision = try Self.explained("abuse-review", locale: "zh-CN")
        let text = decision.text
        let explanation = String(text[try #require(text.range(of: "决策说明：\n"))!.lowerBound...])
        #expect(explanation.hasPrefix("决策说明：\n  阈值 repeat-canceller："))
        #expect(explanation.contains("\n  ✔ buyer-before-shipment → 允许  ["))
        #expect(explanation.contains("      成立   actor.role == \"buyer\"   （actor.role = \"buyer\"）\n"))
        #expect(explanation.contains(
            "  阈值 repeat-canceller：近 30 天内（截至 2026-11-27T10:00:00+08:00），buyer_history.cancellations where "
                + "item.initiator == \"buyer\" 计入 5 次；已达档位 `abuse-review`（5 次起），档位 `abuse-block` 自 8 次起"))
        #expect(explanation.contains("怎样才能改变结果：\n"))
        #expect(explanation.contains(
            "  - 若 reason 为 \"input_error\"（现为 \"changed_mind\"），且 at 不晚于 2026-11-27T08:30:00+08:00"
                + "（现为 2026-11-27T10:00:00+08:00），规则 `input-error-grace` 将允许取消\n"))
        // The engine's own words are all Chinese: none of the English labels is left.
        for english in ["explanation:", " true ", " false ", "threshold ", "counted in", "what would change", "would allow"] {
            #expect(!explanation.contains(english), "`\(english)` in a zh-CN explanation")
        }
        #expect(try #require(decision.explanation).locale == "zh-CN")
    }

    @Test("the request's locale words the explanation when no locale is asked for")
    func requestLocale() throws {
        // buyer-paid-card.json asks for zh-CN.
        let decision = try Self.explained("buyer-paid-card", locale: nil)
        #expect(decision.text.contains("\n决策说明：\n"))
        #expect(try Self.explained("buyer-paid-card", locale: "en").text.contains("\nexplanation:\n"))
    }

    @Test("rules that decided come first with their descriptions, then matched ones, then the rest")
    func readingOrder() throws {
        let explanation = try #require(try Self.explained("seller-stock-out-wallet").explanation)
        let order = explanation.readingOrder.compactMap { item -> RuleExplanation? in
            if case .rule(let rule) = item { rule } else { nil }
        }
        let matched = explanation.rules.filter(\.matched).map(\.id)
        #expect(matched.count >= 2)
        #expect(order.prefix(matched.count).map(\.id) == matched)
        #expect(order.dropFirst(matched.count).allSatisfy { !$0.matched })
        #expect(order.count == explanation.rules.count)
        let text = try Self.explained("abuse-review").text
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "explanation:"))
        // The tier that decided comes first, then the allow rule that matched, then the rest.
        #expect(lines[start + 1].hasPrefix("  threshold repeat-canceller: 5 counted in"))
        #expect(lines[start + 2] == "      Counts the cancellations the buyer started in the 30 days before the request.")
        #expect(lines[start + 3]
            == "      Five or more cancellations in 30 days; a person reviews the cancellation before it goes ahead.")
        #expect(lines[start + 4].hasPrefix("  ✔ buyer-before-shipment → allow  ["))
        #expect(lines[start + 5] == "      Buyers may cancel their order until it ships.")
        #expect(lines[start + 8].hasPrefix("  ✘ "))
    }

    @Test("times are shown in the policy calendar's zone")
    func localTimes() throws {
        let text = try Self.explained("system-payment-too-early").text
        #expect(text.contains(
            "(actor.role = \"system\")"))
        #expect(text.contains(
            "at - order.placed_at >= duration(\"30m\")   (at = 2026-11-27T09:29:59+08:00, order.placed_at = "
                + "2026-11-27T09:00:00+08:00)"))
    }

    @Test("the refund's derivation: the fee formula with its values, the cap, the cases and the days counted")
    func refundCapped() throws {
        let refund = try #require(try Self.explained("buyer-processing-fee-capped").explanation?.refund)
        #expect(refund.steps.map { "\($0.label): \($0.text)" } == [
            "fee: case 1 applies (`actor.role == \"buyer\" && order.status == \"processing\"`): "
                + "5% × 1200.00 = 60.00, capped at 20.00",
            "amount: `order.total - fee`: 1200.00 − 20.00 = 1180.00",
            "initiate_by: case 3 applies (`order.payment_method == \"wallet\"`): 1 business day after 2026-11-27 "
                + "(calendar cn-mainland, Asia/Shanghai): counted 2026-11-30; skipped 2026-11-28..2026-11-29 (weekend) "
                + "→ 2026-11-30T23:59:59+08:00",
            "expected_by: case 2 applies (`order.payment_method == \"wallet\"`): 0 business days: the same day, "
                + "2026-11-30 (calendar cn-mainland, Asia/Shanghai) → 2026-11-30T23:59:59+08:00",
        ])
    }

    @Test("the fee below its cap, rounded half-even")
    func refundRounded() throws {
        let refund = try #require(try Self.explained("buyer-processing-fee").explanation?.refund)
        #expect(refund.steps[0].text == "case 1 applies (`actor.role == \"buyer\" && order.status == \"processing\"`): "
            + "5% × 250.50 = 12.525 (at most 20.00), rounded half-even to 0.01 = 12.52")
        let chinese = try #require(try Self.explained("buyer-processing-fee", locale: "zh-CN").explanation?.refund)
        #expect(chinese.steps[0].label == "手续费")
        #expect(chinese.steps[0].text.hasSuffix("5% × 250.50 = 12.525（上限 20.00），按银行家舍入法保留到 0.01 得 12.52"))
    }

    @Test("business days skip holidays and weekends and count make-up workdays")
    func refundHolidays() throws {
        let refund = try #require(try Self.explained("refund-spring-festival-bank-transfer").explanation?.refund)
        #expect(refund.steps[2].text.contains(
            "counted 2026-02-14 (make-up workday), 2026-02-24..2026-02-27; skipped 2026-02-15..2026-02-23 (holiday) "
                + "→ 2026-02-27T23:59:59+08:00"))
        let chinese = try #require(
            try Self.explained("refund-spring-festival-bank-transfer", locale: "zh-CN").explanation?.refund)
        #expect(chinese.steps[2].text.contains(
            "计入 2026-02-14（调休上班日）、2026-02-24..2026-02-27；跳过 2026-02-15..2026-02-23（法定节假日）"))
    }

    @Test("an unpaid order: the explanation says why there is no refund")
    func noRefund() throws {
        let refund = try #require(try Self.explained("pending-payment-no-refund").explanation?.refund)
        #expect(refund.steps.map(\.text) == ["`order.status in [\"paid\", \"processing\"]` does not hold: no refund"])
        #expect(try Self.explained("buyer-after-shipment").explanation?.refund == nil)
    }

    @Test("conditions evaluated only for the explanation report no problems and spend no budget")
    func speculativeEvaluation() throws {
        // An analyst's edit: a condition that fails to evaluate for every request, after
        // one that is false for all but buyers. Deciding never reaches it for a seller.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-explain-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: ReferencePackTests.root.appendingPathComponent("Policies"), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("who-may-cancel.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let anchor = "        - reason == \"input_error\"\n"
        #expect(text.contains(anchor))
        try text.replacingOccurrences(of: anchor, with: anchor + "        - int(order.id) > 0\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let set = try #require(LoadedPolicies.load(paths: [folder.path]).policySet)
        let request = try EvaluationBudgetTests.request("seller-price-change", set)
        let plain = set.decide(request, options: DecisionOptions(costBudget: 10_000))
        let explained = set.decide(request, options: DecisionOptions(explain: true, costBudget: 10_000))
        #expect(plain.problems.isEmpty)
        #expect(explained.problems.isEmpty)
        #expect(explained.effect == plain.effect)
        // The explanation still shows the condition's error.
        let rule = try #require(explained.explanation?.rules.first { $0.id == "input-error-grace" })
        #expect(rule.conditions.contains { if case .error = $0.outcome { true } else { false } })
    }
}
