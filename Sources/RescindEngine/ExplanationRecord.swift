import CELRuntime
import RescindJSON
import RescindUnsafe

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
    let sites: UnownedRef<ConditionSites>
    /// Each site's outcome, then each rule's (1 when it matched), in memory this object
    /// owns: written and read without reference counting.
    private let outcomes: OwnedBuffer<UInt8>
    private let siteCount: Int
    private(set) var failures: [SiteFailure] = []
    private(set) var tracedValues: [TracedValues] = []
    private(set) var thresholds: [ThresholdExplanation] = []
    private(set) var effect = Effect.deny
    /// The decision's locale, which the explanation is worded in.
    private(set) var locale = "en"
    /// How the refund came out, when deciding reached it.
    var refund: RefundRecord?
    /// The effect a problem raised the decision to after the refund was worked out
    /// (`on_error`, `on_missing`): the derivation is shown, and that it is not paid.
    var refundWithheldBy: Effect?
    /// Where the history list came from, when the service settled it
    /// (`decide(_:history:)`): the thresholds that count it say so.
    var historyOrigin: HistoryOrigin?

    /// What deciding found about the refund.
    enum RefundRecord {
        /// The refunds' `applies_when` does not hold: nothing is refunded.
        case notApplicable
        case derived(RefundDerivation)
    }

    init(policy: PolicySet, request: ObjectValue) {
        self.policy = policy
        self.request = request
        let sites = policy.plan.sites
        self.sites = UnownedRef(sites)
        siteCount = sites.count
        outcomes = OwnedBuffer(repeating: SiteOutcome.notEvaluated.rawValue, count: sites.count + policy.rules.count)
    }

    // MARK: Recording (while deciding)

    func record(site: Int, _ outcome: SiteOutcome) { outcomes[site] = outcome.rawValue }
    func record(site: Int, failure: String) {
        outcomes[site] = SiteOutcome.failed.rawValue
        failures.append(SiteFailure(site: site, message: failure))
    }
    func record(site: Int, traced values: [ObservedValue]) { tracedValues.append(TracedValues(site: site, values: values)) }
    func record(rule: Int, matched: Bool) { outcomes[siteCount + rule] = matched ? 1 : 0 }
    func record(_ threshold: ThresholdExplanation) { thresholds.append(threshold) }
    func finish(effect: Effect, locale: String) {
        self.effect = effect
        self.locale = locale
    }

    // MARK: Reading

    func siteOutcome(_ site: Int) -> SiteOutcome { SiteOutcome(rawValue: outcomes[site])! }
    func ruleMatched(_ rule: Int) -> Bool { outcomes[siteCount + rule] == 1 }

    /// The outcome of the condition at `site` as shown: negated under a `not:`.
    @usableFromInline
    func outcome(_ site: Int) -> ConditionExplanation.Outcome {
        let negated = sites.withObject { $0.negated[site] }
        switch siteOutcome(site) {
        case .notEvaluated: return .notEvaluated
        case .holds: return negated ? .false : .true
        case .fails: return negated ? .true : .false
        case .failed: return .error(failures.first { $0.site == site }?.message ?? "")
        }
    }

    func expression(_ site: Int) -> CompiledExpression {
        sites.withObject { $0.expressionRefs[site].object }
    }

    func isNegated(_ site: Int) -> Bool { sites.withObject { $0.negated[site] } }

    /// Where the values a condition read are: a range of the policy set's observed
    /// paths (`ConditionSites.observedFields`), or, for a traced condition, a range of
    /// its recorded values and the index of that record (-1 otherwise). Empty when
    /// the condition was not evaluated.
    @usableFromInline
    func observedPositions(_ site: Int) -> (range: Range<Int>, traced: Int) {
        guard siteOutcome(site) != .notEvaluated else { return (0..<0, -1) }
        let (paths, isTraced) = sites.withObject { ($0.observedRanges[site], $0.traced[site]) }
        guard isTraced else { return (paths, -1) }
        guard let record = tracedValues.firstIndex(where: { $0.site == site }) else { return (0..<0, -1) }
        return (0..<tracedValues[record].values.count, record)
    }

    /// The value at an observed position (see `observedPositions`), nil when absent.
    @usableFromInline
    func observedValue(_ index: Int, traced: Int) -> ObservedValue? {
        if traced >= 0 { return tracedValues[traced].values[index] }
        let request = self.request
        return sites.withObject { sites -> ObservedValue? in
            guard let value = sites.observedFields[index]?.withObject({ $0.read(from: request) }) else {
                return nil
            }
            return ObservedValue(path: sites.observedNames[index], raw: value, policy: policy)
        }
    }

    var explanation: Explanation {
        let locale = self.locale
        let thresholds = self.thresholds.map { threshold -> ThresholdExplanation in
            var threshold = threshold
            threshold.locale = locale
            return threshold
        }
        return Explanation(rules: RuleExplanations(source: self), thresholds: thresholds, effect: effect, source: self)
    }
}

