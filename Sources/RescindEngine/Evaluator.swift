import CELRuntime

/// Options for one decision.
public struct DecisionOptions: Sendable {
    /// Overrides the request's `locale` for reasons.
    public var locale: String?
    /// Record the explanation (every condition's outcome and the values it read).
    public var explain: Bool
    /// The most CEL work (comprehension steps, size-proportional operations; see
    /// `EvaluationLimits.costLimit`) one decision may do across all its expressions; nil
    /// leaves each expression to its own limit. Deterministic, unlike a timeout: the same
    /// request spends the same cost. An expression that would exceed it fails, is
    /// reported as a problem, and counts as not holding, like any evaluation error.
    public var costBudget: Int?

    public init(locale: String? = nil, explain: Bool = false, costBudget: Int? = nil) {
        self.locale = locale
        self.explain = explain
        self.costBudget = costBudget
    }
}

extension PolicySet {
    /// Decides a decoded request. Deterministic: the clock is the request's `at`.
    public func decide(_ request: ObjectValue, options: DecisionOptions = DecisionOptions()) -> Decision {
        // The ordinal cache and the candidate set live on the stack: a decision allocates
        // only what it returns.
        let words = plan.wordCount
        let ordinalWords = (max(enumFieldCount, 1) + 7) / 8
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words + ordinalWords) { storage in
            let base = UnsafeMutableRawPointer(storage.baseAddress!)
            let candidates = UnsafeMutableBufferPointer(start: storage.baseAddress!, count: words)
            let ordinals = UnsafeMutableBufferPointer(
                start: (base + words * 8).bindMemory(to: Int8.self, capacity: ordinalWords * 8), count: enumFieldCount)
            ordinals.initialize(repeating: DecisionRun.unread)
            // Borrowed for the whole decision: the hot loop touches no reference counts.
            return plan.tests.withUnsafeBufferPointer { tests in
                var run = DecisionRun(
                    policy: self, request: request, explain: options.explain, ordinals: ordinals, tests: tests)
                run.budget = options.costBudget ?? .max
                if !options.explain { run.settleAll(into: candidates) }
                return run.decide(locale: options.locale)
            }
        }
    }

    /// The CEL variables bound to a request's values.
    func activation(for request: ObjectValue) -> Activation {
        // The decoder builds requests of the schema's root type, so field indexes agree.
        if request.type === schema.root {
            let fields = request.fields
            return Activation(layout: emptyActivation.layout) { slot in
                switch self.slotSources[slot] {
                case SlotSource.request: .object(request)
                case let field where field >= 0: fields[field]
                default: nil
                }
            }
        } else {
            var activation = emptyActivation
            if let slot = requestSlot { activation[slot: slot] = .object(request) }
            for (index, field) in request.type.fields.enumerated() {
                if let value = request.fields[index] { activation[field.name] = value }
            }
            return activation
        }
    }

    /// A root field of the request by its slot in this set's schema. A request built
    /// with another type (decoded by another policy set's decoder, say, one loaded
    /// before a reload) is read by the field's name instead.
    func rootValue(_ slot: Int?, of request: ObjectValue) -> Value? {
        guard let slot else { return nil }
        if request.type === schema.root { return request.fields[slot] }
        return request[schema.root.fields[slot].name]
    }

    /// A root string field (`id`, `locale`) by slot.
    func stringValue(_ slot: Int?, of request: ObjectValue) -> String? {
        if case .string(let s)? = rootValue(slot, of: request) { return s }
        return nil
    }

    /// The request's `at`.
    func timestamp(of request: ObjectValue) -> CELTimestamp? {
        if case .timestamp(let t)? = rootValue(atSlot, of: request) { return t }
        return nil
    }
}

