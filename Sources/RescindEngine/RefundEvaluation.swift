import CELRuntime
import RescindCELLibrary
import RescindUnsafe

// The refund, the follow-up outcome of `allow` (see `FollowUpPlan`): computed from its
// plan's case tables and formulas with the evaluator's own settle routine and walker.
extension DecisionRun {
    /// The refund of an allowed cancellation whose refund policy applies: the fee of the
    /// first fee case that holds, the amount, the currency, and the deadlines of the
    /// first `initiate_within` and `expect_within` cases, counted in business days. Nil,
    /// with a problem that names the cause, when any of them cannot be computed.
    mutating func refund(_ refundPlan: RefundPlan) -> Refund? {
        // Read through the plan's unretained references; the policy's objects only
        // when an expression has no shortcut or its shortcut cannot answer.
        let policy = self.policy
        var fee = CELDecimal(Int64(0))
        let feeCase = firstCase(refundPlan.fee.conditions)
        if let index = feeCase {
            guard let value = decimal(refundPlan.fee.values[index], else: policy.refunds!.fee[index].value) else {
                return nil
            }
            fee = value
        }
        self.fee = fee
        if activation != nil, let slot = policy.feeSlot { activation![slot: slot] = .decimal(fee) }
        guard let amount = decimal(refundPlan.amountFormula, else: policy.refunds!.amount), let at else { return nil }
        let currency: String
        if case .string(let value)? = refundPlan.currencyField?.withObject({ $0.read(from: request) }) {
            currency = value
        } else {
            // The field shortcut (if any) found nothing: CEL decides and reports.
            let expression = policy.refunds!.currency
            let value = refundPlan.currencyField == nil ? evaluateValue(expression) : run(expression)
            // A currency that fails is a problem like any failed expression: `on_error`
            // decides, never an allow that silently pays nothing.
            switch value {
            case .string(let text): currency = text
            case .error(let error):
                problem(expression, error.message)
                return nil
            case let other:
                problem(expression, "expected a string currency, found \(other.celLiteral)")
                return nil
            }
        }
        guard let initiate = firstCase(refundPlan.initiate.conditions) else { return noCase("initiate_within") }
        guard let expect = firstCase(refundPlan.expect.conditions) else { return noCase("expect_within") }
        guard let (initiateBy, expectedBy) = deadlines(
                at: at, refundPlan.initiate.values[initiate], refundPlan.expect.values[expect], refundPlan.deadlines)
        else { return nil }
        // Days outside the calendar's years would be counted without their holidays.
        if !refundPlan.covers(at.seconds) || !refundPlan.covers(expectedBy.epochSeconds) {
            return outOfRange(at: at, expectedBy: expectedBy)
        }
        if explain {
            recorder!.refund = .derived(RefundDerivation(
                feeCase: feeCase, initiateCase: initiate, expectCase: expect, fee: fee, amount: amount, at: at))
        }
        return Refund(amount: amount, fee: fee, currency: currency, initiateBy: initiateBy, expectedBy: expectedBy)
    }

    /// A refund is due but no case of `table` held: a `no-refund-case` problem, not a
    /// silent refund of nothing.
    private mutating func noCase(_ table: String) -> Refund? {
        let refunds = policy.refunds!
        problems.append(EvaluationProblem(
            kind: .noRefundCase, rule: "refunds", expression: table,
            location: table == "initiate_within" ? refunds.initiateLocation : refunds.expectLocation,
            message: "no case of `\(table)` holds for this request, so no refund deadline could be set"))
        return nil
    }

    /// A refund whose deadlines need days outside the years the calendar covers.
    private mutating func outOfRange(at: CELTimestamp, expectedBy: LocalTime) -> Refund? {
        let refunds = policy.refunds!
        let calendar = refunds.calendar
        let years = calendar.coveredYears.map { "\($0.lowerBound)..\($0.upperBound)" } ?? ""
        let from = calendar.localDate(ofEpochSeconds: at.seconds)
        let to = calendar.localDate(ofEpochSeconds: expectedBy.epochSeconds)
        problems.append(EvaluationProblem(
            kind: .calendarOutOfRange, rule: "refunds", expression: "calendar `\(calendar.name)`",
            location: refunds.location,
            message: "the refund deadlines need the business days from \(from) to \(to), but calendar"
                + " `\(calendar.name)` covers only the years \(years)"))
        return nil
    }

    /// The refund's deadlines: from the calendar's tables when they can tell, else from
    /// the calendar.
    private func deadlines(
        at: CELTimestamp, _ initiate: Int, _ expect: Int, _ tables: UnownedRef<BusinessDeadlines>?
    ) -> (LocalTime, LocalTime)? {
        if let answer = tables?.withObject({ RefundPolicy.deadlines(at: at, initiate, expect, $0) }) {
            return answer
        }
        return policy.refunds!.countedDeadlines(at: at, initiate, expect)
    }
}
