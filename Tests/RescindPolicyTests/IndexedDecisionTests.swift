import CELRuntime
import Foundation
import Rescind
import RescindPolicy
import Testing
@testable import RescindEngine

/// The decision index — every rule's enum tests settled at once as a candidate set, and
/// comparisons of number fields with constants settled by rank (bound tests) — must
/// decide exactly as the unindexed path (`PolicyCompiler.Options(shortcuts: false)`,
/// every condition through CEL). The reference pack plus a few hundred generated rules
/// of the issue-16 shape, with every relation, constants on either side, int and decimal
/// constants, comparisons before the enum tests, optional fields that are absent, and
/// totals drawn from the constants themselves (so equality, the edge of every relation,
/// is hit), decided both ways over generated requests: the decision JSON must agree byte
/// for byte, plain and explained.
@Suite("indexed decisions match unindexed ones on generated large sets")
struct IndexedDecisionTests {
    static let roles = ["buyer", "seller", "support", "system"]
    static let statuses = ["pending_payment", "paid", "processing", "shipped", "delivered", "cancelled"]
    static let reasons = ["changed_mind", "input_error", "payment_failed", "stock_out", "price_change", "fraud_suspected", "other"]
    static let methods = ["card", "wallet", "bank_transfer"]
    /// Totals compared with, and totals requested: sharing them hits every relation's edge.
    static let amounts = ["0.00", "0.01", "49.99", "50", "50.00", "120.5", "399.99", "400", "1000.00", "2500.75"]

