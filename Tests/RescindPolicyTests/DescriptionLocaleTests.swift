import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
@testable import RescindPolicy
import Testing

/// `description` written once for every locale or once per locale (`{en: …, zh-CN: …}`),
/// its locale keys checked as a reason's, and explanations showing the decision's locale.
@Suite("Localized descriptions")
struct DescriptionLocaleTests {
    static let pack = ReferencePackTests.policies.policySet!

    static func codes(_ loaded: LoadedPolicies) -> [String] { LoadTimeChecksTests.codes(loaded) }

    // MARK: - Loading

    @Test("a description per locale is read per locale; `description` is the English text")
    func perLocale() throws {
        let rule = try #require(Self.pack.rules.first { $0.id == "buyer-before-shipment" })
        #expect(rule.description == "Buyers may cancel their order until it ships.")
        #expect(rule.descriptions.locales == ["en", "zh-CN"])
        #expect(rule.descriptions.text(for: "zh-CN") == "订单发货前，买家可以取消订单。")
        #expect(rule.descriptions.text(for: "en") == "Buyers may cancel their order until it ships.")
        let threshold = try #require(Self.pack.thresholds.first { $0.id == "repeat-canceller" })
        #expect(threshold.description == "Counts the cancellations the buyer started in the 30 days before the request.")
        #expect(threshold.descriptions.text(for: "zh-CN") == "统计买家在本次申请前 30 天内自行发起的取消次数。")
        let tier = try #require(threshold.tiers.first { $0.id == "abuse-review" })
        #expect(tier.descriptions.text(for: "zh-CN") == "30 天内取消 5 次及以上：本次取消需经人工审核后方可进行。")
        #expect(tier.description == "Five or more cancellations in 30 days; a person reviews the cancellation before it goes ahead.")
    }

    @Test("every rule, threshold and tier of the shipped pack has its description in every locale")
    func shippedPackComplete() {
        let texts = Self.pack.rules.map(\.descriptions) + Self.pack.thresholds.map(\.descriptions)
            + Self.pack.thresholds.flatMap { $0.tiers.map(\.descriptions) }
        for text in texts { #expect(text.locales == Self.pack.locales) }
    }

    @Test("one string is still a description, shown in every locale")
    func oneString() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit(
            "who-may-cancel.yaml",
            replacing: #"description: {en: "Buyers may cancel their order until it ships.", zh-CN: "订单发货前，买家可以取消订单。"}"#,
            with: "description: Buyers may cancel until the order ships.")
        try copy.edit(
            "abuse-thresholds.yaml",
            replacing: #"description: {en: "Three or more cancellations in 30 days; the cancellation goes ahead and the buyer is warned.", zh-CN: "30 天内取消 3 次及以上：本次取消照常进行，并向买家发出警告。"}"#,
            with: "description: \"Three or more: warned.\"")
        let loaded = copy.load()
        let set = try #require(loaded.policySet, "\(copy.rendered(loaded))")
        let rule = try #require(set.rules.first { $0.id == "buyer-before-shipment" })
        #expect(rule.description == "Buyers may cancel until the order ships.")
        #expect(rule.descriptions.locales.isEmpty)
        #expect(rule.descriptions.text(for: "zh-CN") == "Buyers may cancel until the order ships.")
        let tier = try #require(set.thresholds.first?.tiers.first)
        #expect(tier.descriptions.text(for: "zh-CN") == "Three or more: warned.")
    }

