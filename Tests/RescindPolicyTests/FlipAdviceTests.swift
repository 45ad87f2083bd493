import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindPolicy
import Testing
@testable import RescindEngine

/// "What would change the outcome" promises only what holds: each advice's changes,
/// applied to the request as JSON (as a caller would resend it), decoded and decided
/// again, give the outcome the advice states.
@Suite("flip advice")
struct FlipAdviceTests {
    static let pack = ReferencePackTests.policies.policySet!
    static let explain = DecisionOptions(explain: true)

    /// A change as a caller makes it: a dotted path and the new value as JSON.
    struct Change {
        let path: String
        let json: String
    }

    /// Why applying `changes` to `request` does not give `promised` with `rule` matched,
    /// or nil when it does. Independent of the engine's own copy-and-decide: the JSON is
    /// edited, re-encoded and decoded like a new request.
    static func failure(
        applying changes: [Change], to request: [String: Any], promised: Effect, rule: String, in set: PolicySet = pack
    ) -> String? {
        var object = request
        for change in changes {
            guard let value = try? JSONSerialization.jsonObject(with: Data(change.json.utf8), options: .fragmentsAllowed)
            else { return "`\(change.json)` is not JSON" }
            Self.set(&object, path: change.path.split(separator: ".").map(String.init)[...], to: value)
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object) else { return "cannot encode the request" }
        let decoded: ObjectValue
        switch RequestDecoder(schema: set.schema).decode(Array(data)) {
        case .success(let request): decoded = request.root
        case .failure(let error): return "the changed request is invalid: \(error)"
        }
        let decision = set.decide(decoded)
        if decision.effect != promised {
            return "promised \(promised), decided \(decision.effect) (\(decision.decidingRules.joined(separator: ", ")))"
        }
        if !decision.matchedRules.contains(rule) { return "rule `\(rule)` does not match the changed request" }
        return nil
    }

    static func set(_ object: inout [String: Any], path: ArraySlice<String>, to value: Any) {
        guard let name = path.first else { return }
        if path.count == 1 {
            object[name] = value
        } else {
            var child = object[name] as? [String: Any] ?? [:]
            set(&child, path: path.dropFirst(), to: value)
            object[name] = child
        }
    }

    /// Checks every advice of the explained decision of `request`; returns how many there were.
    @discardableResult
    static func check(_ request: [String: Any], label: String) throws -> Int {
        let data = try JSONSerialization.data(withJSONObject: request)
        let decoded = try RequestDecoder(schema: pack.schema).decode(Array(data)).get().root
        let plain = pack.decide(decoded)
        let decision = pack.decide(decoded, options: explain)
        // Explaining evaluates every condition, but reports only what deciding does.
        #expect(decision.effect == plain.effect, "\(label)")
        #expect(decision.matchedRules == plain.matchedRules, "\(label)")
        #expect(decision.problems == plain.problems, "\(label)")
        let explanation = try #require(decision.explanation)
        let advice = explanation.advice
        for item in advice {
            let changes = item.changes.map { Change(path: $0.path, json: $0.json) }
            let failure = failure(applying: changes, to: request, promised: item.outcome, rule: item.rule)
            #expect(failure == nil, "\(label): advice for `\(item.rule)`: \(failure ?? "")")
            #expect(!item.changes.contains { $0.path.hasPrefix("actor.") }, "\(label): who asks cannot change")
            // Every condition that fails is listed, each with its change.
            let rule = try #require(explanation.rules.first { $0.id == item.rule })
            #expect(rule.conditions.filter { $0.outcome != .true }.count == item.changes.count, "\(label): \(item.rule)")
        }
        #expect(explanation.alternatives.count >= advice.count)
        return advice.count
    }

