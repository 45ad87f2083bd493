import CELRuntime
import RescindUnsafe
import RescindCELLibrary

/// Options for one decision.
@usableFromInline package struct DecisionOptions: Sendable {
    /// Overrides the request's `locale` for reasons.
    @usableFromInline package var locale: String?
    /// Record the explanation (every condition's outcome and the values it read).
    @usableFromInline package var explain: Bool
    /// The most CEL work (comprehension steps, size-proportional operations; see
    /// `EvaluationLimits.costLimit`) one decision may do across all its expressions; nil
    /// leaves each expression to its own limit. Deterministic, unlike a timeout: the same
    /// request spends the same cost. An expression that would exceed it fails, is
    /// reported as a problem, and counts as not holding, like any evaluation error.
    @usableFromInline package var costBudget: Int?

    @inlinable package init(locale: String? = nil, explain: Bool = false, costBudget: Int? = nil) {
        self.locale = locale
        self.explain = explain
        self.costBudget = costBudget
    }
}

extension PolicySet {
    /// Decides a decoded request with `options`.
    @inlinable
    package func decide(_ request: ObjectValue, options: DecisionOptions) -> Decision {
        decide(request, locale: options.locale, explain: options.explain, costBudget: options.costBudget)
    }

    /// Decides a decoded request. Deterministic: the clock is the request's `at`.
    /// `locale` overrides the request's for reasons; `explain` records the explanation;
    /// `costBudget` bounds the CEL work of the whole decision (see `DecisionOptions`).
    // The options arrive one by one: a `DecisionOptions` argument was copied and
    // destroyed whole on each decision, and a wrapper that forwarded its return value
    // copied the decision (measured: about 70 and 50 instructions).
    @usableFromInline
    package func decide(
        _ request: ObjectValue, locale: String? = nil, explain: Bool = false, costBudget: Int? = nil
    ) -> Decision {
        // The ordinal cache and the candidate set live on the stack: a decision allocates
        // only what it returns. The run is made outside the closure, so the closure
        // captures only its address: capturing the options, policy and request instead
        // copied and retained each of them into the closure's context (about 70
        // instructions a decision, measured).
        var run = DecisionRun(policy: self, request: request, budget: costBudget ?? .max, locale: locale)
        if explain { run.recorder = ExplanationSource(policy: self, request: request) }
        return Scratch.withTables(words: plan.wordCount + plan.numberFieldCount, bytes: enumFieldCount) { words, ordinals in
            run.start(words: words, ordinals: ordinals)
            return run.decide()
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
        if request.type === schema.root { return request.field(slot) }
        return request[schema.root.fields[slot].name]
    }

    /// A root string field (`id`, `locale`) by slot.
    func stringValue(_ slot: Int?, of request: ObjectValue) -> String? {
        if case .string(let s)? = rootValue(slot, of: request) { return s }
        return nil
    }

    /// The request's `at`.
    package func timestamp(of request: ObjectValue) -> CELTimestamp? {
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
    /// Number cache markers, the same two: above every key a value can have.
    static let unreadKey = UInt64.max
    static let unknownKey = UInt64.max - 1

    // Strong references, taken once per decision: `unowned(unsafe)` would look cheaper,
    // but each use of such a reference as a strong one retains it.
    let policy: PolicySet
    let request: ObjectValue
    let plan: DecisionPlan
    /// `plan.sites`, held for the run: explaining walks it node by node.
    let sites: ConditionSites
    /// The request's `at`, read once: window counts, refund deadlines and notes use it.
    let at: CELTimestamp?
    /// Whether the decision is explained: conditions are then evaluated in full and recorded.
    var explain: Bool { recorder != nil }
    /// The ordinal cache: stack memory, given to the run for the length of the decision.
    var ordinals = ScratchTable<Int8>()
    /// The number cache: each number field's key (`DecisionPlan.key`), by slot; stack
    /// memory like `ordinals`.
    var keys = ScratchTable<UInt64>()
    /// The locale the caller asked for, overriding the request's.
    let requestedLocale: String?
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
    var recorder: ExplanationSource?
    /// Every planned condition whose leading tests pass (see `DecisionPlan.candidates`);
    /// nil when a tested value is absent or unexpected.
    var candidates: ScratchTable<UInt64>?
    /// What is being evaluated, for problem reports.
    var current = Owner.refunds

    @inline(__always)
    init(policy: PolicySet, request: ObjectValue, budget: Int, locale: String?) {
        self.budget = budget
        self.policy = policy
        self.plan = policy.plan
        self.sites = policy.plan.sites
        self.request = request
        self.requestedLocale = locale
        self.at = policy.timestamp(of: request)
    }

    mutating func decide() -> Decision {
        var matched = OutcomeSet()
        var strongest: Effect?
        // The rule that suspends each threshold, by threshold index; allocated only if one does.
        var suspendedBy: [Int] = []

        let ruleCount = plan.rules.count
        // Most rules are settled by their leading enum tests, without touching the rule:
        // with a candidate set, only the rules in it are visited at all, word by word
        // (rule `i` is bit `i`). An explanation shows every rule, so every rule is
        // evaluated in full.
        if let candidates, !explain, let lists = plan.ruleLists {
            // The enum tests' combination names the rules they let through; the
            // candidate set still says which of those the bound tests' index dropped.
            var combination = 0
            for (position, slot) in plan.testedSlots.enumerated() {
                combination &+= Int(ordinals[slot]) &* lists.strides[position]
            }
            for position in Int(lists.starts[combination])..<Int(lists.starts[combination &+ 1]) {
                let index = Int(lists.rules[position])
                guard candidates[index &>> 6] & (1 &<< UInt64(index & 63)) != 0 else { continue }
                consider(rule: index, matched: &matched, strongest: &strongest, suspendedBy: &suspendedBy)
            }
        } else if let candidates, !explain {
            let lastWord = (ruleCount &+ 63) &>> 6
            for wordIndex in 0..<lastWord {
                var word = candidates[wordIndex]
                // The candidate set goes on past the rules (thresholds, refunds).
                if wordIndex == lastWord &- 1, ruleCount & 63 != 0 { word &= (1 &<< UInt64(ruleCount & 63)) &- 1 }
                while word != 0 {
                    let index = wordIndex &<< 6 | word.trailingZeroBitCount
                    word &= word &- 1
                    consider(rule: index, matched: &matched, strongest: &strongest, suspendedBy: &suspendedBy)
                }
            }
        } else {
            for index in 0..<ruleCount {
                consider(rule: index, matched: &matched, strongest: &strongest, suspendedBy: &suspendedBy)
            }
        }

        var firstTierCount: TierCount?
        var moreTierCounts: [TierCount] = []
        for index in 0..<plan.thresholds.count {
            current = .threshold(index)
            let suspender = suspendedBy.isEmpty || suspendedBy[index] < 0 ? nil : suspendedBy[index]
            if let (tier, count) = reachedTier(index, suspendedBy: suspender) {
                let outcome = plan.tierBase[index] + tier
                matched.insert(outcome)
                let effect = plan.effects[outcome]
                strongest = max(strongest ?? effect, effect)
                if firstTierCount == nil {
                    firstTierCount = TierCount(threshold: index, count: count)
                } else {
                    moreTierCounts.append(TierCount(threshold: index, count: count))
                }
            }
        }

        var effect = strongest ?? policy.defaultEffect
        var obligationValues: [Value] = []
        if strongest != nil, plan.anyComputesObligations {
            for index in matched where plan.effects[index] == effect && plan.computesObligations[index] {
                current = .outcome(index)
                collectObligationValues(policy.outcomes[index].obligations, into: &obligationValues)
            }
        }
        var refund = plan.hasFollowUps(of: effect) ? followUps(of: effect) : nil
        // A decision with a problem decides at least its problems' effect (`on_error`,
        // `on_missing`): a failed condition never allows by not holding. Raised, no
        // matched outcome has the new effect, so none of their obligations applies.
        if !problems.isEmpty {
            let raised = policy.problemEffect(of: problems)
            if raised > effect {
                effect = raised
                if refund != nil, explain { recorder!.refundWithheldBy = raised }
                refund = nil
                obligationValues = []
            }
        }
        let locale = policy.decisionLocale(requested: requestedLocale, request: request)

        return Decision(
            requestID: policy.stringValue(policy.idSlot, of: request), effect: effect, locale: locale, refund: refund,
            policySet: policy, request: request, matched: matched, firstTierCount: firstTierCount,
            details: DecisionDetails.make(
                problems: problems, explanation: explanationSource(effect: effect, locale: locale),
                moreTierCounts: moreTierCounts,
                obligationValues: obligationValues))
    }

    /// Decides whether rule `index` matches and, when it does, records it.
    @inline(__always)
    private mutating func consider(
        rule index: Int, matched: inout OutcomeSet, strongest: inout Effect?, suspendedBy: inout [Int]
    ) {
        if explain {
            current = .outcome(index)
            let holds = walk(node: sites.roots[index], recorded: true)
            recorder!.record(rule: index, matched: holds)
            guard holds else { return }
        } else if let settled = settleRule(index) {
            guard settled else { return }
        } else {
            current = .outcome(index)
            guard walk(node: sites.roots[index], recorded: false) else { return }
        }
        matched.insert(index)
        let summary = plan.ruleSummaries[index]
        strongest = max(strongest ?? summary.effect, summary.effect)
        if summary.suspends {
            for position in plan.suspends[index] {
                let threshold = plan.suspended[position]
                if suspendedBy.isEmpty { suspendedBy = Array(repeating: -1, count: policy.thresholds.count) }
                if suspendedBy[threshold] < 0 { suspendedBy[threshold] = index }
            }
        }
    }

    /// Computes the outcomes that follow `effect`, now that it is known (`FollowUpPlan`):
    /// each one planned for it whose condition holds.
    // Called only for an effect that has follow-ups (a call that found none cost
    // `abuse-review` 50 instructions), and kept out of `decide()` (inlined, it cost
    // `buyer-paid-card` 26). Both measured.
    @inline(never)
    private mutating func followUps(of effect: Effect) -> Refund? {
        var refund: Refund?
        for index in plan.followUps.indices where plan.followUps[index].follows == effect {
            switch plan.followUps[index].kind {
            case .refund(let refundPlan):
                current = .refunds
                if holds(plan.followUps[index].applies) {
                    refund = refundPlan.withObject { self.refund($0) }
                } else if explain {
                    recorder!.refund = .notApplicable
                }
            }
        }
        return refund
    }

    /// What the explanation is read from, when explaining.
    private func explanationSource(effect: Effect, locale: String) -> ExplanationSource? {
        recorder?.finish(effect: effect, locale: locale)
        return recorder
    }

    // MARK: - Conditions

    /// Reads every tested enum field, then settles all planned conditions at once.
    mutating func settleAll(into words: ScratchTable<UInt64>) {
        for slot in plan.testedSlots { _ = ordinal(slot: slot) }
        guard plan.candidates(ordinals: ordinals, into: words) else { return }
        candidates = words
        if !plan.bucketedSlots.isEmpty { intersectBounds(into: words) }
    }

    /// Drops from the candidates the conditions whose first bound test cannot pass
    /// (`BoundBuckets`). Out of line: only large sets have an interval index, and
    /// inlined it cost the pack's decisions (measured).
    @inline(never)
    private mutating func intersectBounds(into words: ScratchTable<UInt64>) {
        for slot in plan.bucketedSlots {
            let key = key(slot: slot)
            guard key != Self.unknownKey else { continue }
            words.formIntersection(with: plan.boundPassing, from: plan.boundBuckets[slot].row(of: key) &* plan.wordCount)
        }
    }

    /// Takes the decision's scratch memory — `plan.wordCount` words for the candidate
    /// set, then the number cache, and the ordinal cache — and settles every condition's
    /// enum tests at once.
    @inline(__always)
    mutating func start(words: ScratchTable<UInt64>, ordinals: ScratchTable<Int8>) {
        ordinals.fill(Self.unread)
        self.ordinals = ordinals
        let (candidateWords, keys) = words.split(at: plan.wordCount)
        keys.fill(Self.unreadKey)
        self.keys = keys
        settleAll(into: candidateWords)
    }

    /// Rule `index`'s condition settled by its tests, as `settle(plan.rules[index])`.
    /// A candidate (its enum tests passed) whose condition is those and one bound test
    /// at most is settled from its summary alone.
    @inline(__always)
    private mutating func settleRule(_ index: Int) -> Bool? {
        if candidates != nil {
            let summary = plan.ruleSummaries[index]
            if summary.isSettledByTests {
                guard summary.bound.kind != .oneOf else { return true }
                let key = key(slot: summary.bound.field)
                if key != Self.unknownKey { return summary.bound.holds(key: key) }
            }
        }
        return settle(plan.rules[index])
    }

    /// The outcome of a condition's leading enum tests: false when one fails, true when
    /// they pass and are the whole condition, nil when the condition must be walked.
    @inline(__always)
    private mutating func settle(_ condition: ConditionPlan) -> Bool? {
        if let candidates {
            guard candidates[condition.id &>> 6] & (1 &<< UInt64(condition.id & 63)) != 0 else { return false }
            if condition.hasBounds { return settleBounds(condition) }
            return condition.complete ? true : nil
        }
        guard let passed = settle(tests: condition.tests, ordered: true) else { return nil }
        return passed ? (condition.complete ? true : nil) : false
    }

    /// A candidate's bound tests, in order. Kept out of line: most conditions have none,
    /// and inlined into every caller of `settle` it cost the pack's decisions (measured).
    /// Out-of-line helpers of the run are `mutating` so they take the run by address: a
    /// non-mutating call from a mutating method copies the whole run first (a `memcpy`
    /// per call, measured).
    @inline(never)
    private mutating func settleBounds(_ condition: ConditionPlan) -> Bool? {
        guard let passed = settle(tests: condition.bounds, ordered: true) else { return nil }
        return passed ? (condition.complete ? true : nil) : false
    }

    /// A bound test's outcome from the number cache; nil when the value is absent or not a number.
    @inline(never)
    private mutating func boundOutcome(_ test: FlatTest) -> Bool? {
        let key = key(slot: test.field)
        return key == Self.unknownKey ? nil : test.holds(key: key)
    }

    /// The one routine that settles enum tests, from the ordinal cache: false when a
    /// test fails, true when all pass, nil when a value is absent or unexpected and CEL
    /// must decide. `ordered` tests are a condition's leading conjuncts, each evaluated
    /// before the next (an error in the first is reported even if a later one fails), so
    /// they stop at the first value they cannot read; the tests of one CEL expression
    /// are one `&&`, commutative in CEL errors included, so one failing test decides.
    @inline(__always)
    private mutating func settle(tests range: Range<Int>, ordered: Bool) -> Bool? {
        var undecided = false
        for index in range {
            let test = plan.tests[index]
            let passes: Bool
            if test.kind == .oneOf {
                let ordinal = ordinal(slot: test.field)
                guard ordinal >= 0 else {
                    if ordered { return nil }
                    undecided = true
                    continue
                }
                passes = test.accepted & (1 << UInt64(ordinal)) != 0
            } else {
                guard let outcome = boundOutcome(test) else {
                    if ordered { return nil }
                    undecided = true
                    continue
                }
                passes = outcome
            }
            if !passes { return false }
        }
        return undecided ? nil : true
    }

    /// Whether a planned condition holds: settled by its tests when they can, else
    /// walked. A condition that is not written holds.
    @inline(__always)
    mutating func holds(_ condition: ConditionPlan) -> Bool {
        if let settled = settle(condition) { return settled }
        let root = sites.roots[condition.id]
        return root < 0 || walk(node: root, recorded: false)
    }

    /// The one condition walker: whether the condition at node `index` of
    /// `ConditionSites` holds, walked by index (walking the `Condition` enum would retain
    /// and release each node), each leaf settled from the ordinal cache when its tests
    /// can. Evaluation errors count as "does not hold" and are reported as problems, so
    /// a broken condition never allows by accident.
    ///
    /// `recorded` (explaining a rule): each site's outcome is recorded, and nothing is
    /// cut short. Past the point where `all` (`any`) is decided, the remaining
    /// conditions are still evaluated and recorded, so a near-miss rule shows every
    /// condition that fails, not only the first; those evaluations are speculative:
    /// their problems are dropped and the cost they spend is given back, so explaining
    /// reports what a plain decision reports.
    private mutating func walk(node index: Int, recorded: Bool) -> Bool {
        let node = sites.nodes[index]
        switch node.kind {
        case .leaf:
            let site = Int(node.site)
            let tests = sites.enumTests[site]
            if !tests.isEmpty, let holds = settle(tests: tests, ordered: false) {
                if recorded { recorder!.record(site: site, holds ? .holds : .fails) }
                return holds
            }
            return sites.expressionRefs[site].withObject { expression in
                recorded ? evaluateRecorded(expression, site: site) : evaluate(expression).holds
            }
        case .all, .any:
            // `all` stops at the first false, `any` at the first true.
            let stopsAt = node.kind == .any
            var decided = false
            var child = index + 1
            while child < Int(node.end) {
                if decided {
                    let (savedBudget, savedProblems) = (budget, problems.count)
                    _ = walk(node: child, recorded: true)
                    budget = savedBudget
                    problems.removeSubrange(savedProblems...)
                } else if walk(node: child, recorded: recorded) == stopsAt {
                    guard recorded else { return stopsAt }
                    decided = true
                }
                child = Int(sites.nodes[child].end)
            }
            return decided ? stopsAt : !stopsAt
        case .not:
            return !walk(node: index + 1, recorded: recorded)
        }
    }

    private mutating func evaluateRecorded(_ expression: CompiledExpression, site: Int) -> Bool {
        let (holds, failure) = evaluate(expression)
        if let failure {
            recorder!.record(site: site, failure: failure)
        } else {
            recorder!.record(site: site, holds ? .holds : .fails)
        }
        if sites.traced[site] { trace(expression, site: site) }
        return holds
    }

    /// Records the values a site read that only its evaluation reaches (inside a map, say).
    private mutating func trace(_ expression: CompiledExpression, site: Int) {
        prepareActivation()
        let trace = expression.program.evaluateWithTrace(activation!, budget: &budget).trace
        var values: [ObservedValue] = []
        for path in expression.observed {
            if let value = path.field.flatMap({ $0.read(from: request) }) ?? trace[path.id] {
                values.append(ObservedValue(path: path.path, raw: value, policy: policy))
            }
        }
        recorder!.record(site: site, traced: values)
    }

    /// Whether an expression holds, and why not when it failed; a failure is reported
    /// as a problem.
    private mutating func evaluate(_ expression: CompiledExpression) -> (holds: Bool, failure: String?) {
        switch evaluateValue(expression) {
        case .bool(let value):
            return (value, nil)
        case .error(let error):
            problem(expression, error.message)
            return (false, error.message)
        case let result:
            let failure = "expected a bool, found \(result.celLiteral)"
            problem(expression, failure)
            return (false, failure)
        }
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
        case .comparison(let comparison):
            return comparison.evaluate(request).map(Value.bool)
        case .bound(let test):
            return test.field.number(in: request).map { Value.bool(test.holds($0)) }
        case .enumTests:
            // Every condition's sites are settled by `settle(tests:ordered:)` before
            // they are evaluated; reaching here, a value was absent or unexpected.
            return nil
        }
    }

    /// The cached key of the number field in number cache slot `slot`
    /// (`DecisionPlan.key`); read from the request the first time.
    @inline(__always)
    private func key(slot: Int) -> UInt64 {
        let cached = keys[slot]
        if cached != Self.unreadKey { return cached }
        let key = plan.numberFieldRefs[slot].flatMap { field in
            field.withObject { $0.number(in: request) }
        }.map { plan.key(of: $0, slot: slot) } ?? Self.unknownKey
        keys[slot] = key
        return key
    }

    /// The cached ordinal of the enum field in cache slot `slot`; read from the request
    /// the first time.
    @inline(__always)
    private func ordinal(slot: Int) -> Int8 {
        let cached = ordinals[slot]
        if cached != Self.unread { return cached }
        let ordinal = plan.enumFields[slot].flatMap { field in
            field.withObject { $0.ordinal(in: request) }
        }.map { Int8($0) } ?? Self.unknown
        ordinals[slot] = ordinal
        return ordinal
    }

    mutating func run(_ expression: CompiledExpression) -> Value {
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

    mutating func problem(_ expression: CompiledExpression, _ message: String) {
        let owner = switch current {
        case .outcome(let index): policy.outcomes[index].id
        case .threshold(let index): policy.thresholds[index].id
        case .refunds: "refunds"
        }
        problems.append(EvaluationProblem(
            kind: message == EvaluationProblem.costBudgetSpent ? .costBudget : .evaluationError, rule: owner,
            expression: expression.source, location: expression.location, message: message))
    }

    // MARK: - Thresholds

    /// The index of the highest tier reached, and the count.
    private mutating func reachedTier(_ index: Int, suspendedBy rule: Int?) -> (Int, Int64)? {
        if let rule {
            if explain {
                let id = policy.rules[rule].id
                note(index, "suspended by rule `\(id)`", skip: .suspended(by: id))
            }
            return nil
        }
        let policy = self.policy
        if !holds(plan.thresholds[index]) {
            if explain { note(index, "does not apply: its `applies_when` is false", skip: .notApplicable) }
            return nil
        }
        if let missing = plan.missingLists[index],
            missing.withObject({ policy.isMissing($0, in: request) })
        {
            // Not "none counted": the request did not say. `on_missing` decides.
            let missing = missing.object
            let threshold = policy.thresholds[index]
            problems.append(EvaluationProblem(
                kind: .missingList, rule: threshold.id, expression: threshold.countedList, location: threshold.location,
                message: "the request has no `\(missing.description)`, so `\(threshold.id)` could not count"))
            if explain {
                let effect = (threshold.onMissing ?? policy.onError).effect
                note(index, "no history supplied: the request has no `\(missing.description)`, so nothing was counted;"
                    + " the decision is at least \(effect.rawValue)",
                    skip: .missingList(path: missing.description, effect: effect))
            }
            return nil
        }
        let count: Int64
        if let native = plan.windowCounts[index]?.withObject({ $0.count(in: request, at: at) }) {
            count = native
        } else {
            let expression = policy.thresholds[index].count
            switch run(expression) {
            case .int(let value): count = value
            case .error(let error):
                problem(expression, error.message)
                return nil
            case let other:
                problem(expression, "expected an int count, found \(other.celLiteral)")
                return nil
            }
        }
        // Tiers ascend: the last one reached applies.
        let tiers = plan.tierRanges[index]
        var reached: Int?
        for tier in tiers where count >= plan.tierFloors[tier] { reached = tier - tiers.lowerBound }
        if explain { note(index, count: count, tier: reached.map { policy.thresholds[index].tiers[$0].id }) }
        return reached.map { ($0, count) }
    }

    private mutating func note(
        _ index: Int, _ note: String? = nil, skip: ThresholdExplanation.Skip? = nil, count: Int64? = nil,
        tier: String? = nil
    ) {
        let threshold = policy.thresholds[index]
        let at = self.at.map { policy.localTime($0.seconds) }
        // Only a decision whose history the service settled says where it came from.
        var source = recorder!.historyOrigin
        if source != nil, let list = policy.history?.list, !HistorySource.counts(threshold.countedList, list: list) {
            source = nil
        }
        recorder!.record(ThresholdExplanation(
            id: threshold.id, applied: note == nil, note: note, count: count, tier: tier,
            location: threshold.location, threshold: threshold, at: at, skip: skip, historySource: source))
    }

    // MARK: - Cases and obligations

    /// The index of the first case whose condition holds (or that has none).
    /// Not generic over the table's values: the generic version stopped being inlined
    /// into the refund (126 instructions a decision of the pack, measured).
    @inline(__always)
    mutating func firstCase(_ conditions: ArenaTable<ConditionPlan>) -> Int? {
        for index in 0..<conditions.count where holds(conditions[index]) { return index }
        return nil
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

    mutating func evaluateValue(_ expression: CompiledExpression) -> Value {
        shortcutResult(expression) ?? run(expression)
    }

    /// `decimal(_:)` of an expression whose formula the plan holds.
    mutating func decimal(
        _ formula: UnownedRef<DecimalFormula>?, else expression: @autoclosure () -> CompiledExpression
    ) -> CELDecimal? {
        let fee = self.fee
        if let value = formula?.withObject({ $0.evaluate(request, fee: fee) }) { return value }
        return decimal(expression())
    }

    /// An expression's decimal value, reporting a failure. Called once its formula (if
    /// it has one) could not answer, so CEL runs without trying the formula again.
    mutating func decimal(_ expression: CompiledExpression) -> CELDecimal? {
        let value = if case .decimal = expression.shortcut { run(expression) } else { evaluateValue(expression) }
        switch value {
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
    /// The strictest effect the problems call for: a threshold's `on_missing` for its
    /// missing list, `on_error` for everything else.
    func problemEffect(of problems: [EvaluationProblem]) -> Effect {
        var effect = Effect.allow
        for problem in problems {
            effect = max(effect, problemPolicy(of: problem).effect)
        }
        return effect
    }

    /// The `on_missing`, `on_history_unavailable` or `on_error` a problem falls under.
    func problemPolicy(of problem: EvaluationProblem) -> ProblemEffect {
        switch problem.kind {
        case .missingList:
            if let onMissing = thresholds.first(where: { $0.id == problem.rule })?.onMissing { return onMissing }
        case .historyUnavailable:
            if let history { return history.onUnavailable }
        default: break
        }
        return onError
    }

    /// The pseudo rule a problem's reason is given under: `on-missing`,
    /// `on-history-unavailable` or `on-error`.
    func pseudoRule(of problem: EvaluationProblem) -> String {
        let policy = problemPolicy(of: problem)
        if policy === onError { return ProblemEffect.onErrorRule }
        return problem.kind == .historyUnavailable ? ProblemEffect.onHistoryUnavailableRule : ProblemEffect.onMissingRule
    }

    /// Whether a request left out what `path` leads to: an absent field, or an optional
    /// object on the way that a decoder zero-filled (`ObjectValue.isZeroFilled`).
    func isMissing(_ path: MissingListPath, in request: ObjectValue) -> Bool {
        if request.type === schema.root {
            for object in path.optionalObjects {
                guard case .object(let value)? = object.read(from: request) else { return true }
                if value.isZeroFilled { return true }
            }
            return false
        }
        // Another set's types: read by name (see `rootValue(_:of:)`).
        for names in path.optionalObjectNames {
            var current: Value? = .object(request)
            for name in names {
                guard case .object(let object)? = current else { return true }
                current = object[name]
            }
            guard case .object(let value)? = current else { return true }
            if value.isZeroFilled { return true }
        }
        return false
    }

    /// An instant as people read it here: in the refund calendar's zone (UTC without one).
    func localTime(_ seconds: Int64) -> LocalTime {
        LocalTime(epochSeconds: seconds, utcOffset: refunds?.utcOffset(atEpochSeconds: seconds) ?? 0)
    }
}