    @Test("a description without any text is empty in every locale")
    func noDescription() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        let line = try String(contentsOf: copy.folder.appendingPathComponent("who-may-cancel.yaml"), encoding: .utf8)
            .split(separator: "\n").first { $0.contains("Buyers may cancel their order until it ships.") }
        try copy.edit("who-may-cancel.yaml", replacing: String(try #require(line)) + "\n", with: "")
        let loaded = copy.load()
        let set = try #require(loaded.policySet, "\(copy.rendered(loaded))")
        let rule = try #require(set.rules.first { $0.id == "buyer-before-shipment" })
        #expect(rule.description == "")
        #expect(rule.descriptions.text(for: "zh-CN") == "")
    }

    // MARK: - Locale keys, checked like reasons'

    @Test("a misspelt or unknown locale key is an error at the key, with did-you-mean", arguments: [
        ("zh_CN", "write `zh-CN`"), ("zh-cn", "write `zh-CN`"), ("zh-CM", "did you mean `zh-CN`?"),
    ])
    func unknownKey(key: String, help: String) throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit("who-may-cancel.yaml", replacing: #"zh-CN: "订单发货前，买家可以取消订单。"}"#, with: #"\#(key): "订单发货前，买家可以取消订单。"}"#)
        let loaded = copy.load()
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        let at = try copy.position(of: "\(key): \"订单发货前", in: "who-may-cancel.yaml")
        #expect(text.contains("\(at): error[policy-unknown-locale]: `\(key)` is not one of the policy set's locales (`en` and `zh-CN`)"), "\(text)")
        #expect(text.contains("= help: \(help)"), "\(text)")
        // A key that is a spelling of `zh-CN` is one error, not also a missing text.
        let expected = help.hasPrefix("write")
            ? ["error[policy-unknown-locale]"] : ["error[policy-missing-locale]", "error[policy-unknown-locale]"]
        #expect(Self.codes(loaded).sorted() == expected)
    }

    @Test("a locale left out of a description per locale is an error at the mapping")
    func missingLocale() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit(
            "abuse-thresholds.yaml",
            replacing: #", zh-CN: "30 天内取消 8 次及以上：拒绝本次取消，并限制账户使用 14 天。"}"#, with: "}")
        let loaded = copy.load()
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        let at = try copy.position(of: #"{en: "Eight or more"#, in: "abuse-thresholds.yaml")
        #expect(text.contains("\(at): error[policy-missing-locale]: the description has no `zh-CN` text"), "\(text)")
        #expect(text.contains(
            "= help: a description written per locale needs a text for each of the policy set's `locales` (or write one string for all of them)"),
            "\(text)")
        #expect(Self.codes(loaded) == ["error[policy-missing-locale]"])
    }

    @Test("an empty or blank text in a description is an error at the text", arguments: [#""""#, #""  ""#, ""])
    func emptyText(written: String) throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit(
            "abuse-thresholds.yaml", replacing: #"zh-CN: "统计买家在本次申请前 30 天内自行发起的取消次数。""#,
            with: "zh-CN: \(written)")
        let loaded = copy.load()
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        #expect(text.contains("error[policy-empty-reason]: the `zh-CN` text is empty"), "\(text)")
        if !written.isEmpty {
            let at = try copy.position(of: "zh-CN: \(written)}", in: "abuse-thresholds.yaml", offset: 7)
            #expect(text.contains("\(at): error[policy-empty-reason]"), "\(text)")
        }
        #expect(Self.codes(loaded) == ["error[policy-empty-reason]"])
    }

    @Test("a description that is neither a string nor a text per locale is an error")
    func wrongShape() throws {
        let copy = try AnalystCopy()
        defer { copy.remove() }
        try copy.edit(
            "seller-stockout.yaml",
            replacing: #"description: {en: "When a seller cancels a paid order because the price has changed"#,
            with: #"description: [{en: "When a seller cancels a paid order because the price has changed"#)
        try copy.edit("seller-stockout.yaml", replacing: "告知买家取消原因。\"}\n    when:", with: "告知买家取消原因。\"}]\n    when:")
        let loaded = copy.load()
        #expect(loaded.policySet == nil)
        let text = copy.rendered(loaded)
        #expect(text.contains("expected a string, or a text per locale (`{en: …, zh-CN: …}`)"), "\(text)")
    }

    // MARK: - Explanations

    static func explained(_ example: String, locale: String) throws -> Explanation {
        try #require(ExplanationWordingTests.explained(example, locale: locale).explanation)
    }

    @Test("an explanation shows rules', thresholds' and tiers' descriptions in its locale")
    func explanationLocale() throws {
        let chinese = try Self.explained("abuse-review", locale: "zh-CN")
        #expect(chinese.rules.first { $0.id == "buyer-before-shipment" }?.description == "订单发货前，买家可以取消订单。")
        let threshold = try #require(chinese.thresholds.first)
        #expect(threshold.description == "统计买家在本次申请前 30 天内自行发起的取消次数。")
        #expect(threshold.tierDescription == "30 天内取消 5 次及以上：本次取消需经人工审核后方可进行。")
        let english = try Self.explained("abuse-review", locale: "en")
        #expect(english.rules.first { $0.id == "buyer-before-shipment" }?.description == "Buyers may cancel their order until it ships.")
        #expect(english.thresholds.first?.tierDescription
            == "Five or more cancellations in 30 days; a person reviews the cancellation before it goes ahead.")
    }
}