    static func example(_ name: String) throws -> [String: Any] {
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/\(name)")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test("abuse-review: the advice lists both failing conditions of `input-error-grace`, and it works")
    func abuseReview() throws {
        let request = try Self.example("abuse-review.json")
        let decoded = try RequestDecoder(schema: Self.pack.schema).decode(
            Array(JSONSerialization.data(withJSONObject: request))).get().root
        let explanation = try #require(Self.pack.decide(decoded, options: Self.explain).explanation)
        let advice = try #require(explanation.advice.first { $0.rule == "input-error-grace" })
        #expect(advice.works)
        #expect(advice.outcome == .allow)
        #expect(advice.changes.map(\.path) == ["reason", "at"])
        #expect(advice.changes.map(\.json) == ["\"input_error\"", "\"2026-11-27T08:30:00+08:00\""])
        #expect(advice.changes.map(\.relation) == [.equals, .atMost])
        #expect(Self.failure(
            applying: advice.changes.map { Change(path: $0.path, json: $0.json) }, to: request, promised: .allow,
            rule: "input-error-grace") == nil)
        #expect(explanation.alternatives.contains(
            "rule `input-error-grace` would allow if reason were \"input_error\" (now \"changed_mind\") and at were no "
                + "later than 2026-11-27T08:30:00+08:00 (now 2026-11-27T10:00:00+08:00)"))
        // No condition is left unevaluated: the 30-minute one is read too.
        let rule = try #require(explanation.rules.first { $0.id == "input-error-grace" })
        #expect(!rule.conditions.contains { $0.outcome == .notEvaluated })
    }

    @Test("the check catches the old advice: `reason == \"input_error\"` alone leaves abuse-review a review")
    func checkCatchesOldAdvice() throws {
        let request = try Self.example("abuse-review.json")
        let failure = Self.failure(
            applying: [Change(path: "reason", json: "\"input_error\"")], to: request, promised: .allow,
            rule: "input-error-grace")
        #expect(failure == "promised allow, decided review (abuse-review)")
    }

    @Test("advice whose checked decision has another effect says what decides it instead")
    func adviceThatDoesNotAllow() throws {
        // A seller's stock-out cancellation of a shipped order: no rule matches (deny by
        // default). As still processing, the order would match the seller's allow rules,
        // but the seller's stock-out rate (7 of 120) sends it to review.
        var request = try Self.example("seller-stockout-rate-review.json")
        var order = try #require(request["order"] as? [String: Any])
        order["status"] = "shipped"
        request["order"] = order
        let data = try JSONSerialization.data(withJSONObject: request)
        let decoded = try RequestDecoder(schema: Self.pack.schema).decode(Array(data)).get().root
        let decision = Self.pack.decide(decoded, options: DecisionOptions(locale: "en", explain: true))
        #expect(decision.effect == .deny)
        let explanation = try #require(decision.explanation)
        let remedies = try #require(explanation.advice.first { $0.rule == "seller-stock-out-remedies" })
        #expect(!remedies.works)
        #expect(remedies.outcome == .review)
        #expect(remedies.deciding == ["seller-stockout-rate"])
        #expect(remedies.changes.map(\.json) == ["\"processing\""])
        #expect(explanation.advice.first?.works == true, "what works comes first")
        #expect(explanation.alternatives.contains(
            "rule `seller-stock-out-remedies` would match if order.status were \"processing\" (now \"shipped\"), "
                + "but the decision would be review (`seller-stockout-rate`)"))
        try Self.check(request, label: "shipped stock-out")
    }

    @Test("a matched deny rule is named, not outbid by advice for an allow rule")
    func blockedByRule() throws {
        // abuse-review.json with the order shipped: `buyer-after-shipment` denies, and no
        // allow rule can overrule a deny.
        var request = try Self.example("abuse-review.json")
        var order = try #require(request["order"] as? [String: Any])
        order["status"] = "shipped"
        request["order"] = order
        let data = try JSONSerialization.data(withJSONObject: request)
        let decoded = try RequestDecoder(schema: Self.pack.schema).decode(Array(data)).get().root
        let explanation = try #require(Self.pack.decide(decoded, options: Self.explain).explanation)
        // A matched deny rule is named instead of advice that could not overrule it.
        #expect(explanation.advice.isEmpty)
        #expect(explanation.alternatives.contains { $0.hasPrefix("rule `buyer-after-shipment` decides deny while ") })
    }

    @Test("every example's advice changes the decision as promised", arguments: ShortcutEquivalenceTests.examples)
    func examples(_ name: String) throws {
        try Self.check(Self.example(name), label: name)
    }

    @Test("advice is offered for the examples that a request change can flip")
    func examplesOfferAdvice() throws {
        var offered: [String] = []
        for name in ShortcutEquivalenceTests.examples where try Self.check(Self.example(name), label: name) > 0 {
            offered.append(name)
        }
        #expect(offered.contains("abuse-review.json"))
        #expect(offered.contains("system-payment-too-early.json"))
        #expect(offered.contains("input-error-after-grace.json"))
    }

    @Test("10,000 generated requests: every advice changes the decision as promised")
    func generated() throws {
        var generator = RequestGenerator(seed: 0x5EED_0012)
        var offered = 0, working = 0, blocked = 0
        for index in 0..<10_000 {
            let request = generator.next()
            let count = try Self.check(request, label: "generated #\(index)")
            offered += count
            if count > 0 {
                let data = try JSONSerialization.data(withJSONObject: request)
                let decoded = try RequestDecoder(schema: Self.pack.schema).decode(Array(data)).get().root
                let advice = try #require(Self.pack.decide(decoded, options: Self.explain).explanation).advice
                working += advice.filter(\.works).count
                blocked += advice.filter { !$0.works }.count
            }
        }
        // The generator reaches the cases that matter: advice that works, and advice
        // that would not change the effect (a tier or another rule still decides).
        // With this seed and the 2026.12 pack: 3663 offered, 3542 that allow, 121 that a
        // tier or another rule still decides (`RESCIND_FLIP_COUNTS=1` prints them).
        if ProcessInfo.processInfo.environment["RESCIND_FLIP_COUNTS"] != nil {
            print("flip advice over 10,000 generated requests: offered \(offered), allow \(working), still decided otherwise \(blocked)")
        }
        #expect(offered > 500, "\(offered) advice offered")
        #expect(working > 300, "\(working) working")
        #expect(blocked > 0, "\(blocked) blocked")
    }
}

