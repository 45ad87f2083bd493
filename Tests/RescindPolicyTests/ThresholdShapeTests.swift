import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// Thresholds of one shape (`order.total > decimal("…")`) are parsed and checked once and
/// share that work (CELShapeCache); each still decides by its own constant and reports
/// its own bad literal where it is written.
@Suite("thresholds compiled by shape")
struct ThresholdShapeTests {
    static let rules = PolicyFixture.rules("""
          - id: review-over-100
            when: order.total > decimal("100")
            effect: review
            reason:
              en: Large orders are reviewed.
              zh-CN: 大额订单需审核。
          - id: allow-over-10
            when: order.total > decimal("10.5")
            effect: allow
            reason:
              en: Orders over 10.50 may be cancelled.
              zh-CN: 超过 10.50 的订单可以取消。

        """)

    static func request(total: String) -> [String: Any] {
        [
            "id": "r-1", "at": "2026-11-27T10:00:00+08:00", "actor": ["id": "u-1", "role": "buyer"],
            "order": ["status": "paid", "total": total, "currency": "CNY"],
        ]
    }

    @Test("each threshold decides by its own constant", arguments: [("5", Effect.deny), ("50", .allow), ("150", .review)])
    func eachDecidesByItsOwnConstant(total: String, effect: Effect) throws {
        let loaded = PolicyFixture.load(["p/rules.yaml": Self.rules])
        let set = try #require(loaded.policySet, "\(PolicyFixture.render(loaded))")
        #expect(try DecisionSafetyTests.decide(set, Self.request(total: total)).effect == effect)
    }

    @Test("a bad literal after good ones of its shape is reported at its own place")
    func badLiteralLocated() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": Self.rules + """
                  - id: broken
                    when: order.total > decimal("1.2.3")
                    effect: review
                    reason:
                      en: Broken.
                      zh-CN: 坏的。

                """
        ])
        #expect(loaded.policySet == nil)
        #expect(PolicyFixture.render(loaded).contains("""
            p/rules.yaml:16:33: error[policy-invalid-constant]: `"1.2.3"` is not a decimal number
               |
            16 |     when: order.total > decimal("1.2.3")
               |                                 ^~~~~~~
            """))
    }
}

/// The document reader keeps each distinct text once, copied (`DocumentReader.keep`).
@Suite("texts the model keeps")
struct KeptTextTests {
    @Test("a text the model keeps is kept whole, a NUL in it included")
    func keptTextsAreWhole() throws {
        let loaded = PolicyFixture.load(["p/rules.yaml": PolicyFixture.rules("""
              - id: buyer-may-cancel
                when: actor.role == "buyer"
                effect: allow
                reason:
                  en: "Buyers\\0 may cancel."
                  zh-CN: 买家可以取消。

            """)])
        let set = try #require(loaded.policySet, "\(PolicyFixture.render(loaded))")
        let data = try JSONSerialization.data(withJSONObject: ThresholdShapeTests.request(total: "5"))
        let decoded = try RequestDecoder(schema: set.schema).decode(Array(data)).get()
        let decision = set.decide(decoded.root, options: DecisionOptions(locale: "en"))
        #expect(decision.reasons.map(\.text) == ["Buyers\u{0} may cancel."])
    }
}