extension Explanation {
    /// For a deny or review: the tier reached, the deny or review rule that decided, and
    /// each piece of advice, in words.
    static func alternatives(
        effect: Effect, rules ruleExplanations: RuleExplanations, thresholds: [ThresholdExplanation], advice: [Advice],
        words: ExplanationWords
    ) -> [String] {
        guard effect != .allow else { return [] }
        var result = thresholds.compactMap { $0.alternative(words) }.filter { $0.effect == effect }.map(\.text)
        // A matched deny or review rule outweighs any allow rule: name what it tests.
        for rule in ruleExplanations where rule.matched && rule.effect == effect && rule.effect > .allow {
            let tests = rule.conditions.filter { $0.outcome == .true }.map { condition in
                (expression: condition.expression, seen: condition.observed.map { ($0.path, $0.shown) })
            }
            result.append(words.blocking(rule: rule.id, effect: rule.effect, tests: tests))
        }
        return result + advice.map { words.advice($0, current: effect) }
    }
}

extension ExplanationSource {
    /// Advice for a deny or review (see `Explanation.advice`). A rule is offered only
    /// when every condition of it that fails can be made to hold by changing request
    /// values other than the actor's (who asks cannot change), and only with the
    /// outcome that deciding the changed request gives.
    func advice() -> [Advice] {
        guard effect != .allow else { return [] }
        let rules = RuleExplanations(source: self)
        // A matched deny or review rule outweighs any allow rule: it is named instead.
        guard !rules.contains(where: { $0.matched && $0.effect > .allow }) else { return [] }
        var result: [Advice] = []
        for (index, rule) in policy.rules.enumerated() where rule.effect == .allow && !ruleMatched(index) {
            let ruleSites = sites.withObject { $0.ruleSites[index] }
            var changed = request
            var changes: [AdviceChange] = []
            var derivable = true
            for site in ruleSites where outcome(site) != .true {
                // Each condition sees the changes made for the ones before it.
                guard let change = change(making: site, hold: changed),
                    let next = change.apply(to: changed)
                else {
                    derivable = false
                    break
                }
                changes.append(change)
                changed = next
            }
            guard derivable, !changes.isEmpty else { continue }
            // Promise only what deciding the changed request gives.
            let decision = policy.decide(changed, options: DecisionOptions(locale: locale))
            guard decision.matchedRules.contains(rule.id) else { continue }
            result.append(Advice(
                rule: rule.id, effect: rule.effect, changes: changes, outcome: decision.effect,
                deciding: decision.decidingRules))
        }
        // What works first; each group in policy order.
        return result.filter(\.works) + result.filter { !$0.works }
    }

