import Foundation
import Rescind
import RescindTooling
import Testing

/// The reference pack (A) and an edited copy of it in a temporary folder (B).
struct DiffFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let pack = root.appendingPathComponent("Policies").path

    let folder: URL
    var path: String { folder.path }

    init() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        folder = parent.appendingPathComponent("Policies")
        try FileManager.default.copyItem(atPath: Self.pack, toPath: folder.path)
    }

    func remove() { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }

    /// Replaces `old` (which must occur once) in `file`.
    func edit(_ file: String, replacing old: String, with new: String) throws {
        let url = folder.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        try #require(text.components(separatedBy: old).count == 2, "`\(old)` is not in \(file) once")
        try text.replacingOccurrences(of: old, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    /// The pack against the copy, both loaded without errors.
    func diff() throws -> PolicyDiff {
        let a = try PolicySource(Self.pack).load().get(), b = try PolicySource(path).load().get()
        #expect(a.policies.policySet != nil)
        #expect(b.policies.policySet != nil, "\(b.policies.diagnostics)")
        return PolicyDiff.compare(DiffSide(a), DiffSide(b))
    }

    /// The lines of the text form after the two sides and the count.
    static func body(_ diff: PolicyDiff, _ locale: Diagnostic.Locale = .en) -> [String] {
        Array(diff.text(locale: locale).split(separator: "\n", omittingEmptySubsequences: false).dropFirst(4).map(String.init))
    }

    /// The JSON of each change, one per line.
    static func jsonChanges(_ diff: PolicyDiff) throws -> [String] {
        let json = diff.json()
        let start = try #require(json.range(of: ",\"changes\":["))
        let inner = json[start.upperBound...].dropLast(3)  // `]}` and the newline
        let parts = inner.components(separatedBy: "},{\"kind\"")
        return inner.isEmpty ? [] : parts.enumerated().map { index, part in
            (index == 0 ? "" : "{\"kind\"") + part + (index == parts.count - 1 ? "" : "}")
        }
    }
}

@Suite("rescind diff: what changed between two policy sets")
struct PolicyDiffTests {
    @Test("a tier's at_least 5 → 4, in every form")
    func thresholdChange() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("abuse-thresholds.yaml", replacing: "at_least: 5", with: "at_least: 4")
        let diff = try fixture.diff()
        let (a, b) = (DiffFixture.pack, fixture.path)
        let digest = try #require(diff.after.digest).prefix(12)
        #expect(diff.text() == """
            A: \(a) (marketplace-cancellations 2026.12, digest f014fcd1be15)
            B: \(b) (marketplace-cancellations 2026.12, digest \(digest))
            1 change: 0 added, 0 removed, 1 changed

            thresholds
              tier `abuse-review` of `repeat-canceller` now starts at 4 cancellations (was 5)
                A \(a)/abuse-thresholds.yaml:54  B \(b)/abuse-thresholds.yaml:54

            """)
        #expect(diff.text(locale: .zhCN).contains("""

            阈值
              阈值 `repeat-canceller` 的档位 `abuse-review` 改为自 4 次起适用（原为 5 次）
                A \(a)/abuse-thresholds.yaml:54  B \(b)/abuse-thresholds.yaml:54

            """))
        #expect(diff.markdown() == """
            ### Policy changes

            **1 change: 0 added, 0 removed, 1 changed**: **A** `\(a)` (`marketplace-cancellations` 2026.12, digest `f014fcd1be15`) → **B** `\(b)` (`marketplace-cancellations` 2026.12, digest `\(digest)`)

            #### Thresholds

            | Change | Before | After | Where |
            | --- | --- | --- | --- |
            | tier `abuse-review` of `repeat-canceller` now starts at 4 cancellations (was 5) | `5` | `4` | A `\(a)/abuse-thresholds.yaml:54`<br>B `\(b)/abuse-thresholds.yaml:54` |

            """)
        let fullDigest = try #require(diff.after.digest), packDigest = try #require(diff.before.digest)
        #expect(diff.json() == """
            {"a":{"source":"\(a)","commit":null,"name":"marketplace-cancellations","version":"2026.12","digest":"\(packDigest)"},\
            "b":{"source":"\(b)","commit":null,"name":"marketplace-cancellations","version":"2026.12","digest":"\(fullDigest)"},\
            "locale":"en","summary":{"changes":1,"added":0,"removed":0,"changed":1},\
            "changes":[{"kind":"tier","id":"repeat-canceller/abuse-review","change":"changed","field":"at_least",\
            "before":"5","after":"4",\
            "words":"tier `abuse-review` of `repeat-canceller` now starts at 4 cancellations (was 5)",\
            "spans":{"before":{"file":"\(a)/abuse-thresholds.yaml","line":54,"column":19},\
            "after":{"file":"\(b)/abuse-thresholds.yaml","line":54,"column":19}}}]}

            """)
    }

    @Test("a holiday added; a range extended is reported as the days added, compactly")
    func holidays() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit(
            "calendar-cn-mainland.yaml", replacing: "  - \"2026-10-01..2026-10-07\"",
            with: "  - \"2026-10-01..2026-10-09\"\n  - \"2026-12-31\"")
        let diff = try fixture.diff()
        let b = fixture.path
        #expect(DiffFixture.body(diff) == [
            "calendars",
            "  holidays 2026-10-08..2026-10-09 added to `cn-mainland`",
            "    B \(b)/calendar-cn-mainland.yaml:43",
            "  holiday 2026-12-31 added to `cn-mainland`",
            "    B \(b)/calendar-cn-mainland.yaml:44",
            "",
        ])
        #expect(DiffFixture.body(diff, .zhCN)[1...3] == [
            "  日历 `cn-mainland` 新增节假日 2026-10-08..2026-10-09",
            "    B \(b)/calendar-cn-mainland.yaml:43",
            "  日历 `cn-mainland` 新增节假日 2026-12-31",
        ])
        #expect(try DiffFixture.jsonChanges(diff)[1] == """
            {"kind":"holiday","id":"cn-mainland/2026-12-31","change":"added","field":"holidays","before":null,\
            "after":"2026-12-31","words":"holiday 2026-12-31 added to `cn-mainland`",\
            "spans":{"before":null,"after":{"file":"\(b)/calendar-cn-mainland.yaml","line":44,"column":5}}}
            """)
        #expect(diff.markdown().contains("""
            #### Calendars

            | Change | Before | After | Where |
            | --- | --- | --- | --- |
            | holidays 2026-10-08..2026-10-09 added to `cn-mainland` |  | `2026-10-08..2026-10-09` | B `\(b)/calendar-cn-mainland.yaml:43` |
            | holiday 2026-12-31 added to `cn-mainland` |  | `2026-12-31` | B `\(b)/calendar-cn-mainland.yaml:44` |

            """))
    }

    @Test("refund days for bank_transfer 5 → 4")
    func refundDays() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("refunds.yaml", replacing: "days: 5", with: "days: 4")
        let diff = try fixture.diff()
        let (a, b) = (DiffFixture.pack, fixture.path)
        #expect(DiffFixture.body(diff) == [
            "refunds",
            "  refund for `bank_transfer` now initiated within 4 business days (was 5)",
            "    A \(a)/refunds.yaml:50  B \(b)/refunds.yaml:50",
            "",
        ])
        #expect(DiffFixture.body(diff, .zhCN)[1] == "  `bank_transfer` 的退款改为 4 个工作日内发起（原为 5 个）")
        #expect(try DiffFixture.jsonChanges(diff) == ["""
            {"kind":"refund_case","id":"initiate_within/bank_transfer","change":"changed","field":"days","before":"5",\
            "after":"4","words":"refund for `bank_transfer` now initiated within 4 business days (was 5)",\
            "spans":{"before":{"file":"\(a)/refunds.yaml","line":50,"column":11},\
            "after":{"file":"\(b)/refunds.yaml","line":50,"column":11}}}
            """])
        #expect(diff.markdown().contains("""
            | refund for `bank_transfer` now initiated within 4 business days (was 5) | `5` | `4` | A `\(a)/refunds.yaml:50`<br>B `\(b)/refunds.yaml:50` |
            """))
    }

    @Test("a new rule, with its condition as CEL and its effect")
    func ruleAdded() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("who-may-cancel.yaml", replacing: "  - id: input-error-grace\n", with: """
              - id: fraud-hold
                description: {en: "Orders suspected of fraud are not cancelled automatically.", zh-CN: "涉嫌欺诈的订单不自动取消。"}
                when:
                  all:
                    - actor.role == "buyer"
                    - reason == "fraud_suspected"
                effect: deny
                reason:
                  en: "Order {order.id} cannot be cancelled online."
                  zh-CN: "订单 {order.id} 暂不支持在线取消。"

              - id: input-error-grace

            """)
        let diff = try fixture.diff()
        let b = fixture.path
        #expect(DiffFixture.body(diff) == [
            "rules",
            "  rule `fraud-hold` added: `actor.role == \"buyer\" && reason == \"fraud_suspected\"` → deny",
            "    B \(b)/who-may-cancel.yaml:114",
            "",
        ])
        #expect(DiffFixture.body(diff, .zhCN)[1]
            == "  新增规则 `fraud-hold`：`actor.role == \"buyer\" && reason == \"fraud_suspected\"` → 拒绝")
        #expect(try DiffFixture.jsonChanges(diff) == ["""
            {"kind":"rule","id":"fraud-hold","change":"added","field":null,"before":null,\
            "after":"actor.role == \\"buyer\\" && reason == \\"fraud_suspected\\" → deny",\
            "words":"rule `fraud-hold` added: `actor.role == \\"buyer\\" && reason == \\"fraud_suspected\\"` → deny",\
            "spans":{"before":null,"after":{"file":"\(b)/who-may-cancel.yaml","line":114,"column":5}}}
            """])
        #expect(diff.markdown().contains("""
            | rule `fraud-hold` added: `actor.role == "buyer" && reason == "fraud_suspected"` → deny |  \
            | `actor.role == "buyer" && reason == "fraud_suspected" → deny` | B `\(b)/who-may-cancel.yaml:114` |
            """))
    }

    @Test("a removed rule")
    func ruleRemoved() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        let file = fixture.folder.appendingPathComponent("who-may-cancel.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let start = try #require(text.range(of: "  - id: already-cancelled\n"))
        let end = try #require(text.range(of: "  - id: input-error-grace\n"))
        try text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "").write(to: file, atomically: true, encoding: .utf8)
        let diff = try fixture.diff()
        let a = DiffFixture.pack
        #expect(DiffFixture.body(diff) == [
            "rules",
            "  rule `already-cancelled` removed",
            "    A \(a)/who-may-cancel.yaml:106",
            "",
        ])
        #expect(DiffFixture.body(diff, .zhCN)[1] == "  删除规则 `already-cancelled`")
        #expect(try DiffFixture.jsonChanges(diff) == ["""
            {"kind":"rule","id":"already-cancelled","change":"removed","field":null,\
            "before":"order.status == \\"cancelled\\" → deny","after":null,"words":"rule `already-cancelled` removed",\
            "spans":{"before":{"file":"\(a)/who-may-cancel.yaml","line":106,"column":5},"after":null}}
            """])
        #expect(diff.markdown().contains("""
            | rule `already-cancelled` removed | `order.status == "cancelled" → deny` |  | A `\(a)/who-may-cancel.yaml:106` |
            """))
    }

    @Test("identical folders: no changes")
    func noChanges() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        let diff = try fixture.diff()
        #expect(diff.changes.isEmpty)
        #expect(diff.text().hasSuffix("\nno changes\n"))
        #expect(diff.text(locale: .zhCN).hasSuffix("\n无变化\n"))
        #expect(diff.markdown().hasSuffix("\n\nno changes: **A** `\(DiffFixture.pack)` (`marketplace-cancellations` 2026.12, digest `f014fcd1be15`) → **B** `\(fixture.path)` (`marketplace-cancellations` 2026.12, digest `f014fcd1be15`)\n"))
        #expect(diff.json().hasSuffix(#""summary":{"changes":0,"added":0,"removed":0,"changed":0},"changes":[]}"# + "\n"))
    }

    @Test("an enum value added to the schema")
    func enumValue() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("schema.yaml", replacing: "delivered, cancelled]", with: "delivered, cancelled, refunded]")
        let diff = try fixture.diff()
        #expect(DiffFixture.body(diff) == [
            "request schema",
            "  value `refunded` added to enum `order_status`",
            "    B \(fixture.path)/schema.yaml:30",
            "",
        ])
        #expect(DiffFixture.body(diff, .zhCN)[1] == "  枚举 `order_status` 新增取值 `refunded`")
        #expect(diff.changes.map(\.kind.rawValue) == ["enum_value"])
        #expect(diff.changes.map(\.id) == ["order_status.refunded"])
    }

    @Test("rules in another order are not a change; refund cases in another order are")
    func order() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        // `already-cancelled` moves to the top of its file: rules combine by precedence.
        let file = fixture.folder.appendingPathComponent("who-may-cancel.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let start = try #require(text.range(of: "  - id: already-cancelled\n"))
        let end = try #require(text.range(of: "  - id: input-error-grace\n"))
        let block = String(text[start.lowerBound..<end.lowerBound])
        var moved = text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "")
        moved = moved.replacingOccurrences(of: "rules:\n", with: "rules:\n" + block)
        try moved.write(to: file, atomically: true, encoding: .utf8)
        let rules = try fixture.diff()
        #expect(rules.changes.isEmpty)
        #expect(rules.summary(.en) == "no changes (the files differ only in comments, layout or an order that decides nothing)")

        // Refund cases are tried in order: card and wallet swapped.
        try fixture.edit(
            "refunds.yaml",
            replacing: "  - when: order.payment_method == \"card\"\n    days: 3\n  - when: order.payment_method == \"wallet\"\n    days: 1\n",
            with: "  - when: order.payment_method == \"wallet\"\n    days: 1\n  - when: order.payment_method == \"card\"\n    days: 3\n")
        let refunds = try fixture.diff()
        #expect(DiffFixture.body(refunds) == [
            "refunds",
            "  `initiate_within` cases now tried in the order `seller & stock_out`, `wallet`, `card`, `bank_transfer` "
                + "(was `seller & stock_out`, `card`, `wallet`, `bank_transfer`); the first that matches applies",
            "    A \(DiffFixture.pack)/refunds.yaml:42  B \(fixture.path)/refunds.yaml:42",
            "",
        ])
        #expect(refunds.changes.map(\.field) == ["order"])
    }

    @Test("a changed condition is shown before and after as CEL")
    func conditionChanged() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("who-may-cancel.yaml", replacing: "when: order.status == \"cancelled\"",
                         with: "when: order.status == \"cancelled\" || order.status == \"delivered\"")
        let diff = try fixture.diff()
        #expect(DiffFixture.body(diff) == [
            "rules",
            "  condition of rule `already-cancelled` changed",
            "    - order.status == \"cancelled\"",
            "    + order.status == \"cancelled\" || order.status == \"delivered\"",
            "    A \(DiffFixture.pack)/who-may-cancel.yaml:108  B \(fixture.path)/who-may-cancel.yaml:108",
            "",
        ])
    }

    @Test("a rule moved to another file, an effect changed, a tier and a refund case added")
    func more() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("abuse-thresholds.yaml", replacing: "      - id: abuse-block\n", with: """
                  - id: abuse-hold
                    description: {en: "Six or more.", zh-CN: "六次及以上。"}
                    at_least: 6
                    effect: review
                    reason:
                      en: "Hold {count}."
                      zh-CN: "暂停 {count}。"
                  - id: abuse-block

            """)
        try fixture.edit("refunds.yaml", replacing: "  - when: order.payment_method == \"card\"\n    days: 3\n", with: """
              - when: order.payment_method == "card" && order.total > decimal("1000")
                days: 1
              - when: order.payment_method == "card"
                days: 3

            """)
        let rules = fixture.folder.appendingPathComponent("who-may-cancel.yaml")
        let text = try String(contentsOf: rules, encoding: .utf8)
        let start = try #require(text.range(of: "  - id: already-cancelled\n"))
        let end = try #require(text.range(of: "  - id: input-error-grace\n"))
        let block = String(text[start.lowerBound..<end.lowerBound])
        try text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "")
            .replacingOccurrences(of: "effect: allow\n    reason:\n      en: \"The customer", with: "effect: review\n    reason:\n      en: \"The customer")
            .write(to: rules, atomically: true, encoding: .utf8)
        let stockout = fixture.folder.appendingPathComponent("seller-stockout.yaml")
        try (String(contentsOf: stockout, encoding: .utf8) + "\n" + block).write(to: stockout, atomically: true, encoding: .utf8)
        let diff = try fixture.diff()
        let (a, b) = (DiffFixture.pack, fixture.path)
        #expect(DiffFixture.body(diff) == [
            "rules",
            "  rule `already-cancelled` moved from `who-may-cancel.yaml` to `seller-stockout.yaml`",
            "    A \(a)/who-may-cancel.yaml:106  B \(b)/seller-stockout.yaml:84",
            "  rule `support-verified` now decides review (was allow)",
            "    A \(a)/who-may-cancel.yaml:78  B \(b)/who-may-cancel.yaml:78",
            "",
            "thresholds",
            "  tier `abuse-hold` added to `repeat-canceller`: from 6 cancellations → review",
            "    B \(b)/abuse-thresholds.yaml:59",
            "",
            "refunds",
            "  refund case added: `order.payment_method == \"card\" && order.total > decimal(\"1000\")` initiated within 1 business day",
            "    B \(b)/refunds.yaml:45",
            "",
        ])
        #expect(DiffFixture.body(diff, .zhCN).filter { !$0.hasPrefix("    ") } == [
            "规则",
            "  规则 `already-cancelled` 从 `who-may-cancel.yaml` 移至 `seller-stockout.yaml`",
            "  规则 `support-verified` 的决定改为「人工审核」（原为「允许」）",
            "",
            "阈值",
            "  阈值 `repeat-canceller` 新增档位 `abuse-hold`：自 6 次起 → 人工审核",
            "",
            "退款",
            "  新增退款情形：`order.payment_method == \"card\" && order.total > decimal(\"1000\")` 在 1 个工作日内发起退款",
            "",
        ])
    }

    @Test("the policy set, a schema field, a calendar's years and workdays, a reason, obligations, a window")
    func manyKinds() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("policy-set.yaml", replacing: "version: \"2026.12\"", with: "version: \"2027.01\"")
        try fixture.edit("policy-set.yaml", replacing: "on_history_unavailable: review", with: "on_history_unavailable: deny")
        try fixture.edit("abuse-thresholds.yaml", replacing: "window: 720h", with: "window: 336h")
        try fixture.edit("abuse-thresholds.yaml", replacing: "for: 336h", with: "for: 168h")
        try fixture.edit("calendar-cn-mainland.yaml", replacing: "years: 2025..2026", with: "years: 2025..2027")
        try fixture.edit("calendar-cn-mainland.yaml", replacing: "  - \"2026-10-10\"                   # Sat, for National Day",
                         with: "  - \"2026-10-10\"\n  - \"2027-01-04\"")
        let notify = fixture.folder.appendingPathComponent("seller-stockout.yaml")
        try String(contentsOf: notify, encoding: .utf8).replacingOccurrences(of: "        within: 24h", with: "        within: 48h")
            .write(to: notify, atomically: true, encoding: .utf8)
        try fixture.edit("schema.yaml", replacing: "    buyer_id: {type: string, default: \"\"}\n",
                         with: "    buyer_id: {type: string, default: \"\"}\n    coupon: {type: decimal, default: \"0.00\", minimum: \"0.00\"}\n")
        try fixture.edit("who-may-cancel.yaml", replacing: "已取消，无需重复操作。", with: "已取消。")
        let diff = try fixture.diff()
        let (a, b) = (DiffFixture.pack, fixture.path)
        #expect(DiffFixture.body(diff) == [
            "policy set",
            "  version now 2027.01 (was 2026.12)",
            "    A \(a)/policy-set.yaml:20  B \(b)/policy-set.yaml:20",
            "  a decision when the history store does not answer (`on_history_unavailable`) is now at least deny (was review)",
            "    A \(a)/policy-set.yaml:49  B \(b)/policy-set.yaml:49",
            "",
            "request schema",
            "  field `order.coupon` added: decimal, optional, default 0.00, minimum 0.00",
            "    B \(b)/schema.yaml:65",
            "",
            "calendars",
            "  calendar `cn-mainland` now lists the years 2025..2027 in full (was 2025..2026)",
            "    A \(a)/calendar-cn-mainland.yaml:26  B \(b)/calendar-cn-mainland.yaml:26",
            "  make-up workday 2027-01-04 added to `cn-mainland`",
            "    B \(b)/calendar-cn-mainland.yaml:58",
            "",
            "rules",
            "  reason of rule `already-cancelled` (zh-CN) changed",
            "    - 订单 {order.id} 已取消，无需重复操作。",
            "    + 订单 {order.id} 已取消。",
            "    A \(a)/who-may-cancel.yaml:112  B \(b)/who-may-cancel.yaml:112",
            "  obligation `notify` of rule `seller-price-change-notice`: `within` now `48h` (was `24h`)",
            "    A \(a)/seller-stockout.yaml:82  B \(b)/seller-stockout.yaml:82",
            "  obligation `notify` of rule `seller-stock-out-remedies`: `within` now `48h` (was `24h`)",
            "    A \(a)/seller-stockout.yaml:60  B \(b)/seller-stockout.yaml:60",
            "",
            "thresholds",
            "  threshold `repeat-canceller` now counts over 336h (was 720h)",
            "    A \(a)/abuse-thresholds.yaml:35  B \(b)/abuse-thresholds.yaml:35",
            "  obligation `restrict_account` of tier `abuse-block` of `repeat-canceller`: `for` now `168h` (was `336h`)",
            "    A \(a)/abuse-thresholds.yaml:69  B \(b)/abuse-thresholds.yaml:69",
            "",
        ])
        #expect(DiffFixture.body(diff, .zhCN).filter { $0.hasPrefix("  ") && !$0.hasPrefix("    ") } == [
            "  版本改为 2027.01（原为 2026.12）",
            "  取消记录库未响应时（`on_history_unavailable`）的决定改为至少「拒绝」（原为「人工审核」）",
            "  新增字段 `order.coupon`：decimal，可选，默认值 0.00，最小值 0.00",
            "  日历 `cn-mainland` 完整覆盖的年份改为 2025..2027（原为 2025..2026）",
            "  日历 `cn-mainland` 新增调休上班日 2027-01-04",
            "  规则 `already-cancelled` 的理由（zh-CN）已修改",
            "  规则 `seller-price-change-notice` 的义务 `notify`：`within` 改为 `48h`（原为 `24h`）",
            "  规则 `seller-stock-out-remedies` 的义务 `notify`：`within` 改为 `48h`（原为 `24h`）",
            "  阈值 `repeat-canceller` 的统计窗口改为 336h（原为 720h）",
            "  阈值 `repeat-canceller` 的档位 `abuse-block` 的义务 `restrict_account`：`for` 改为 `168h`（原为 `336h`）",
        ])
        #expect(diff.changes.map(\.field) == [
            "version", "on_history_unavailable", nil, "years", "workdays", "reason.zh-CN", "obligations.notify.within",
            "obligations.notify.within", "window", "obligations.restrict_account.for",
        ])
    }

    @Test("a refund case whose condition was edited in place, and a fee changed")
    func refundConditionAndFee() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("refunds.yaml", replacing: "order.total * decimal(\"0.05\")", with: "order.total * decimal(\"0.06\")")
        try fixture.edit("refunds.yaml", replacing: "  - when: order.payment_method == \"wallet\"\n    days: 1\n",
                         with: "  - when: order.payment_method in [\"wallet\", \"bank_transfer\"]\n    days: 1\n")
        let diff = try fixture.diff()
        let (a, b) = (DiffFixture.pack, fixture.path)
        #expect(DiffFixture.body(diff) == [
            "refunds",
            "  fee for `buyer & processing` now `min(order.total * decimal(\"0.06\"), decimal(\"20.00\")).round(2)` "
                + "(was `min(order.total * decimal(\"0.05\"), decimal(\"20.00\")).round(2)`)",
            "    A \(a)/refunds.yaml:40  B \(b)/refunds.yaml:40",
            "  condition of the `initiate_within` case `wallet|bank_transfer` changed",
            "    - order.payment_method == \"wallet\"",
            "    + order.payment_method in [\"wallet\", \"bank_transfer\"]",
            "    A \(a)/refunds.yaml:47  B \(b)/refunds.yaml:47",
            "",
        ])
        #expect(diff.changes.map(\.id) == ["fee/buyer & processing", "initiate_within/wallet|bank_transfer"])
    }

    @Test("the folder on disk against the same folder's files edited in memory, as the workbench compares them")
    func inMemory() throws {
        let folder = DiffFixture.pack
        let names = ["abuse-thresholds.yaml", "calendar-cn-mainland.yaml", "policy-set.yaml", "refunds.yaml", "schema.yaml",
                     "seller-stockout.yaml", "who-may-cancel.yaml"]
        let files = try names.map { name in
            let path = (folder as NSString).appendingPathComponent(name)
            var text = try String(contentsOfFile: path, encoding: .utf8)
            if name == "refunds.yaml" { text = text.replacingOccurrences(of: "days: 5", with: "days: 4") }
            return (path: path, name: name, text: text)
        }
        let saved = DiffSide(label: "saved", loaded: LoadedPolicies.load(paths: [folder]), folder: folder)
        let edited = DiffSide(label: "edited", loaded: LoadedPolicies.load(folder: folder, files: files), folder: folder)
        let diff = PolicyDiff.compare(saved, edited)
        #expect(diff.changes.map(\.words.en) == ["refund for `bank_transfer` now initiated within 4 business days (was 5)"])
        #expect(diff.changes.first?.words.zhCN == "`bank_transfer` 的退款改为 4 个工作日内发起（原为 5 个）")
        #expect(PolicyDiff.compare(saved, saved).changes.isEmpty)
    }

    @Test("layout inside a condition is not a change")
    func layout() throws {
        let fixture = try DiffFixture()
        defer { fixture.remove() }
        try fixture.edit("who-may-cancel.yaml", replacing: "when: order.status == \"cancelled\"",
                         with: "when: order.status==\"cancelled\"")
        #expect(try fixture.diff().changes.isEmpty)
    }
}
