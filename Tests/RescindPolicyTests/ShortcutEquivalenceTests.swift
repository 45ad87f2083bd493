import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// The evaluator's shortcuts (enum tests as bit masks, plain field reads, native window
/// counts, conditions settled by their leading tests) must never change a decision. The
/// reference pack is compiled twice — with shortcuts and with every condition run
/// through CEL — and both must produce the same decision JSON, byte for byte, with and
/// without explanations, over thousands of requests and over requests the decoder would
/// never produce (a value outside its enum, a field missing).
@Suite("shortcuts decide exactly as CEL does")
struct ShortcutEquivalenceTests {
    static let fast = ReferencePackTests.policies.policySet!
    static let plain = LoadedPolicies.load(
        paths: [ReferencePackTests.root.appendingPathComponent("Policies").path],
        options: PolicyCompiler.Options(shortcuts: false)
    ).policySet!

    static let examples: [String] = {
        let folder = ReferencePackTests.root.appendingPathComponent("Examples/requests")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted()
    }()

    /// Every example with actor.role × order.status × reason varied over their enums,
    /// and each payment method: the combinations the rules' enum tests split on.
    static func variants(of file: String) throws -> [[String: Any]] {
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/\(file)")
        let base = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var result: [[String: Any]] = []
        for role in ["buyer", "seller", "support", "system"] {
            for status in ["pending_payment", "paid", "processing", "shipped", "delivered", "cancelled"] {
                for reason in ["changed_mind", "input_error", "payment_failed", "stock_out", "price_change",
                               "fraud_suspected", "other"] {
                    var request = base
                    var actor = request["actor"] as? [String: Any] ?? [:]
                    actor["role"] = role
                    request["actor"] = actor
                    var order = request["order"] as? [String: Any] ?? [:]
                    order["status"] = status
                    request["order"] = order
                    request["reason"] = reason
                    result.append(request)
                }
            }
        }
        for method in ["card", "wallet", "bank_transfer"] {
            var request = base
            var order = request["order"] as? [String: Any] ?? [:]
            order["payment_method"] = method
            request["order"] = order
            result.append(request)
        }
        return result
    }

    static func decode(_ request: [String: Any], _ set: PolicySet) throws -> ObjectValue {
        let data = try JSONSerialization.data(withJSONObject: request)
        return try RequestDecoder(schema: set.schema).decode(Array(data)).get().root
    }

    static func expectSameDecisions(_ fast: ObjectValue, _ plain: ObjectValue, _ label: String) {
        for explain in [false, true] {
            let options = DecisionOptions(explain: explain)
            let a = Self.fast.decide(fast, options: options).json
            let b = Self.plain.decide(plain, options: options).json
            #expect(a == b, "\(label), explain: \(explain)")
        }
    }

    @Test("every example and its enum variants", arguments: examples)
    func examplesAndVariants(_ file: String) throws {
        for (index, request) in try Self.variants(of: file).enumerated() {
            Self.expectSameDecisions(
                try Self.decode(request, Self.fast), try Self.decode(request, Self.plain), "\(file) variant \(index)")
        }
    }

    /// A copy of `object` with one field replaced (nil: absent), built as an embedding
    /// service might build it, bypassing the decoder's validation.
    static func replacing(_ field: String, in object: ObjectValue, with value: Value?) -> ObjectValue {
        var fields = Array(object.fields)
        fields[object.type.slot(of: field)!] = value
        return ObjectValue.make(type: object.type, fields: fields)
    }

    /// The request with one field of its first past cancellation replaced (unchanged
    /// when it has none).
    static func replacingFirstCancellation(_ field: String, in root: ObjectValue, with value: Value?) -> ObjectValue {
        guard case .object(let history)? = root["buyer_history"], case .list(var items)? = history["cancellations"],
            case .object(let first)? = items.first
        else { return root }
        items[0] = .object(replacing(field, in: first, with: value))
        return replacing("buyer_history", in: root, with: .object(replacing("cancellations", in: history, with: .list(items))))
    }

