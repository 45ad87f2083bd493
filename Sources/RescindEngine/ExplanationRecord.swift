import CELRuntime

/// What an explanation is made of, recorded while deciding: each rule's outcome, each
/// condition site's outcome (numbered as in `ConditionSites`), failures, the values of
/// sites that had to be traced, and the thresholds' notes. A decision keeps it and
/// assembles the `Explanation` when it is read; the values a site read are read again
/// then, from the same immutable request.
struct ExplanationRecord: Sendable {
    /// A site's outcome as evaluated (before any `not:` around it is applied).
    enum SiteOutcome: UInt8, Sendable {
        case notEvaluated, holds, fails, failed
    }

    var outcomes: [SiteOutcome]
    var ruleMatched: [Bool]
    /// The message of each site that failed to evaluate.
    var failures: [SiteFailure] = []
    /// The values of traced sites (see `ConditionSites.traced`), as they were seen.
    var tracedValues: [TracedValues] = []

    struct SiteFailure: Sendable {
        let site: Int
        let message: String
    }

    struct TracedValues: Sendable {
        let site: Int
        let values: [ObservedValue]
    }
    var thresholds: [ThresholdExplanation] = []

    init(sites: Int, rules: Int) {
        outcomes = Array(repeating: .notEvaluated, count: sites)
        ruleMatched = Array(repeating: false, count: rules)
    }

    /// The explanation of a decision with `effect` on `request` by `policy`.
    ///
    /// Arrays grow by appending: `reserveCapacity` and `init(unsafeUninitializedCapacity:)`
    /// allocate through a stdlib entry point that looks the storage type up at run time,
    /// which costs more here than all the copying appends do.
    func assemble(effect: Effect, policy: PolicySet, request: ObjectValue) -> Explanation {
        let sites = policy.plan.sites
        let siteCount = sites.count
        return sites.expressions.withUnsafeBufferPointer { expressions in
            // Values first, into one array the conditions then slice.
            var observed: [ObservedValue] = []
            var ends: [Int] = []
            for site in 0..<siteCount {
                if outcomes[site] != .notEvaluated {
                    if sites.traced[site] {
                        if let traced = tracedValues.first(where: { $0.site == site }) { observed += traced.values }
                    } else {
                        expressions[site].observed.withUnsafeBufferPointer { paths in
                            for path in paths {
                                if let value = path.field?.read(from: request) {
                                    observed.append(ObservedValue(path: path.path, raw: value))
                                }
                            }
                        }
                    }
                }
                ends.append(observed.count)
            }
            var conditions: [ConditionExplanation] = []
            var start = 0
            for site in 0..<siteCount {
                let negated = sites.negated[site]
                let outcome: ConditionExplanation.Outcome =
                    switch outcomes[site] {
                    case .notEvaluated: .notEvaluated
                    case .holds: negated ? .false : .true
                    case .fails: negated ? .true : .false
                    case .failed: .error(failures.first { $0.site == site }?.message ?? "")
                    }
                conditions.append(ConditionExplanation(
                    condition: expressions[site], negated: negated, outcome: outcome,
                    observed: observed[start..<ends[site]]))
                start = ends[site]
            }
            var rules: [RuleExplanation] = []
            policy.rules.withUnsafeBufferPointer { policyRules in
                for index in policyRules.indices {
                    let rule = policyRules[index]
                    rules.append(RuleExplanation(
                        id: rule.id, effect: rule.effect, matched: ruleMatched[index], location: rule.location,
                        conditions: conditions[sites.ruleSites[index]]))
                }
            }
            return Explanation(rules: rules, thresholds: thresholds, effect: effect)
        }
    }
}

extension Explanation {
    /// For a deny or review: the allow rules that failed, each with the conditions that
    /// were false and the values they saw.
    /// Who is asking cannot change, so conditions that read only the actor are not
    /// offered as ways to a different outcome.
    static func alternatives(effect: Effect, rules ruleExplanations: [RuleExplanation], thresholds: [ThresholdExplanation]) -> [String] {
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
