import Foundation
import RescindEngine
import RescindTooling
import Testing

/// The shipped pack, loaded once for the book's tests.
private let shipped: PolicyBook = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let loaded = PolicyBook.load(paths: [root.appendingPathComponent("Policies").path])
    guard let book = loaded.book else { fatalError("the shipped pack does not load: \(loaded.diagnostics)") }
    return book
}()

/// A small pack with a field and an enum the book's glossary does not know.
private let unknownNames: PolicyBook = {
    let loaded = PolicyBook.load(sources: [
        (path: "p/policy-set.yaml", text: """
            kind: policy_set
            name: odd <set> & "names"
            version: "1|2"
            default:
              effect: deny
              reason:
                en: "No *rule* allows this <b>at all</b> | ever."
                zh-CN: 没有规则允许。
            """),
        (path: "p/schema.yaml", text: """
            kind: schema
            enums:
              channel: [web, app]
            request:
              id: string
              at: timestamp
              channel: channel
              express: bool
            """),
        (path: "p/rules.yaml", text: """
            kind: rules
            rules:
              - id: web-only
                description: "Web <orders> only | *really*"
                when: channel == "web"
                effect: allow
                reason:
                  en: "Allowed `because` <web> & {id}."
                  zh-CN: 允许 {id}。
            """),
    ])
    guard let book = loaded.book else { fatalError("the test pack does not load: \(loaded.diagnostics)") }
    return book
}()

private func words(_ source: String, _ locale: String, negated: Bool = false, in book: PolicyBook = shipped) -> String {
    let phrase = ConditionReader(policySet: book.policySet, locale: locale).condition(source, negated: negated)
    guard case .words(let inlines) = phrase else { return "CODE: " + source }
    return BookMarkdown.inlines(inlines)
}