    /// A change of one request value that makes the condition at `site` hold (as shown:
    /// false under a `not:`), found by trying values: every other value of an enum, the
    /// other bool, and for an int or a timestamp the boundary nearest to the current
    /// value (conditions compare a value to a bound, so whether they hold changes once
    /// along the line, and a binary search finds where). Nil when no single value of a
    /// path that is not the actor's does it.
    private func change(making site: Int, hold request: ObjectValue) -> AdviceChange? {
        let expression = self.expression(site)
        let wanted = !isNegated(site)
        let shown = isNegated(site) ? expression.negatedSource : expression.source
        func holds(_ candidate: ObjectValue) -> Bool {
            if case .success(.bool(let value)) = expression.program.evaluate(policy.activation(for: candidate)) {
                return value == wanted
            }
            return false
        }
        var tried: Set<String> = []
        for observed in expression.observed where tried.insert(observed.path).inserted {
            // Who asks cannot change.
            guard !observed.path.hasPrefix("actor."), observed.path != "actor" else { continue }
            let names = observed.path.split(separator: ".").map(String.init)
            guard let field = observed.field ?? FieldPath(names, from: policy.schema.root) else { continue }
            let current = field.read(from: request)
            func change(_ relation: AdviceChange.Relation, _ value: Value) -> AdviceChange {
                AdviceChange(
                    path: observed.path, relation: relation, value: value, current: current, condition: shown,
                    location: expression.location, policy: policy)
            }
            func trying(_ value: Value) -> Bool {
                AdviceChange.setting(names[...], in: request, to: value).map(holds) ?? false
            }
            switch field.type {
            case .enumString(let values):
                // The values nearest the current one first: an order that has shipped
                // would pass as still processing sooner than as never paid.
                var position = values.values.count
                if case .string(let now)? = current, let index = values.values.firstIndex(of: now) { position = index }
                let nearest = values.values.indices.sorted { (abs($0 - position), $0) < (abs($1 - position), $1) }
                for index in nearest where index != position && trying(.string(values.values[index])) {
                    return change(.equals, .string(values.values[index]))
                }
            case .bool:
                guard case .bool(let value)? = current, trying(.bool(!value)) else { continue }
                return change(.equals, .bool(!value))
            case .int:
                guard case .int(let value)? = current,
                    let (bound, relation) = Self.boundary(from: value, in: 0...(1 << 40), trying: { trying(.int($0)) })
                else { continue }
                return change(relation, .int(bound))
            case .timestamp:
                guard case .timestamp(let value)? = current,
                    let (bound, relation) = Self.boundary(
                        from: value.seconds, in: Self.timestampRange,
                        trying: { CELTimestamp(seconds: $0).map { trying(.timestamp($0)) } ?? false }),
                    let time = CELTimestamp(seconds: bound)
                else { continue }
                return change(relation, .timestamp(time))
            default:
                continue
            }
        }
        return nil
    }

    /// The instants a request may carry (the reference schema's bounds, 2000-01-01 to
    /// 2100-01-01 UTC): advice never proposes a time no request could have.
    static let timestampRange: ClosedRange<Int64> = 946_684_800...4_102_444_800

    /// The value nearest to `current` within `range` for which `trying` holds, when the
    /// values for which it holds are the ones at or past a single bound: above (`atLeast`)
    /// or below (`atMost`) the current value.
    static func boundary(
        from current: Int64, in range: ClosedRange<Int64>, trying: (Int64) -> Bool
    ) -> (Int64, AdviceChange.Relation)? {
        // A value outside the range has no side to search from.
        guard range.contains(current) else { return nil }
        // Upwards: double the step until it holds, then halve the gap.
        for direction: Int64 in [1, -1] {
            var failing = current
            var step: Int64 = 1
            var found: Int64?
            while true {
                let (probe, overflow) = current.addingReportingOverflow(direction * step)
                let clamped = overflow ? (direction > 0 ? range.upperBound : range.lowerBound)
                    : min(max(probe, range.lowerBound), range.upperBound)
                if clamped == failing { break }
                if trying(clamped) {
                    found = clamped
                    break
                }
                failing = clamped
                if clamped == range.lowerBound || clamped == range.upperBound || step > (1 << 50) { break }
                step *= 2
            }
            guard var holding = found else { continue }
            // `failing` fails and `holding` holds: find the boundary between them.
            while abs(holding - failing) > 1 {
                let middle = failing + (holding - failing) / 2
                if trying(middle) { holding = middle } else { failing = middle }
            }
            return (holding, direction > 0 ? .atLeast : .atMost)
        }
        return nil
    }
}


