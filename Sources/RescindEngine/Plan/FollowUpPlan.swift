import CELRuntime
import RescindCELLibrary
import RescindUnsafe

/// An outcome that follows the decided effect instead of deciding it. Rules and tiers
/// raise a decision's effect; a follow-up is computed once the effect is known, only
/// for the effect it follows and when its condition holds, and it never changes the
/// effect. It is planned as rules are: its condition and its cases are `ConditionPlan`s
/// in the candidate set, settled and walked by the one settle routine and walker.
///
/// The refund is the follow-up policies have today (it follows `allow`); a new one (a
/// voucher offered on `deny`, say) is a new `Kind` with its computation beside
/// `DecisionRun.refund(_:)`.
struct FollowUpPlan: Sendable {
    /// The effect the decision must have for this outcome to be computed.
    let follows: Effect
    /// When it applies (`applies_when`); a condition that is not written holds.
    let applies: ConditionPlan
    let kind: Kind

    /// What is computed, unretained (`DecisionPlan.followUpObjects` keeps it alive): a
    /// reference, so visiting a follow-up copies one word, not its tables.
    enum Kind: Sendable {
        case refund(UnownedRef<RefundPlan>)
    }
}

/// A table of cases, the first whose condition holds giving the value: the refund's
/// fees (formulas), and its `initiate_within` and `expect_within` (business days).
/// A case's condition is planned like a rule's, so it is settled and walked the same way.
struct CaseTable<Value: Sendable>: Sendable {
    let conditions: ArenaTable<ConditionPlan>
    let values: ArenaTable<Value>

    init(_ conditions: [ConditionPlan], values: [Value], in arena: PlanArena) {
        precondition(conditions.count == values.count, "a case table needs one value per case")
        self.conditions = arena.table(conditions)
        self.values = arena.table(values)
    }
}

/// A decimal expression's formula, unretained (its expression keeps it alive), or nil
/// when the expression has no formula shortcut.
private func formula(_ expression: CompiledExpression) -> UnownedRef<DecimalFormula>? {
    if case .decimal(let formula) = expression.shortcut { return UnownedRef(formula) }
    return nil
}

/// Everything a refund reads, unretained (the refund policy keeps it all alive): its
/// case tables, its amount formula, its currency's field and its deadline tables — each
/// shortcut nil when the policy's expression has none. When it applies is its follow-up's.
final class RefundPlan: Sendable {
    /// The fee's cases, each with its formula (nil: CEL computes the case's fee).
    let fee: CaseTable<UnownedRef<DecimalFormula>?>
    /// The business days of each `initiate_within` and `expect_within` case.
    let initiate: CaseTable<Int>
    let expect: CaseTable<Int>
    let amountFormula: UnownedRef<DecimalFormula>?
    let currencyField: UnownedRef<FieldPath>?
    let deadlines: UnownedRef<BusinessDeadlines>?
    /// `RefundPolicy.coveredSeconds`: deadlines must fall within it. Its bounds, as plain
    /// integers: read from a class, an optional `ClosedRange` went through generic
    /// value witnesses (measured: 20 instructions a refund).
    let coveredFrom: Int64
    let coveredThrough: Int64

    /// Whether `seconds` falls in the years the calendar covers (always, without a limit).
    @inline(__always)
    func covers(_ seconds: Int64) -> Bool { coveredFrom <= seconds && seconds <= coveredThrough }

    /// Plans the refund policy's cases with `plan` (the plan's condition builder).
    init(_ refunds: RefundPolicy, plan: (Condition?) -> ConditionPlan, in arena: PlanArena) {
        coveredFrom = refunds.coveredSeconds?.lowerBound ?? .min
        coveredThrough = refunds.coveredSeconds?.upperBound ?? .max
        fee = CaseTable(refunds.fee.map { plan($0.when) }, values: refunds.fee.map { formula($0.value) }, in: arena)
        initiate = CaseTable(refunds.initiateWithin.map { plan($0.when) }, values: refunds.initiateWithin.map(\.value), in: arena)
        expect = CaseTable(refunds.expectWithin.map { plan($0.when) }, values: refunds.expectWithin.map(\.value), in: arena)
        amountFormula = formula(refunds.amount)
        if case .field(let path) = refunds.currency.shortcut {
            currencyField = UnownedRef(path)
        } else {
            currencyField = nil
        }
        deadlines = refunds.fastDeadlines.map(UnownedRef.init)
    }
}