/// The state of one decision: what has been found so far, and the caches that make
/// each condition cheap.
struct DecisionRun {
    /// A rule or tier (by outcome index), a threshold, or the refund policy: named only
    /// when a problem is reported, so evaluating costs no string copies.
    enum Owner {
        case outcome(Int)
        case threshold(Int)
        case refunds
    }

    /// Ordinal cache markers: not read yet, or not decidable by shortcut (absent or
    /// not one of the enum's values — CEL then decides).
    static let unread: Int8 = -2
    static let unknown: Int8 = -1

    let policy: PolicySet
    let request: ObjectValue
    /// Whether the decision is explained: conditions are then evaluated in full and recorded.
    var explain: Bool { recorder != nil }
    let ordinals: UnsafeMutableBufferPointer<Int8>
    /// `policy.plan.tests`, borrowed.
    let tests: UnsafeBufferPointer<FlatTest>
    /// Built on the first condition that needs CEL.
    var activation: Activation?
    /// The refund's fee once computed: `fee` in the amount expression.
    var fee: CELDecimal?
    /// What is left of the decision's cost budget (`.max` without one: each expression
    /// then stops only at its own limit).
    var budget = Int.max
    var problems: [EvaluationProblem] = []
    /// What an explanation is built from; nil unless explaining, so a plain decision
    /// neither allocates nor releases any of it.
    var recorder: ExplanationRecord?
    /// Every planned condition whose leading tests pass (see `DecisionPlan.candidates`);
    /// nil when explaining, or when a tested value is absent or unexpected.
    var candidates: UnsafeMutableBufferPointer<UInt64>?
    /// What is being evaluated, for problem reports.
    var current = Owner.refunds
    /// Whether conditions are being recorded (while explaining a rule).
    var recording = false

    init(
        policy: PolicySet, request: ObjectValue, explain: Bool, ordinals: UnsafeMutableBufferPointer<Int8>,
        tests: UnsafeBufferPointer<FlatTest>
    ) {
        self.tests = tests
        self.policy = policy
        self.request = request
        self.ordinals = ordinals
        self.recorder = explain ? ExplanationRecord() : nil
    }

    mutating func decide(locale requestedLocale: String?) -> Decision {
        var matched = OutcomeSet()
        var strongest: Effect?
        // The rule that suspends each threshold, by threshold index; allocated only if one does.
        var suspendedBy: [Int] = []

        let plan = policy.plan
        for index in 0..<plan.rules.count {
            // Most rules are settled by their leading enum tests, without touching the rule.
            let settled = explain ? nil : settle(plan.rules[index])
            if settled == false { continue }
            if settled == nil {
                current = .outcome(index)
                recording = explain
                let first = recorder?.conditions.count ?? 0
                let holds = evaluate(policy.rules[index].condition)
                if explain { recorder!.rules.append((index, holds, first..<recorder!.conditions.count)) }
                recording = false
                guard holds else { continue }
            }
            matched.insert(index)
            let effect = policy.outcomes[index].effect
            strongest = max(strongest ?? effect, effect)
            for threshold in plan.suspends[index] {
                if suspendedBy.isEmpty { suspendedBy = Array(repeating: -1, count: policy.thresholds.count) }
                if suspendedBy[threshold] < 0 { suspendedBy[threshold] = index }
            }
        }

        var tierCounts: [(threshold: Int, count: Int64)] = []
        for index in 0..<policy.thresholds.count {
            current = .threshold(index)
            let suspender = suspendedBy.isEmpty || suspendedBy[index] < 0 ? nil : suspendedBy[index]
            if let (tier, count) = reachedTier(index, suspendedBy: suspender) {
                let outcome = policy.tierBase[index] + tier
                matched.insert(outcome)
                let effect = policy.outcomes[outcome].effect
                strongest = max(strongest ?? effect, effect)
                tierCounts.append((index, count))
            }
        }

        let effect = strongest ?? policy.defaultEffect
        var obligationValues: [Value] = []
        if strongest != nil {
            for index in matched where policy.outcomes[index].effect == effect && plan.computesObligations[index] {
                current = .outcome(index)
                collectObligationValues(policy.outcomes[index].obligations, into: &obligationValues)
            }
        }
        let refund = effect == .allow ? refund() : nil
        let locale = requestedLocale ?? policy.stringValue(policy.localeSlot, of: request) ?? "en"

        return Decision(
            requestID: policy.stringValue(policy.idSlot, of: request), effect: effect, locale: locale, problems: problems,
            explanationRecord: recorder,
            refund: refund, policySet: policy, request: request, matched: matched, tierCounts: tierCounts,
            obligationValues: obligationValues)
    }