@Suite("policy book: conditions in words")
struct BookConditionWordsTests {
    @Test("enum tests: ==, in, != and negation, in both locales")
    func enumTests() {
        #expect(words(#"actor.role == "buyer""#, "en") == "the person asking is a buyer")
        #expect(words(#"actor.role == "buyer""#, "zh-CN") == "申请人为买家")
        #expect(words(#"order.status in ["paid", "processing"]"#, "en") == "the order is paid or being processed")
        #expect(words(#"order.status in ["paid", "processing"]"#, "zh-CN") == "订单状态为已付款或处理中")
        #expect(words(#"order.status in ["shipped", "delivered", "cancelled"]"#, "en", negated: true)
            == "the order is not shipped, delivered or cancelled")
        #expect(words(#"order.status in ["shipped", "delivered", "cancelled"]"#, "zh-CN", negated: true)
            == "订单状态不是已发货、已签收或已取消")
        #expect(words(#"order.payment_method != "card""#, "en") == "the payment method is not card")
        #expect(words(#"!(reason == "stock_out")"#, "zh-CN") == "取消原因不是商品缺货")
        #expect(words(#"request.reason in ["stock_out", "price_change"]"#, "en")
            == "the reason for cancelling is a stock-out or a price change")
    }

    @Test("all, any and their negation; a mix of and and or stays code")
    func logic() {
        #expect(words(#"actor.role == "seller" && reason == "stock_out""#, "en")
            == "the person asking is a seller and the reason for cancelling is a stock-out")
        #expect(words(#"actor.role == "seller" && reason == "stock_out""#, "zh-CN") == "申请人为卖家，且取消原因为商品缺货")
        #expect(words(#"actor.role == "buyer" || actor.role == "support""#, "en")
            == "the person asking is a buyer or the person asking is support staff")
        // not (a and b) = not a or not b
        #expect(words(#"actor.role == "seller" && reason == "stock_out""#, "en", negated: true)
            == "the person asking is not a seller or the reason for cancelling is not a stock-out")
        let mixed = #"actor.role == "buyer" && (reason == "other" || order.status == "paid")"#
        #expect(words(mixed, "en") == "CODE: " + mixed)
    }

    @Test("comparisons with constants: ints, decimals, either side, negated")
    func comparisons() {
        #expect(words(#"order.total >= decimal("100.00")"#, "en") == "the order total is at least 100.00")
        #expect(words(#"order.total >= decimal("100.00")"#, "zh-CN") == "订单金额不少于 100.00")
        #expect(words(#"order.total >= decimal("100.00")"#, "en", negated: true) == "the order total is less than 100.00")
        #expect(words("seller_stats.orders_30d > 0", "en") == "the seller's number of orders in the last 30 days is more than 0")
        #expect(words("0 < seller_stats.orders_30d", "zh-CN") == "卖家近 30 天的订单数大于 0")
        #expect(words("seller_stats.orders_30d <= 10", "zh-CN") == "卖家近 30 天的订单数不超过 10")
    }

    @Test("time between two timestamps against a duration")
    func durations() {
        #expect(words(#"at - order.placed_at <= duration("30m")"#, "en")
            == "the request is no more than 30 minutes after the order was placed")
        #expect(words(#"at - order.placed_at <= duration("30m")"#, "zh-CN") == "申请时间距下单时间不超过 30 分钟")
        #expect(words(#"at - order.placed_at >= duration("30m")"#, "en")
            == "the request is at least 30 minutes after the order was placed")
        #expect(words(#"at - order.placed_at >= duration("1h")"#, "zh-CN") == "申请时间距下单时间不少于 1 小时")
        #expect(words(#"at - order.placed_at > duration("48h")"#, "en") == "the request is more than 2 days after the order was placed")
        #expect(words(#"at < timestamp("2026-01-01T00:00:00Z")"#, "en") == "the request is before `2026-01-01T00:00:00Z`")
        #expect(words(#"at >= timestamp("2026-01-01T00:00:00Z")"#, "zh-CN") == "申请时间不早于 `2026-01-01T00:00:00Z`")
        #expect(words(#"at - order.placed_at < duration("30m")"#, "en", negated: true)
            == "the request is at least 30 minutes after the order was placed")
    }

    @Test("bool fields, plain and negated")
    func flags() {
        #expect(words("actor.verified", "en") == "the customer's identity has been verified")
        #expect(words("!actor.verified", "en") == "the customer's identity has not been verified")
        #expect(words("actor.verified", "zh-CN") == "客户身份已核实")
        #expect(words("actor.verified == false", "zh-CN") == "客户身份未核实")
    }

    @Test("anything else is shown as written, never paraphrased")
    func fallback() {
        for source in [
            "seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5",
            "size(order.id) > 3",
            #"order.id.startsWith("o-")"#,
            #"at - order.placed_at <= duration("1.5s")"#,
        ] {
            #expect(words(source, "en") == "CODE: " + source)
            #expect(words(source, "zh-CN") == "CODE: " + source)
        }
        let reader = ConditionReader(policySet: shipped.policySet, locale: "en")
        #expect(reader.condition("size(order.id) > 3", negated: true) == .code("!(size(order.id) > 3)"))
    }

    @Test("fields and values outside the glossary are shown as code")
    func unknownNames() {
        #expect(words(#"channel == "web""#, "en", in: unknownNamesBook) == "`channel` is `web`")
        #expect(words(#"channel in ["web", "app"]"#, "zh-CN", in: unknownNamesBook) == "`channel` 为`web`或`app`")
        #expect(words("express", "en", in: unknownNamesBook) == "`express` is true")
        #expect(words("!express", "zh-CN", in: unknownNamesBook) == "`express` 为假")
    }

    @Test("amounts: percentages, caps, rounding and the fee")
    func amounts() {
        let en = ConditionReader(policySet: shipped.policySet, locale: "en")
        let zh = ConditionReader(policySet: shipped.policySet, locale: "zh-CN")
        let fee = #"min(order.total * decimal("0.05"), decimal("20.00")).round(2)"#
        #expect(BookMarkdown.inlines(en.amount(fee).inlines)
            == "5% of the order total, at most 20.00, rounded half to even to 2 decimal places")
        #expect(BookMarkdown.inlines(zh.amount(fee).inlines) == "订单金额的 5%，最高 20.00，保留 2 位小数（四舍六入五成双）")
        #expect(BookMarkdown.inlines(en.amount("order.total - fee").inlines) == "the order total minus the fee")
        #expect(BookMarkdown.inlines(zh.amount("order.total - fee").inlines) == "订单金额减去手续费")
        // Arithmetic over a compound could be read two ways: code.
        let nested = #"order.total - min(order.total, decimal("1.00"))"#
        #expect(en.amount(nested) == .code(nested))
    }
}

private var unknownNamesBook: PolicyBook { unknownNames }

