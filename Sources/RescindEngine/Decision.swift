public import CELRuntime
import RescindUnsafe

/// The answer to "may this cancellation go ahead, and what must happen next?".
///
/// Deciding records what matched and computes every value that can fail (refund
/// amounts, obligation expressions); the texts people read — reasons, formatted
/// amounts and deadlines — are rendered from those when asked for, so an embedding
/// service that needs only the effect never pays for them. Rendering is deterministic:
/// the same decision always yields the same texts.
public struct Decision: Sendable {
    public let requestID: String?
    public let effect: Effect
    public let locale: String
    /// What kept the decision from being made in full as written (a condition that
    /// failed, treated as not matched; no refund case; a deadline outside the calendar's
    /// years; a threshold's list not sent). Any problem makes the effect at least the
    /// policy set's `on_error` (a threshold's `on_missing` for its list).
    public var problems: [EvaluationProblem] { details?.problems ?? [] }
    /// Present only when asked for; a view over what deciding recorded, made each time it
    /// is read (rendering reads it once).
    public var explanation: Explanation? {
        details?.explanation?.explanation
    }
    /// The refund, when the decision allows a cancellation of a paid order.
    public let refund: Refund?

    let policySet: PolicySet
    let request: ObjectValue
    let matched: OutcomeSet
    /// What most decisions do not have, in one reference: nil when there are no problems,
    /// no explanation, no tier reached and no computed obligation values, so a plain
    /// decision is small to return and to release.
    let details: DecisionDetails?

    /// The count of the first threshold that reached a tier (the usual only one);
    /// further ones are in `details`.
    let firstTierCount: TierCount?

    /// The count of a threshold that reached a tier, for `{count}` in its reason.
    func tierCount(of threshold: Int) -> Int64? {
        if let first = firstTierCount, first.threshold == threshold { return first.count }
        return details?.moreTierCounts.first { $0.threshold == threshold }?.count
    }
    /// The values of the deciding outcomes' computed obligation fields, in order.
    var obligationValues: [Value] { details?.obligationValues ?? [] }

    init(
        requestID: String?, effect: Effect, locale: String, refund: Refund?, policySet: PolicySet,
        request: ObjectValue, matched: OutcomeSet, firstTierCount: TierCount?, details: DecisionDetails?
    ) {
        self.firstTierCount = firstTierCount
        self.requestID = requestID
        self.effect = effect
        self.locale = locale
        self.refund = refund
        self.policySet = policySet
        self.request = request
        self.matched = matched
        self.details = details
    }

    /// Which policy set decided.
    public var policy: PolicyIdentity { policySet.identity }

    /// Every rule and tier that matched, in policy order (rules, then tiers).
    public var matchedRules: [String] { matched.map { policySet.outcomes[$0].id } }

    /// The matched rules and tiers whose effect is the final effect (empty when the
    /// default decided).
    public var decidingRules: [String] { deciding.map { policySet.outcomes[$0].id } }

    /// Indexes of the deciding outcomes, computed as iterated (no array).
    var deciding: LazyFilterSequence<OutcomeSet> {
        let effects = policySet.plan.effects
        let effect = self.effect
        return matched.lazy.filter { effects[$0] == effect }
    }

    /// The pseudo rules (`on-error`, `on-missing`) whose effect the problems made the
    /// decision's: what decided when `decidingRules` is empty and the default did not.
    public var problemRules: [String] {
        guard let problems = details?.problems, !problems.isEmpty else { return [] }
        var rules: [String] = []
        for problem in problems {
            let policy = policySet.problemPolicy(of: problem)
            let rule = policySet.pseudoRule(of: problem)
            if policy.effect == effect && effect != .allow && !rules.contains(rule) { rules.append(rule) }
        }
        return rules
    }

    /// One localized reason per deciding rule or tier, or the default's.
    public var reasons: [Reason] {
        var reasons: [Reason] = []
        forEachReason { reasons.append(Reason(rule: $0, text: $1)) }
        return reasons
    }

