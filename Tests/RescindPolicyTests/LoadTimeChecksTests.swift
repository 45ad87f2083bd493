import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
@testable import RescindPolicy
import Testing

/// A copy of the reference pack (`Policies/`) in a temporary folder, edited the way an
/// analyst would edit it, then loaded as `rescind check` loads it.
struct AnalystCopy {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-analyst-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: ReferencePackTests.root.appendingPathComponent("Policies"), to: folder)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Replaces the first occurrence of `old` (which must occur) in `file` with `new`.
    func edit(_ file: String, replacing old: String, with new: String) throws {
        let url = folder.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        let range = try #require(text.range(of: old), "`\(old)` is not in \(file)")
        try text.replacingCharacters(in: range, with: new).write(to: url, atomically: true, encoding: .utf8)
    }

    /// The 1-based line and column where `needle` first occurs in `file` (after edits),
    /// plus `offset` characters.
    func position(of needle: String, in file: String, offset: Int = 0) throws -> String {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        let range = try #require(text.range(of: needle), "`\(needle)` is not in \(file)")
        let before = text[..<range.lowerBound]
        let line = before.split(separator: "\n", omittingEmptySubsequences: false).count
        let column = before.count - (before.lastIndex(of: "\n").map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0)
        return "\(file):\(line):\(column + 1 + offset)"
    }

    func load() -> LoadedPolicies { LoadedPolicies.load(paths: [folder.path]) }

    func rendered(_ loaded: LoadedPolicies) -> String {
        HumanRenderer(sources: loaded.sources, color: false).render(loaded.diagnostics)
    }
}

/// What `rescind check` catches at load that used to pass and then decide wrongly:
/// constants, obligation fields, calendar dates, reason locales, and the messages for
/// the usual slips.
@Suite("load-time checks")
struct LoadTimeChecksTests {
    /// The codes of the diagnostics of `loaded`, with their severity.
    static func codes(_ loaded: LoadedPolicies) -> [String] {
        loaded.diagnostics.items.map { "\($0.severity == .error ? "error" : "warning")[\($0.code)]" }
    }

    // MARK: - Constants

