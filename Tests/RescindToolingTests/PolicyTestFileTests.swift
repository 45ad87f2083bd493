import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing
import RescindYAML

/// Policy test files (`*.tests.yaml`): reading them, building requests, checking each
/// kind of expectation, tables, and coverage, against the reference pack.
@Suite("policy test files")
struct PolicyTestFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let policies = LoadedPolicies.load(paths: [root.appendingPathComponent("Policies").path])
    static var policySet: PolicySet { policies.policySet! }

    /// A test file whose cases start from a paid card order of buyer `u-1` at Friday
    /// 2026-11-27 10:00 in Shanghai; `cases` is appended under `cases:`.
    static func testFile(_ cases: String) -> String {
        """
        kind: tests
        defaults:
          request: buyer
          locale: en
        fixtures:
          buyer:
            id: t-1
            at: 2026-11-27T10:00:00+08:00
            actor: {id: u-1, role: buyer, verified: false}
            reason: changed_mind
            order: {id: o-1, status: paid, placed_at: 2026-11-27T09:40:00+08:00, total: "129.99", currency: CNY, payment_method: card, seller_id: s-1}
            buyer_history: {cancellations: []}
        generators:
          cancellations:
            list: buyer_history.cancellations
            item: {order_id: "o-{n}", initiator: buyer, reason: changed_mind}
            timestamp: at
        cases:

        """ + cases
    }

    /// The file's line numbers start with the prelude's: the first case is on this line.
    static let firstCaseLine = testFile("").split(separator: "\n", omittingEmptySubsequences: false).count

    /// Writes `text` as a test file in a fresh folder and loads it against the reference pack.
    static func load(_ text: String, named name: String = "sample.tests.yaml") throws -> (PolicyTestPlan, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        let plan = PolicyTestPlan.load(paths: [folder.path], policySet: policySet)
        // Every problem found in a test file is written in zh-CN too.
        let problems = plan.diagnostics.items.flatMap(\.translationProblems)
        #expect(problems.isEmpty, "untranslated:\n\(problems.joined(separator: "\n"))")
        return (plan, folder)
    }

    /// Loads `cases` (after the prelude), expecting no diagnostics, and runs them.
    static func run(_ cases: String) throws -> PolicyTestResults {
        let (plan, folder) = try load(testFile(cases))
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(plan.diagnostics.isEmpty, "\(plan.diagnostics.items)")
        return plan.run()
    }

    /// A copy of `Policies/` and `Examples/` (the reference tests read example requests).
    static func copyOfPack() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-pack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for folder in ["Policies", "Examples"] {
            try FileManager.default.copyItem(at: root.appendingPathComponent(folder), to: copy.appendingPathComponent(folder))
        }
        return copy
    }

    static func edit(_ file: URL, replacing old: String, with new: String) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        try #require(text.contains(old), "`\(old)` is not in \(file.lastPathComponent)")
        try text.replacingOccurrences(of: old, with: new).write(to: file, atomically: true, encoding: .utf8)
    }

    // MARK: - The reference pack

    @Test("the reference pack's tests load cleanly, pass, and cover 100% of it")
    func referencePack() throws {
        let plan = PolicyTestPlan.load(paths: [Self.root.appendingPathComponent("Policies").path], policySet: Self.policySet)
        #expect(plan.diagnostics.isEmpty, "\(plan.diagnostics.items)")
        #expect(plan.suites.map { ($0.file as NSString).lastPathComponent } == [
            "abuse-thresholds.tests.yaml", "refunds.tests.yaml", "seller-stockout.tests.yaml", "who-may-cancel.tests.yaml",
        ])
        let results = plan.run()
        #expect(results.failed.isEmpty, "\(results.failed.map { ($0.testCase.name, $0.failures) })")
        let coverage = results.coverage
        #expect(coverage.uncovered.isEmpty, "\(coverage.uncovered.map(\.text))")
        #expect(coverage.covered == coverage.total)
        #expect(coverage.percentText == "100.0")
        #expect(coverage.count(.rule) == (12, 12))
        #expect(coverage.count(.tier) == (3, 3))
        // Every comparison of the pack, both tier thresholds and the window.
        #expect(coverage.boundaries.map(\.expression) == [
            "seller_stats.orders_30d > 0",
            "seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5",
            "at - order.placed_at >= duration(\"30m\")",
            "at - order.placed_at <= duration(\"30m\")",
            "count >= 3", "count >= 5", "count >= 8", "window 720h",
        ])
    }

    @Test("boundaries are the request-dependent comparisons of compiled conditions, with their place")
    func boundariesAreFoundWhenCompiling() throws {
        let rules = Dictionary(uniqueKeysWithValues: Self.policySet.rules.map { ($0.id, $0) })
        func boundaries(_ id: String) -> [Boundary] {
            func leaves(_ condition: Condition) -> [CompiledExpression] {
                switch condition {
                case .expression(let expression): [expression]
                case .all(let items), .any(let items): items.flatMap(leaves)
                case .not(let inner): leaves(inner)
                }
            }
            return leaves(rules[id]!.condition).flatMap(\.boundaries)
        }
        #expect(boundaries("buyer-before-shipment").isEmpty)
        let timeout = try #require(boundaries("system-payment-timeout").first)
        #expect(timeout.comparison == .greaterOrEqual)
        #expect(timeout.source == "at - order.placed_at >= duration(\"30m\")")
        #expect(timeout.location.description == "\(Self.root.path)/Policies/who-may-cancel.yaml:100")
        #expect(timeout.location.column == 11)
        #expect(boundaries("seller-stockout-rate").map(\.comparison) == [.greater, .greater])
    }

    // MARK: - Expectations

    @Test("every kind of expectation passes when the decision meets it")
    func expectationsPass() throws {
        let results = try Self.run("""
              - name: all of them
                expect:
                  effect: allow
                  deciding: buyer-before-shipment
                  matched: [buyer-before-shipment]
                  not_matched: [buyer-after-shipment, abuse-warn]
                  tier: none
                  obligations:
                    - {type: refund, amount: "129.99", fee: "0.00", expected_by: 2026-12-11T23:59:59+08:00, source: refunds}
                  reason:
                    - {equals: "Order o-1 has not shipped yet, so you can cancel it."}
                    - {locale: zh-CN, rule: buyer-before-shipment, contains: 尚未发货}

            """)
        #expect(results.results.count == 1)
        #expect(results.failed.isEmpty, "\(results.failed.flatMap(\.failures))")
    }

    struct Unmet: CustomTestStringConvertible, Sendable {
        let expect: String
        let key: String
        let message: String
        var testDescription: String { key }
    }

    static let unmet: [Unmet] = [
        Unmet(expect: "effect: deny", key: "effect", message: "expected effect `deny`, got `allow`"),
        Unmet(
            expect: "deciding: [buyer-after-shipment, abuse-warn]", key: "deciding",
            message: "expected `buyer-after-shipment` and `abuse-warn` to decide, got `buyer-before-shipment`"),
        Unmet(expect: "deciding: []", key: "deciding", message: "expected the default (no rule) to decide, got `buyer-before-shipment`"),
        Unmet(
            expect: "matched: [abuse-warn]", key: "matched",
            message: "expected `abuse-warn` to match; matched: `buyer-before-shipment`"),
        Unmet(
            expect: "not_matched: [buyer-before-shipment]", key: "not_matched",
            message: "expected `buyer-before-shipment` not to match, but it did"),
        Unmet(expect: "tier: abuse-warn", key: "tier", message: "expected tier `abuse-warn`, got no tier"),
        Unmet(
            expect: "obligations: [{type: refund, amount: \"129.90\", currency: CNY}]", key: "obligations",
            message: "expected `refund` with amount `129.90`, currency `CNY`; the decision's `refund` (from `refunds`) has amount `129.99`"),
        Unmet(
            expect: "obligations: []", key: "obligations",
            message: "the decision has an unexpected `refund` obligation (from `refunds`); expected none"),
        Unmet(
            expect: "obligations: [{type: refund}, {type: warn_account}]", key: "obligations",
            message: "expected `warn_account`; the decision has no such obligation, only `refund`"),
        Unmet(
            expect: "reason: {locale: zh-CN, equals: 订单 o-1 已发货}", key: "reason",
            message: "expected the reason (zh-CN) `订单 o-1 已发货`; got `订单 o-1 尚未发货，您可以取消该订单。`"),
        Unmet(
            expect: "reason: {contains: already shipped}", key: "reason",
            message: "expected a reason (en) containing `already shipped`; got `Order o-1 has not shipped yet, so you can cancel it.`"),
        Unmet(
            expect: "reason: {rule: abuse-warn, contains: cancelled}", key: "reason",
            message: "expected a reason from `abuse-warn`; the reasons come from `buyer-before-shipment`"),
        Unmet(
            expect: "problems: [missing-list]", key: "problems",
            message: "expected problems `missing-list`, got none"),
    ]

    @Test("every kind of expectation fails when the decision does not meet it, located at the expectation", arguments: unmet)
    func expectationsFail(_ unmet: Unmet) throws {
        let results = try Self.run("""
              - name: unmet
                expect:
                  \(unmet.expect)

            """)
        let result = try #require(results.results.first)
        #expect(!result.passed)
        let failure = try #require(result.failures.first)
        #expect(failure.expectation == unmet.key)
        #expect(failure.message == unmet.message)
        // And in Chinese, keeping the ids and values the English quotes.
        #expect(failure.text.translationProblem == nil, "\(failure.text)")
        #expect(failure.location.start.line == Self.firstCaseLine + 2)
        #expect(result.failures.count == 1)
        // A failed case keeps the explained decision, for the report.
        #expect(result.decision.explanation != nil)
    }

    // MARK: - Tables and generators

    @Test("a table is one case per row, named after its values; a row fails at its cell")
    func tables() throws {
        let results = try Self.run("""
              - name: tiers
                table:
                  columns: [cancellations, effect, tier]
                  rows:
                    - [2, allow, none]
                    - [3, allow, abuse-warn]
                    - [5, review, abuse-review]
                    - [8, deny, abuse-review]
              - name: statuses
                expect: {effect: deny}
                table:
                  columns: [order.status, deciding]
                  rows:
                    - [shipped, buyer-after-shipment]
                    - [cancelled, already-cancelled]

            """)
        #expect(results.results.map(\.testCase.name) == [
            "tiers [cancellations: 2]", "tiers [cancellations: 3]", "tiers [cancellations: 5]", "tiers [cancellations: 8]",
            "statuses [order.status: shipped]", "statuses [order.status: cancelled]",
        ])
        #expect(results.failed.map(\.testCase.name) == ["tiers [cancellations: 8]"])
        let failure = try #require(results.failed.first?.failures.first)
        #expect(failure.message == "expected tier `abuse-review`, got `abuse-block`")
        #expect(failure.location.start.line == Self.firstCaseLine + 7)
        #expect(failure.location.start.column == 21)
        #expect(results.failed.first?.testCase.location.start.line == Self.firstCaseLine + 7)
    }

    @Test("a generator puts N items inside the window, and needs the request's `at`")
    func generators() throws {
        let results = try Self.run("""
              - name: four
                request: {set: {cancellations: 4}}
                expect: {tier: abuse-warn, reason: {rule: abuse-warn, contains: You have cancelled 4 orders}}

            """)
        #expect(results.failed.isEmpty, "\(results.failed.flatMap(\.failures))")

        let (plan, folder) = try Self.load(Self.testFile("""
              - name: no clock
                request: {set: {at: null, cancellations: 2}}
                expect: {effect: allow}

            """))
        defer { try? FileManager.default.removeItem(at: folder) }
        let diagnostic = try #require(plan.diagnostics.errors.first)
        #expect(diagnostic.code == .testBadRequest)
        #expect(diagnostic.message == "`cancellations` places items before the request's `at`, but the request has no valid `at`")
    }

    // MARK: - Errors

    struct Broken: CustomTestStringConvertible, Sendable {
        let cases: String
        let code: String
        let message: String
        /// The line, counted from the first case's, and the text the error points at on it.
        let line: Int
        let at: String
        let help: String?
        var testDescription: String { code + ": " + message }
    }

    static let broken: [Broken] = [
        Broken(
            cases: "  - name: x\n    expcet: {effect: allow}\n", code: "yaml-unknown-key",
            message: "unknown key `expcet` in case", line: 1, at: "expcet", help: "did you mean `expect`?"),
        Broken(
            cases: "  - name: x\n    expect: {effect: alow}\n", code: "test-invalid-value",
            message: "invalid effect `alow`: expected `allow`, `deny` or `review`", line: 1, at: "alow",
            help: "did you mean `allow`?"),
        Broken(
            cases: "  - name: x\n    expect: {deciding: [buyer-befor-shipment]}\n", code: "test-unknown-name",
            message: "`buyer-befor-shipment` is not a rule or tier of `marketplace-cancellations`", line: 1, at: "buyer-befor-shipment",
            help: "did you mean `buyer-before-shipment`?"),
        Broken(
            cases: "  - name: x\n    expect: {obligations: [{type: refund, ammount: \"1.00\"}]}\n", code: "test-unknown-name",
            message: "`ammount` is not a field of a `refund` obligation", line: 1, at: "ammount", help: "did you mean `amount`?"),
        Broken(
            cases: "  - name: x\n    request: byuer\n    expect: {effect: allow}\n", code: "test-unknown-fixture",
            message: "no fixture named `byuer`", line: 1, at: "byuer", help: "did you mean `buyer`?"),
        Broken(
            cases: "  - name: x\n    request: {set: {order.status: shiped}}\n    expect: {effect: allow}\n",
            code: "request-invalid-enum",
            message: "`order.status` must be one of `pending_payment`, `paid`, `processing`, `shipped`, `delivered` or `cancelled`; found `shiped`",
            line: 1, at: "shiped", help: "did you mean `shipped`?"),
        Broken(
            cases: "  - name: x\n    request: {set: {ordr.status: paid}}\n    expect: {effect: allow}\n",
            code: "request-unknown-field", message: "unknown field `ordr`", line: 1, at: "ordr.status", help: "did you mean `order`?"),
        Broken(
            cases: "  - name: x\n    request: {file: missing.json}\n    expect: {effect: allow}\n", code: "test-bad-request",
            message: "no request file `missing.json`", line: 1, at: "missing.json", help: nil),
        Broken(
            cases: "  - name: x\n    expect: {}\n", code: "test-no-expectations",
            message: "case `x` expects nothing, so it can never fail", line: 0, at: "x",
            help: "add `expect:` with at least the `effect`"),
        Broken(
            cases: "  - name: x\n    table:\n      columns: [order.status, effect]\n      rows:\n        - [paid]\n",
            code: "test-table-shape", message: "this row has 1 value; the table has 2 columns", line: 4, at: "[paid]",
            help: "columns: `order.status` and `effect`"),
        Broken(
            cases: "  - name: x\n    expect: {problems: [missing-lst]}\n", code: "test-invalid-value",
            message: "unknown problem kind `missing-lst`", line: 1, at: "missing-lst", help: "did you mean `missing-list`?"),
        Broken(
            cases: "  - name: x\n    expect: {reason: {locale: zh_CN, contains: 订单}}\n", code: "test-unknown-name",
            message: "`zh_CN` is not a locale of `marketplace-cancellations`", line: 1, at: "zh_CN",
            help: "did you mean `zh-CN`?"),
    ]

    @Test("problems in a test file are located errors with a did-you-mean", arguments: broken)
    func locatedErrors(_ broken: Broken) throws {
        let (plan, folder) = try Self.load(Self.testFile(broken.cases))
        defer { try? FileManager.default.removeItem(at: folder) }
        let diagnostic = try #require(
            plan.diagnostics.errors.first { $0.code.rawValue == broken.code }, "\(plan.diagnostics.items)")
        #expect(diagnostic.message.hasPrefix(broken.message), "\(diagnostic.message)")
        #expect(diagnostic.span?.file == folder.appendingPathComponent("sample.tests.yaml").path)
        #expect(diagnostic.span?.start.line == Self.firstCaseLine + broken.line)
        let line = broken.cases.split(separator: "\n", omittingEmptySubsequences: false)[broken.line]
        let column = try #require(line.range(of: broken.at)).lowerBound.utf16Offset(in: line) + 1
        #expect(diagnostic.span?.start.column == column)
        #expect(diagnostic.help == broken.help)
        #expect(plan.cases.isEmpty)
    }

    @Test("a fixture in a shared file is included; a fixture building on itself is an error")
    func includesAndCycles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let prelude = Self.testFile("")
        let shared = prelude.replacingOccurrences(of: "kind: tests", with: "kind: fixtures")
            .replacingOccurrences(of: "cases:\n", with: "")
        try shared.write(to: folder.appendingPathComponent("shared.tests.yaml"), atomically: true, encoding: .utf8)
        try """
            kind: tests
            include: shared.tests.yaml
            fixtures:
              seller: {base: buyer, set: {actor: {id: s-1, role: seller}, reason: other}}
              a: {base: b}
              b: {base: a}
            cases:
              - name: from the shared fixture
                expect: {effect: allow}
              - name: from a local fixture over it
                request: seller
                expect: {effect: deny, deciding: seller-other-reasons}

            """.write(to: folder.appendingPathComponent("cases.tests.yaml"), atomically: true, encoding: .utf8)
        let plan = PolicyTestPlan.load(paths: [folder.path], policySet: Self.policySet)
        #expect(plan.diagnostics.isEmpty, "\(plan.diagnostics.items)")
        #expect(plan.run().failed.isEmpty)
        #expect(plan.suites.count == 1)

        try """
            kind: tests
            include: shared.tests.yaml
            fixtures:
              a: {base: b}
              b: {base: a}
            cases:
              - name: cycle
                request: a
                expect: {effect: allow}

            """.write(to: folder.appendingPathComponent("cases.tests.yaml"), atomically: true, encoding: .utf8)
        let broken = PolicyTestPlan.load(paths: [folder.path], policySet: Self.policySet)
        #expect(broken.diagnostics.errors.map(\.message) == ["fixture `a` builds on itself: `a` → `b` → `a`"])
    }

    // MARK: - Coverage

    @Test("coverage drops when a case is removed, and names what is no longer covered")
    func coverageDrops() throws {
        let copy = try Self.copyOfPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        let policies = copy.appendingPathComponent("Policies")
        let policySet = try #require(LoadedPolicies.load(paths: [policies.path]).policySet)
        let before = PolicyTestPlan.load(paths: [policies.path], policySet: policySet).run().coverage
        #expect(before.covered == before.total)

        // The only case just short of 30 minutes for the system.
        try Self.edit(
            policies.appendingPathComponent("who-may-cancel.tests.yaml"),
            replacing: "        - [2026-11-27T09:59:59+08:00, deny, []]\n", with: "")
        let after = PolicyTestPlan.load(paths: [policies.path], policySet: policySet).run().coverage
        #expect(after.total == before.total)
        #expect(after.covered == before.covered - 1)
        #expect(after.percentText == "98.1")
        #expect(!after.meets(100))
        #expect(after.meets(98))
        #expect(after.uncovered.map(\.text) == [
            "boundary `at - order.placed_at >= duration(\"30m\")` of rule `system-payment-timeout`: no case where it fails",
        ])

        // Without the seller's review cases, the rule and a side of the rate are uncovered too.
        try Self.edit(
            policies.appendingPathComponent("seller-stockout.tests.yaml"),
            replacing: "        - [100, 6, review, seller-stockout-rate]\n        - [120, 7, review, seller-stockout-rate]", with: "")
        try Self.edit(
            policies.appendingPathComponent("seller-stockout.tests.yaml"),
            replacing: "request: {set: {seller_stats: {orders_30d: 120, stockout_cancellations_30d: 7}}}",
            with: "request: {set: {seller_stats: {orders_30d: 120, stockout_cancellations_30d: 6}}}")
        let fewer = PolicyTestPlan.load(paths: [policies.path], policySet: policySet).run()
        #expect(fewer.failed.count == 1)  // 6 of 120 is exactly 5%: no longer reviewed
        #expect(fewer.coverage.uncovered.map(\.text).contains("rule `seller-stockout-rate`"))
        #expect(fewer.coverage.covered < after.covered)
    }

    @Test("a side counts only where the decision reached the comparison")
    func reachedSidesOnly() throws {
        // A buyer's request never reaches the system's 30-minute comparison, whatever its times.
        let results = try Self.run("""
              - name: buyer
                expect: {effect: allow}

            """)
        let timeout = try #require(results.coverage.boundaries.first { $0.owner == "rule `system-payment-timeout`" })
        #expect(timeout.sides.allSatisfy { $0.coveredBy == nil })
        let grace = try #require(results.coverage.boundaries.first { $0.owner == "rule `input-error-grace`" })
        #expect(grace.sides.allSatisfy { $0.coveredBy == nil })  // `reason == "input_error"` is false first
        let warn = try #require(results.coverage.boundaries.first { $0.id == "tier:abuse-warn" })
        #expect(warn.sides.map { $0.coveredBy != nil } == [false, true, false])
    }

    // MARK: - Problems

    /// A case can expect the problems a request meets (and the `on-missing` reason);
    /// without `problems:`, any problem fails the case, as before.
    @Test("a case expects problems by kind; an unexpected problem fails a case that does not")
    func problemExpectations() throws {
        let expected = try Self.run("""
              - name: no history
                request: {set: {buyer_history: null}}
                expect:
                  effect: review
                  problems: [missing-list]
                  reason: {rule: on-missing, contains: recent cancellations}
              - name: no history, not expected
                request: {set: {buyer_history: null}}
                expect: {effect: review}
              - name: none expected and none met
                expect: {effect: allow, problems: none}

            """)
        #expect(expected.results.map(\.passed) == [true, false, true])
        let unexpected = try #require(expected.results[1].failures.first)
        #expect(unexpected.expectation == "problems")
        #expect(unexpected.message.hasPrefix("an unexpected problem: missing-list: rule `repeat-canceller`"))
    }
}