    /// Renders each reason in order: `body(rule, text)`. The deciding rules' and tiers'
    /// reasons, then those of the problems whose `on_error` / `on_missing` effect is the
    /// decision's (`on-error`, `on-missing`, once each); the default's when there is none.
    ///
    /// With `outcomes: false` the deciding rules' and tiers' reasons are left out (the
    /// JSON writer writes those itself) and the rest is given as with them.
    func forEachReason(outcomes: Bool = true, _ body: (String, String) -> Void) {
        var renderer = MessageRenderer(decision: self)
        var any = false
        for index in deciding {
            any = true
            guard outcomes else { break }
            body(policySet.outcomes[index].id, renderer.render(outcome: index))
        }
        if let problems = details?.problems, !problems.isEmpty {
            var shown: [ObjectIdentifier] = []
            for problem in problems {
                let policy = policySet.problemPolicy(of: problem)
                // An `allow` problem effect (`on_history_unavailable: allow`) decided nothing.
                guard policy.effect == effect, effect != .allow, !shown.contains(ObjectIdentifier(policy)) else {
                    continue
                }
                shown.append(ObjectIdentifier(policy))
                any = true
                body(policySet.pseudoRule(of: problem), renderer.render(policy.reason))
            }
        }
        if !any { body("default", renderer.render(policySet.defaultReason)) }
    }

    /// The refund first (when there is one), then the deciding rules' and tiers'
    /// obligations in policy order.
    public var obligations: [Obligation] {
        var result: [Obligation] = []
        if let refund { result.append(refund.obligation) }
        forEachRuleObligation { result.append($0) }
        return result
    }

    /// The deciding rules' and tiers' obligations in policy order (not the refund).
    func forEachRuleObligation(_ body: (Obligation) -> Void) {
        // Computed obligation values come only from deciding outcomes with obligations.
        guard hasRuleObligations else { return }
        var renderer = MessageRenderer(decision: self)
        var values = obligationValues.makeIterator()
        for index in deciding {
            let outcome = policySet.outcomes[index]
            guard !outcome.obligations.isEmpty else { continue }
            let reason = renderer.render(outcome: index)
            for template in outcome.obligations {
                body(renderer.obligation(template, source: outcome.id, reason: reason, values: &values))
            }
        }
    }
}

/// A threshold (by index) that reached a tier, and its count.
struct TierCount: Sendable {
    let threshold: Int
    let count: Int64
}

/// The parts of a decision that most decisions do not have. (On this platform an array
/// allocation costs about as much as a whole plain decision, so a decision keeps
/// none of its own and one reference to these.)
final class DecisionDetails: Sendable {
    let problems: [EvaluationProblem]
    let explanation: ExplanationSource?
    /// Tier counts after `Decision.firstTierCount`.
    let moreTierCounts: [TierCount]
    let obligationValues: [Value]

    /// Nil when every part is empty.
    static func make(
        problems: [EvaluationProblem], explanation: ExplanationSource?, moreTierCounts: [TierCount],
        obligationValues: [Value]
    ) -> DecisionDetails? {
        if problems.isEmpty && explanation == nil && moreTierCounts.isEmpty && obligationValues.isEmpty {
            return nil
        }
        return DecisionDetails(
            problems: problems, explanation: explanation, moreTierCounts: moreTierCounts,
            obligationValues: obligationValues)
    }

    private init(
        problems: [EvaluationProblem], explanation: ExplanationSource?, moreTierCounts: [TierCount],
        obligationValues: [Value]
    ) {
        self.problems = problems
        self.explanation = explanation
        self.moreTierCounts = moreTierCounts
        self.obligationValues = obligationValues
    }
}

/// What a refund obligation carries, typed.
public struct Refund: Sendable, Hashable {
    public let amount: CELDecimal
    public let fee: CELDecimal
    public let currency: String
    public let initiateBy: LocalTime
    public let expectedBy: LocalTime

    package static let type = "refund"
    static let source = "refunds"
    /// The fields `forEachField` writes, in order.
    package static let fieldNames = ["amount", "fee", "currency", "initiate_by", "expected_by"]