    /// A seeded generator (splitmix64), so a failure replays.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }
    }

    /// One comparison of a number field with a constant, in one of the written forms.
    static func comparison(_ rng: inout Generator) -> String {
        let relation = rng.pick(["<", "<=", ">", ">="])
        switch rng.next() % 6 {
        // Half of these constants are drawn from thousands, so the totals' interval index
        // has many keys to a run (`BoundBuckets`), with values inside the runs.
        case 0, 1: return "order.total \(relation) decimal(\"\(rng.chance(50) ? rng.pick(amounts) : randomAmount(&rng))\")"
        case 2: return "decimal(\"\(rng.pick(amounts))\") \(relation) order.total"
        case 3: return "order.total \(relation) \(rng.pick([0, 50, 400, 1000]))"
        case 4: return "\(rng.pick([0, 1, 3, 10])) \(relation) seller_stats.orders_30d"
        default: return "seller_stats.stockout_cancellations_30d \(relation) \(rng.pick([0, 1, 2, 5]))"
        }
    }

    static func randomAmount(_ rng: inout Generator) -> String {
        let cents = rng.next() % 100
        return "\(rng.next() % 3000).\(cents < 10 ? "0" : "")\(cents)"
    }

    static func rule(_ index: Int, _ rng: inout Generator) -> String {
        var conditions = [
            "actor.role == \"\(rng.pick(roles))\"",
            "order.status in [\"\(rng.pick(statuses))\", \"\(rng.pick(statuses))\"]",
            "reason == \"\(rng.pick(reasons))\"",
        ]
        if rng.chance(60) { conditions.append("order.payment_method == \"\(rng.pick(methods))\"") }
        for _ in 0..<Int(rng.next() % 3) { conditions.append(comparison(&rng)) }
        // A comparison before an enum test ends the leading tests there.
        if rng.chance(15) { conditions.insert(comparison(&rng), at: Int(rng.next() % UInt64(conditions.count))) }
        // A condition that is not a test: the rule is walked after its tests pass.
        if rng.chance(10) { conditions.append("order.id.startsWith(\"o-1\")") }
        let when = conditions.map { "        - '\($0)'\n" }.joined()
        return """
              - id: generated-\(index)
                when:
                  all:
            \(when)    effect: \(rng.pick(["allow", "deny", "review"]))
                reason: {en: "Generated rule \(index) \\"for\\" {order.id}.\\t", zh-CN: "订单 {order.id} 适用生成的规则 \(index)。"}

            """
    }

    static func request(_ index: Int, _ rng: inout Generator) -> [String: Any] {
        var request: [String: Any] = [
            "id": "req-\(index)",
            "at": "2026-11-27T10:00:00+08:00",
            "actor": ["id": "u-\(rng.next() % 50)", "role": rng.pick(roles), "verified": rng.chance(50)],
            "reason": rng.pick(reasons),
            "order": [
                "id": "o-\(index)", "status": rng.pick(statuses), "placed_at": "2026-11-27T09:00:00+08:00",
                "total": rng.chance(70) ? rng.pick(amounts) : randomAmount(&rng),
                "currency": "CNY", "payment_method": rng.pick(methods), "seller_id": "s-\(rng.next() % 9)",
            ] as [String: Any],
            "buyer_history": ["cancellations": [] as [Any]],
        ]
        // Absent in a third of the requests: its bound tests cannot be settled then.
        if rng.chance(66) {
            request["seller_stats"] = ["orders_30d": rng.pick([0, 1, 3, 10, 40]), "stockout_cancellations_30d": rng.pick([0, 1, 2, 5, 9])]
        }
        return request
    }

    /// The reference pack's policy files with `rules` generated rules in one more file.
    static func sources(rules: Int, seed: UInt64) throws -> [(path: String, text: String)] {
        let folder = ReferencePackTests.root.appendingPathComponent("Policies")
        var files: [(path: String, text: String)] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        where name.hasSuffix(".yaml") && !name.hasSuffix(".tests.yaml") {
            var text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            if name == "policy-set.yaml" { text = text.replacingOccurrences(of: "\nfiles:\n", with: "\nfiles:\n  - generated.yaml\n") }
            files.append((name, text))
        }
        var rng = Generator(state: seed)
        files.append(("generated.yaml", "kind: rules\nrules:\n" + (1...rules).map { rule($0, &rng) }.joined()))
        return files
    }

    @Test("the pack plus generated rules, decided indexed and unindexed", arguments: [(1 as UInt64, 300), (2, 700), (3, 1500)])
    func generatedSets(seed: UInt64, rules: Int) throws {
        let files = try Self.sources(rules: rules, seed: seed)
        let loaded = LoadedPolicies.load(sources: files)
        guard let indexed = loaded.policySet else {
            Issue.record("the generated set does not load: \(loaded.diagnostics.items.prefix(3).map(\.message))")
            return
        }
        let unindexed = try #require(LoadedPolicies.load(sources: files, options: PolicyCompiler.Options(shortcuts: false)).policySet)
        // The index is what is under test: bound tests on three fields, many words of candidates.
        #expect(indexed.plan.numberFieldCount == 3)
        #expect(indexed.plan.wordCount > 1)
        #expect(indexed.plan.ruleLists != nil)
        #expect(unindexed.plan.numberFieldCount == 0)
        #expect(indexed.plan.bucketedSlots.contains { indexed.plan.boundBuckets[$0].keyCount > 2 * DecisionPlan.maxBuckets })

        var rng = Generator(state: seed &* 7919)
        var generatedMatches = 0
        var decisions = 0
        for index in 0..<1_000 {
            let data = try JSONSerialization.data(withJSONObject: Self.request(index, &rng), options: [.sortedKeys])
            let a = try RequestDecoder(schema: indexed.schema).decode(Array(data)).get().root
            let b = try RequestDecoder(schema: unindexed.schema).decode(Array(data)).get().root
            let decision = indexed.decide(a)
            let expected = unindexed.decide(b)
            decisions += 1
            generatedMatches += decision.matchedRules.filter { $0.hasPrefix("generated-") }.count
            guard decision.json == expected.json else {
                Issue.record("seed \(seed), request \(index):\n\(String(decoding: data, as: UTF8.self))\nindexed:   \(decision.json)\nunindexed: \(expected.json)")
                return
            }
            // The JSON's reasons are written from prepared bytes (`OutcomeTexts`), the
            // `reasons` property from the templates: they must say the same, escapes
            // included, in every locale.
            let locale = ["en", "zh-CN", "fr"][index % 3]
            let localized = indexed.decide(a, options: DecisionOptions(locale: locale))
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(localized.json.utf8)) as? [String: Any])
            let written = try #require(object["reasons"] as? [[String: String]])
            #expect(written.map { Reason(rule: $0["rule"]!, text: $0["text"]!) } == localized.reasons, "request \(index), \(locale)")
            if index % 10 == 0 {
                let explained = indexed.decide(a, options: DecisionOptions(explain: true)).json
                #expect(explained == unindexed.decide(b, options: DecisionOptions(explain: true)).json, "seed \(seed), request \(index), explained")
            }
        }
        // The generated rules must match often enough for the comparison to mean something.
        #expect(generatedMatches > decisions / 4)
    }

    @Test("a value's key orders as the value does against every constant")
    func keysOrderAsValues() {
        let constants = ["-3", "0", "0.5", "1", "2.25", "100"].map { CELDecimal(parsing: $0)! }
        let values = ["-4", "-3", "-2.9", "0", "0.00", "0.25", "0.5", "0.50", "1", "2", "2.25", "99.999", "100", "100.01"]
            .map { CELDecimal(parsing: $0)! }
        for value in values {
            let key = DecisionPlan.key(of: value, in: constants, 0..<constants.count)
            for (index, constant) in constants.enumerated() {
                let constantKey = UInt64(2 * index + 1)
                #expect((key < constantKey) == (value < constant), "\(value) < \(constant)")
                #expect((key == constantKey) == (value == constant), "\(value) == \(constant)")
                #expect((key > constantKey) == (value > constant), "\(value) > \(constant)")
            }
        }
    }

    @Test("an interval index's runs cover every key once, in order, and each key finds its run's row")
    func bucketRunsCoverEveryKey() {
        for keyCount in [1, 2, 3, 63, 64, 65, 129, 1_001, 20_001] {
            let buckets = min(DecisionPlan.maxBuckets, keyCount)
            let index = BoundBuckets(firstRow: 5, keyCount: Int32(keyCount), buckets: Int32(buckets))
            var next: UInt64 = 0
            for bucket in 0..<buckets {
                let keys = index.keys(of: bucket)
                #expect(keys.lowerBound == next, "keyCount \(keyCount), bucket \(bucket)")
                #expect(index.row(of: keys.lowerBound) == 5 + bucket && index.row(of: keys.upperBound) == 5 + bucket)
                next = keys.upperBound + 1
            }
            #expect(next == UInt64(keyCount), "keyCount \(keyCount)")
        }
    }
}