/// Cancellation requests over the reference schema (Policies/schema.yaml), from a seed:
/// every role, status, reason and method, times around the 30-minute boundaries,
/// totals around the fee cap, histories of 0 to 12 cancellations around the 30-day
/// window edge, seller stats around 5%, optional objects sometimes absent.
struct RequestGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// SplitMix64.
    private mutating func random() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(random() % UInt64(range.count))
    }

    private mutating func pick<T>(_ values: [T]) -> T { values[int(0...values.count - 1)] }

    static let roles = ["buyer", "seller", "support", "system"]
    static let statuses = ["pending_payment", "paid", "processing", "shipped", "delivered", "cancelled"]
    static let reasons = ["changed_mind", "input_error", "payment_failed", "stock_out", "price_change", "fraud_suspected", "other"]
    static let methods = ["card", "wallet", "bank_transfer"]

    private static func time(_ seconds: Int) -> String {
        // In Shanghai time, as callers send it.
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        return formatter.string(from: date)
    }

    mutating func next() -> [String: Any] {
        // 2025-01-01 … 2026-12-15 (inside the calendar's years).
        let at = 1_735_660_800 + int(0...(713 * 86_400))
        let sinceOrder = pick([int(0...1800), int(1800...7200), 1800, 1799, 1801, int(0...172_800)])
        var request: [String: Any] = [
            "id": "gen-\(int(0...999_999))",
            "at": Self.time(at),
            "locale": pick(["en", "zh-CN"]),
            "actor": ["id": "a-\(int(1...9))", "role": pick(Self.roles), "verified": int(0...1) == 1],
            "reason": pick(Self.reasons),
            "order": [
                "id": "o-\(int(1...999))",
                "status": pick(Self.statuses),
                "placed_at": Self.time(at - sinceOrder),
                "total": "\(pick([int(0...500), int(390...410), int(0...20_000)])).\(String(format: "%02d", int(0...99)))",
                "currency": "CNY",
                "payment_method": pick(Self.methods),
                "seller_id": "s-\(int(1...9))",
            ] as [String: Any],
        ]
        if int(0...4) > 0 {
            let count = pick([int(0...3), int(2...6), int(4...9), int(0...12)])
            var cancellations: [[String: Any]] = []
            for n in 0..<count {
                let age = pick([int(0...(40 * 86_400)), 720 * 3600, 720 * 3600 - 1, int(0...(29 * 86_400))])
                cancellations.append([
                    "order_id": "p-\(n)", "at": Self.time(at - age),
                    "initiator": pick(["buyer", "buyer", "buyer", "seller", "support", "system"]),
                    "reason": pick(Self.reasons),
                ])
            }
            request["buyer_history"] = ["cancellations": cancellations]
        }
        if int(0...3) > 0 {
            let orders = pick([0, int(1...40), int(100...300)])
            let percent = pick([0, 5, int(0...10)])
            request["seller_stats"] = [
                "orders_30d": orders,
                "stockout_cancellations_30d": pick([orders * percent / 100, orders * percent / 100 + 1, int(0...20)]),
            ]
        }
        return request
    }
}

