import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// A policy that passes `rescind check` never decides wrongly in silence: each test makes
/// the edit an analyst made (in a copy of Policies/) and checks that the load refuses it
/// or that the decision is sent to review with a problem that says why.
@Suite("no silent wrong decision")
struct DecisionSafetyTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A copy of Policies/ with `edits` applied (file name → text → text), loaded.
    static func editedPack(
        today: CivilDate? = nil, _ edits: [String: (String) -> String] = [:]
    ) throws -> (LoadedPolicies, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-safety-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: root.appendingPathComponent("Policies"), to: folder)
        for (file, edit) in edits {
            let url = folder.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            let edited = edit(text)
            #expect(edited != text, "the edit of \(file) changed nothing")
            try edited.write(to: url, atomically: true, encoding: .utf8)
        }
        return (LoadedPolicies.load(paths: [folder.path], options: PolicyCompiler.Options(today: today)), folder)
    }

    static func replacing(_ old: String, with new: String) -> @Sendable (String) -> String {
        { $0.replacingOccurrences(of: old, with: new) }
    }

    static func example(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent("Examples/requests/\(name)"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func decide(_ set: PolicySet, _ request: [String: Any], explain: Bool = false) throws -> Decision {
        let data = try JSONSerialization.data(withJSONObject: request)
        let decoded = try RequestDecoder(schema: set.schema).decode(Array(data)).get()
        return set.decide(decoded.root, options: DecisionOptions(explain: explain))
    }

    static func decide(_ set: PolicySet, example name: String, explain: Bool = false) throws -> Decision {
        try decide(set, example(name), explain: explain)
    }

    static let shipped = LoadedPolicies.load(paths: [root.appendingPathComponent("Policies").path])

    // MARK: - on_error

    /// The stock-out rate written as a division, as the file's comment warns against: a
    /// seller without `seller_stats` has 0 orders and the condition fails (division by
    /// zero). Before `on_error` the rule silently did not hold and the cancellation was
    /// allowed with a 680.00 refund.
    static let rateAsDivision: @Sendable (String) -> String = replacing(
        """
                - seller_stats.orders_30d > 0
                # strictly more than 5%, in integers: exactly 5% is not reviewed
                - seller_stats.stockout_cancellations_30d * 100 > seller_stats.orders_30d * 5
        """,
        with: """
                - seller_stats.stockout_cancellations_30d * 100 / seller_stats.orders_30d > 5
        """)

    @Test("a rule that fails to evaluate sends the decision to review, without a refund")
    func evaluationErrorReviews() throws {
        let (loaded, _) = try Self.editedPack(["seller-stockout.yaml": Self.rateAsDivision])
        let set = try #require(loaded.policySet, "\(loaded.diagnostics.items)")
        let decision = try Self.decide(set, example: "seller-stock-out-card-capped-voucher.json")
        #expect(decision.effect == .review)
        #expect(decision.refund == nil)
        #expect(decision.obligations.isEmpty)
        #expect(decision.reasons.map(\.rule) == ["on-error"])
        #expect(decision.problemRules == ["on-error"])
        let problem = try #require(decision.problems.first)
        #expect(problem.kind == .evaluationError)
        #expect(problem.rule == "seller-stockout-rate")
        #expect(decision.json.contains(#""problems":[{"kind":"evaluation-error","rule":"seller-stockout-rate""#))
    }

    @Test("a refund currency that fails to evaluate is a located problem: review, not an allow that pays nothing")
    func failingCurrencyReviews() throws {
        // Indexing past the list fails for every request, and only at decision time.
        let (loaded, _) = try Self.editedPack([
            "refunds.yaml": Self.replacing("currency: order.currency", with: #"currency: '["CNY"][size(order.currency)]'"#)
        ])
        let set = try #require(loaded.policySet, "\(loaded.diagnostics.items)")
        let decision = try Self.decide(set, example: "buyer-paid-card.json")
        #expect(decision.effect == .review)
        #expect(decision.refund == nil)
        let problem = try #require(decision.problems.first)
        #expect(problem.kind == .evaluationError)
        #expect(problem.rule == "refunds")
        #expect(problem.location.file.hasSuffix("refunds.yaml"))
    }

    @Test("`on_error: deny` (the short form) refuses a decision with a problem")
    func onErrorDeny() throws {
        let (loaded, _) = try Self.editedPack([
            "seller-stockout.yaml": Self.rateAsDivision,
            "policy-set.yaml": { text in
                let start = text.range(of: "on_error:\n")!
                let end = text.range(of: "locales:")!
                return text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "on_error: deny\n")
            },
        ])
        let set = try #require(loaded.policySet, "\(loaded.diagnostics.items)")
        #expect(set.onError.effect == .deny)
        let decision = try Self.decide(set, example: "seller-stock-out-card-capped-voucher.json")
        #expect(decision.effect == .deny)
        #expect(decision.reasons.map(\.rule) == ["on-error"])
        // A request without a problem is untouched.
        #expect(try Self.decide(set, example: "seller-stock-out-wallet.json").effect == .allow)
    }

    @Test("without `on_error` a problem means review, with the standard reason")
    func onErrorDefault() throws {
        let (loaded, _) = try Self.editedPack([
            "seller-stockout.yaml": Self.rateAsDivision,
            "policy-set.yaml": { text in
                let start = text.range(of: "on_error:\n")!
                let end = text.range(of: "locales:")!
                return text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "")
            },
        ])
        let set = try #require(loaded.policySet, "\(loaded.diagnostics.items)")
        #expect(set.onError === ProblemEffect.standardOnError)
        var request = try Self.example("seller-stock-out-card-capped-voucher.json")
        request["locale"] = "en"
        let decision = try Self.decide(set, request)
        #expect(decision.effect == .review)
        #expect(decision.reasons.first?.text.contains("reviewed by our team") == true)
    }

    @Test("`on_error: allow` is refused at load, located")
    func onErrorAllowRefused() throws {
        let (loaded, _) = try Self.editedPack(["policy-set.yaml": Self.replacing("  effect: review\n", with: "  effect: allow\n")])
        #expect(loaded.policySet == nil)
        let error = try #require(loaded.diagnostics.errors.first)
        #expect(error.code == .policyOnErrorAllows)
        #expect(error.span?.file.hasSuffix("policy-set.yaml") == true)
        #expect(error.message.contains("must never allow"))
    }

    @Test("deny beats a problem's review: a refused cancellation stays refused, the problem still shown")
    func denyBeatsProblem() throws {
        let set = try #require(Self.shipped.policySet)
        var request = try Self.example("already-cancelled.json")
        request["buyer_history"] = nil
        let decision = try Self.decide(set, request)
        #expect(decision.effect == .deny)
        #expect(decision.reasons.map(\.rule) == ["already-cancelled"])
        #expect(decision.problems.map(\.kind) == [.missingList])
    }

    // MARK: - Totality of refund cases

    static let creditInstallment: @Sendable (String) -> String = replacing(
        "payment_method: [card, wallet, bank_transfer]", with: "payment_method: [card, wallet, bank_transfer, credit_installment]")

    @Test("a payment method without a refund case fails the load, located at the table")
    func paymentMethodWithoutCase() throws {
        let (loaded, _) = try Self.editedPack(["schema.yaml": Self.creditInstallment])
        #expect(loaded.policySet == nil)
        let errors = loaded.diagnostics.errors
        #expect(errors.map(\.message) == [
            "`initiate_within` has no case for `order.payment_method` = `credit_installment`",
            "`expect_within` has no case for `order.payment_method` = `credit_installment`",
        ])
        let first = try #require(errors.first)
        #expect(first.code == .policyRefundNoCase)
        #expect(first.span?.file.hasSuffix("refunds.yaml") == true)
        #expect(first.span?.start.line == 42)
        #expect(first.help?.contains("applies_when") == true)
        // The seller stock-out case covers every method: the note says when it is missing.
        #expect(first.notes.first?.message.contains("`actor.role` = `buyer`") == true)
    }

    @Test("a method excluded in `applies_when`, or given a case, loads")
    func paymentMethodHandled() throws {
        let (excluded, _) = try Self.editedPack([
            "schema.yaml": Self.creditInstallment,
            "refunds.yaml": Self.replacing(
                #"applies_when: order.status in ["paid", "processing"]"#,
                with: #"applies_when: order.status in ["paid", "processing"] && order.payment_method != "credit_installment""#),
        ])
        #expect(excluded.policySet != nil, "\(excluded.diagnostics.items)")
        let (cased, _) = try Self.editedPack([
            "schema.yaml": Self.creditInstallment,
            "refunds.yaml": { text in
                text.replacingOccurrences(
                    of: "    days: 5\nexpect_within:",
                    with: "    days: 5\n  - when: order.payment_method == \"credit_installment\"\n    days: 5\nexpect_within:")
                    + "  - days: 10\n"
            },
        ])
        #expect(cased.policySet != nil, "\(cased.diagnostics.items)")
    }

    @Test("a table whose cases test no enum needs a case without `when`")
    func opaqueCasesNeedFallback() throws {
        let (loaded, _) = try Self.editedPack([
            "refunds.yaml": Self.replacing(
                "  - when: order.payment_method == \"card\"\n    days: 7",
                with: "  - when: order.total > decimal(\"100\")\n    days: 7"),
        ])
        #expect(loaded.policySet == nil)
        #expect(loaded.diagnostics.errors.first?.message == "`expect_within` has no case for `order.payment_method` = `card`")
    }

    @Test("at run time a refund with no case is a `no-refund-case` problem, not a silent no-refund")
    func noCaseAtRunTime() throws {
        let set = try #require(Self.shipped.policySet)
        // Only a request built without the decoder can carry a value outside the enum.
        let decoded = try RequestDecoder(schema: set.schema).decode(
            Array(Data(contentsOf: Self.root.appendingPathComponent("Examples/requests/buyer-paid-card.json")))
        ).get().root
        let orderSlot = try #require(set.schema.root.slot(of: "order"))
        guard case .object(let order)? = decoded.field(orderSlot) else { Issue.record("no order"); return }
        let methodSlot = try #require(order.type.slot(of: "payment_method"))
        var orderFields = Array(order.fields)
        orderFields[methodSlot] = .string("credit_installment")
        var fields = Array(decoded.fields)
        fields[orderSlot] = .object(ObjectValue.make(type: order.type, fields: orderFields))
        let request = ObjectValue.make(type: decoded.type, fields: fields)
        let decision = set.decide(request)
        #expect(decision.effect == .review)
        #expect(decision.refund == nil)
        #expect(decision.problems.map(\.kind) == [.noRefundCase])
        #expect(decision.problems.first?.location.line == 42)
        #expect(decision.problems.first?.expression == "initiate_within")
    }

    // MARK: - Calendar years

    @Test("a card refund on 2026-12-29 gets no 2027 deadline: the calendar stops at 2026")
    func deadlineOutsideCalendar() throws {
        let set = try #require(Self.shipped.policySet)
        var request = try Self.example("buyer-paid-card.json")
        request["at"] = "2026-12-29T10:00:00+08:00"
        let decision = try Self.decide(set, request)
        #expect(decision.effect == .review)
        #expect(decision.refund == nil)
        #expect(decision.reasons.map(\.rule) == ["on-error"])
        let problem = try #require(decision.problems.first)
        #expect(problem.kind == .calendarOutOfRange)
        #expect(problem.message.contains("2025..2026"))
        // Within the years the same request is allowed with its refund.
        request["at"] = "2026-12-10T10:00:00+08:00"
        let inside = try Self.decide(set, request)
        #expect(inside.effect == .allow)
        #expect(inside.refund?.expectedBy.description == "2026-12-24T23:59:59+08:00")
    }

    @Test("with 2027 added the same request is allowed again")
    func extendedCalendar() throws {
        let (loaded, _) = try Self.editedPack([
            "calendar-cn-mainland.yaml": Self.replacing("years: 2025..2026", with: "years: 2025..2027")
        ])
        let set = try #require(loaded.policySet, "\(loaded.diagnostics.items)")
        var request = try Self.example("buyer-paid-card.json")
        request["at"] = "2026-12-29T10:00:00+08:00"
        let decision = try Self.decide(set, request)
        #expect(decision.effect == .allow)
        #expect(decision.problems.isEmpty)
    }

    @Test("`years` is checked: its form, and listed dates inside it")
    func yearsChecked() throws {
        let (malformed, _) = try Self.editedPack([
            "calendar-cn-mainland.yaml": Self.replacing("years: 2025..2026", with: "years: 2025-2026")
        ])
        #expect(malformed.policySet == nil)
        #expect(malformed.diagnostics.errors.first?.message.contains("`2025-2026`") == true)
        let (narrow, _) = try Self.editedPack([
            "calendar-cn-mainland.yaml": Self.replacing("years: 2025..2026", with: "years: 2026")
        ])
        #expect(narrow.policySet == nil)
        let error = try #require(narrow.diagnostics.errors.first)
        #expect(error.code == .policyCalendarYears)
        #expect(error.message == "`2025-01-01` is outside the calendar's years `2026`")
    }

    @Test("check warns when a calendar's years end within 60 days of today, and only then")
    func coverageWarning() throws {
        let (soon, _) = try Self.editedPack(today: CivilDate(year: 2026, month: 12, day: 5))
        let warning = try #require(soon.diagnostics.warnings.first)
        #expect(warning.code == .policyCalendarCoverageEnding)
        #expect(warning.message.contains("2026-12-31"))
        #expect(warning.message.contains("26 days"))
        #expect(warning.span?.file.hasSuffix("calendar-cn-mainland.yaml") == true)
        #expect(soon.policySet != nil)
        let (early, _) = try Self.editedPack(today: CivilDate(year: 2026, month: 11, day: 1))
        #expect(early.diagnostics.isEmpty, "\(early.diagnostics.items)")
        // Without a today (every load but `rescind check`) the clock is never read.
        #expect(Self.shipped.diagnostics.isEmpty)
    }

    // MARK: - Absent lists

    @Test("a buyer without `buyer_history` is reviewed, and the explanation says no history was supplied")
    func missingHistory() throws {
        let set = try #require(Self.shipped.policySet)
        var request = try Self.example("abuse-block.json")
        request["buyer_history"] = nil
        let decision = try Self.decide(set, request, explain: true)
        #expect(decision.effect == .review)
        #expect(decision.refund == nil)
        #expect(decision.reasons.map(\.rule) == ["on-missing"])
        #expect(decision.reasons.first?.text.contains("取消记录") == true)  // the pack's own reason, in zh-CN
        let problem = try #require(decision.problems.first)
        #expect(problem.kind == .missingList)
        #expect(problem.rule == "repeat-canceller")
        let threshold = try #require(decision.explanation?.thresholds.first)
        #expect(threshold.text.contains("no history supplied"))
        #expect(!threshold.text.contains("0 counted"))
        // `null` is the same as leaving it out.
        request["buyer_history"] = NSNull()
        #expect(try Self.decide(set, request).effect == .review)
    }

    @Test("an empty history is counted as none: allowed with the refund")
    func emptyHistory() throws {
        let set = try #require(Self.shipped.policySet)
        var request = try Self.example("abuse-block.json")
        request["buyer_history"] = ["cancellations": [Any]()]
        let decision = try Self.decide(set, request)
        #expect(decision.effect == .allow)
        #expect(decision.refund?.amount.formatted(scale: 2) == "58.00")
        #expect(decision.problems.isEmpty)
    }

    @Test("a threshold that does not apply or is suspended does not need its list")
    func missingListNotNeeded() throws {
        let set = try #require(Self.shipped.policySet)
        var seller = try Self.example("seller-stock-out-wallet.json")
        seller["buyer_history"] = nil
        #expect(try Self.decide(set, seller).problems.isEmpty)
        var grace = try Self.example("input-error-grace.json")
        grace["buyer_history"] = nil
        let decision = try Self.decide(set, grace)
        #expect(decision.effect == .allow)
        #expect(decision.problems.isEmpty)
    }

    @Test("without `on_missing` the load warns and a missing list goes to `on_error`")
    func onMissingUnsaid() throws {
        let (loaded, _) = try Self.editedPack([
            "abuse-thresholds.yaml": { text in
                let start = text.range(of: "    on_missing:\n")!
                let end = text.range(of: "    tiers:\n")!
                return text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "")
            },
        ])
        let warning = try #require(loaded.diagnostics.warnings.first)
        #expect(warning.code == .policyMissingListUnhandled)
        #expect(warning.message.contains("`buyer_history.cancellations`"))
        let set = try #require(loaded.policySet)
        var request = try Self.example("abuse-block.json")
        request["buyer_history"] = nil
        let decision = try Self.decide(set, request)
        #expect(decision.effect == .review)
        #expect(decision.reasons.map(\.rule) == ["on-error"])
    }
}