    // MARK: - Conditions

    /// Reads every tested enum field, then settles all planned conditions at once.
    mutating func settleAll(into words: UnsafeMutableBufferPointer<UInt64>) {
        let plan = policy.plan
        for slot in plan.testedSlots { _ = ordinal(slot: slot, resolving: plan.fields[slot]) }
        if plan.candidates(ordinals: ordinals, into: words) { candidates = words }
    }

    /// The outcome of a condition's leading enum tests: false when one fails, true when
    /// they pass and are the whole condition, nil when the condition must be evaluated.
    @inline(__always)
    private func settle(_ plan: ConditionPlan) -> Bool? {
        if let candidates {
            guard candidates[plan.id &>> 6] & (1 &<< UInt64(plan.id & 63)) != 0 else { return false }
            return plan.complete ? true : nil
        }
        for index in plan.tests {
            let test = tests[index]
            let ordinal = ordinal(slot: test.field, resolving: policy.plan.fields[test.field])
            if ordinal < 0 { return nil }
            if test.accepted & (1 << UInt64(ordinal)) == 0 { return false }
        }
        return plan.complete ? true : nil
    }

    /// Whether a condition holds. Evaluation errors count as "does not hold" and are
    /// reported as problems, so a broken condition never allows by accident.
    mutating func evaluate(_ condition: Condition) -> Bool {
        switch condition {
        case .expression(let expression):
            return evaluate(expression)
        case .all(let conditions):
            var holds = true
            for condition in conditions where holds || recording {
                // With an explanation, every condition is still shown (as not evaluated).
                if !holds {
                    recordNotEvaluated(condition)
                    continue
                }
                holds = evaluate(condition)
            }
            return holds
        case .any(let conditions):
            var holds = false
            for condition in conditions {
                if holds {
                    if recording { recordNotEvaluated(condition) }
                    continue
                }
                holds = evaluate(condition)
            }
            return holds
        case .not(let inner):
            let recorded = recorder?.conditions.count ?? 0
            let holds = !evaluate(inner)
            if recording, case .expression = inner, recorder!.conditions.count == recorded + 1 {
                // Show the negation itself, so the outcome reads the way the rule does.
                recorder!.conditions[recorded].negate()
            }
            return holds
        }
    }

    private mutating func evaluate(_ expression: CompiledExpression) -> Bool {
        let result = evaluateValue(expression)
        let holds: Bool
        var failure: String?
        switch result {
        case .bool(let value): holds = value
        case .error(let error):
            holds = false
            failure = error.message
        default:
            holds = false
            failure = "expected a bool, found \(result.celLiteral)"
        }
        if let failure { problem(expression, failure) }
        if recording { record(expression, holds: holds, failure: failure) }
        return holds
    }

    /// The value of an expression by its shortcut, or nil when CEL must run.
    private mutating func shortcutResult(_ expression: CompiledExpression) -> Value? {
        switch expression.shortcut {
        case .none:
            return nil
        case .field(let path):
            return path.read(from: request)
        case .decimal(let formula):
            return formula.evaluate(request, fee: fee).map(Value.decimal)
        case .enumTests(let tests):
            // `&&` is commutative in CEL, errors included: one false test decides.
            var undecided = false
            for test in tests {
                let ordinal = ordinal(of: test.field)
                if ordinal < 0 {
                    undecided = true
                } else if !test.accepts(ordinal: Int(ordinal)) {
                    return .bool(false)
                }
            }
            return undecided ? nil : .bool(true)
        }
    }