/// The search for a bound: the nearest value for which a monotone condition holds.
@Suite("flip advice bounds")
struct AdviceBoundaryTests {
    @Test("a time boundary is found to the second")
    func timeBoundary() throws {
        // Unpaid at 09:29:59, placed at 09:00:00: one second too early.
        let request = try FlipAdviceTests.example("system-payment-too-early.json")
        let data = try JSONSerialization.data(withJSONObject: request)
        let decoded = try RequestDecoder(schema: FlipAdviceTests.pack.schema).decode(Array(data)).get().root
        let explanation = try #require(FlipAdviceTests.pack.decide(decoded, options: FlipAdviceTests.explain).explanation)
        let advice = try #require(explanation.advice.first { $0.rule == "system-payment-timeout" })
        // `at - order.placed_at >= duration("30m")`: no earlier than 09:30:00 exactly.
        #expect(advice.changes.map(\.path) == ["at"])
        #expect(advice.changes.first?.relation == .atLeast)
        #expect(advice.changes.first?.json == "\"2026-11-27T09:30:00+08:00\"")
        #expect(advice.changes.first?.currentJSON == "\"2026-11-27T09:29:59+08:00\"")
        #expect(advice.works)
    }

    @Test("a count boundary is the smallest value that passes the comparison")
    func countBoundary() throws {
        // seller-stockout-rate-boundary.json: 2 stock-outs in 40 orders is exactly 5%, not
        // reviewed. The review rule is no advice (it does not allow); but the search finds
        // where `stockouts * 100 > orders * 5` starts to hold, and where `orders > 0` does.
        let stockouts = try #require(
            ExplanationSource.boundary(from: 2, in: 0...(1 << 40)) { $0 * 100 > 40 * 5 })
        #expect(stockouts.0 == 3)
        #expect(stockouts.1 == .atLeast)
        let orders = try #require(ExplanationSource.boundary(from: 0, in: 0...(1 << 40)) { $0 > 0 })
        #expect(orders.0 == 1)
        let below = try #require(ExplanationSource.boundary(from: 100, in: 0...(1 << 40)) { $0 * 100 <= 40 * 5 })
        #expect(below.0 == 2)
        #expect(below.1 == .atMost)
        #expect(ExplanationSource.boundary(from: 5, in: 0...(1 << 40)) { _ in false } == nil)
        #expect(ExplanationSource.boundary(from: -1, in: 0...10) { _ in true } == nil)
    }
}
