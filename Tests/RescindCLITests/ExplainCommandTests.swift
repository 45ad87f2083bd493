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
              - Order o-2 has already shipped, so it can no longer be cancelled. If you no longer want the item, please request \
            a return instead.
            policy: marketplace-cancellations 2026.12 (sha256:\(digest))
            explanation:
              ✘ seller-stockout-rate → review  [Policies/seller-stockout.yaml:30]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   reason == "stock_out"
                    -   order.status in ["paid", "processing"]
                    -   seller_stats.orders_30d > 0
                    -   seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5
              ✘ seller-stock-out-remedies → allow  [Policies/seller-stockout.yaml:45]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   reason == "stock_out"
                    -   order.status in ["paid", "processing"]
              ✘ seller-price-change-notice → allow  [Policies/seller-stockout.yaml:67]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   reason == "price_change"
                    -   order.status in ["paid", "processing"]
              ✘ buyer-before-shipment → allow  [Policies/who-may-cancel.yaml:25]
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  false order.status in ["pending_payment", "paid", "processing"]   (order.status = "shipped")
              ✔ buyer-after-shipment → deny  [Policies/who-may-cancel.yaml:36]
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  true  order.status in ["shipped", "delivered"]   (order.status = "shipped")
              ✘ seller-allowed-reasons → allow  [Policies/who-may-cancel.yaml:47]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   reason in ["stock_out", "price_change"]
                    -   order.status in ["paid", "processing"]
              ✘ seller-other-reasons → deny  [Policies/who-may-cancel.yaml:59]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   !(reason in ["stock_out", "price_change"])
              ✘ support-verified → allow  [Policies/who-may-cancel.yaml:70]
                  false actor.role == "support"   (actor.role = "buyer")
                    -   actor.verified
                    -   !(order.status in ["shipped", "delivered", "cancelled"])
              ✘ support-unverified → deny  [Policies/who-may-cancel.yaml:82]
                  false actor.role == "support"   (actor.role = "buyer")
                    -   !(actor.verified)
              ✘ system-payment-timeout → allow  [Policies/who-may-cancel.yaml:93]
                  false actor.role == "system"   (actor.role = "buyer")
                    -   order.status == "pending_payment"
                    -   at - order.placed_at >= duration("30m")
              ✘ already-cancelled → deny  [Policies/who-may-cancel.yaml:105]
                  false order.status == "cancelled"   (order.status = "shipped")
              ✘ input-error-grace → allow  [Policies/who-may-cancel.yaml:113]
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  false reason == "input_error"   (reason = "changed_mind")
                    -   at - order.placed_at <= duration("30m")
              threshold repeat-canceller: 0 counted in buyer_history.cancellations where item.initiator == "buyer" within the \
            30 days before 2026-11-27T10:00:00+08:00; the first tier `abuse-warn` starts at 3  \
            [Policies/abuse-thresholds.yaml:28]
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
            effect: allow (buyer-before-shipment)
            matched: buyer-before-shipment
            reasons:
              - 订单 o-1 尚未发货，您可以取消该订单。
            obligations:
              - refund: amount 129.99, fee 0.00, currency CNY, initiate_by 2026-12-02T23:59:59+08:00, expected_by \
            2026-12-11T23:59:59+08:00
            policy: marketplace-cancellations 2026.12 (sha256:\(digest))
            explanation:
              ✘ seller-stockout-rate → review  [Policies/seller-stockout.yaml:30]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   reason == "stock_out"
                    -   order.status in ["paid", "processing"]
                    -   seller_stats.orders_30d > 0
                    -   seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5
              ✘ seller-stock-out-remedies → allow  [Policies/seller-stockout.yaml:45]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   reason == "stock_out"
                    -   order.status in ["paid", "processing"]
              ✘ seller-price-change-notice → allow  [Policies/seller-stockout.yaml:67]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   reason == "price_change"
                    -   order.status in ["paid", "processing"]
              ✔ buyer-before-shipment → allow  [Policies/who-may-cancel.yaml:25]
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  true  order.status in ["pending_payment", "paid", "processing"]   (order.status = "paid")
              ✘ buyer-after-shipment → deny  [Policies/who-may-cancel.yaml:36]
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  false order.status in ["shipped", "delivered"]   (order.status = "paid")
              ✘ seller-allowed-reasons → allow  [Policies/who-may-cancel.yaml:47]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   reason in ["stock_out", "price_change"]
                    -   order.status in ["paid", "processing"]
              ✘ seller-other-reasons → deny  [Policies/who-may-cancel.yaml:59]
                  false actor.role == "seller"   (actor.role = "buyer")
                    -   !(reason in ["stock_out", "price_change"])
              ✘ support-verified → allow  [Policies/who-may-cancel.yaml:70]
                  false actor.role == "support"   (actor.role = "buyer")
                    -   actor.verified
                    -   !(order.status in ["shipped", "delivered", "cancelled"])
              ✘ support-unverified → deny  [Policies/who-may-cancel.yaml:82]
                  false actor.role == "support"   (actor.role = "buyer")
                    -   !(actor.verified)
              ✘ system-payment-timeout → allow  [Policies/who-may-cancel.yaml:93]
                  false actor.role == "system"   (actor.role = "buyer")
                    -   order.status == "pending_payment"
                    -   at - order.placed_at >= duration("30m")
              ✘ already-cancelled → deny  [Policies/who-may-cancel.yaml:105]
                  false order.status == "cancelled"   (order.status = "paid")
              ✘ input-error-grace → allow  [Policies/who-may-cancel.yaml:113]
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  false reason == "input_error"   (reason = "changed_mind")
                    -   at - order.placed_at <= duration("30m")
              threshold repeat-canceller: 1 counted in buyer_history.cancellations where item.initiator == "buyer" within the \
            30 days before 2026-11-27T10:00:00+08:00; the first tier `abuse-warn` starts at 3  \
            [Policies/abuse-thresholds.yaml:28]

            """)
    }

    static let examples = ["buyer-paid-card.json", "buyer-after-shipment.json", "abuse-review.json", "support-after-shipment.json"]

    @Test("the human format is the text of `eval --explain`, with the same exit code", arguments: examples)
    func humanIsEvalExplain(_ file: String) throws {
        let explain = try CLI.run(["explain", "--policies", "Policies", "Examples/requests/\(file)"])
        let eval = try CLI.run(["eval", "--policies", "Policies", "--explain", "Examples/requests/\(file)"])
        #expect(explain.stdout == eval.stdout)
        #expect(explain.status == eval.status)
        #expect(explain.stdout.contains("\nexplanation:\n"))
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

            - You have cancelled 5 orders in the last 30 days, so this cancellation needs to be reviewed by our team. We will \
            let you know the result as soon as possible.

            #### Explanation

            - ✘ not matched: `seller-stockout-rate` → review (`Policies/seller-stockout.yaml:30`)
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - not evaluated: `reason == "stock_out"`
              - not evaluated: `order.status in ["paid", "processing"]`
              - not evaluated: `seller_stats.orders_30d > 0`
              - not evaluated: `seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5`
            - ✘ not matched: `seller-stock-out-remedies` → allow (`Policies/seller-stockout.yaml:45`)
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - not evaluated: `reason == "stock_out"`
              - not evaluated: `order.status in ["paid", "processing"]`
            - ✘ not matched: `seller-price-change-notice` → allow (`Policies/seller-stockout.yaml:67`)
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - not evaluated: `reason == "price_change"`
              - not evaluated: `order.status in ["paid", "processing"]`
            - ✔ matched: `buyer-before-shipment` → allow (`Policies/who-may-cancel.yaml:25`)
              - true: `actor.role == "buyer"` with `actor.role` = `"buyer"`
              - true: `order.status in ["pending_payment", "paid", "processing"]` with `order.status` = `"paid"`
            - ✘ not matched: `buyer-after-shipment` → deny (`Policies/who-may-cancel.yaml:36`)
              - true: `actor.role == "buyer"` with `actor.role` = `"buyer"`
              - false: `order.status in ["shipped", "delivered"]` with `order.status` = `"paid"`
            - ✘ not matched: `seller-allowed-reasons` → allow (`Policies/who-may-cancel.yaml:47`)
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - not evaluated: `reason in ["stock_out", "price_change"]`
              - not evaluated: `order.status in ["paid", "processing"]`
            - ✘ not matched: `seller-other-reasons` → deny (`Policies/who-may-cancel.yaml:59`)
              - false: `actor.role == "seller"` with `actor.role` = `"buyer"`
              - not evaluated: `!(reason in ["stock_out", "price_change"])`
            - ✘ not matched: `support-verified` → allow (`Policies/who-may-cancel.yaml:70`)
              - false: `actor.role == "support"` with `actor.role` = `"buyer"`
              - not evaluated: `actor.verified`
              - not evaluated: `!(order.status in ["shipped", "delivered", "cancelled"])`
            - ✘ not matched: `support-unverified` → deny (`Policies/who-may-cancel.yaml:82`)
              - false: `actor.role == "support"` with `actor.role` = `"buyer"`
              - not evaluated: `!(actor.verified)`
            - ✘ not matched: `system-payment-timeout` → allow (`Policies/who-may-cancel.yaml:93`)
              - false: `actor.role == "system"` with `actor.role` = `"buyer"`
              - not evaluated: `order.status == "pending_payment"`
              - not evaluated: `at - order.placed_at >= duration("30m")`
            - ✘ not matched: `already-cancelled` → deny (`Policies/who-may-cancel.yaml:105`)
              - false: `order.status == "cancelled"` with `order.status` = `"paid"`
            - ✘ not matched: `input-error-grace` → allow (`Policies/who-may-cancel.yaml:113`)
              - true: `actor.role == "buyer"` with `actor.role` = `"buyer"`
              - false: `reason == "input_error"` with `reason` = `"changed_mind"`
              - not evaluated: `at - order.placed_at <= duration("30m")`
            - threshold `repeat-canceller`: 5 counted in buyer_history.cancellations where item.initiator == "buyer" within the \
            30 days before 2026-11-27T10:00:00+08:00; tier `abuse-review` starts at 5, `abuse-block` at 8 \
            (`Policies/abuse-thresholds.yaml:28`)

            #### What would change the outcome

            - tier `abuse-review` of `repeat-canceller` applies from 5; the count is 5 (buyer_history.cancellations where \
            item.initiator == "buyer" within the 30 days)
            - rule `input-error-grace` would allow if `reason == "input_error"` held (now reason is "changed_mind")

            """)
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

            - You have cancelled 5 orders in the last 30 days, so this cancellation needs to be reviewed by our team. We will \
            let you know the result as soon as possible.

            #### Explanation (only `buyer-before-shipment` and `abuse-review`)

            - ✔ matched: `buyer-before-shipment` → allow (`Policies/who-may-cancel.yaml:25`)
              - true: `actor.role == "buyer"` with `actor.role` = `"buyer"`
              - true: `order.status in ["pending_payment", "paid", "processing"]` with `order.status` = `"paid"`
            - threshold `repeat-canceller`: 5 counted in buyer_history.cancellations where item.initiator == "buyer" within the \
            30 days before 2026-11-27T10:00:00+08:00; tier `abuse-review` starts at 5, `abuse-block` at 8 \
            (`Policies/abuse-thresholds.yaml:28`)

            #### What would change the outcome

            - tier `abuse-review` of `repeat-canceller` applies from 5; the count is 5 (buyer_history.cancellations where \
            item.initiator == "buyer" within the 30 days)
            - rule `input-error-grace` would allow if `reason == "input_error"` held (now reason is "changed_mind")

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

    @Test("--rule keeps only the named rules and thresholds, in policy order; a tier names its threshold")
    func ruleFilter() throws {
        let digest = try Self.shortDigest()
        let expected = """
            effect: review (abuse-review)
            matched: buyer-before-shipment, abuse-review
            reasons:
              - You have cancelled 5 orders in the last 30 days, so this cancellation needs to be reviewed by our team. We will \
            let you know the result as soon as possible.
            policy: marketplace-cancellations 2026.12 (sha256:\(digest))
            explanation (only `input-error-grace` and `abuse-review`):
              ✘ input-error-grace → allow  [Policies/who-may-cancel.yaml:113]
                  true  actor.role == "buyer"   (actor.role = "buyer")
                  false reason == "input_error"   (reason = "changed_mind")
                    -   at - order.placed_at <= duration("30m")
              threshold repeat-canceller: 5 counted in buyer_history.cancellations where item.initiator == "buyer" within the \
            30 days before 2026-11-27T10:00:00+08:00; tier `abuse-review` starts at 5, `abuse-block` at 8  \
            [Policies/abuse-thresholds.yaml:28]
            what would change the outcome:
              - tier `abuse-review` of `repeat-canceller` applies from 5; the count is 5 (buyer_history.cancellations where \
            item.initiator == "buyer" within the 30 days)
              - rule `input-error-grace` would allow if `reason == "input_error"` held (now reason is "changed_mind")

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
            "explain", "--policies", "Policies", "--rule", "repeat-canceller", "Examples/requests/abuse-review.json",
        ])
        let lines = threshold.stdout.components(separatedBy: "\n")
        #expect(lines.contains("explanation (only `repeat-canceller`):"))
        #expect(lines.filter { $0.hasPrefix("  threshold repeat-canceller: 5 counted") }.count == 1)
        #expect(!lines.contains { $0.hasPrefix("  ✘ ") || $0.hasPrefix("  ✔ ") })

        let rule = try CLI.run([
            "explain", "--policies", "Policies", "--rule", "buyer-after-shipment", "Examples/requests/buyer-after-shipment.json",
        ])
        #expect(rule.status == 1)
        let ruleLines = rule.stdout.components(separatedBy: "\n")
        #expect(ruleLines.filter { $0.hasPrefix("  ✘ ") || $0.hasPrefix("  ✔ ") } == [
            "  ✔ buyer-after-shipment → deny  [Policies/who-may-cancel.yaml:36]",
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
            Usage: rescind explain [--policies <DIR>] [--locale <en|zh-CN>] [<request>] [--format <format>] [--rule <ID> ...]
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
    static let commands: [[String]] = [[], ["check"], ["test"], ["eval"], ["explain"], ["replay"], ["cel"]]

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
