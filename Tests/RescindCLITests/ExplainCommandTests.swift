import Foundation
import Testing

/// `rescind explain`, `--help` examples and shell completions, through the real binary.
@Suite("rescind explain")
struct ExplainCommandTests {
    /// The first 12 hex digits of the pack's digest, which change with every edit of the
    /// pack; taken from the decision JSON so the goldens pin everything else.
    static func shortDigest() throws -> String {
        let run = try CLI.run(["eval", "--policies", "Policies", "--json", "Examples/requests/buyer-paid-card.json"])
        let policy = try #require(try PolicyCLI.object(run.stdout)["policy"] as? [String: String])
        return String(try #require(policy["digest"]).prefix(12))
    }

    @Test("a denied request: the decision and every rule with the values it saw; exit 1")
    func denyHuman() throws {
        let digest = try Self.shortDigest()
        let run = try CLI.run(["explain", "--policies", "Policies", "--locale", "en", "Examples/requests/buyer-after-shipment.json"])
        #expect(run.status == 1)
        #expect(run.stderr == "")
        #expect(run.stdout == """
            effect: deny (buyer-after-shipment)
            matched: buyer-after-shipment
            reasons:
              - Order o-2 has already shipped, so it can no longer be cancelled. If you no longer want the item, \
            please request a return instead.
            policy: marketplace-cancellations 2026.12 (sha256:\(digest))
            explanation:
              ✔ buyer-after-shipment → deny  [Policies/who-may-cancel.yaml:37]
                  Once an order has shipped, the buyer cannot cancel it and should request a return instead.
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  true  order.status in ["shipped", "delivered"]   (order.status = "shipped")
              ✘ seller-stockout-rate → review  [Policies/seller-stockout.yaml:31]
                  A stock-out cancellation by a seller whose stock-out cancellations in the last 30 days are above \
            5% of their orders is reviewed by a person first.
                  false actor.role == "seller"   (actor.role = "buyer")
                  false reason == "stock_out"   (reason = "changed_mind")
                  false order.status in ["paid", "processing"]   (order.status = "shipped")
                  false seller_stats.orders_30d > 0   (seller_stats.orders_30d = 0)
                  false seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5   \
            (seller_stats.stockout_cancellations_30d = 0, seller_stats.orders_30d = 0)
              ✘ seller-stock-out-remedies → allow  [Policies/seller-stockout.yaml:46]
                  When a seller cancels a paid order for a stock-out, the buyer is told why within 24 hours and \
            gets a voucher, and the seller gets a penalty point.
                  false actor.role == "seller"   (actor.role = "buyer")
                  false reason == "stock_out"   (reason = "changed_mind")
                  false order.status in ["paid", "processing"]   (order.status = "shipped")
              ✘ seller-price-change-notice → allow  [Policies/seller-stockout.yaml:68]
                  When a seller cancels a paid order because the price has changed, the buyer is told why within 24 \
            hours.
                  false actor.role == "seller"   (actor.role = "buyer")
                  false reason == "price_change"   (reason = "changed_mind")
                  false order.status in ["paid", "processing"]   (order.status = "shipped")
              ✘ buyer-before-shipment → allow  [Policies/who-may-cancel.yaml:26]
                  Buyers may cancel their order until it ships.
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  false order.status in ["pending_payment", "paid", "processing"]   (order.status = "shipped")
              ✘ seller-allowed-reasons → allow  [Policies/who-may-cancel.yaml:48]
                  Sellers may cancel a paid order that has not shipped when an item is out of stock or its price \
            has changed.
                  false actor.role == "seller"   (actor.role = "buyer")
                  false reason in ["stock_out", "price_change"]   (reason = "changed_mind")
                  false order.status in ["paid", "processing"]   (order.status = "shipped")
              ✘ seller-other-reasons → deny  [Policies/who-may-cancel.yaml:60]
                  Sellers may not cancel an order for any reason other than a stock-out or a price change.
                  false actor.role == "seller"   (actor.role = "buyer")
                  true  !(reason in ["stock_out", "price_change"])   (reason = "changed_mind")
              ✘ support-verified → allow  [Policies/who-may-cancel.yaml:71]
                  Support staff may cancel on behalf of a customer whose identity they have verified, as long as \
            the order has not shipped and is not already cancelled.
                  false actor.role == "support"   (actor.role = "buyer")
                  false actor.verified   (actor.verified = false)
                  false !(order.status in ["shipped", "delivered", "cancelled"])   (order.status = "shipped")
              ✘ support-unverified → deny  [Policies/who-may-cancel.yaml:83]
                  Support staff must verify the customer's identity before cancelling on their behalf.
                  false actor.role == "support"   (actor.role = "buyer")
                  true  !(actor.verified)   (actor.verified = false)
              ✘ system-payment-timeout → allow  [Policies/who-may-cancel.yaml:94]
                  The system cancels an order that is still unpaid 30 minutes or more after it was placed.
                  false actor.role == "system"   (actor.role = "buyer")
                  false order.status == "pending_payment"   (order.status = "shipped")
                  true  at - order.placed_at >= duration("30m")   (at = 2026-11-27T10:00:00+08:00, order.placed_at \
            = 2026-11-25T08:00:00+08:00)
              ✘ already-cancelled → deny  [Policies/who-may-cancel.yaml:106]
                  An order that is already cancelled cannot be cancelled again, whoever asks.
                  false order.status == "cancelled"   (order.status = "shipped")
              ✘ input-error-grace → allow  [Policies/who-may-cancel.yaml:114]
                  A buyer who cancels because of an input error within 30 minutes of ordering is not counted as a \
            repeat canceller for this request.
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  false reason == "input_error"   (reason = "changed_mind")
                  false at - order.placed_at <= duration("30m")   (at = 2026-11-27T10:00:00+08:00, order.placed_at \
            = 2026-11-25T08:00:00+08:00)
              threshold repeat-canceller: 0 counted in buyer_history.cancellations where item.initiator == "buyer" \
            within the 30 days before 2026-11-27T10:00:00+08:00; the first tier `abuse-warn` starts at 3  \
            [Policies/abuse-thresholds.yaml:29]
                  Counts the cancellations the buyer started in the 30 days before the request.
            what would change the outcome:
              - rule `buyer-after-shipment` decides deny while `actor.role == "buyer"` (actor.role is "buyer") and \
            `order.status in ["shipped", "delivered"]` (order.status is "shipped") hold

            """)
    }

    @Test("an allowed request with a refund, reasons in the request's locale; exit 0")
    func allowHuman() throws {
        let digest = try Self.shortDigest()
        let run = try CLI.run(["explain", "--policies", "Policies", "Examples/requests/buyer-paid-card.json"])
        #expect(run.status == 0)
        #expect(run.stderr == "")
        #expect(run.stdout == """
            决定：允许（buyer-before-shipment）
            命中规则：buyer-before-shipment
            理由：
              - 订单 o-1 尚未发货，您可以取消该订单。
            后续事项：
              - refund: amount 129.99, fee 0.00, currency CNY, initiate_by 2026-12-02T23:59:59+08:00, expected_by \
            2026-12-11T23:59:59+08:00
            策略：marketplace-cancellations 2026.12（sha256:\(digest)）
            决策说明：
              ✔ buyer-before-shipment → 允许  [Policies/who-may-cancel.yaml:26]
                  订单发货前，买家可以取消订单。
                  成立   actor.role == "buyer"   （actor.role = "buyer"）
                  成立   order.status in ["pending_payment", "paid", "processing"]   （order.status = "paid"）
              ✘ seller-stockout-rate → 人工审核  [Policies/seller-stockout.yaml:31]
                  卖家近 30 天内因缺货取消的订单超过其订单数的 5% 时，其缺货取消需先经人工审核。
                  不成立 actor.role == "seller"   （actor.role = "buyer"）
                  不成立 reason == "stock_out"   （reason = "changed_mind"）
                  成立   order.status in ["paid", "processing"]   （order.status = "paid"）
                  成立   seller_stats.orders_30d > 0   （seller_stats.orders_30d = 120）
                  不成立 seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5   \
            （seller_stats.stockout_cancellations_30d = 3，seller_stats.orders_30d = 120）
              ✘ seller-stock-out-remedies → 允许  [Policies/seller-stockout.yaml:46]
                  卖家因缺货取消已付款订单时，须在 24 小时内告知买家取消原因并向买家赠送优惠券，同时对卖家记违规扣分 1 分。
                  不成立 actor.role == "seller"   （actor.role = "buyer"）
                  不成立 reason == "stock_out"   （reason = "changed_mind"）
                  成立   order.status in ["paid", "processing"]   （order.status = "paid"）
              ✘ seller-price-change-notice → 允许  [Policies/seller-stockout.yaml:68]
                  卖家因价格变动取消已付款订单时，须在 24 小时内告知买家取消原因。
                  不成立 actor.role == "seller"   （actor.role = "buyer"）
                  不成立 reason == "price_change"   （reason = "changed_mind"）
                  成立   order.status in ["paid", "processing"]   （order.status = "paid"）
              ✘ buyer-after-shipment → 拒绝  [Policies/who-may-cancel.yaml:37]
                  订单发货后，买家不能再取消订单，应改为申请退货。
                  成立   actor.role == "buyer"   （actor.role = "buyer"）
                  不成立 order.status in ["shipped", "delivered"]   （order.status = "paid"）
              ✘ seller-allowed-reasons → 允许  [Policies/who-may-cancel.yaml:48]
                  已付款且尚未发货的订单，卖家可因商品缺货或价格变动取消。
                  不成立 actor.role == "seller"   （actor.role = "buyer"）
                  不成立 reason in ["stock_out", "price_change"]   （reason = "changed_mind"）
                  成立   order.status in ["paid", "processing"]   （order.status = "paid"）
              ✘ seller-other-reasons → 拒绝  [Policies/who-may-cancel.yaml:60]
                  除商品缺货或价格变动外，卖家不得以其他任何理由取消订单。
                  不成立 actor.role == "seller"   （actor.role = "buyer"）
                  成立   !(reason in ["stock_out", "price_change"])   （reason = "changed_mind"）
              ✘ support-verified → 允许  [Policies/who-may-cancel.yaml:71]
                  客服核实客户身份后，可代客户取消尚未发货且未被取消的订单。
                  不成立 actor.role == "support"   （actor.role = "buyer"）
                  不成立 actor.verified   （actor.verified = false）
                  成立   !(order.status in ["shipped", "delivered", "cancelled"])   （order.status = "paid"）
              ✘ support-unverified → 拒绝  [Policies/who-may-cancel.yaml:83]
                  客服代客户取消订单前，必须先核实客户身份。
                  不成立 actor.role == "support"   （actor.role = "buyer"）
                  成立   !(actor.verified)   （actor.verified = false）
              ✘ system-payment-timeout → 允许  [Policies/who-may-cancel.yaml:94]
                  下单满 30 分钟仍未支付的订单，由系统自动取消。
                  不成立 actor.role == "system"   （actor.role = "buyer"）
                  不成立 order.status == "pending_payment"   （order.status = "paid"）
                  不成立 at - order.placed_at >= duration("30m")   （at = 2026-11-27T10:00:00+08:00，order.placed_at = \
            2026-11-27T09:40:00+08:00）
              ✘ already-cancelled → 拒绝  [Policies/who-may-cancel.yaml:106]
                  已取消的订单无论由谁申请，都不能再次取消。
                  不成立 order.status == "cancelled"   （order.status = "paid"）
              ✘ input-error-grace → 允许  [Policies/who-may-cancel.yaml:114]
                  买家在下单后 30 分钟内因输入错误取消订单的，本次申请不计入频繁取消。
                  成立   actor.role == "buyer"   （actor.role = "buyer"）
                  不成立 reason == "input_error"   （reason = "changed_mind"）
                  成立   at - order.placed_at <= duration("30m")   （at = 2026-11-27T10:00:00+08:00，order.placed_at = \
            2026-11-27T09:40:00+08:00）
              阈值 repeat-canceller：近 30 天内（截至 2026-11-27T10:00:00+08:00），buyer_history.cancellations where \
            item.initiator == "buyer" 计入 1 次；首个档位 `abuse-warn` 自 3 次起  [Policies/abuse-thresholds.yaml:29]
                  统计买家在本次申请前 30 天内自行发起的取消次数。
            退款计算：  [Policies/refunds.yaml:34]
              手续费：没有情形适用，不收手续费：0.00
              退款金额：`order.total - fee`：129.99 − 0.00 = 129.99
              最迟发起退款（initiate_by）：适用第 2 种情形（`order.payment_method == "card"`）：自 2026-11-27 次日起算 3 个工作日（按 \
            cn-mainland 日历，Asia/Shanghai 时间）：计入 2026-11-30..2026-12-02；跳过 2026-11-28..2026-11-29（周末） → \
            2026-12-02T23:59:59+08:00
              预计到账（expected_by）：适用第 1 种情形（`order.payment_method == "card"`）：自 2026-12-02 次日起算 7 个工作日（按 cn-mainland \
            日历，Asia/Shanghai 时间）：计入 2026-12-03..2026-12-04、2026-12-07..2026-12-11；跳过 2026-12-05..2026-12-06（周末） → \
            2026-12-11T23:59:59+08:00

            """)
    }

    static let examples = ["buyer-paid-card.json", "buyer-after-shipment.json", "abuse-review.json", "support-after-shipment.json"]

    @Test("the human format is the text of `eval --explain`, with the same exit code", arguments: examples)
    func humanIsEvalExplain(_ file: String) throws {
        let explain = try CLI.run(["explain", "--policies", "Policies", "Examples/requests/\(file)"])
        let eval = try CLI.run(["eval", "--policies", "Policies", "--explain", "Examples/requests/\(file)"])
        #expect(explain.stdout == eval.stdout)
        #expect(explain.status == eval.status)
        // In the request's locale: these examples ask for zh-CN or en.
        #expect(explain.stdout.contains("\nexplanation:\n") || explain.stdout.contains("\n决策说明：\n"))
    }

    @Test("--format json is the bytes of `eval --json --explain`, with the same exit code", arguments: examples)
    func jsonIsEvalJSON(_ file: String) throws {
        for locale in [[], ["--locale", "en"]] {
            let explain = try CLI.run(["explain", "--policies", "Policies", "--format", "json"] + locale + ["Examples/requests/\(file)"])
            let eval = try CLI.run(["eval", "--policies", "Policies", "--json", "--explain"] + locale + ["Examples/requests/\(file)"])
            #expect(Data(explain.stdout.utf8) == Data(eval.stdout.utf8))
            #expect(explain.status == eval.status)
            #expect(explain.stderr == "")
            _ = try PolicyCLI.object(explain.stdout)
        }
    }

    @Test("--format markdown: the decision as lists and code spans; exit 2 for review")
    func markdown() throws {
        let digest = try Self.shortDigest()
        let run = try CLI.run([
            "explain", "--policies", "Policies", "--locale", "en", "--format", "markdown", "Examples/requests/abuse-review.json",
        ])
        #expect(run.status == 2)
        #expect(run.stderr == "")
        #expect(run.stdout == """
            ### Decision: review

            - **effect:** review (`abuse-review`)
            - **matched:** `buyer-before-shipment`, `abuse-review`
            - **request:** `req-abuse-review`
            - **policy:** marketplace-cancellations 2026.12 (`sha256:\(digest)`)

            #### Reasons

            - You have cancelled 5 orders in the last 30 days, so this cancellation needs to be reviewed by our \
            team. We will let you know the result as soon as possible.

            #### Explanation

            - threshold `repeat-canceller`: 5 counted in buyer_history.cancellations where item.initiator == \
            "buyer" within the 30 days before 2026-11-27T10:00:00+08:00; tier `abuse-review` starts at 5, \
            `abuse-block` at 8 (`Policies/abuse-thresholds.yaml:29`)
              - *Counts the cancellations the buyer started in the 30 days before the request.*
              - *Five or more cancellations in 30 days; a person reviews the cancellation before it goes ahead.*
            - ✔ matched: `buyer-before-shipment` → allow (`Policies/who-may-cancel.yaml:26`)
              - *Buyers may cancel their order until it ships.*
              - true: `actor.role == "buyer"` with `actor.role` = `"buyer"`
              - true: `order.status in ["pending_payment", "paid", "processing"]` with `order.status` = `"paid"`
            - ✘ not matched: `seller-stockout-rate` → review (`Policies/seller-stockout.yaml:31`)
              - *A stock-out cancellation by a seller whose stock-out cancellations in the last 30 days are above \
            5% of their orders is reviewed by a person first.*
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - false: `reason == "stock_out"` with `reason` = `"changed_mind"`
              - true: `order.status in ["paid", "processing"]` with `order.status` = `"paid"`
              - false: `seller_stats.orders_30d > 0` with `seller_stats.orders_30d` = `0`
              - false: `seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5` with \
            `seller_stats.stockout_cancellations_30d` = `0`, `seller_stats.orders_30d` = `0`
            - ✘ not matched: `seller-stock-out-remedies` → allow (`Policies/seller-stockout.yaml:46`)
              - *When a seller cancels a paid order for a stock-out, the buyer is told why within 24 hours and gets \
            a voucher, and the seller gets a penalty point.*
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - false: `reason == "stock_out"` with `reason` = `"changed_mind"`
              - true: `order.status in ["paid", "processing"]` with `order.status` = `"paid"`
            - ✘ not matched: `seller-price-change-notice` → allow (`Policies/seller-stockout.yaml:68`)
              - *When a seller cancels a paid order because the price has changed, the buyer is told why within 24 \
            hours.*
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - false: `reason == "price_change"` with `reason` = `"changed_mind"`
              - true: `order.status in ["paid", "processing"]` with `order.status` = `"paid"`
            - ✘ not matched: `buyer-after-shipment` → deny (`Policies/who-may-cancel.yaml:37`)
              - *Once an order has shipped, the buyer cannot cancel it and should request a return instead.*
              - true: `actor.role == "buyer"` with `actor.role` = `"buyer"`
              - false: `order.status in ["shipped", "delivered"]` with `order.status` = `"paid"`
            - ✘ not matched: `seller-allowed-reasons` → allow (`Policies/who-may-cancel.yaml:48`)
              - *Sellers may cancel a paid order that has not shipped when an item is out of stock or its price has \
            changed.*
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - false: `reason in ["stock_out", "price_change"]` with `reason` = `"changed_mind"`
              - true: `order.status in ["paid", "processing"]` with `order.status` = `"paid"`
            - ✘ not matched: `seller-other-reasons` → deny (`Policies/who-may-cancel.yaml:60`)
              - *Sellers may not cancel an order for any reason other than a stock-out or a price change.*
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - true: `!(reason in ["stock_out", "price_change"])` with `reason` = `"changed_mind"`
            - ✘ not matched: `support-verified` → allow (`Policies/who-may-cancel.yaml:71`)
              - *Support staff may cancel on behalf of a customer whose identity they have verified, as long as the \
            order has not shipped and is not already cancelled.*
              - false: `actor.role == "support"` with `actor.role` = `"buyer"`
              - false: `actor.verified` with `actor.verified` = `false`
              - true: `!(order.status in ["shipped", "delivered", "cancelled"])` with `order.status` = `"paid"`
            - ✘ not matched: `support-unverified` → deny (`Policies/who-may-cancel.yaml:83`)
              - *Support staff must verify the customer's identity before cancelling on their behalf.*
              - false: `actor.role == "support"` with `actor.role` = `"buyer"`
              - true: `!(actor.verified)` with `actor.verified` = `false`
            - ✘ not matched: `system-payment-timeout` → allow (`Policies/who-may-cancel.yaml:94`)
              - *The system cancels an order that is still unpaid 30 minutes or more after it was placed.*
              - false: `actor.role == "system"` with `actor.role` = `"buyer"`
              - false: `order.status == "pending_payment"` with `order.status` = `"paid"`
              - true: `at - order.placed_at >= duration("30m")` with `at` = `2026-11-27T10:00:00+08:00`, \
            `order.placed_at` = `2026-11-27T08:00:00+08:00`
            - ✘ not matched: `already-cancelled` → deny (`Policies/who-may-cancel.yaml:106`)
              - *An order that is already cancelled cannot be cancelled again, whoever asks.*
              - false: `order.status == "cancelled"` with `order.status` = `"paid"`
            - ✘ not matched: `input-error-grace` → allow (`Policies/who-may-cancel.yaml:114`)
              - *A buyer who cancels because of an input error within 30 minutes of ordering is not counted as a \
            repeat canceller for this request.*
              - true: `actor.role == "buyer"` with `actor.role` = `"buyer"`
              - false: `reason == "input_error"` with `reason` = `"changed_mind"`
              - false: `at - order.placed_at <= duration("30m")` with `at` = `2026-11-27T10:00:00+08:00`, \
            `order.placed_at` = `2026-11-27T08:00:00+08:00`

            #### What would change the outcome

            - tier `abuse-review` of `repeat-canceller` applies from 5; the count is 5 (buyer_history.cancellations \
            where item.initiator == "buyer" within the 30 days)
            - rule `input-error-grace` would allow if reason were "input_error" (now "changed_mind") and at were no \
            later than 2026-11-27T08:30:00+08:00 (now 2026-11-27T10:00:00+08:00)

            """)
    }

    @Test("--locale zh-CN: the whole explanation is Chinese, in text and in markdown")
    func chinese() throws {
        let text = try CLI.run([
            "explain", "--policies", "Policies", "--locale", "zh-CN", "Examples/requests/abuse-review.json",
        ])
        #expect(text.status == 2)
        let explanation = try #require(text.stdout.components(separatedBy: "\n决策说明：\n").last)
        #expect(explanation.contains("\n怎样才能改变结果：\n"))
        #expect(explanation.contains(
            "  - 若 reason 为 \"input_error\"（现为 \"changed_mind\"），且 at 不晚于 2026-11-27T08:30:00+08:00"
                + "（现为 2026-11-27T10:00:00+08:00），规则 `input-error-grace` 将允许取消\n"))
        // Conditions are shown as written; the engine's words (and the descriptions) are Chinese.
        for english in ["explanation", " true ", " false ", "threshold ", "counted in", "would allow", "tier `"] {
            #expect(!explanation.contains(english), "`\(english)`")
        }
        let markdown = try CLI.run([
            "explain", "--policies", "Policies", "--locale", "zh-CN", "--format", "markdown",
            "Examples/requests/buyer-processing-fee-capped.json",
        ])
        #expect(markdown.status == 0)
        #expect(markdown.stdout.contains("\n#### 决策说明\n\n- ✔ 命中：`buyer-before-shipment` → 允许（"))
        #expect(markdown.stdout.contains("\n#### 退款计算（`Policies/refunds.yaml:34`）\n\n"))
        #expect(markdown.stdout.contains(
            "- **手续费**：适用第 1 种情形（`actor.role == \"buyer\" && order.status == \"processing\"`）："
                + "5% × 1200.00 = 60.00，超过上限，取上限 20.00\n"))
        #expect(markdown.stdout.contains("  - 成立：`actor.role == \"buyer\"`，读取 `actor.role` = `\"buyer\"`\n"))
    }

    @Test("descriptions follow --locale: Chinese with zh-CN, English with en, in text, markdown and JSON", arguments: [
        ("zh-CN", "订单发货前，买家可以取消订单。", "统计买家在本次申请前 30 天内自行发起的取消次数。",
         "30 天内取消 5 次及以上：本次取消需经人工审核后方可进行。"),
        ("en", "Buyers may cancel their order until it ships.",
         "Counts the cancellations the buyer started in the 30 days before the request.",
         "Five or more cancellations in 30 days; a person reviews the cancellation before it goes ahead."),
    ])
    func localizedDescriptions(locale: String, rule: String, threshold: String, tier: String) throws {
        func explain(_ format: [String]) throws -> String {
            let run = try CLI.run(
                ["explain", "--policies", "Policies", "--locale", locale] + format + ["Examples/requests/abuse-review.json"])
            #expect(run.status == 2)
            return run.stdout
        }
        let text = try explain([])
        #expect(text.contains("[Policies/who-may-cancel.yaml:26]\n      \(rule)\n"), "\(text)")
        #expect(text.contains("[Policies/abuse-thresholds.yaml:29]\n      \(threshold)\n      \(tier)\n"), "\(text)")
        let markdown = try explain(["--format", "markdown"])
        for description in [rule, threshold, tier] {
            #expect(markdown.contains("  - *\(description)*\n"), "\(markdown)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(try explain(["--format", "json"]).utf8)) as? [String: Any]
        let explanation = try #require(json?["explanation"] as? [String: Any])
        let rules = try #require(explanation["rules"] as? [[String: Any]])
        #expect(rules.first { $0["id"] as? String == "buyer-before-shipment" }?["description"] as? String == rule)
        // The other locale's text is nowhere.
        let other = locale == "en" ? "订单发货前" : "Buyers may cancel their order"
        for output in [text, markdown] { #expect(!output.contains(other)) }
    }

    @Test("--format json carries the advice as data and the refund's derivation")
    func jsonAdvice() throws {
        let review = try CLI.run([
            "explain", "--policies", "Policies", "--locale", "en", "--format", "json", "Examples/requests/abuse-review.json",
        ])
        let explanation = try #require(try PolicyCLI.object(review.stdout)["explanation"] as? [String: Any])
        let advice = try #require(explanation["advice"] as? [[String: Any]])
        #expect(advice.count == 1)
        #expect(advice.first?["rule"] as? String == "input-error-grace")
        #expect(advice.first?["works"] as? Bool == true)
        #expect(advice.first?["outcome"] as? String == "allow")
        let changes = try #require(advice.first?["changes"] as? [[String: Any]])
        #expect(changes.map { $0["path"] as? String } == ["reason", "at"])
        #expect(changes.map { $0["value"] as? String } == ["input_error", "2026-11-27T08:30:00+08:00"])
        #expect(changes.map { $0["relation"] as? String } == ["equals", "at_most"])
        #expect(changes.map { $0["now"] as? String } == ["changed_mind", "2026-11-27T10:00:00+08:00"])
        let rules = try #require(explanation["rules"] as? [[String: Any]])
        #expect(rules.first?["description"] as? String == "A stock-out cancellation by a seller whose stock-out "
            + "cancellations in the last 30 days are above 5% of their orders is reviewed by a person first.")

        let allow = try CLI.run([
            "explain", "--policies", "Policies", "--locale", "en", "--format", "json",
            "Examples/requests/buyer-processing-fee-capped.json",
        ])
        let refund = try #require(
            (try PolicyCLI.object(allow.stdout)["explanation"] as? [String: Any])?["refund"] as? [String: Any])
        let steps = try #require(refund["steps"] as? [[String: String]])
        #expect(steps.map { $0["label"] } == ["fee", "amount", "initiate_by", "expected_by"])
        #expect(steps.first?["text"]?.hasSuffix("5% × 1200.00 = 60.00, capped at 20.00") == true)
    }

    @Test("--format markdown with --rule names the selection in the heading")
    func markdownRule() throws {
        let digest = try Self.shortDigest()
        let run = try CLI.run([
            "explain", "--policies", "Policies", "--locale", "en", "--format", "markdown",
            "--rule", "abuse-review", "--rule", "buyer-before-shipment", "Examples/requests/abuse-review.json",
        ])
        #expect(run.status == 2)
        #expect(run.stdout == """
            ### Decision: review

            - **effect:** review (`abuse-review`)
            - **matched:** `buyer-before-shipment`, `abuse-review`
            - **request:** `req-abuse-review`
            - **policy:** marketplace-cancellations 2026.12 (`sha256:\(digest)`)

            #### Reasons

            - You have cancelled 5 orders in the last 30 days, so this cancellation needs to be reviewed by our \
            team. We will let you know the result as soon as possible.

            #### Explanation (only `buyer-before-shipment` and `abuse-review`)

            - threshold `repeat-canceller`: 5 counted in buyer_history.cancellations where item.initiator == \
            "buyer" within the 30 days before 2026-11-27T10:00:00+08:00; tier `abuse-review` starts at 5, \
            `abuse-block` at 8 (`Policies/abuse-thresholds.yaml:29`)
              - *Counts the cancellations the buyer started in the 30 days before the request.*
              - *Five or more cancellations in 30 days; a person reviews the cancellation before it goes ahead.*
            - ✔ matched: `buyer-before-shipment` → allow (`Policies/who-may-cancel.yaml:26`)
              - *Buyers may cancel their order until it ships.*
              - true: `actor.role == "buyer"` with `actor.role` = `"buyer"`
              - true: `order.status in ["pending_payment", "paid", "processing"]` with `order.status` = `"paid"`

            #### What would change the outcome

            - tier `abuse-review` of `repeat-canceller` applies from 5; the count is 5 (buyer_history.cancellations \
            where item.initiator == "buyer" within the 30 days)
            - rule `input-error-grace` would allow if reason were "input_error" (now "changed_mind") and at were no \
            later than 2026-11-27T08:30:00+08:00 (now 2026-11-27T10:00:00+08:00)

            """)
    }

    @Test("markdown escapes policy text but keeps its `code`")
    func markdownEscaping() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        try PolicyCLI.edit(
            copy.appendingPathComponent("who-may-cancel.yaml"),
            replacing: "en: \"Order {order.id} has not shipped yet, so you can cancel it.\"",
            with: "en: \"# Order {order.id} has *not* shipped <b>yet</b> [see](x) a_b _c_ | ~~d~~ & `code *x*` \\\\ end\"")
        let run = try CLI.run([
            "explain", "--policies", copy.path, "--locale", "en", "--format", "markdown", "Examples/requests/buyer-paid-card.json",
        ])
        #expect(run.status == 0)
        #expect(run.stdout.contains(
            "\n- \\# Order o-1 has \\*not\\* shipped \\<b\\>yet\\</b\\> \\[see\\](x) a_b \\_c\\_ \\| \\~\\~d\\~\\~ \\& `code *x*` \\\\ end\n"),
            "\(run.stdout)")
    }

    @Test("--rule keeps only the named rules and thresholds, in reading order; a tier names its threshold")
    func ruleFilter() throws {
        let digest = try Self.shortDigest()
        let expected = """
            effect: review (abuse-review)
            matched: buyer-before-shipment, abuse-review
            reasons:
              - You have cancelled 5 orders in the last 30 days, so this cancellation needs to be reviewed by our \
            team. We will let you know the result as soon as possible.
            policy: marketplace-cancellations 2026.12 (sha256:\(digest))
            explanation (only `input-error-grace` and `abuse-review`):
              threshold repeat-canceller: 5 counted in buyer_history.cancellations where item.initiator == "buyer" \
            within the 30 days before 2026-11-27T10:00:00+08:00; tier `abuse-review` starts at 5, `abuse-block` at \
            8  [Policies/abuse-thresholds.yaml:29]
                  Counts the cancellations the buyer started in the 30 days before the request.
                  Five or more cancellations in 30 days; a person reviews the cancellation before it goes ahead.
              ✘ input-error-grace → allow  [Policies/who-may-cancel.yaml:114]
                  A buyer who cancels because of an input error within 30 minutes of ordering is not counted as a \
            repeat canceller for this request.
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  false reason == "input_error"   (reason = "changed_mind")
                  false at - order.placed_at <= duration("30m")   (at = 2026-11-27T10:00:00+08:00, order.placed_at \
            = 2026-11-27T08:00:00+08:00)
            what would change the outcome:
              - tier `abuse-review` of `repeat-canceller` applies from 5; the count is 5 \
            (buyer_history.cancellations where item.initiator == "buyer" within the 30 days)
              - rule `input-error-grace` would allow if reason were "input_error" (now "changed_mind") and at were \
            no later than 2026-11-27T08:30:00+08:00 (now 2026-11-27T10:00:00+08:00)

            """
        for rules in [["input-error-grace", "abuse-review"], ["abuse-review", "input-error-grace", "abuse-review"]] {
            let run = try CLI.run(
                ["explain", "--policies", "Policies", "--locale", "en"] + rules.flatMap { ["--rule", $0] }
                    + ["Examples/requests/abuse-review.json"])
            #expect(run.status == 2)
            #expect(run.stderr == "")
            #expect(run.stdout == expected)
        }
    }

    @Test("--rule with a threshold id shows the threshold; with a rule id only, no threshold")
    func ruleKinds() throws {
        let threshold = try CLI.run([
            "explain", "--policies", "Policies", "--locale", "en", "--rule", "repeat-canceller",
            "Examples/requests/abuse-review.json",
        ])
        let lines = threshold.stdout.components(separatedBy: "\n")
        #expect(lines.contains("explanation (only `repeat-canceller`):"))
        #expect(lines.filter { $0.hasPrefix("  threshold repeat-canceller: 5 counted") }.count == 1)
        #expect(!lines.contains { $0.hasPrefix("  ✘ ") || $0.hasPrefix("  ✔ ") })

        let rule = try CLI.run([
            "explain", "--policies", "Policies", "--locale", "en", "--rule", "buyer-after-shipment",
            "Examples/requests/buyer-after-shipment.json",
        ])
        #expect(rule.status == 1)
        let ruleLines = rule.stdout.components(separatedBy: "\n")
        #expect(ruleLines.filter { $0.hasPrefix("  ✘ ") || $0.hasPrefix("  ✔ ") } == [
            "  ✔ buyer-after-shipment → deny  [Policies/who-may-cancel.yaml:37]",
        ])
        #expect(!rule.stdout.contains("threshold "))
        // The decision itself is never filtered.
        #expect(rule.stdout.hasPrefix("effect: deny (buyer-after-shipment)\n"))
        #expect(rule.stdout.contains("what would change the outcome:\n"))
    }

    @Test("an unknown --rule is a usage error (64) with a did-you-mean, before the request is read")
    func unknownRule() throws {
        let run = try CLI.run([
            "explain", "--policies", "Policies", "--rule", "abuse-reveiw", "--rule", "nope", "--rule", "abuse-review",
            "does-not-exist.json",
        ])
        #expect(run.status == 64)
        #expect(run.stdout == "")
        #expect(run.stderr == """
            Error: --rule `abuse-reveiw`: no rule, threshold or tier of `marketplace-cancellations` has this id; \
            did you mean `abuse-review`?
            --rule `nope`: no rule, threshold or tier of `marketplace-cancellations` has this id
            Usage: rescind explain [<options>] [<request>]
              See 'rescind explain --help' for more information.

            """)
    }

    @Test("usage errors exit 64", arguments: [
        ["explain", "--policies", "Policies", "--format", "json", "--rule", "abuse-review", "Examples/requests/abuse-review.json"],
        ["explain", "--policies", "Policies", "--format", "xml", "Examples/requests/abuse-review.json"],
        ["explain", "--policies", "Policies", "Examples/requests/does-not-exist.json"],
        ["explain", "--policies", "Policies", "--no-such-flag", "Examples/requests/abuse-review.json"],
    ])
    func usageErrors(_ arguments: [String]) throws {
        let run = try CLI.run(arguments)
        #expect(run.status == 64)
        #expect(run.stdout == "")
        #expect(run.stderr.hasPrefix("Error: "))
        #expect(run.stderr.contains("Usage: rescind explain "))
    }

    @Test("the request comes from standard input with -, or with no argument")
    func standardInput() throws {
        let request = try PolicyCLI.example("buyer-after-shipment.json")
        let file = try CLI.run(["explain", "--policies", "Policies", "Examples/requests/buyer-after-shipment.json"])
        for arguments in [["-"], []] {
            let run = try CLI.run(["explain", "--policies", "Policies"] + arguments, input: request)
            #expect(run.status == 1)
            #expect(run.stdout == file.stdout)
        }
    }

    @Test("a bad request exits 3 with its JSON path; --format json also prints the error object")
    func invalidRequest() throws {
        let request = try PolicyCLI.example("buyer-paid-card.json").replacingOccurrences(of: "\"paid\"", with: "\"payed\"")
        let human = try CLI.run(["explain", "--policies", "Policies", "-"], input: request)
        #expect(human.status == 3)
        #expect(human.stdout == "")
        #expect(human.stderr.hasPrefix("error[request-invalid-enum]: $.order.status: "))
        let json = try CLI.run(["explain", "--policies", "Policies", "--format", "json", "-"], input: request)
        let eval = try CLI.run(["eval", "--policies", "Policies", "--json", "--explain", "-"], input: request)
        #expect(json.status == 3)
        #expect(json.stdout == eval.stdout)
        #expect(json.stderr == eval.stderr)
    }

    @Test("invalid policies exit 3 with the diagnostics")
    func invalidPolicies() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        try PolicyCLI.edit(copy.appendingPathComponent("schema.yaml"), replacing: "total: {type: decimal,", with: "total: {type: decmal,")
        let run = try CLI.run(["explain", "--policies", copy.path, "--rule", "no-such-rule", "Examples/requests/buyer-paid-card.json"])
        #expect(run.status == 3)
        #expect(run.stdout == "")
        #expect(run.stderr.contains("error[policy-unknown-type]: unknown type `decmal`"))
    }
}

/// `--help` teaches by example, and the examples work.
@Suite("rescind --help")
struct HelpTests {
    static let commands: [[String]] = [[], ["check"], ["test"], ["eval"], ["explain"], ["replay"], ["diff"], ["cel"], ["book"]]

    /// The command lines under "Examples:" in `rescind COMMAND --help`, continuation
    /// lines joined.
    static func examples(_ command: [String]) throws -> [String] {
        let run = try CLI.run(command + ["--help"])
        try #require(run.status == 0)
        let lines = run.stdout.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: "Examples:"), "no Examples section in \(command) --help")
        var examples: [String] = []
        var pending = ""
        for line in lines[(start + 1)...] {
            guard !line.isEmpty else { break }
            // A line that is not indented was wrapped by the help generator: it would not
            // paste into a shell.
            #expect(line.hasPrefix("  "), "\(command) --help: wrapped example line `\(line)`")
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("\\") {
                pending += text.dropLast()
            } else if text.hasSuffix("|") {
                pending += text + " "
            } else {
                examples.append(pending + text)
                pending = ""
            }
        }
        return examples
    }

    @Test("every command's --help has an Examples section", arguments: commands)
    func examplesSection(_ command: [String]) throws {
        let examples = try Self.examples(command)
        #expect(examples.count >= 3)
        for example in examples {
            #expect(example.contains("rescind "), "\(example)")
        }
    }

    @Test("every example runs: exit 0, 1 or 2, no error", arguments: commands)
    func examplesRun(_ command: [String]) throws {
        // In a scratch folder holding copies of the shipped files, so `> decision.md` lands there.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["Policies", "Examples"] {
            try FileManager.default.copyItem(
                at: CLI.packageRoot.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let hasJQ = FileManager.default.isExecutableFile(atPath: "/usr/bin/jq")
            || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/jq")
        for example in try Self.examples(command) where hasJQ || !example.hasPrefix("jq ") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["-o", "pipefail", "-c", example]
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = CLI.productsDirectory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            environment["NO_COLOR"] = "1"
            environment["RESCIND_TODAY"] = CLI.pinnedToday
            process.environment = environment
            process.currentDirectoryURL = folder
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect((0...2).contains(process.terminationStatus), "`\(example)` exited \(process.terminationStatus): \(stderr)")
            #expect(!stderr.contains("Error") && !stderr.contains("error"), "`\(example)`: \(stderr)")
            #expect(!stdout.isEmpty || example.contains(">") || example.hasPrefix("rescind check"), "`\(example)` printed nothing")
        }
    }
}

/// Shell completions from ArgumentParser, with Rescind's value completions.
@Suite("rescind completions")
struct CompletionTests {
    @Test("--generate-completion-script succeeds for every shell and knows `explain`", arguments: ["bash", "zsh", "fish"])
    func script(_ shell: String) throws {
        let run = try CLI.run(["--generate-completion-script", shell])
        #expect(run.status == 0)
        #expect(run.stderr == "")
        #expect(run.stdout.contains("explain"))
        #expect(run.stdout.contains("--rule") || run.stdout.contains("'rule'"))
    }

    @Test("bash: formats and locales as lists, requests as .json files, --policies as folders")
    func bashValues() throws {
        let script = try CLI.run(["--generate-completion-script", "bash"]).stdout
        #expect(script.contains("'human'$'\\n''json'$'\\n''markdown'"))
        #expect(script.contains("'human'$'\\n''json'$'\\n''github'"))
        #expect(script.contains("'en'$'\\n''zh-CN'"))
        #expect(script.contains("-o plusdirs -fX '!*.@(json)'"))
        #expect(script.contains("-o plusdirs -fX '!*.@(yaml|yml)'"))
        #expect(script.contains("'--policies')\n        __rescind_add_completions -d"))
        #expect(script.contains("---completion explain -- --rule"))
    }

    @Test("--rule completes to the ids of the policies on the command line")
    func ruleIDs() throws {
        // How the scripts ask: the option, the index of the word being completed, the
        // cursor's offset in it, then the command line's words.
        let words = ["rescind", "explain", "--policies", "Policies", "--rule", "abuse-"]
        let run = try CLI.run(["---completion", "explain", "--", "--rule", "5", "6"] + words)
        #expect(run.status == 0)
        #expect(run.stdout == "abuse-warn\nabuse-review\nabuse-block\n")

        let all = try CLI.run(["---completion", "explain", "--", "--rule", "3", "0", "rescind", "explain", "--rule", ""])
        let ids = all.stdout.split(separator: "\n").map(String.init)
        #expect(ids.count == 16)
        #expect(ids.first == "seller-stockout-rate")
        #expect(ids.contains("repeat-canceller"))
    }
}

/// A threshold whose list the request did not send says so, in each locale, instead of
/// "0 counted" (issue 12, item 5).
@Suite("explain: no history supplied")
struct MissingHistoryExplanationTests {
    @Test("the explanation says no history was supplied, in English and in Chinese; the decision is review")
    func missingHistory() throws {
        let english = try CLI.run(["explain", "--policies", "Policies", "--locale", "en", "Examples/requests/buyer-no-history.json"])
        #expect(english.status == 2)
        #expect(english.stdout.contains("no history supplied: the request has no `buyer_history.cancellations`, so nothing was counted"))
        #expect(!english.stdout.contains("0 counted"))
        // The refund worked out before the problem raised the decision is shown as not paid.
        #expect(english.stdout.contains("  not paid: the problems above raise the decision to review, so no refund is paid\n"))
        let chinese = try CLI.run(["explain", "--policies", "Policies", "--locale", "zh-CN", "Examples/requests/buyer-no-history.json"])
        #expect(chinese.status == 2)
        #expect(chinese.stdout.contains("未提供历史记录：请求中没有 `buyer_history.cancellations`，因此未计数；本次决定至少为「人工审核」"))
        #expect(!chinese.stdout.contains("no history supplied"))
        #expect(chinese.stdout.contains("不予退款：决定因上述问题升为「人工审核」，本次不退款"))
        #expect(chinese.stdout.hasPrefix("决定：人工审核（on-missing：策略未能完整判定，见下方问题）\n命中规则：buyer-before-shipment\n理由：\n"))
        #expect(chinese.stdout.contains("\n问题：Policies/abuse-thresholds.yaml:29: missing-list: 规则 `repeat-canceller`: "))
        // Without an explanation the text keeps its English labels (the operators' format).
        let plain = try CLI.run(["eval", "--policies", "Policies", "--locale", "zh-CN", "Examples/requests/buyer-no-history.json"])
        #expect(plain.stdout.hasPrefix("effect: review (on-missing: the policy could not decide in full; see the problems)\n"))
    }
}

/// The explanation JSON carries the thresholds' descriptions as the text shows them.
@Suite("explain: threshold descriptions in JSON")
struct ThresholdDescriptionJSONTests {
    @Test("a threshold and its reached tier are described in the decision's locale")
    func thresholdDescriptions() throws {
        for (locale, threshold, tier) in [
            ("en", "Counts the cancellations the buyer started in the 30 days before the request.",
             "Five or more cancellations in 30 days; a person reviews the cancellation before it goes ahead."),
            ("zh-CN", nil, nil),
        ] {
            let run = try CLI.run([
                "explain", "--policies", "Policies", "--locale", locale, "--format", "json", "Examples/requests/abuse-review.json",
            ])
            #expect(run.status == 2)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let explanation = try #require(object["explanation"] as? [String: Any])
            let first = try #require((explanation["thresholds"] as? [[String: Any]])?.first)
            let description = try #require(first["description"] as? String)
            let tierDescription = try #require(first["tier_description"] as? String)
            if let threshold, let tier {
                #expect(description == threshold)
                #expect(tierDescription == tier)
            } else {
                // Chinese: no Latin letters beyond ids and numbers in the texts.
                #expect(description.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF })
                #expect(tierDescription.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF })
            }
        }
    }
}