    /// As an obligation, with the fixed field names `amount`, `fee`, `currency`,
    /// `initiate_by`, `expected_by`.
    public var obligation: Obligation {
        var fields: [Obligation.Field] = []
        fields.reserveCapacity(5)
        forEachField { fields.append(.init(name: $0, value: $1)) }
        return Obligation(type: Self.type, source: Self.source, fields: fields)
    }

    /// The fields in order, without building the obligation (the JSON writer's path).
    func forEachField(_ body: (String, Obligation.FieldValue) -> Void) {
        body("amount", .decimal(amount, scale: 2))
        body("fee", .decimal(fee, scale: 2))
        body("currency", .string(currency))
        body("initiate_by", .time(initiateBy))
        body("expected_by", .time(expectedBy))
    }
}

/// An instant with the UTC offset it is shown in (a calendar's zone at that instant).
public struct LocalTime: Sendable, Hashable, CustomStringConvertible {
    public let epochSeconds: Int64
    public let utcOffset: Int

    public init(epochSeconds: Int64, utcOffset: Int) {
        self.epochSeconds = epochSeconds
        self.utcOffset = utcOffset
    }

    /// RFC 3339 with the offset: `2026-12-02T23:59:59+08:00`.
    public var description: String { Deadline.format(epochSeconds, offset: utcOffset) }
}

/// Which policy set made a decision.
public struct PolicyIdentity: Sendable, Hashable {
    public let name: String
    public let version: String
    public let digest: String
}

/// A localized reason and the rule it comes from (`default` for the default decision).
public struct Reason: Sendable, Hashable {
    public let rule: String
    public let text: String
}

/// Something that kept a decision from being made as the policy is written: a condition
/// or value that failed to evaluate, a refund with no case or outside its calendar's
/// years, a threshold's list not supplied. A decision with a problem never allows on
/// the strength of it: the policy set's `on_error` effect (or the threshold's
/// `on_missing`) is the least it decides.
public struct EvaluationProblem: Sendable, Hashable {
    /// What went wrong, as `problems[].kind` in JSON and the `kind` label of
    /// `rescind_decision_problems_total`.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An expression failed (a type or arithmetic error, a missing value, its own cost limit).
        case evaluationError = "evaluation-error"
        /// The decision's cost budget (`DecisionOptions.costBudget`) was spent.
        case costBudget = "cost-budget"
        /// A refund was due but no `initiate_within` / `expect_within` case held.
        case noRefundCase = "no-refund-case"
        /// A refund deadline needs a day outside the years its calendar covers.
        case calendarOutOfRange = "calendar-out-of-range"
        /// A threshold applies but the list it counts was not supplied.
        case missingList = "missing-list"
        /// The history store did not answer for the request's buyer
        /// (`on_history_unavailable`).
        case historyUnavailable = "history-unavailable"
    }

    public let kind: Kind
    /// The rule, tier or threshold (or `refunds`) whose part failed.
    public let rule: String
    /// The expression that failed, or what was being worked out (`initiate_within`).
    public let expression: String
    public let location: SourceReference
    public let message: String

    public init(
        kind: Kind = .evaluationError, rule: String, expression: String, location: SourceReference, message: String
    ) {
        self.kind = kind
        self.rule = rule
        self.expression = expression
        self.location = location
        self.message = message
    }

    /// The message of an expression stopped because the decision's cost budget
    /// (`DecisionOptions.costBudget`) was spent.
    public static let costBudgetSpent = "the decision's evaluation cost budget is spent"

    /// Whether the expression was stopped by the decision's cost budget.
    public var spentCostBudget: Bool { kind == .costBudget }
}

/// Something that must happen because of a decision: a refund, a notification, …
/// Fields keep their policy order so output is stable.
public struct Obligation: Sendable, Hashable {
    /// A field's value, typed; `text` is how it appears in JSON and to people.
    public enum FieldValue: Sendable, Hashable {
        case string(String)
        case int(Int64)
        case bool(Bool)
        /// An amount, shown with a fixed number of decimal places ("6.50").
        case decimal(CELDecimal, scale: Int)
        /// An instant, shown in RFC 3339 with its offset.
        case time(LocalTime)

