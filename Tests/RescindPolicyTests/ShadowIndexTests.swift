import Foundation
import Rescind
import RescindDiagnostics
import Testing

/// The shadowing check searches large groups of rules (the same other conditions)
/// through an index of bit rows. Here it is compared with the definition, pair by pair,
/// on generated sets whose groups are far past the index's threshold (64 rules).
@Suite("shadowed rules in large groups")
struct ShadowIndexTests {
    /// One generated rule: what it requires of each enum path (nil: no test) and its
    /// other conditions.
    struct GeneratedRule {
        let id: String
        let role: Set<String>?
        let status: Set<String>?
        let others: Set<String>
        let effect: String

        var yaml: String {
            var conditions: [String] = []
            func test(_ path: String, _ values: Set<String>?) {
                guard let values else { return }
                conditions.append(
                    values.count == 1
                        ? "\(path) == \"\(values.first!)\""
                        : "\(path) in [\(values.sorted().map { "\"\($0)\"" }.joined(separator: ", "))]")
            }
            test("actor.role", role)
            test("order.status", status)
            conditions += others.sorted()
            let when = "    when:\n      all:\n" + conditions.map { "        - '\($0)'\n" }.joined()
            return "  - id: \(id)\n" + when + """
                    effect: \(effect)
                    reason:
                      en: Rule \(id).
                      zh-CN: 规则 \(id)。

                """
        }
    }

    static let effects = ["allow", "review", "deny"]

    /// `others` come from few choices so that groups are large and some are subsets of others.
    static func generate(count: Int, seed: UInt64) -> [GeneratedRule] {
        var random = IndexedDecisionTests.Generator(state: seed)
        func values(_ all: [String]) -> Set<String>? {
            switch random.next() % 4 {
            case 0: nil
            case 1: Set(all)
            default: [random.pick(all)]
            }
        }
        let otherChoices: [Set<String>] = [
            [], [#"order.total > decimal("100")"#], [#"order.total > decimal("100")"#, #"order.currency == "CNY""#],
        ]
        return (0..<count).map { index in
            let role = values(["buyer", "seller"])
            let status = values(["paid", "shipped"])
            var others = random.pick(otherChoices)
            // A rule needs a condition; `true` is one more "other" condition.
            if role == nil, status == nil, others.isEmpty { others = ["true"] }
            return GeneratedRule(
                id: "r\(index)", role: role, status: status, others: others, effect: random.pick(effects))
        }
    }

    /// The definition: rule `a` is shadowed by the first rule `b` in file order with a
    /// stronger effect that matches whenever `a` does.
    static func expectedShadowing(_ rules: [GeneratedRule]) -> [String: String] {
        func covers(_ b: GeneratedRule, _ a: GeneratedRule) -> Bool {
            guard b.others.isSubset(of: a.others) else { return false }
            for (mine, theirs) in [(a.role, b.role), (a.status, b.status)] {
                guard let theirs else { continue }
                guard let mine, mine.isSubset(of: theirs) else { return false }
            }
            return true
        }
        var expected: [String: String] = [:]
        for a in rules {
            let strength = effects.firstIndex(of: a.effect)!
            if let b = rules.first(where: { effects.firstIndex(of: $0.effect)! > strength && covers($0, a) }) {
                expected[a.id] = b.id
            }
        }
        return expected
    }

    @Test("the indexed search finds, for every rule, the rule the pairwise definition finds", arguments: [1, 2, 3] as [UInt64])
    func indexedMatchesPairwise(seed: UInt64) throws {
        let rules = Self.generate(count: 400, seed: seed)
        let loaded = LoadedPolicies.load(sources: PolicyFixture.sources([
            "p/rules.yaml": PolicyFixture.rules(rules.map(\.yaml).joined())
        ]))
        #expect(!loaded.diagnostics.hasErrors, "\(PolicyFixture.render(loaded))")
        var found: [String: String] = [:]
        let pattern = /rule `(\w+)` never decides: whenever it matches, rule `(\w+)`/
        for diagnostic in loaded.diagnostics.items where diagnostic.code.rawValue == "policy-rule-shadowed" {
            let match = try #require(diagnostic.message.firstMatch(of: pattern))
            found[String(match.1)] = String(match.2)
        }
        let expected = Self.expectedShadowing(rules)
        // The sets are built to shadow a good share of their rules, and to leave some alone.
        #expect(expected.count > 50 && expected.count < 350)
        let differing = Set(found.keys).union(expected.keys).filter { found[$0] != expected[$0] }.sorted()
        #expect(differing.isEmpty, "\(differing.prefix(10).map { "\($0): found \(found[$0] ?? "none"), expected \(expected[$0] ?? "none")" })")
    }
}