/// A way to a different outcome: an allow rule that did not match, the request values
/// that would make every one of its failing conditions hold, and the decision those
/// changes give (checked by deciding the changed request).
package struct Advice: Sendable {
    /// The rule the changes make hold.
    package let rule: String
    /// The rule's effect (allow).
    package let effect: Effect
    /// One change per condition that fails now, in the order the rule writes them.
    package let changes: [AdviceChange]
    /// The effect of the decision on the request with every change applied.
    package let outcome: Effect
    /// The rules and tiers that decide the changed request.
    package let deciding: [String]

    /// Whether the changes give the rule's effect; when not, `deciding` says what still
    /// decides instead (a tier, another rule).
    package var works: Bool { outcome == effect }
}

/// One request value to change, so that a condition holds.
package struct AdviceChange: Sendable {
    /// How the new value relates to the condition: exactly this value, or any value at
    /// or past a bound (for a time: no earlier / no later than it).
    package enum Relation: String, Sendable {
        case equals
        case atLeast = "at_least"
        case atMost = "at_most"
    }

    /// The request path (`reason`, `order.placed_at`).
    package let path: String
    package let relation: Relation
    /// The value to set (for a bound, the bound itself, which satisfies it).
    package let value: Value
    /// The value the request has now.
    package let current: Value?
    /// The condition the change makes hold, as the explanation shows it.
    package let condition: String
    package let location: SourceReference
    /// Times as shown, in the policy calendar's zone.
    let valueTime: LocalTime?
    let currentTime: LocalTime?

    init(
        path: String, relation: Relation, value: Value, current: Value?, condition: String, location: SourceReference,
        policy: PolicySet
    ) {
        self.path = path
        self.relation = relation
        self.value = value
        self.current = current
        self.condition = condition
        self.location = location
        func local(_ value: Value?) -> LocalTime? {
            if case .timestamp(let t)? = value { return policy.localTime(t.seconds) }
            return nil
        }
        valueTime = local(value)
        currentTime = local(current)
    }

    /// The new value as people read it (a time in the policy calendar's zone).
    package var shownValue: String { ExplanationWords.show(value, time: valueTime) }
    /// The current value as people read it; nil when the request has none.
    package var shownCurrent: String? { current.map { ExplanationWords.show($0, time: currentTime) } }

    /// The new value as request JSON: `"input_error"`, `true`, `1`,
    /// `"2026-11-27T08:30:00+08:00"`, `"12.50"`.
    package var json: String { Self.json(value, time: valueTime) }

    /// The current value as request JSON; nil when the request has none.
    package var currentJSON: String? { current.map { Self.json($0, time: currentTime) } }

    /// `json`, into a document being written.
    func writeJSON(into out: inout JSONWriter) { Self.write(value, time: valueTime, into: &out) }

    /// `currentJSON` (`null` when the request has none), into a document being written.
    func writeCurrentJSON(into out: inout JSONWriter) {
        guard let current else { return out.literal("null") }
        Self.write(current, time: currentTime, into: &out)
    }

    private static func json(_ value: Value, time: LocalTime?) -> String {
        JSONWriter.text(capacity: 32) { write(value, time: time, into: &$0) }
    }

    private static func write(_ value: Value, time: LocalTime?, into out: inout JSONWriter) {
        switch value {
        case .string(let s): out.string(s)
        case .bool(let b): out.bool(b)
        case .int(let i): out.integer(i)
        case .decimal(let d): out.string(d.description)
        case .timestamp: out.string(time?.description ?? value.celLiteral)
        default: out.string(value.celLiteral)
        }
    }

    /// The request with this change made; nil when the path cannot be set (an object on
    /// the way is absent).
    package func apply(to request: ObjectValue) -> ObjectValue? {
        Self.setting(path.split(separator: ".").map(String.init)[...], in: request, to: value)
    }

    /// A copy of `object` with the field at `names` set to `value`, objects on the way
    /// copied; the original is never changed (requests are immutable and shared).
    static func setting(_ names: ArraySlice<String>, in object: ObjectValue, to value: Value) -> ObjectValue? {
        guard let name = names.first, let slot = object.type.slot(of: name) else { return nil }
        var fields = Array(object.fields)
        if names.count == 1 {
            fields[slot] = value
        } else {
            guard case .object(let child)? = fields[slot], let changed = setting(names.dropFirst(), in: child, to: value)
            else { return nil }
            fields[slot] = .object(changed)
        }
        return ObjectValue.make(type: object.type, fields: fields)
    }
}