@Suite("policy book: documents")
struct BookDocumentTests {
    @Test("Markdown and HTML escape policy text")
    func escaping() {
        let markdown = unknownNames.render(.markdown, locale: "en")
        #expect(markdown.contains(#"Web \<orders\> only \| \*really\*"#))
        #expect(markdown.contains(#"Allowed \`because\` \<web\> \& `{id}`."#))
        #expect(markdown.contains("`odd <set> & \"names\"`"))
        #expect(!markdown.contains("<orders>"))
        let html = unknownNames.render(.html, locale: "en")
        #expect(html.contains("Web &lt;orders&gt; only | *really*"))
        #expect(html.contains("Allowed `because` &lt;web&gt; &amp; <code>{id}</code>."))
        #expect(html.contains("<title>Policy book: odd &lt;set&gt; &amp; &quot;names&quot; 1|2</title>"))
        #expect(!html.contains("<orders>") && !html.contains("<b>"))
        #expect(BookMarkdown.codeSpan("a`b") == "``a`b``")
        #expect(BookMarkdown.codeSpan("`x`") == "`` `x` ``")
        #expect(BookHTML.escape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }

    @Test("items carry ids and sources; the fragment has no page around it")
    func anchors() {
        let html = shipped.render(.html, locale: "en")
        #expect(html.contains(#"<section class="item" id="rule-buyer-before-shipment" data-source="#))
        #expect(html.contains(#"who-may-cancel.yaml:26">"#))
        #expect(html.contains(#"<tr id="tier-abuse-block" data-source="#))
        #expect(html.contains(#"id="refund-initiate-1""#))
        #expect(html.contains(#"id="threshold-repeat-canceller""#))
        #expect(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("@media print"))
        let fragment = shipped.htmlFragment(locale: "zh-CN")
        #expect(fragment.hasPrefix(#"<article class="rescind-book" lang="zh-CN">"#))
        #expect(!fragment.contains("<html") && !fragment.contains("<body") && !fragment.contains("<head"))
        #expect(html.contains(shipped.htmlFragment(locale: "en")))
    }

    @Test("files in memory from a folder give the digest and places the same files give on disk")
    func inMemoryFolder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let folder = root.appendingPathComponent("Policies").path
        let disk = try #require(PolicyBook.load(paths: [folder]).book)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".tests.yaml") }.sorted()
        let files = try names.map { name in
            (path: folder + "/" + name, name: name,
             text: try String(contentsOfFile: folder + "/" + name, encoding: .utf8))
        }
        let memory = try #require(PolicyBook.load(folder: folder, files: files).book)
        #expect(memory.policySet.digest == disk.policySet.digest)
        #expect(memory.htmlFragment(locale: "zh-CN") == disk.htmlFragment(locale: "zh-CN"))
    }

    @Test("the same files give the same bytes")
    func deterministic() {
        for locale in ["en", "zh-CN"] {
            for format in PolicyBook.Format.allCases {
                #expect(shipped.render(format, locale: locale) == shipped.render(format, locale: locale))
            }
        }
    }

    @Test("reasons are quoted in the book's language, with their holes in code")
    func reasonsInLocale() {
        let chinese = shipped.render(.markdown, locale: "zh-CN")
        #expect(chinese.contains("> 订单 `{order.id}` 尚未发货，您可以取消该订单。"))
        #expect(!chinese.contains("has not shipped yet, so you can cancel it"))
        let english = shipped.render(.markdown, locale: "en")
        #expect(english.contains("> Order `{order.id}` has not shipped yet, so you can cancel it."))
        #expect(!english.contains("尚未发货"))
        // `zh` is matched to the set's `zh-CN`.
        #expect(shipped.render(.markdown, locale: "zh") == chinese)
    }

    @Test("a `not:` around a group and an `any:` are shown as nested lists")
    func groups() throws {
        let loaded = PolicyBook.load(sources: [
            (path: "p/policy-set.yaml", text: """
                kind: policy_set
                name: groups
                version: "1"
                default: {effect: deny, reason: {en: "No.", zh-CN: "不。"}}
                """),
            (path: "p/schema.yaml", text: """
                kind: schema
                enums:
                  role: [buyer, seller]
                request:
                  id: string
                  at: timestamp
                  actor: {id: string, role: role, verified: bool}
                """),
            (path: "p/rules.yaml", text: """
                kind: rules
                rules:
                  - id: odd
                    description: Odd.
                    when:
                      any:
                        - actor.role == "buyer"
                        - not:
                            all:
                              - actor.role == "seller"
                              - actor.verified
                    effect: allow
                    reason: {en: "Yes.", zh-CN: "是。"}
                """),
        ])
        let book = try #require(loaded.book)
        let markdown = book.render(.markdown, locale: "en")
        #expect(markdown.contains("""
            Applies when any of these holds:

            - the person asking is a buyer
            - this does not hold:
              - all of these hold:
                - the person asking is a seller
                - the customer's identity has been verified
            """))
        #expect(book.render(.markdown, locale: "zh-CN").contains("当以下任一条件成立时适用："))
    }

    @Test("the refund deadlines by payment method come from the cases")
    func deadlineTable() {
        let markdown = shipped.render(.markdown, locale: "en")
        #expect(markdown.contains(
            "| card (`card`) | 3 business days; 1 business day when the person asking is a seller and the reason for cancelling is a stock-out (case 1) | 7 business days |"))
        let chinese = shipped.render(.markdown, locale: "zh-CN")
        #expect(chinese.contains("| 电子钱包（`wallet`） | 1 个工作日 | 0 个工作日（当日） |"))
    }
}