    static func replacingActorRole(_ root: ObjectValue, _ role: Value?) -> ObjectValue {
        guard case .object(let actor)? = root["actor"] else { return root }
        return replacing("actor", in: root, with: .object(replacing("role", in: actor, with: role)))
    }

    /// The request with `object.field` replaced; the object must be present.
    static func replacing(_ field: String, of object: String, in root: ObjectValue, with value: Value?) throws -> ObjectValue {
        let inner = try #require(root[object].flatMap { if case .object(let inner) = $0 { inner } else { nil } })
        return replacing(object, in: root, with: .object(replacing(field, in: inner, with: value)))
    }

    /// Decides `request` (as JSON, each set decoding it) with `object.field` set to each
    /// of `encoded`, then as decoded with it replaced by each of `values` (values the
    /// decoder would reject): both sets must decide alike.
    static func expectSameDecisions(
        varying field: String, of object: String, in request: [String: Any], encoded: [Any], values: [Value?],
        _ label: String
    ) throws {
        for value in encoded {
            var changed = request
            var inner = changed[object] as? [String: Any] ?? [:]
            inner[field] = value
            changed[object] = inner
            expectSameDecisions(try decode(changed, fast), try decode(changed, plain), "\(label) \(object).\(field) \(value)")
        }
        let fast = try decode(request, Self.fast)
        let plain = try decode(request, Self.plain)
        for value in values {
            expectSameDecisions(
                try replacing(field, of: object, in: fast, with: value), try replacing(field, of: object, in: plain, with: value),
                "\(label) \(object).\(field) = \(String(describing: value))")
        }
    }

    @Test("values the decoder would reject fall back to CEL, problems included")
    func outsideTheEnum() throws {
        for file in ["buyer-paid-card.json", "abuse-review.json", "seller-stock-out-wallet.json"] {
            let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/\(file)")
            let fast = try RequestDecoder(schema: Self.fast.schema).decode(Array(Data(contentsOf: url))).get().root
            let plain = try RequestDecoder(schema: Self.plain.schema).decode(Array(Data(contentsOf: url))).get().root
            for role: Value? in [.string("admin"), .string(""), nil, .int(1)] {
                Self.expectSameDecisions(
                    Self.replacingActorRole(fast, role), Self.replacingActorRole(plain, role), "\(file) role \(String(describing: role))")
            }
            // A past cancellation with its initiator outside the enum, absent, or its time
            // absent: the native count must defer to CEL for the whole list.
            for (field, value) in [("initiator", Value.string("robot")), ("initiator", nil), ("at", nil)] as [(String, Value?)] {
                Self.expectSameDecisions(
                    Self.replacingFirstCancellation(field, in: fast, with: value),
                    Self.replacingFirstCancellation(field, in: plain, with: value),
                    "\(file) first cancellation's \(field) = \(String(describing: value))")
            }
            // No history list at all: the native count must defer to CEL's error.
            Self.expectSameDecisions(
                Self.replacing("buyer_history", in: fast, with: nil), Self.replacing("buyer_history", in: plain, with: nil),
                "\(file) without buyer_history")
        }
    }