        /// The value as text: amounts at their scale, instants in RFC 3339.
        public var text: String {
            switch self {
            case .string(let s): s
            case .int(let i): String(i)
            case .bool(let b): b ? "true" : "false"
            case .decimal(let d, let scale): d.formatted(scale: scale)
            case .time(let t): t.description
            }
        }
    }

    public let type: String
    /// The rule or tier that produced it (`refunds` for the refund).
    public let source: String
    public let fields: [Field]

    public init(type: String, source: String, fields: [Field]) {
        self.type = type
        self.source = source
        self.fields = fields
    }

    public struct Field: Sendable, Hashable {
        public let name: String
        public let value: FieldValue

        public init(name: String, value: FieldValue) {
            self.name = name
            self.value = value
        }
    }

    public subscript(name: String) -> FieldValue? { fields.first { $0.name == name }?.value }
}

/// Why the decision came out as it did, rule by rule.
public struct Explanation: Sendable {
    /// Every rule in policy order, with its outcome and its conditions'.
    public let rules: RuleExplanations
    public let thresholds: [ThresholdExplanation]
    /// The decision's effect, which the alternatives are read against.
    let effect: Effect
    let source: ExplanationSource

    /// The locale the explanation is worded in: the decision's.
    public var locale: String { source.locale }

    /// The words of the explanation in its locale (Chinese for `zh…`, else English).
    package var words: ExplanationWords { ExplanationWords(locale: source.locale) }

    /// What would have changed a deny or review, in words: the tier reached, the rule
    /// that decided, and each piece of `advice`. Rendered when read, like every other
    /// text of a decision.
    public var alternatives: [String] {
        Self.alternatives(effect: effect, rules: rules, thresholds: thresholds, advice: advice, words: words)
    }

    /// For a deny or review, each allow rule that a change of the request (not of who
    /// asks) would make hold, with every condition that has to change and the decision
    /// those changes were checked to give. Derived and checked when read (it decides
    /// the changed request again), never while deciding.
    package var advice: [Advice] { source.advice() }

    /// How the refund was worked out, when the decision allows and the policy set has
    /// refunds: the cases chosen, the fee and amount with their values, and the business
    /// days counted.
    public var refund: RefundExplanation? { source.refundExplanation() }

    /// A rule or a threshold, as the explanation lists them.
    public enum Item: Sendable {
        case rule(RuleExplanation)
        case threshold(ThresholdExplanation)
    }

    /// Rules and thresholds as a reader wants them: what decided (rules, and thresholds
    /// whose tier has the decision's effect), then what else matched or reached a tier,
    /// then the rules that did not match and the thresholds that reached no tier; each
    /// group in policy order, rules before thresholds.
    public var readingOrder: [Item] {
        let all = Array(rules)
        let effect = self.effect
        func tierEffect(_ threshold: ThresholdExplanation) -> Effect? { threshold.reachedTier?.effect }
        var items: [Item] = all.filter { $0.matched && $0.effect == effect }.map(Item.rule)
        items += thresholds.filter { tierEffect($0) == effect }.map(Item.threshold)
        items += all.filter { $0.matched && $0.effect != effect }.map(Item.rule)
        items += thresholds.filter { tierEffect($0).map { $0 != effect } ?? false }.map(Item.threshold)
        items += all.filter { !$0.matched }.map(Item.rule)
        items += thresholds.filter { tierEffect($0) == nil }.map(Item.threshold)
        return items
    }
}

/// The rules of an explanation, in policy order. A view over what deciding recorded:
/// each rule, condition and value is put together when read, so walking them
/// allocates nothing (deciding with an explanation allocates its one record).
public struct RuleExplanations: RandomAccessCollection, Sendable {
    let source: ExplanationSource

    public var startIndex: Int { 0 }
    public var endIndex: Int { source.policy.rules.count }

    public subscript(position: Int) -> RuleExplanation {
        let rule = source.policy.rules[position]
        let sites = source.sites.withObject { $0.ruleSites[position] }
        return RuleExplanation(
            id: rule.id, description: rule.descriptions.text(for: source.locale), effect: rule.effect, matched: source.ruleMatched(position),
            location: rule.location, conditions: ConditionExplanations(source: source, sites: sites))
    }
}