    @Test("an analyst's `duration(\"30 min\")` fails the load at the literal, with the CEL spelling")
    func durationWithSpace() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit("who-may-cancel.yaml", replacing: #"duration("30m")"#, with: #"duration("30 min")"#)
        let loaded = copy.load()
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        let at = try copy.position(of: #""30 min""#, in: "who-may-cancel.yaml")
        #expect(text.contains(#"\#(at): error[policy-invalid-constant]: `"30 min"` is not a CEL duration"#), "\(text)")
        #expect(text.contains(#"= help: write "30m""#), "\(text)")
        #expect(text.contains(#"^~~~~~~~"#), "the caret underlines the literal: \(text)")
        #expect(Self.codes(loaded) == ["error[policy-invalid-constant]"])
    }

    @Test("`duration(\"1d\")` is told CEL durations have no days")
    func durationInDays() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit("who-may-cancel.yaml", replacing: #"duration("30m")"#, with: #"duration("1d")"#)
        let loaded = copy.load()
        let text = copy.rendered(loaded)
        let at = try copy.position(of: #""1d""#, in: "who-may-cancel.yaml")
        #expect(text.contains(#"\#(at): error[policy-invalid-constant]: `"1d"` is not a CEL duration"#), "\(text)")
        #expect(text.contains(#"= help: CEL durations have no days: write "24h""#), "\(text)")
    }

    @Test("an analyst's `decimal(\"5,000.00\")` in a rule condition fails the load at the literal")
    func decimalWithGrouping() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit(
            "who-may-cancel.yaml",
            replacing: #"        - order.status in ["pending_payment", "paid", "processing"]"#,
            with: #"""
                        - order.status in ["pending_payment", "paid", "processing"]
                        - order.total < decimal("5,000.00")
                """#)
        let loaded = copy.load()
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        let at = try copy.position(of: #""5,000.00""#, in: "who-may-cancel.yaml")
        #expect(text.contains(#"\#(at): error[policy-invalid-constant]: `"5,000.00"` is not a decimal number"#), "\(text)")
        #expect(text.contains(#"= help: write "5000.00""#), "\(text)")
    }

    @Test("timestamps, regexes and any all-constant call are evaluated at load")
    func otherConstants() throws {
        func load(_ condition: String) -> (LoadedPolicies, String) {
            let loaded = PolicyFixture.load([
                "p/rules.yaml": PolicyFixture.rules("""
                      - id: buyer-may-cancel
                        when: '\(condition)'
                        effect: allow
                        reason:
                          en: Buyers may cancel.
                          zh-CN: 买家可以取消。

                    """)
            ])
            return (loaded, PolicyFixture.render(loaded))
        }
        let (timestamp, timestampText) = load(#"at > timestamp("2026-01-01")"#)
        #expect(timestamp.policySet == nil)
        #expect(timestampText.contains(#"p/rules.yaml:4:27: error[policy-invalid-constant]: `"2026-01-01"` is not an RFC 3339 timestamp"#), "\(timestampText)")
        #expect(timestampText.contains(#"write "2026-01-01T00:00:00Z""#), "\(timestampText)")

        let (regex, regexText) = load(#"actor.id.matches("[a-")"#)
        #expect(regex.policySet == nil)
        #expect(regexText.contains(#"p/rules.yaml:4:29: error[policy-invalid-constant]: invalid regular expression `"[a-"`"#), "\(regexText)")

        let (division, divisionText) = load("actor.role == \"buyer\" && 1 / 0 > 0")
        #expect(division.policySet == nil)
        #expect(divisionText.contains("error[policy-invalid-constant]: `1 / 0` fails for every request: division by zero"), "\(divisionText)")

        // Well-formed constants, and calls that read the request, load as before.
        let (fine, fineText) = load(#"at - timestamp("2026-01-01T00:00:00Z") > duration("1h30m") && actor.id.matches("^u-[0-9]+$") && order.total > decimal("10.00")"#)
        #expect(fine.policySet != nil, "\(fineText)")
    }

    @Test("constant fixes offered in help")
    func constantFixes() {
        #expect(ConstantFixes.duration("30 min")?.fix == "30m")
        #expect(ConstantFixes.duration("1 hour 30 minutes")?.fix == "1h30m")
        #expect(ConstantFixes.duration("2 days")?.fix == "48h")
        #expect(ConstantFixes.duration("2 days")?.hadDays == true)
        #expect(ConstantFixes.duration("2 days", days: true)?.fix == "2d")
        #expect(ConstantFixes.duration("soon") == nil)
        #expect(ConstantFixes.decimal("5,000.00") == "5000.00")
        #expect(ConstantFixes.decimal("¥ 129.99") == "129.99")
        #expect(ConstantFixes.decimal("five") == nil)
    }

    // MARK: - Obligations

    /// The minimal fixture with one rule carrying `obligations` (YAML list items).
    static func withObligations(_ obligations: String) -> LoadedPolicies {
        PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: actor.role == "buyer"
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。
                    obligations:

                """ + obligations)
        ])
    }

    @Test("`notify` to an unknown recipient is an error with did-you-mean")
    func unknownRecipient() {
        let loaded = Self.withObligations("""
                  - type: notify
                    to: buyerr
                    within: 24h

            """)
        #expect(loaded.policySet == nil)
        let text = PolicyFixture.render(loaded)
        #expect(text.contains("p/rules.yaml:11:13: error[policy-unknown-recipient]: unknown recipient `buyerr` in a `notify` obligation"), "\(text)")
        #expect(text.contains("= help: did you mean `buyer`?"), "\(text)")
        let far = PolicyFixture.render(Self.withObligations("      - type: notify\n        to: everyone\n        within: 24h\n"))
        #expect(far.contains("= help: expected one of `buyer`, `seller` or `support`"), "\(far)")
    }

    @Test("`seller_penalty` points must be a whole number in range (`two` used to become 1)")
    func penaltyPoints() {
        let words = Self.withObligations("      - type: seller_penalty\n        seller: actor.id\n        points: two\n")
        #expect(words.policySet == nil)
        let text = PolicyFixture.render(words)
        #expect(text.contains("p/rules.yaml:12:17: error[policy-invalid-value]: invalid `points` `two`: expected a whole number from 1 to 100"), "\(text)")
        #expect(text.contains("= help: write `2`"), "\(text)")
        #expect(Self.codes(words) == ["error[policy-invalid-value]"])
        for bad in ["0", "-1", "101", "1.5"] {
            let loaded = Self.withObligations("      - type: seller_penalty\n        seller: actor.id\n        points: \(bad)\n")
            #expect(loaded.policySet == nil, "points: \(bad)")
        }
        let fine = Self.withObligations("      - type: seller_penalty\n        seller: actor.id\n        points: 3\n")
        #expect(fine.policySet != nil, "\(PolicyFixture.render(fine))")
    }

    @Test("obligation durations are positive and written as durations")
    func obligationDurations() {
        let zero = Self.withObligations("      - type: notify\n        within: 0h\n")
        #expect(PolicyFixture.render(zero).contains("invalid `within` `0h`: expected a duration of more than zero"))
        let spaced = Self.withObligations("      - type: restrict_account\n        for: 14 days\n")
        let text = PolicyFixture.render(spaced)
        #expect(text.contains("invalid `for` `14 days`: expected a duration such as `24h`, `30m` or `14d`"), "\(text)")
        #expect(text.contains("= help: write `14d`"), "\(text)")
        let missing = Self.withObligations("      - type: restrict_account\n")
        #expect(PolicyFixture.render(missing).contains("a `restrict_account` obligation needs `for`"))
    }

    @Test("a constant voucher amount is not negative; a constant currency is an ISO code")
    func voucherConstants() {
        let negative = Self.withObligations("      - type: voucher\n        amount: decimal(\"-5.00\")\n")
        #expect(negative.policySet == nil)
        #expect(PolicyFixture.render(negative).contains("`amount` is `-5`: expected zero or more") || PolicyFixture.render(negative).contains("`amount` is `-5.00`: expected zero or more"), "\(PolicyFixture.render(negative))")
        let currency = Self.withObligations("      - type: voucher\n        amount: decimal(\"5.00\")\n        currency: '\"cny\"'\n")
        let text = PolicyFixture.render(currency)
        #expect(text.contains("invalid currency `cny`: expected a three-letter ISO 4217 code"), "\(text)")
        #expect(text.contains(#"= help: write `"CNY"`"#), "\(text)")
        let fine = Self.withObligations("      - type: voucher\n        amount: order.total * decimal(\"0.1\")\n        currency: '\"CNY\"'\n")
        #expect(fine.policySet != nil, "\(PolicyFixture.render(fine))")
    }

    @Test("obligations compile from the table with their fields in the table's order")
    func obligationFieldOrder() throws {
        let set = try #require(ReferencePackTests.policies.policySet)
        let rule = try #require(set.rules.first { $0.id == "seller-stock-out-remedies" })
        #expect(rule.obligations.map(\.type) == [.notify, .voucher, .sellerPenalty])
        #expect(rule.obligations.map { $0.fields.map(\.name) } == [["to", "within"], ["to", "amount", "currency"], ["seller", "points"]])
    }

    // MARK: - Calendars

    static func withCalendar(holidays: [String], workdays: [String] = []) -> LoadedPolicies {
        let list = { (items: [String]) in items.map { "  - \"\($0)\"\n" }.joined() }
        return PolicyFixture.load([
            "p/calendar.yaml": """
                kind: calendar
                name: cn-mainland
                time_zone: Asia/Shanghai
                holidays:
                \(list(holidays))workdays:
                \(workdays.isEmpty ? "  []\n" : list(workdays))
                """
        ])
    }

    @Test("a date that is both a holiday and a make-up workday is an error at the workday")
    func holidayAndWorkday() {
        let loaded = Self.withCalendar(holidays: ["2026-10-01..2026-10-07"], workdays: ["2026-10-03"])
        #expect(loaded.policySet == nil)
        let text = PolicyFixture.render(loaded)
        #expect(text.contains("p/calendar.yaml:7:5: error[policy-calendar-conflict]: `2026-10-03` is both a holiday and a make-up workday"), "\(text)")
        #expect(text.contains("p/calendar.yaml:5:5: note: the holiday is listed here"), "\(text)")
    }

    @Test("a holiday only on weekend days warns; ranges that include weekend days do not")
    func holidayOnWeekend() {
        let single = Self.withCalendar(holidays: ["2026-11-07"])
        #expect(single.policySet != nil)
        let text = PolicyFixture.render(single)
        #expect(text.contains("p/calendar.yaml:5:5: warning[policy-calendar-no-effect]: holiday `2026-11-07` falls only on saturday, already days off"), "\(text)")
        let weekend = Self.withCalendar(holidays: ["2026-11-07..2026-11-08"])
        #expect(PolicyFixture.render(weekend).contains("falls only on saturday and sunday"))
        let mixed = Self.withCalendar(holidays: ["2026-01-01..2026-01-03", "2026-10-01..2026-10-07"])
        #expect(mixed.diagnostics.isEmpty, "\(mixed.diagnostics.items)")
    }

    @Test("a make-up workday on a weekday warns")
    func workdayOnWeekday() {
        let loaded = Self.withCalendar(holidays: ["2026-10-01..2026-10-07"], workdays: ["2026-10-09", "2026-10-10"])
        let text = PolicyFixture.render(loaded)
        #expect(loaded.policySet != nil)
        #expect(text.contains("p/calendar.yaml:7:5: warning[policy-calendar-no-effect]: make-up workday `2026-10-09` is a friday, already a workday"), "\(text)")
        #expect(Self.codes(loaded) == ["warning[policy-calendar-no-effect]"])
    }

    @Test("the shipped pack is clean: no load-time warning")
    func shippedPackClean() {
        #expect(ReferencePackTests.policies.diagnostics.isEmpty, "\(ReferencePackTests.policies.diagnostics.items)")
    }

    // MARK: - Reason locales

    @Test("reason keys that are not the set's locales are errors with did-you-mean", arguments: [
        ("zh-cn", "write `zh-CN`"), ("zh_CN", "write `zh-CN`"),
        ("ja", "add `ja` to `locales` in the policy set (policy-set.yaml), or remove this text"),
    ])
    func unknownLocaleKey(key: String, help: String) throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        if key == "ja" {
            try copy.edit(
                "who-may-cancel.yaml", replacing: #"      zh-CN: "订单 {order.id} 尚未发货"#,
                with: #"      ja: "ご注文 {order.id} は未発送です。"\#n      zh-CN: "订单 {order.id} 尚未发货"#)
        } else {
            try copy.edit("who-may-cancel.yaml", replacing: #"      zh-CN: "订单 {order.id} 尚未发货"#, with: #"      \#(key): "订单 {order.id} 尚未发货"#)
        }
        let loaded = copy.load()
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        let at = try copy.position(of: "\(key): ", in: "who-may-cancel.yaml")
        #expect(text.contains("\(at): error[policy-unknown-locale]: `\(key)` is not one of the policy set's locales (`en` and `zh-CN`)"), "\(text)")
        #expect(text.contains("= help: \(help)"), "\(text)")
        // A misspelt `zh-CN` is one error, not also a missing `zh-CN` text; `ja` adds nothing missing.
        #expect(Self.codes(loaded) == ["error[policy-unknown-locale]"])
    }

    @Test("locale keys are checked in the default reason and in tiers too")
    func localeKeysEverywhere() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit("policy-set.yaml", replacing: "    zh-CN: ", with: "    zh_CN: ")
        try copy.edit("abuse-thresholds.yaml", replacing: "          zh-CN: ", with: "          zh-cn: ")
        let loaded = copy.load()
        let unknown = loaded.diagnostics.items.filter { $0.code == .policyUnknownLocale }
        #expect(unknown.map { ($0.span?.file as NSString?)?.lastPathComponent } == ["abuse-thresholds.yaml", "policy-set.yaml"])
    }

    @Test("an empty or blank reason text is an error")
    func emptyReason() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit("who-may-cancel.yaml", replacing: #"      zh-CN: "订单 {order.id} 尚未发货，您可以取消该订单。""#, with: #"      zh-CN: """#)
        try copy.edit(
            "who-may-cancel.yaml",
            replacing: #"      en: "Order {order.id} has already shipped, so it can no longer be cancelled. If you no longer want the item, please request a return instead.""#,
            with: #"      en: "   ""#)
        let loaded = copy.load()
        let text = copy.rendered(loaded)
        let at = try copy.position(of: #"zh-CN: """#, in: "who-may-cancel.yaml", offset: 7)
        #expect(text.contains("\(at): error[policy-empty-reason]: the `zh-CN` text is empty"), "\(text)")
        #expect(text.contains("error[policy-empty-reason]: the `en` text is empty"), "\(text)")
    }

    // MARK: - Messages

    @Test("a double or int literal against a decimal: write it as decimal(\"…\")")
    func decimalLiteralHelp() {
        func render(_ condition: String) -> String {
            PolicyFixture.render(PolicyFixture.load([
                "p/rules.yaml": PolicyFixture.rules("""
                      - id: buyer-may-cancel
                        when: \(condition)
                        effect: allow
                        reason:
                          en: Buyers may cancel.
                          zh-CN: 买家可以取消。

                    """)
            ]))
        }
        let double = render("order.total > 5000.0")
        #expect(double.contains("no matching overload for `_>_` applied to (decimal, double)"), "\(double)")
        #expect(double.contains(#"= help: write the number as decimal("5000.0")"#), "\(double)")
        let int = render("order.total == 5000")
        #expect(int.contains(#"= help: write the number as decimal("5000")"#), "\(int)")
    }

    @Test("an enum value written without quotes: put it in quotes")
    func enumValueUnquoted() {
        let text = PolicyFixture.render(PolicyFixture.load([
            "p/rules.yaml": PolicyFixture.rules("""
                  - id: buyer-may-cancel
                    when: order.status == shipped
                    effect: allow
                    reason:
                      en: Buyers may cancel.
                      zh-CN: 买家可以取消。

                """)
        ]))
        #expect(text.contains("p/rules.yaml:4:27: error[cel-undeclared-reference]: undeclared reference to `shipped`"), "\(text)")
        #expect(text.contains(#"= help: put it in quotes: "shipped""#), "\(text)")
    }

    @Test("a condition starting with `!` read as a YAML tag: quote it or write not:")
    func leadingBangTag() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit("who-may-cancel.yaml", replacing: "        - not: actor.verified", with: "        - !actor.verified")
        let loaded = copy.load()
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        let at = try copy.position(of: "!actor.verified", in: "who-may-cancel.yaml")
        #expect(text.contains("\(at): error[policy-yaml-tag-in-expression]: `!actor.verified` is read as a YAML tag, not as part of the expression"), "\(text)")
        #expect(text.contains(#"= help: quote the condition (`"!actor.verified"`) or write `not: actor.verified`"#), "\(text)")
    }
}