    /// The refund's fee and amount and the voucher's cap are decimal formulas: they
    /// must give CEL's values at the fee cap's edges, at the schema's range ends, with
    /// totals beyond an Int64 significand (Foundation's path) and with totals the
    /// decoder would reject (negative, above the schema's maximum, huge: set after
    /// decoding, as an embedding program could).
    @Test("decimal formulas compute what CEL computes")
    func decimalFormulas() throws {
        let refunds = try #require(Self.fast.refunds)
        for expression in [refunds.amount] + refunds.fee.map(\.value) {
            guard case .decimal = expression.shortcut else {
                Issue.record("`\(expression.source)` is not computed by a formula")
                continue
            }
        }
        let totals = ["0", "0.01", "0.10", "19.99", "399.99", "400.00", "400.01", "400.05", "1000000",
                      "9999999.99", "10000000.00", "9999999.9999999999999999999999999999",
                      "0.0000000000000000000000000000000001"]
        let rejected = try ["-0.01", "-400.00", "10000000.01", "12345678901234567.89", "99999999999999999999999999999999999.99"]
            .map { Value.decimal(try #require(CELDecimal(parsing: $0))) }
        for file in ["buyer-processing-fee.json", "buyer-processing-fee-capped.json", "seller-stock-out-wallet.json"] {
            let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/\(file)")
            guard FileManager.default.fileExists(atPath: url.path) else {
                Issue.record("missing example \(file)")
                continue
            }
            let base = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            try Self.expectSameDecisions(
                varying: "total", of: "order", in: base, encoded: totals,
                values: [nil, .int(250), .string("129.99"), .decimal(CELDecimal(Int64.max))] + rejected, file)
        }
    }

    /// The time-window and stock-out-rate conditions are native comparisons: at their
    /// edges, with values far apart enough to overflow, absent or of another type, they
    /// must decide — and fail — exactly as CEL does.
    @Test("native comparisons decide and fail as CEL does")
    func nativeComparisons() throws {
        let compared = Self.fast.rules.filter { ["system-payment-timeout", "input-error-grace", "seller-stockout-rate"].contains($0.id) }
        #expect(compared.count == 3)
        var comparisons = 0
        var bounds = 0
        func count(_ condition: Condition) {
            switch condition {
            case .expression(let expression):
                switch expression.shortcut {
                case .comparison: comparisons += 1
                case .bound: bounds += 1
                default: break
                }
            case .all(let items), .any(let items): items.forEach(count)
            case .not(let inner): count(inner)
            }
        }
        compared.forEach { count($0.condition) }
        #expect(comparisons == 3, "the time windows and the rate are computed natively")
        #expect(bounds == 1, "the order count against a constant is a bound test")

        for file in ["system-payment-timeout.json", "input-error-grace.json", "input-error-after-grace.json"] {
            let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/\(file)")
            let base = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            // Placed exactly 30 minutes before `at`, a second and a nanosecond either
            // side, after `at`, at the schema's range ends, and (set after decoding, as
            // the schema refuses them) at the ends of time.
            let formatter = ISO8601DateFormatter()
            let atText = try #require(base["at"] as? String)
            let at = try #require(formatter.date(from: atText))
            func utc(_ offset: TimeInterval) -> String { String(formatter.string(from: at + offset).dropLast()) }
            try Self.expectSameDecisions(
                varying: "placed_at", of: "order", in: base,
                encoded: [utc(-1800) + "Z", utc(-1801) + "Z", utc(-1799) + "Z", utc(-1801) + ".999999999Z",
                          utc(-1800) + ".000000001Z", utc(3600) + "Z", "2000-01-01T00:00:00Z",
                          "2100-01-01T00:00:00Z"],
                values: [nil, .string("2026-11-27T09:40:00+08:00"), .int(0),
                         .timestamp(try #require(CELTimestamp(seconds: CELTimestamp.minSeconds))),
                         .timestamp(try #require(CELTimestamp(seconds: CELTimestamp.maxSeconds, nanos: 999_999_999)))],
                file)
        }

        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/seller-stockout-rate-boundary.json")
        let base = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        // 5 of 100 is the edge; 0 orders; counts whose products overflow an int.
        for (orders, stockouts) in [(100, 5), (100, 6), (0, 0), (0, 3), (1, 1), (Int64.max, 1), (1, Int64.max / 100 + 1),
                                    (Int64.max / 5 + 1, Int64.max / 100)] as [(Int64, Int64)] {
            var request = base
            request["seller_stats"] = ["orders_30d": orders, "stockout_cancellations_30d": stockouts]
            Self.expectSameDecisions(
                try Self.decode(request, Self.fast), try Self.decode(request, Self.plain),
                "stock-out rate \(stockouts) of \(orders)")
        }
        try Self.expectSameDecisions(
            varying: "orders_30d", of: "seller_stats", in: base, encoded: [],
            values: [nil, .string("100"), .decimal(CELDecimal(Int64(100)))], "stock-out rate")
    }

    /// More planned conditions than one 64-bit word holds: the candidate set spans
    /// several words, and every rule must still settle as CEL decides it.
    @Test("a policy set with more than 64 planned conditions")
    func manyConditions() throws {
        let body = (1...80).map { index in
            """
              - id: rule-\(index)
                when: actor.role == "\(index % 2 == 0 ? "buyer" : "seller")" && order.status == "\(index % 3 == 0 ? "paid" : "shipped")" && order.total > decimal("\(index)")
                effect: \(index % 5 == 0 ? "review" : "allow")
                reason:
                  en: Rule \(index).
                  zh-CN: 规则 \(index)。

            """
        }.joined()
        let sources = PolicyFixture.sources(["p/many.yaml": PolicyFixture.rules(body)])
        let loadedFast = LoadedPolicies.load(sources: sources)
        let fast = try #require(loadedFast.policySet, "\(loadedFast.diagnostics.items)")
        let plain = try #require(LoadedPolicies.load(sources: sources, options: PolicyCompiler.Options(shortcuts: false)).policySet)
        for role in ["buyer", "seller"] {
            for status in ["paid", "shipped"] {
                for total in ["0.50", "12.00", "40.50", "79.99", "100"] {
                    let json = """
                        {"id": "r", "at": "2026-11-27T10:00:00Z", "actor": {"id": "u", "role": "\(role)"},
                         "order": {"status": "\(status)", "total": "\(total)", "currency": "CNY"}}
                        """
                    let a = fast.decide(try RequestDecoder(schema: fast.schema).decode(json).get().root)
                    let b = plain.decide(try RequestDecoder(schema: plain.schema).decode(json).get().root)
                    #expect(a.json == b.json, "\(role) \(status) \(total)")
                }
            }
        }
        // The set does match rules beyond the first 64 conditions.
        let json = """
            {"id": "r", "at": "2026-11-27T10:00:00Z", "actor": {"id": "u", "role": "buyer"},
             "order": {"status": "paid", "total": "100", "currency": "CNY"}}
            """
        let decision = fast.decide(try RequestDecoder(schema: fast.schema).decode(json).get().root)
        #expect(decision.matchedRules.contains("rule-78"))
    }

    /// A service may hold requests decoded by the set it served before a reload: their
    /// objects have the other set's types, so nothing is read by slot, yet the decision
    /// (its id, locale, time, refund) must be the same.
    @Test("a request decoded by another policy set's decoder decides the same")
    func requestFromAnotherSet() throws {
        // The examples feed several parameterized tests here: none may pass on an empty list.
        #expect(Self.examples.count >= 28, "the example requests are found")
        for file in Self.examples {
            let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/\(file)")
            let bytes = Array(try Data(contentsOf: url))
            let own = try RequestDecoder(schema: Self.fast.schema).decode(bytes).get().root
            let foreign = try RequestDecoder(schema: Self.plain.schema).decode(bytes).get().root
            #expect(foreign.type !== own.type)
            #expect(Self.fast.decide(foreign).json == Self.fast.decide(own).json, "\(file)")
        }
    }

    @Test("an unknown role is reported, not silently skipped")
    func unknownRoleStillDecides() throws {
        let url = ReferencePackTests.root.appendingPathComponent("Examples/requests/buyer-paid-card.json")
        let root = try RequestDecoder(schema: Self.fast.schema).decode(Array(Data(contentsOf: url))).get().root
        let decision = Self.fast.decide(Self.replacingActorRole(root, nil))
        // Every rule reading actor.role fails to evaluate: the default decides, with problems.
        #expect(decision.effect == .deny)
        #expect(!decision.problems.isEmpty)
    }
}
