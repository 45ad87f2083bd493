import CELRuntime

/// An explained decision's record, and then what its `Explanation` is read from: each
/// condition site's outcome (numbered as in `ConditionSites`), each rule's, failures,
/// the values of sites that had to be traced, and the thresholds' notes, with the
/// policy set and the request. The values a site read are read again when the
/// explanation is, from the same immutable request.
///
/// Unchecked `Sendable`: deciding writes it on one thread before the decision that
/// holds it is returned; from then on it is only read.
@usableFromInline
final class ExplanationSource: @unchecked Sendable {
    /// A site's outcome as evaluated (before any `not:` around it is applied).
    enum SiteOutcome: UInt8 {
        case notEvaluated, holds, fails, failed
    }

    struct SiteFailure {
        let site: Int
        let message: String
    }

    struct TracedValues {
        let site: Int
        let values: [ObservedValue]
    }

    let policy: PolicySet
    let request: ObjectValue
    /// `policy.plan.sites`, read without reference counting (the policy keeps it).
    let sites: Unmanaged<ConditionSites>
    /// Each site's outcome, then each rule's (1 when it matched), in memory this object
    /// owns: written and read without reference counting.
    private let outcomes: UnsafeMutableBufferPointer<UInt8>
    private let siteCount: Int
    private(set) var failures: [SiteFailure] = []
    private(set) var tracedValues: [TracedValues] = []
    private(set) var thresholds: [ThresholdExplanation] = []
    private(set) var effect = Effect.deny

    init(policy: PolicySet, request: ObjectValue) {
        self.policy = policy
        self.request = request
        let sites = policy.plan.sites
        self.sites = Unmanaged.passUnretained(sites)
        siteCount = sites.count
        outcomes = .allocate(capacity: sites.count + policy.rules.count)
        outcomes.initialize(repeating: SiteOutcome.notEvaluated.rawValue)
    }

    deinit { outcomes.deallocate() }

    // MARK: Recording (while deciding)

    func record(site: Int, _ outcome: SiteOutcome) { outcomes[site] = outcome.rawValue }
    func record(site: Int, failure: String) {
        outcomes[site] = SiteOutcome.failed.rawValue
        failures.append(SiteFailure(site: site, message: failure))
    }
    func record(site: Int, traced values: [ObservedValue]) { tracedValues.append(TracedValues(site: site, values: values)) }
    func record(rule: Int, matched: Bool) { outcomes[siteCount + rule] = matched ? 1 : 0 }
    func record(_ threshold: ThresholdExplanation) { thresholds.append(threshold) }
    func finish(effect: Effect) { self.effect = effect }

    // MARK: Reading

    func siteOutcome(_ site: Int) -> SiteOutcome { SiteOutcome(rawValue: outcomes[site])! }
    func ruleMatched(_ rule: Int) -> Bool { outcomes[siteCount + rule] == 1 }

    /// The outcome of the condition at `site` as shown: negated under a `not:`.
    @usableFromInline
    func outcome(_ site: Int) -> ConditionExplanation.Outcome {
        let negated = sites._withUnsafeGuaranteedRef { $0.negated[site] }
        switch siteOutcome(site) {
        case .notEvaluated: return .notEvaluated
        case .holds: return negated ? .false : .true
        case .fails: return negated ? .true : .false
        case .failed: return .error(failures.first { $0.site == site }?.message ?? "")
        }
    }

    func expression(_ site: Int) -> CompiledExpression {
        sites._withUnsafeGuaranteedRef { $0.expressionRefs[site].takeUnretainedValue() }
    }

    func isNegated(_ site: Int) -> Bool { sites._withUnsafeGuaranteedRef { $0.negated[site] } }

    /// Where the values a condition read are: a range of the policy set's observed
    /// paths (`ConditionSites.observedFields`), or, for a traced condition, a range of
    /// its recorded values and the index of that record (-1 otherwise). Empty when
    /// the condition was not evaluated.
    @usableFromInline
    func observedPositions(_ site: Int) -> (range: Range<Int>, traced: Int) {
        guard siteOutcome(site) != .notEvaluated else { return (0..<0, -1) }
        let (paths, isTraced) = sites._withUnsafeGuaranteedRef { ($0.observedRanges[site], $0.traced[site]) }
        guard isTraced else { return (paths, -1) }
        guard let record = tracedValues.firstIndex(where: { $0.site == site }) else { return (0..<0, -1) }
        return (0..<tracedValues[record].values.count, record)
    }

    /// The value at an observed position (see `observedPositions`), nil when absent.
    @usableFromInline
    func observedValue(_ index: Int, traced: Int) -> ObservedValue? {
        if traced >= 0 { return tracedValues[traced].values[index] }
        let request = self.request
        return sites._withUnsafeGuaranteedRef { sites -> ObservedValue? in
            guard let value = sites.observedFields[index]?._withUnsafeGuaranteedRef({ $0.read(from: request) }) else {
                return nil
            }
            return ObservedValue(path: sites.observedNames[index], raw: value)
        }
    }

    var explanation: Explanation {
        Explanation(rules: RuleExplanations(source: self), thresholds: thresholds, effect: effect)
    }
}

extension Explanation {
    /// For a deny or review: the allow rules that failed, each with the conditions that
    /// were false and the values they saw.
    /// Who is asking cannot change, so conditions that read only the actor are not
    /// offered as ways to a different outcome.
    static func alternatives(
        effect: Effect, rules ruleExplanations: RuleExplanations, thresholds: [ThresholdExplanation]
    ) -> [String] {
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
