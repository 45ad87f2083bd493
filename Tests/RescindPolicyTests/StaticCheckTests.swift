import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// A minimal valid policy set in memory (policy_set + schema + calendar + one rule),
/// from which a test replaces, removes or adds one file.
enum PolicyFixture {
    static let policySet = """
        kind: policy_set
        name: test-set
        version: "1"
        default:
          effect: deny
          reason:
            en: No rule allows this.
            zh-CN: 没有规则允许。

        """

    static let schema = """
        kind: schema
        enums:
          role: [buyer, seller]
          order_status: [paid, shipped]
        types:
          event:
            at: timestamp
            by: role
        request:
          id: string
          at: timestamp
          actor:
            id: string
            role: role
          order:
            status: order_status
            total: decimal
            currency: string
          history:
            type: object
            optional: true
            fields:
              events: list(event)

        """

    static let calendar = """
        kind: calendar
        name: cn-mainland
        time_zone: Asia/Shanghai
        holidays:
          - 2026-10-01..2026-10-07

        """

    static let rules = """
        kind: rules
        rules:
          - id: buyer-may-cancel
            when: actor.role == "buyer"
            effect: allow
            reason:
              en: Buyers may cancel.
              zh-CN: 买家可以取消。

        """

    static let files: [String: String] = [
        "p/policy-set.yaml": policySet,
        "p/schema.yaml": schema,
        "p/calendar.yaml": calendar,
        "p/rules.yaml": rules,
    ]

    /// The minimal set with `changes` applied: a text replaces or adds a file, nil removes it.
    static func sources(_ changes: [String: String?] = [:]) -> [(path: String, text: String)] {
        var all = files
        for (path, text) in changes { all[path] = text }
        return all.sorted { $0.key < $1.key }.map { (path: $0.key, text: $0.value) }
    }

    static func load(_ changes: [String: String?] = [:]) -> LoadedPolicies {
        let loaded = LoadedPolicies.load(sources: sources(changes))
        // Every diagnostic of every static check is written in zh-CN too.
        let problems = loaded.diagnostics.items.flatMap(\.translationProblems)
        #expect(problems.isEmpty, "untranslated:\n\(problems.joined(separator: "\n"))")
        return loaded
    }

    /// A rules file holding `body` (the YAML of one or more rules, indented as list items).
    static func rules(_ body: String) -> String {
        "kind: rules\nrules:\n" + body
    }

    static func render(_ loaded: LoadedPolicies) -> String {
        HumanRenderer(sources: loaded.sources, color: false).render(loaded.diagnostics)
    }
}

/// Every static check of the policy layer, as the exact text people read.
@Suite("policy static checks")
struct StaticCheckTests {
    /// Compares the rendered diagnostics with `expected`. With RESCIND_DUMP_GOLDENS set to
    /// a folder, writes the actual text there instead (to review and paste new goldens),
    /// with the zh-CN rendering beside it (`NAME.zh-CN.txt`, to review the Chinese).
    func expectRendered(
        _ loaded: LoadedPolicies, _ expected: String, name: String = #function,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        let actual = PolicyFixture.render(loaded)
        // The zh-CN rendering has the same shape: the same located headers with their
        // codes, source lines and carets; only the words differ.
        let chinese = HumanRenderer(sources: loaded.sources, color: false, locale: .zhCN).render(loaded.diagnostics)
        #expect(Self.shape(chinese) == Self.shape(actual), sourceLocation: sourceLocation)
        if let folder = ProcessInfo.processInfo.environment["RESCIND_DUMP_GOLDENS"] {
            let file = name.prefix { $0 != "(" }
            try? actual.write(toFile: "\(folder)/\(file).txt", atomically: true, encoding: .utf8)
            try? chinese.write(toFile: "\(folder)/\(file).zh-CN.txt", atomically: true, encoding: .utf8)
            return
        }
        #expect(actual == expected, sourceLocation: sourceLocation)
    }