/// One rule's outcome with the values its conditions saw.
public struct RuleExplanation: Sendable {
    public let id: String
    /// The rule's `description` in the explanation's locale (its one text when the
    /// policy wrote one for every locale).
    public let description: String
    public let effect: Effect
    public let matched: Bool
    public let location: SourceReference
    public let conditions: ConditionExplanations
}

// The views below are inlinable: a program reading an explanation lives in another
// module, and calls across it would retain and release the shared source at every
// step; inlined, a walk over the explanation touches its count a few times in all.

/// A rule's conditions in the order written (`all`/`any`/`not` flattened). Indexes
/// number the policy set's conditions, as a slice's index its base array.
public struct ConditionExplanations: RandomAccessCollection, Sendable {
    @usableFromInline let source: ExplanationSource
    @usableFromInline let sites: Range<Int>

    init(source: ExplanationSource, sites: Range<Int>) {
        self.source = source
        self.sites = sites
    }

    // Indexes from zero, like any collection: `rule.conditions[0]` is the rule's first
    // condition. The policy-wide site number is an offset kept inside.
    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { sites.count }

    @inlinable
    public subscript(position: Int) -> ConditionExplanation {
        precondition(position >= 0 && position < sites.count, "condition index out of range")
        return ConditionExplanation(source: source, site: sites.lowerBound + position)
    }
}

/// One CEL condition's outcome and the request values it read. (One reference and a
/// number: its parts are read from the recorded decision when asked for.)
public struct ConditionExplanation: Sendable {
    public enum Outcome: Sendable, Hashable {
        case `true`
        case `false`
        case notEvaluated
        case error(String)
    }

    @usableFromInline let source: ExplanationSource
    @usableFromInline let site: Int

    @inlinable
    init(source: ExplanationSource, site: Int) {
        self.source = source
        self.site = site
    }

    /// The condition as compiled; shown negated when the rule wrote `not:` around it.
    package var condition: CompiledExpression { source.expression(site) }
    public var negated: Bool { source.isNegated(site) }
    @inlinable public var outcome: Outcome { source.outcome(site) }
    /// Request paths the condition read, with their values.
    @inlinable public var observed: ObservedValues { ObservedValues(source: source, site: site) }

    /// The CEL text as written, or `!(text)` under a `not:`.
    public var expression: String { negated ? condition.negatedSource : condition.source }
    public var location: SourceReference { condition.location }
}

/// The values a condition read: the request fields on its paths that are present, in
/// the order the condition reads them (none when it was not evaluated). Read from the
/// request when iterated; values only its evaluation could reach were recorded then.
public struct ObservedValues: Sequence, Sendable {
    @usableFromInline let source: ExplanationSource
    @usableFromInline let site: Int

    @inlinable
    init(source: ExplanationSource, site: Int) {
        self.source = source
        self.site = site
    }

    @inlinable
    public var isEmpty: Bool {
        var iterator = makeIterator()
        return iterator.next() == nil
    }

    @inlinable
    public func makeIterator() -> Iterator { Iterator(source: source, positions: source.observedPositions(site)) }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let source: ExplanationSource
        /// Positions among the policy set's observed paths (or, for a traced condition,
        /// among its recorded values; see `ExplanationSource.observedPositions`).
        @usableFromInline var position: Int
        @usableFromInline let end: Int
        @usableFromInline let traced: Int

        @inlinable
        init(source: ExplanationSource, positions: (range: Range<Int>, traced: Int)) {
            self.source = source
            position = positions.range.lowerBound
            end = positions.range.upperBound
            traced = positions.traced
        }

        @inlinable
        public mutating func next() -> ObservedValue? {
            while position < end {
                let index = position
                position += 1
                if let value = source.observedValue(index, traced: traced) { return value }
            }
            return nil
        }
    }
}

/// A request value a condition read.
public struct ObservedValue: Sendable {
    /// The path as written in the condition (`order.status`).
    public let path: String
    package let raw: Value
    /// A timestamp as shown: in the policy calendar's zone.
    let time: LocalTime?