    @inline(__always)
    private func ordinal(of field: EnumField) -> Int8 { ordinal(slot: field.index, resolving: field) }

    /// The cached ordinal of an enum field; read from the request the first time.
    @inline(__always)
    private func ordinal(slot: Int, resolving field: @autoclosure () -> EnumField?) -> Int8 {
        let cached = ordinals[slot]
        if cached != Self.unread { return cached }
        let ordinal = field()?.ordinal(in: request).map { Int8($0) } ?? Self.unknown
        ordinals[slot] = ordinal
        return ordinal
    }

    private mutating func run(_ expression: CompiledExpression) -> Value {
        prepareActivation()
        // Evaluated first: `budgeted` must see what is left after this evaluation.
        let result = expression.program.evaluate(activation!, budget: &budget)
        return budgeted(result)
    }

    /// An evaluation's value; running out of cost with nothing left of the decision's
    /// budget is reported as the budget, not as the expression's own limit.
    private func budgeted(_ result: Result<Value, EvalError>) -> Value {
        if case .failure(let error) = result, error.code == .costLimitExceeded, budget == 0 {
            return .error(EvalError(.costLimitExceeded, EvaluationProblem.costBudgetSpent))
        }
        return result.value
    }

    /// Builds the activation the first time CEL runs, with the fee if it is known by then.
    private mutating func prepareActivation() {
        guard activation == nil else { return }
        activation = policy.activation(for: request)
        if let fee, let slot = policy.feeSlot { activation![slot: slot] = .decimal(fee) }
    }

    private mutating func record(_ expression: CompiledExpression, holds: Bool, failure: String?) {
        let first = recorder!.observed.count
        if expression.observed.contains(where: { $0.field == nil }) {
            // Some value is reachable only during evaluation (inside a map, say): trace it.
            prepareActivation()
            let trace = expression.program.evaluateWithTrace(activation!, budget: &budget).trace
            for path in expression.observed {
                if let value = path.field.flatMap({ $0.read(from: request) }) ?? trace[path.id] {
                    recorder!.observed.append(ObservedValue(path: path.path, raw: value))
                }
            }
        } else {
            for path in expression.observed {
                if let value = path.field!.read(from: request) {
                    recorder!.observed.append(ObservedValue(path: path.path, raw: value))
                }
            }
        }
        let outcome: ConditionExplanation.Outcome = failure.map { .error($0) } ?? (holds ? .true : .false)
        let observed = first..<recorder!.observed.count
        recorder!.conditions.append(RecordedCondition(
            condition: expression, negated: false, outcome: outcome, observed: observed))
    }

    private mutating func recordNotEvaluated(_ condition: Condition) {
        switch condition {
        case .expression(let e):
            recorder!.conditions.append(RecordedCondition(
                condition: e, negated: false, outcome: .notEvaluated, observed: 0..<0))
        case .all(let cs), .any(let cs):
            for c in cs { recordNotEvaluated(c) }
        case .not(.expression(let e)):
            recorder!.conditions.append(RecordedCondition(
                condition: e, negated: true, outcome: .notEvaluated, observed: 0..<0))
        case .not(let c):
            recordNotEvaluated(c)
        }
    }

    private mutating func problem(_ expression: CompiledExpression, _ message: String) {
        let owner = switch current {
        case .outcome(let index): policy.outcomes[index].id
        case .threshold(let index): policy.thresholds[index].id
        case .refunds: "refunds"
        }
        problems.append(EvaluationProblem(
            rule: owner, expression: expression.source, location: expression.location, message: message))
    }

    // MARK: - Thresholds