    /// The machine parts of a human rendering: each line's location and code, or its
    /// quoted source and caret; messages and labels left out.
    static func shape(_ rendered: String) -> [String] {
        rendered.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("  = ") { return "  = …" }
            if let bar = line.firstIndex(of: "|"), line[..<bar].allSatisfy({ $0 == " " || $0.isNumber }) { return String(line) }
            if let code = line.range(of: #"^\S+: (error|warning)\[[a-z0-9-]+\]"#, options: .regularExpression) {
                return String(line[code])
            }
            // A located note: its location only.
            return String(line.prefix { $0 != " " })
        }
    }

    @Test("the minimal fixture is clean")
    func fixtureIsClean() throws {
        let loaded = PolicyFixture.load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.items)")
        let set = try #require(loaded.policySet)
        #expect(set.rules.map(\.id) == ["buyer-may-cancel"])
    }

    // MARK: - Documents and keys

    @Test("YAML syntax error in a policy file")
    func yamlSyntax() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: [actor.role == "buyer"
                    effect: allow

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:5:11: error[yaml-syntax]: did not find expected ',' or ']'
              |
            5 |     effect: allow
              |           ^
            p/rules.yaml:4:11: note: the flow sequence starts here
              |
            4 |     when: [actor.role == "buyer"
              |           ^

            """
        )
    }

    @Test("unknown key with did-you-mean")
    func unknownKey() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "buyer"
                    efect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:3:5: error[yaml-missing-key]: missing required key `effect` in rule
              |
            3 |   - id: buyer-may-cancel
              |     ^
              = help: add `effect: …`
            p/rules.yaml:5:5: error[yaml-unknown-key]: unknown key `efect` in rule
              |
            5 |     efect: allow
              |     ^~~~~
              = help: did you mean `effect`?

            """
        )
    }

    @Test("missing required key")
    func missingKey() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:3:5: error[yaml-missing-key]: missing required key `when` in rule
              |
            3 |   - id: buyer-may-cancel
              |     ^
              = help: add `when: …`

            """
        )
    }

    @Test("unknown document kind")
    func unknownKind() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": """
                kind: rule
                rules: []

                """
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:1:7: error[policy-unknown-kind]: unknown document kind `rule`
              |
            1 | kind: rule
              |       ^~~~
              = help: did you mean `rules`?

            """
        )
    }

    @Test("no policy_set document")
    func missingPolicySet() {
        let loaded = PolicyFixture.load(["p/policy-set.yaml": nil])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            error[policy-missing-document]: the policy set has no `kind: policy_set` document
              = help: add a file with `kind: policy_set`; see docs/policy-language.md

            """
        )
    }

    @Test("no schema document")
    func missingSchema() {
        let loaded = PolicyFixture.load(["p/schema.yaml": nil])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            error[policy-missing-document]: the policy set has no `kind: schema` document
              = help: add a file with `kind: schema`; see docs/policy-language.md

            """
        )
    }

    @Test("a second policy_set document")
    func duplicatePolicySet() {
        let loaded = PolicyFixture.load(["p/zz-another-set.yaml": PolicyFixture.policySet])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/zz-another-set.yaml:1:1: error[policy-duplicate-document]: a second `kind: policy_set` document; a policy set has one
              |
            1 | kind: policy_set
              | ^~~~~~~~~~~~~~~~
            p/policy-set.yaml:1:1: note: the first one is here
              |
            1 | kind: policy_set
              | ^~~~~~~~~~~~~~~~

            """
        )
    }

    @Test("a second refunds document")
    func duplicateRefunds() {
        let refunds = """
            kind: refunds
            calendar: cn-mainland
            amount: order.total
            initiate_within:
              - days: 1
            expect_within:
              - days: 3

            """
        let loaded = PolicyFixture.load(["p/refunds.yaml": refunds + "---\n" + refunds])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/refunds.yaml:9:1: error[policy-duplicate-document]: a second `kind: refunds` document; a policy set has one
              |
            9 | kind: refunds
              | ^~~~~~~~~~~~~
            p/refunds.yaml:1:1: note: the first one is here
              |
            1 | kind: refunds
              | ^~~~~~~~~~~~~

            """
        )
    }

    @Test("invalid effect with did-you-mean")
    func invalidEffect() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "buyer"
                    effect: alow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:5:13: error[policy-invalid-value]: invalid effect `alow`: expected `allow`, `deny` or `review`
              |
            5 |     effect: alow
              |             ^~~~
              = help: did you mean `allow`?

            """
        )
    }

    // MARK: - CEL located inside YAML scalars

    @Test("CEL parse error in a plain scalar")
    func celParsePlain() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == == "buyer"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:25: error[cel-syntax]: unexpected token `==`; expected an expression
              |
            4 |     when: actor.role == == "buyer"
              |                         ^~

            """
        )
    }

    @Test("CEL parse error in a double-quoted scalar")
    func celParseQuoted() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: "actor.role == == 'buyer'"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:26: error[cel-syntax]: unexpected token `==`; expected an expression
              |
            4 |     when: "actor.role == == 'buyer'"
              |                          ^~

            """
        )
    }

    @Test("CEL parse error on the second line of a block scalar")
    func celParseBlock() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: |
                      actor.role == "buyer" &&
                        order.status == == "paid"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:6:25: error[cel-syntax]: unexpected token `==`; expected an expression
              |
            6 |         order.status == == "paid"
              |                         ^~

            """
        )
    }

    @Test("CEL parse error in a plain scalar folded over two lines")
    func celParsePlainMultiline() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "buyer" &&
                      order.status == == "paid"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:5:23: error[cel-syntax]: unexpected token `==`; expected an expression
              |
            5 |       order.status == == "paid"
              |                       ^~

            """
        )
    }

    @Test("CEL parse error after escapes in a double-quoted scalar")
    func celParseEscaped() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: "actor.role == \\"buyer\\" && order.status == == 'paid'"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:55: error[cel-syntax]: unexpected token `==`; expected an expression
              |
            4 |     when: "actor.role == \\"buyer\\" && order.status == == 'paid'"
              |                                                       ^~

            """
        )
    }

    @Test("CEL parse error after doubled quotes in a single-quoted scalar")
    func celParseSingleQuoted() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: 'actor.role == ''buyer'' && order.status == == "paid"'
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:55: error[cel-syntax]: unexpected token `==`; expected an expression
              |
            4 |     when: 'actor.role == ''buyer'' && order.status == == "paid"'
              |                                                       ^~

            """
        )
    }

    @Test("CEL parse error on the second line of a double-quoted scalar")
    func celParseQuotedMultiline() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: "actor.role == 'buyer' &&
                      order.status == == 'paid'"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:5:23: error[cel-syntax]: unexpected token `==`; expected an expression
              |
            5 |       order.status == == 'paid'"
              |                       ^~

            """
        )
    }

    @Test("CEL parse error on the second line of a folded block scalar")
    func celParseFolded() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: >
                      actor.role == "buyer" &&
                      order.status == == "paid"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:6:23: error[cel-syntax]: unexpected token `==`; expected an expression
              |
            6 |       order.status == == "paid"
              |                       ^~

            """
        )
    }

    @Test("CEL error inside a reason's {hole}, after escapes")
    func celInReason() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "buyer"
                    effect: allow
                    reason:
                      en: "Order \\"{ordr.id}\\" may be cancelled."
                      zh-CN: 订单 {order.stat} 可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:7:21: error[cel-undeclared-reference]: undeclared reference to `ordr`
              |
            7 |       en: "Order \\"{ordr.id}\\" may be cancelled."
              |                     ^~~~
              = help: did you mean `order`?
            p/rules.yaml:8:24: error[cel-unknown-field]: `request.order` has no field `stat`
              |
            8 |       zh-CN: 订单 {order.stat} 可以取消。
              |                        ^~~~
              = note: the fields of `request.order` are `status`, `total` and `currency`

            """
        )
    }

    @Test("CEL error in a quoted obligation amount")
    func celInObligation() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": StaticCheckTests.ruleWithObligation("""
                      - type: voucher
                        amount: "order.totl * decimal('0.1')"

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:11:24: error[cel-unknown-field]: `request.order` has no field `totl`
               |
            11 |         amount: "order.totl * decimal('0.1')"
               |                        ^~~~
              = note: the fields of `request.order` are `status`, `total` and `currency`
              = help: did you mean `total`?

            """
        )
    }

    @Test("CEL undeclared reference with did-you-mean")
    func celUndeclared() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: ordr.status == "paid"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:11: error[cel-undeclared-reference]: undeclared reference to `ordr`
              |
            4 |     when: ordr.status == "paid"
              |           ^~~~
              = help: did you mean `order`?

            """
        )
    }

    @Test("CEL unknown field of an object")
    func celUnknownField() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: order.stat == "paid"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:17: error[cel-unknown-field]: `request.order` has no field `stat`
              |
            4 |     when: order.stat == "paid"
              |                 ^~~~
              = note: the fields of `request.order` are `status`, `total` and `currency`

            """
        )
    }

    @Test("CEL enum value outside the set")
    func celEnumValue() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: order.status == "shiped"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:27: error[cel-invalid-enum-value]: `shiped` is not a valid `order_status`; expected one of `paid`, `shipped`
              |
            4 |     when: order.status == "shiped"
              |                           ^~~~~~~~
              = help: did you mean `shipped`?

            """
        )
    }

    @Test("a condition that is not a bool")
    func conditionNotBool() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: order.total
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:11: error[cel-result-type]: a condition must be a `bool`, found `decimal`
              |
            4 |     when: order.total
              |           ^~~~~~~~~~~

            """
        )
    }

    @Test("duplicate rule ids across two files point at both")
    func duplicateRuleID() {
        let loaded = PolicyFixture.load([
            "p/more-rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "seller"
                    effect: deny
                    reason:
                      en: Sellers may not cancel.
                      zh-CN: 卖家不可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:3:9: error[policy-duplicate-id]: duplicate id `buyer-may-cancel`
              |
            3 |   - id: buyer-may-cancel
              |         ^~~~~~~~~~~~~~~~
            p/more-rules.yaml:3:9: note: `buyer-may-cancel` is first defined here
              |
            3 |   - id: buyer-may-cancel
              |         ^~~~~~~~~~~~~~~~
              = help: rule, threshold and tier ids must be unique across the policy set

            """
        )
    }

    // MARK: - Calendars

    static let refunds = """
        kind: refunds
        calendar: cn-mainlnd
        amount: order.total
        initiate_within:
          - days: 1
        expect_within:
          - days: 3

        """

    @Test("unknown calendar in refunds")
    func unknownCalendarInRefunds() {
        let loaded = PolicyFixture.load(["p/refunds.yaml": Self.refunds])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/refunds.yaml:2:11: error[policy-unknown-calendar]: unknown calendar `cn-mainlnd`
              |
            2 | calendar: cn-mainlnd
              |           ^~~~~~~~~~
              = help: did you mean `cn-mainland`?

            """
        )
    }

    @Test("unknown calendar as a literal in a CEL call")
    func unknownCalendarInCEL() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: addBusinessDays(at, 1, "cn") > at
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:34: error[policy-unknown-calendar]: unknown calendar `cn`
              |
            4 |     when: addBusinessDays(at, 1, "cn") > at
              |                                  ^~~~
              = help: known calendars: `cn-mainland`

            """
        )
    }

    @Test("invalid time zone")
    func invalidTimeZone() {
        let loaded = PolicyFixture.load([
            "p/calendar.yaml": """
                kind: calendar
                name: cn-mainland
                time_zone: Asia/Shanghia

                """
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/calendar.yaml:3:12: error[policy-invalid-value]: invalid time zone `Asia/Shanghia`: expected an IANA time zone name such as `Asia/Shanghai`
              |
            3 | time_zone: Asia/Shanghia
              |            ^~~~~~~~~~~~~

            """
        )
    }

    @Test("invalid holiday dates and ranges")
    func invalidHolidays() {
        let loaded = PolicyFixture.load([
            "p/calendar.yaml": """
                kind: calendar
                name: cn-mainland
                time_zone: Asia/Shanghai
                holidays:
                  - 2026-13-01
                  - 2026-10-07..2026-10-01
                  - 2026-10-01...2026-10-07

                """
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/calendar.yaml:5:5: error[policy-invalid-value]: invalid date `2026-13-01`: expected `YYYY-MM-DD` or a range `YYYY-MM-DD..YYYY-MM-DD`
              |
            5 |   - 2026-13-01
              |     ^~~~~~~~~~
            p/calendar.yaml:6:5: error[policy-invalid-value]: invalid date `2026-10-07..2026-10-01`: expected `YYYY-MM-DD` or a range `YYYY-MM-DD..YYYY-MM-DD`
              |
            6 |   - 2026-10-07..2026-10-01
              |     ^~~~~~~~~~~~~~~~~~~~~~
            p/calendar.yaml:7:5: error[policy-invalid-value]: invalid date `2026-10-01...2026-10-07`: expected `YYYY-MM-DD` or a range `YYYY-MM-DD..YYYY-MM-DD`
              |
            7 |   - 2026-10-01...2026-10-07
              |     ^~~~~~~~~~~~~~~~~~~~~~~

            """
        )
    }

    // MARK: - Thresholds

    static func thresholds(tiers: String) -> String {
        """
        kind: thresholds
        thresholds:
          - id: repeat-canceller
            applies_when: actor.role == "buyer"
            count: history.events
            where: item.by == "buyer"
            timestamp: item.at
            window: 720h
            on_missing: review
            tiers:

        """ + tiers
    }

    @Test("tiers out of order")
    func tiersOutOfOrder() {
        let loaded = PolicyFixture.load([
            "p/thresholds.yaml": Self.thresholds(tiers: """
                      - id: abuse-review
                        at_least: 5
                        effect: review
                        reason: {en: Too many., zh-CN: 太多。}
                      - id: abuse-warn
                        at_least: 3
                        effect: allow
                        reason: {en: Many., zh-CN: 很多。}

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/thresholds.yaml:16:19: error[policy-tiers-out-of-order]: tier `abuse-warn` starts at 3, not above the previous tier `abuse-review` (5)
               |
            16 |         at_least: 3
               |                   ^
            p/thresholds.yaml:12:19: note: `abuse-review` starts here
               |
            12 |         at_least: 5
               |                   ^
              = help: list tiers by strictly increasing `at_least`

            """
        )
    }

    @Test("suspends names an unknown threshold")
    func unknownThreshold() {
        let loaded = PolicyFixture.load([
            "p/thresholds.yaml": Self.thresholds(tiers: """
                      - id: abuse-review
                        at_least: 5
                        effect: review
                        reason: {en: Too many., zh-CN: 太多。}

                """),
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "buyer"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。
                    suspends: [repeat-canceler]

                """),
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:9:16: error[policy-unknown-threshold]: `suspends` names an unknown threshold `repeat-canceler`
              |
            9 |     suspends: [repeat-canceler]
              |                ^~~~~~~~~~~~~~~
              = help: did you mean `repeat-canceller`?

            """
        )
    }

    // MARK: - Reasons and obligations

    @Test("a reason missing a locale")
    func missingLocale() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "buyer"
                    effect: allow
                    reason:
                      en: Buyers may cancel.

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:7:7: error[policy-missing-locale]: the reason has no `zh-CN` text
              |
            7 |       en: Buyers may cancel.
              |       ^~~~~~~~~~~~~~~~~~~~~~
              = help: every reason needs a text for each of the policy set's `locales`

            """
        )
    }

    static func ruleWithObligation(_ obligation: String) -> String {
        PolicyFixture.rules("""
              - id: buyer-may-cancel
                when: actor.role == "buyer"
                effect: allow
                reason:
                  en: Buyers may cancel.
                  zh-CN: 买家可以取消。
                obligations:

            """ + obligation)
    }

    @Test("unknown obligation type with did-you-mean")
    func unknownObligation() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": Self.ruleWithObligation("""
                      - type: notfy
                        to: buyer
                        within: 24h

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:10:15: error[policy-unknown-obligation]: unknown obligation type `notfy`
               |
            10 |       - type: notfy
               |               ^~~~~
              = help: did you mean `notify`?

            """
        )
    }

    @Test("unknown key inside an obligation")
    func unknownObligationKey() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": Self.ruleWithObligation("""
                      - type: notify
                        to: buyer
                        within: 24h
                        templte: sorry

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:13:9: error[yaml-unknown-key]: unknown key `templte` in a `notify` obligation
               |
            13 |         templte: sorry
               |         ^~~~~~~
              = help: did you mean `template`?

            """
        )
    }

    @Test("invalid duration in an obligation")
    func invalidObligationDuration() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": Self.ruleWithObligation("""
                      - type: notify
                        to: buyer
                        within: 24 hours

                """)
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:12:17: error[policy-invalid-value]: invalid `within` `24 hours`: expected a duration such as `24h`, `30m` or `14d`
               |
            12 |         within: 24 hours
               |                 ^~~~~~~~
              = help: write `24h`

            """
        )
    }

    // MARK: - Schema

    @Test("unknown schema type with did-you-mean")
    func unknownSchemaType() {
        let loaded = PolicyFixture.load([
            "p/schema.yaml": PolicyFixture.schema.replacingOccurrences(of: "total: decimal", with: "total: decmal")
        ])
        #expect(loaded.policySet == nil)
        expectRendered(
            loaded,
            """
            p/schema.yaml:17:12: error[policy-unknown-type]: unknown type `decmal`
               |
            17 |     total: decmal
               |            ^~~~~~
              = help: did you mean `decimal`?

            """
        )
    }

    @Test("`yes` where a boolean is expected is a warning and still compiles")
    func booleanLike() throws {
        let loaded = PolicyFixture.load([
            "p/schema.yaml": PolicyFixture.schema.replacingOccurrences(of: "optional: true", with: "optional: yes")
        ])
        #expect(loaded.diagnostics.errors.isEmpty)
        #expect(loaded.diagnostics.warnings.count == 1)
        let set = try #require(loaded.policySet)
        #expect(set.schema.root.field("history")?.required == false)
        expectRendered(
            loaded,
            """
            p/schema.yaml:21:15: warning[yaml-boolean-like]: `yes` is read as `true` here, but YAML 1.2 reads it as a string elsewhere
               |
            21 |     optional: yes
               |               ^~~
              = help: write `true` (booleans are only `true` and `false`)

            """
        )
    }

    // MARK: - Cross-rule checks (warnings)

    @Test("a rule that can never match is a warning")
    func neverMatches() throws {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "buyer"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。
                  - id: paid-and-shipped
                    when:
                      all:
                        - order.status == "paid"
                        - order.status in ["shipped"]
                    effect: deny
                    reason:
                      en: Never.
                      zh-CN: 从不。

                """)
        ])
        #expect(loaded.diagnostics.errors.isEmpty)
        #expect(loaded.policySet != nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:9:9: warning[policy-rule-never-matches]: rule `paid-and-shipped` can never match: `order.status` cannot be both `order.status == "paid"` and `order.status in ["shipped"]`
              |
            9 |   - id: paid-and-shipped
              |         ^~~~~~~~~~~~~~~~
              = help: did you mean `any:` instead of `all:`?

            """
        )
    }

    @Test("a shadowed rule is a warning")
    func shadowed() throws {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-paid
                    when:
                      all:
                        - actor.role == "buyer"
                        - order.status == "paid"
                    effect: allow
                    reason:
                      en: Buyers may cancel paid orders.
                      zh-CN: 买家可以取消已付款的订单。
                  - id: buyers-never
                    when: actor.role == "buyer"
                    effect: deny
                    reason:
                      en: Buyers may not cancel.
                      zh-CN: 买家不可以取消。

                """)
        ])
        #expect(loaded.diagnostics.errors.isEmpty)
        #expect(loaded.policySet != nil)
        expectRendered(
            loaded,
            """
            p/rules.yaml:3:9: warning[policy-rule-shadowed]: rule `buyer-paid` never decides: whenever it matches, rule `buyers-never` also matches and its `deny` wins
              |
            3 |   - id: buyer-paid
              |         ^~~~~~~~~~
            p/rules.yaml:12:9: note: `buyers-never` is here
               |
            12 |   - id: buyers-never
               |         ^~~~~~~~~~~~

            """
        )
    }

    // MARK: - Collecting and ordering

    @Test("a set with only warnings compiles; a set with errors does not")
    func warningsVersusErrors() throws {
        let warned = PolicyFixture.load([
            "p/schema.yaml": PolicyFixture.schema.replacingOccurrences(of: "optional: true", with: "optional: yes")
        ])
        #expect(!warned.diagnostics.isEmpty)
        #expect(!warned.diagnostics.hasErrors)
        let set = try #require(warned.policySet)
        #expect(set.rules.count == 1)

        let failed = PolicyFixture.load([
            "p/schema.yaml": PolicyFixture.schema.replacingOccurrences(of: "total: decimal", with: "total: decmal")
        ])
        #expect(failed.diagnostics.hasErrors)
        #expect(failed.policySet == nil)
    }

    @Test("all errors are collected at once: three mistakes in one file, three errors")
    func collectsEveryError() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: ordr.status == "paid"
                    effect: alow
                    reason:
                      en: Buyers may cancel.
                  - id: seller-may-cancel
                    when: actor.role == "seller"
                    effect: allow
                    reason:
                      en: Sellers may cancel.
                      zh-CN: 卖家可以取消。

                """)
        ])
        #expect(loaded.policySet == nil)
        #expect(loaded.diagnostics.errors.count == 3)
        #expect(loaded.diagnostics.map(\.code.rawValue).sorted()
            == ["cel-undeclared-reference", "policy-invalid-value", "policy-missing-locale"])
        expectRendered(
            loaded,
            """
            p/rules.yaml:4:11: error[cel-undeclared-reference]: undeclared reference to `ordr`
              |
            4 |     when: ordr.status == "paid"
              |           ^~~~
              = help: did you mean `order`?
            p/rules.yaml:5:13: error[policy-invalid-value]: invalid effect `alow`: expected `allow`, `deny` or `review`
              |
            5 |     effect: alow
              |             ^~~~
              = help: did you mean `allow`?
            p/rules.yaml:7:7: error[policy-missing-locale]: the reason has no `zh-CN` text
              |
            7 |       en: Buyers may cancel.
              |       ^~~~~~~~~~~~~~~~~~~~~~
              = help: every reason needs a text for each of the policy set's `locales`

            """
        )
    }

    @Test("diagnostics come sorted by file, then line")
    func sortedByFileAndLine() {
        let loaded = PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: ordr.status == "paid"
                    effect: alow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """),
            "p/calendar.yaml": """
                kind: calendar
                name: cn-mainland
                time_zone: Asia/Shanghia

                """,
            "p/schema.yaml": PolicyFixture.schema.replacingOccurrences(of: "total: decimal", with: "total: decmal"),
        ])
        let keys = loaded.diagnostics.items.map { ($0.span?.file ?? "", $0.span?.start.line ?? 0) }
        #expect(keys.map(\.0) == ["p/calendar.yaml", "p/rules.yaml", "p/rules.yaml", "p/schema.yaml"])
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 <= $1 })
    }
}