    init(path: String, raw: Value, policy: PolicySet) {
        self.path = path
        self.raw = raw
        if case .timestamp(let t) = raw { time = policy.localTime(t.seconds) } else { time = nil }
    }

    /// The value as a CEL literal (`"paid"`, `decimal("129.99")`).
    public var value: String { raw.celLiteral }

    /// The value as people read it: a timestamp in the policy calendar's zone
    /// (`2026-11-27T10:00:00+08:00`), an amount as a number (`129.99`), anything else as
    /// its CEL literal.
    public var shown: String { ExplanationWords.show(raw, time: time) }
}

/// A threshold's count and the tier it reached.
public struct ThresholdExplanation: Sendable {
    public let id: String
    public let applied: Bool
    /// Why it did not apply ("suspended by rule `x`", "applies_when is false").
    public let note: String?
    public let count: Int64?
    public let tier: String?
    public let location: SourceReference
    let threshold: Threshold
    /// The request time, as the window's end is shown.
    let at: LocalTime?
    /// The explanation's locale, which descriptions are shown in: the decision's, set
    /// when the explanation is read (deciding records the notes before it is known).
    var locale = "en"
    /// Why it did not apply, typed, so the note can be worded in any locale.
    let skip: Skip?
    /// Where the counted list came from, when the service settled it: nil for a
    /// threshold that does not count the history, or a decision made without a store.
    let historySource: HistoryOrigin?

    /// Why a threshold did not apply.
    enum Skip: Sendable {
        case suspended(by: String)
        case notApplicable
        /// The request did not send the counted list (`on_missing`): `path` is what is
        /// missing, `effect` the least the decision then is.
        case missingList(path: String, effect: Effect)
    }

    init(
        id: String, applied: Bool, note: String?, count: Int64?, tier: String?, location: SourceReference,
        threshold: Threshold, at: LocalTime?, skip: Skip? = nil, historySource: HistoryOrigin? = nil
    ) {
        self.historySource = historySource
        self.id = id
        self.applied = applied
        self.note = note
        self.count = count
        self.tier = tier
        self.location = location
        self.threshold = threshold
        self.at = at
        self.skip = skip
    }

    /// The threshold's `description` in the explanation's locale.
    public var description: String { threshold.descriptions.text(for: locale) }
    /// The `description` of the tier reached, if any, in the explanation's locale.
    public var tierDescription: String? { reachedTier?.descriptions.text(for: locale) }

    /// The note, or what was counted and where the count stands among the tiers:
    /// "5 counted in … within the 30 days before 2026-11-27T10:00:00+08:00; tier
    /// `abuse-review` starts at 5, `abuse-block` at 8".
    public var text: String {
        if let note { return note }
        guard let count else { return "" }
        let at = self.at.map { " before \($0)" } ?? ""
        var text = "\(count) counted in \(threshold.countedList) within the \(threshold.windowText)\(at)"
        switch historySource {
        case .store?: text += " (from the history store)"
        case .request?: text += " (as the request carried it)"
        case .unavailable?: text += " (the history store did not answer, so none were supplied)"
        case nil: break
        }
        if let tier = reachedTier {
            text += "; tier `\(tier.id)` starts at \(tier.atLeast)"
            if let next = threshold.tiers.first(where: { $0.atLeast > count }) {
                text += ", `\(next.id)` at \(next.atLeast)"
            }
        } else if let first = threshold.tiers.first {
            text += "; the first tier `\(first.id)` starts at \(first.atLeast)"
        }
        return text
    }

    var reachedTier: Threshold.Tier? { tier.flatMap { id in threshold.tiers.first { $0.id == id } } }

}

extension Threshold {
    /// The window in words: "30 days", "12 hours".
    var windowText: String {
        let seconds = window.seconds
        if seconds % 86_400 == 0 { return "\(seconds / 86_400) days" }
        if seconds % 3600 == 0 { return "\(seconds / 3600) hours" }
        if seconds % 60 == 0 { return "\(seconds / 60) minutes" }
        return "\(seconds) seconds"
    }
}