    /// The index of the highest tier reached, and the count.
    private mutating func reachedTier(_ index: Int, suspendedBy rule: Int?) -> (Int, Int64)? {
        let threshold = policy.thresholds[index]
        if let rule {
            if explain { note(threshold, "suspended by rule `\(policy.rules[rule].id)`") }
            return nil
        }
        if !chooses(threshold.appliesWhen, policy.plan.thresholds[index]) {
            if explain { note(threshold, "does not apply: its `applies_when` is false") }
            return nil
        }
        let count: Int64
        if let native = threshold.windowCount?.count(in: request) {
            count = native
        } else {
            switch run(threshold.count) {
            case .int(let value): count = value
            case .error(let error):
                problem(threshold.count, error.message)
                return nil
            case let other:
                problem(threshold.count, "expected an int count, found \(other.celLiteral)")
                return nil
            }
        }
        let reached = threshold.tiers.lastIndex { count >= $0.atLeast }
        if explain { note(threshold, count: count, tier: reached.map { threshold.tiers[$0].id }) }
        return reached.map { ($0, count) }
    }

    private mutating func note(
        _ threshold: Threshold, _ note: String? = nil, count: Int64? = nil, tier: String? = nil
    ) {
        let at = policy.timestamp(of: request).map { policy.localTime($0.seconds) }
        recorder!.thresholds.append(ThresholdExplanation(
            id: threshold.id, applied: note == nil, note: note, count: count, tier: tier,
            location: threshold.location, threshold: threshold, at: at))
    }

    // MARK: - Refunds and obligations

    private mutating func refund() -> Refund? {
        guard let refunds = policy.refunds else { return nil }
        current = .refunds
        let plan = policy.plan
        if !chooses(refunds.appliesWhen, plan.refundApplies) { return nil }
        var fee = CELDecimal(Int64(0))
        if let expression = firstCase(refunds.fee, plan.fees) {
            guard let value = decimal(expression) else { return nil }
            fee = value
        }
        self.fee = fee
        if activation != nil, let slot = policy.feeSlot { activation![slot: slot] = .decimal(fee) }
        guard let amount = decimal(refunds.amount), let at = policy.timestamp(of: request) else { return nil }
        guard case .string(let currency) = evaluateValue(refunds.currency) else { return nil }
        guard let initiateDays = firstCase(refunds.initiateWithin, plan.initiate),
            let expectDays = firstCase(refunds.expectWithin, plan.expect)
        else { return nil }
        guard let (initiateBy, expectedBy) = refunds.deadlines(at: at, initiateDays, expectDays) else { return nil }
        return Refund(amount: amount, fee: fee, currency: currency, initiateBy: initiateBy, expectedBy: expectedBy)
    }

    /// The value of the first case whose `when` holds (or that has none).
    private mutating func firstCase<T>(_ cases: [RefundPolicy.Case<T>], _ plans: [ConditionPlan?]) -> T? {
        for index in cases.indices where chooses(cases[index].when, plans[index]) { return cases[index].value }
        return nil
    }

    /// Whether an optional condition holds (a refund case's `when`, an `applies_when`;
    /// none always does); settled by its plan when it can be, without touching the
    /// condition.
    private mutating func chooses(_ condition: @autoclosure () -> Condition?, _ plan: ConditionPlan?) -> Bool {
        if !explain, let plan, let settled = settle(plan) { return settled }
        guard let condition = condition() else { return true }
        return evaluate(condition)
    }

    /// Evaluates the computed fields of obligations now, so failures are reported with
    /// the decision; they are shown when the obligations are read.
    private mutating func collectObligationValues(_ templates: [ObligationTemplate], into values: inout [Value]) {
        for template in templates {
            for (_, field) in template.fields {
                guard case .expression(let expression, _) = field else { continue }
                let value = evaluateValue(expression)
                if case .error(let error) = value { problem(expression, error.message) }
                values.append(value)
            }
        }
    }

    // MARK: - Values

    private mutating func evaluateValue(_ expression: CompiledExpression) -> Value {
        shortcutResult(expression) ?? run(expression)
    }

    private mutating func decimal(_ expression: CompiledExpression) -> CELDecimal? {
        switch evaluateValue(expression) {
        case .decimal(let d): return d
        case .int(let i): return CELDecimal(i)
        case .error(let error):
            problem(expression, error.message)
            return nil
        case let other:
            problem(expression, "expected a decimal, found \(other.celLiteral)")
            return nil
        }
    }

}

extension PolicySet {
    /// An instant as people read it here: in the refund calendar's zone (UTC without one).
    func localTime(_ seconds: Int64) -> LocalTime {
        LocalTime(epochSeconds: seconds, utcOffset: refunds?.utcOffset(atEpochSeconds: seconds) ?? 0)
    }
}

/// What an explanation is made of, recorded flat while deciding: every evaluated rule
/// with the range of its conditions, every condition with the range of the values it
/// read, and the thresholds' notes. A decision keeps it and assembles the `Explanation`
/// (slices per rule, the "what would change the outcome" texts) when it is read.
struct ExplanationRecord: Sendable {
    var rules: [(rule: Int, matched: Bool, conditions: Range<Int>)] = []
    var conditions: [RecordedCondition] = []
    var observed: [ObservedValue] = []
    var thresholds: [ThresholdExplanation] = []

    /// The explanation of a decision with `effect` by `policy`.
    func assemble(effect: Effect, policy: PolicySet) -> Explanation {
        let observed = self.observed
        let conditions = self.conditions.map {
            ConditionExplanation(
                condition: $0.condition, negated: $0.negated, outcome: $0.outcome, observed: observed[$0.observed])
        }
        let rules = self.rules.map { recorded in
            let rule = policy.rules[recorded.rule]
            return RuleExplanation(
                id: rule.id, effect: rule.effect, matched: recorded.matched, location: rule.location,
                conditions: conditions[recorded.conditions])
        }
        return Explanation(rules: rules, thresholds: thresholds, alternatives: alternatives(effect: effect, rules: rules))
    }

    /// For a deny or review: the allow rules that failed, each with the conditions that
    /// were false and the values they saw.
    /// Who is asking cannot change, so conditions that read only the actor are not
    /// offered as ways to a different outcome.
    private func alternatives(effect: Effect, rules ruleExplanations: [RuleExplanation]) -> [String] {
        guard effect != .allow else { return [] }
        var result = thresholds.compactMap(\.alternative).filter { $0.effect == effect }.map(\.text)
        // A matched deny or review rule outweighs any allow rule: name what it tests.
        let blocking = ruleExplanations.filter { $0.matched && $0.effect > .allow }
        for rule in blocking where rule.effect == effect {
            let tests = rule.conditions.filter { $0.outcome == .true }.map { condition in
                let seen = condition.observed.map { "\($0.path) is \($0.value)" }.joined(separator: ", ")
                return "`\(condition.expression)`" + (seen.isEmpty ? "" : " (\(seen))")
            }
            result.append("rule `\(rule.id)` decides \(rule.effect.rawValue) while " + tests.joined(separator: " and ") + " hold")
        }
        guard blocking.isEmpty else { return result }
        result += ruleExplanations.filter { $0.effect == .allow && !$0.matched }.compactMap { rule in
            let failing = rule.conditions.filter { $0.outcome == .false }
            guard failing.count == 1, let condition = failing.first,
                !condition.observed.isEmpty,
                !condition.observed.allSatisfy({ $0.path.hasPrefix("actor.") })
            else { return nil }
            let seen = condition.observed.map { "\($0.path) is \($0.value)" }.joined(separator: ", ")
            return "rule `\(rule.id)` would allow if `\(condition.expression)` held (now \(seen))"
        }
        return result
    }
}
