public import CELRuntime

/// The answer to "may this cancellation go ahead, and what must happen next?".
public struct Decision: Sendable {
    public let requestID: String?
    public let effect: Effect
    /// The matched rules and tiers whose effect is the final effect (empty when the
    /// default decided).
    public let decidingRules: [String]
    /// Every rule and tier that matched, in policy order.
    public let matchedRules: [String]
    public let obligations: [Obligation]
    public let reasons: [Reason]
    public let locale: String
    public let policy: PolicyIdentity
    /// Conditions that could not be evaluated (treated as not matched).
    public let problems: [EvaluationProblem]
    /// Present only when asked for.
    public let explanation: Explanation?
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

/// A condition that failed to evaluate.
public struct EvaluationProblem: Sendable, Hashable {
    public let rule: String
    public let expression: String
    public let location: SourceReference
    public let message: String
}

/// Something that must happen because of a decision: a refund, a notification, …
/// Fields keep their policy order so output is stable.
public struct Obligation: Sendable, Hashable {
    /// A field's value as it appears in JSON.
    public enum FieldValue: Sendable, Hashable {
        case string(String)
        case int(Int64)
        case bool(Bool)
        /// Decimal amounts are JSON strings with a fixed scale ("6.50").
        case decimal(String)
    }

    public let type: String
    /// The rule or tier that produced it (`refunds` for the refund).
    public let source: String
    public let fields: [Field]

    public struct Field: Sendable, Hashable {
        public let name: String
        public let value: FieldValue
    }

    public subscript(name: String) -> FieldValue? { fields.first { $0.name == name }?.value }
}

/// Why the decision came out as it did, rule by rule.
public struct Explanation: Sendable {
    public let rules: [RuleExplanation]
    public let thresholds: [ThresholdExplanation]
    /// What would have changed a deny or review, read off the conditions.
    public let alternatives: [String]
}

/// One rule's outcome with the values its conditions saw.
public struct RuleExplanation: Sendable {
    public let id: String
    public let effect: Effect
    public let matched: Bool
    public let location: SourceReference
    public let conditions: [ConditionExplanation]
}

/// One CEL condition's outcome and the request values it read.
public struct ConditionExplanation: Sendable {
    public enum Outcome: Sendable, Hashable {
        case `true`
        case `false`
        case notEvaluated
        case error(String)
    }

    public let expression: String
    public let location: SourceReference
    public let outcome: Outcome
    /// Request paths the condition read, with their values as CEL literals.
    public let observed: [(path: String, value: String)]

    /// The explanation of `!(expression)`.
    var negated: ConditionExplanation {
        let flipped: Outcome = switch outcome {
        case .true: .false
        case .false: .true
        default: outcome
        }
        return ConditionExplanation(
            expression: "!(\(expression))", location: location, outcome: flipped, observed: observed)
    }
}

/// A threshold's count and the tier it reached.
public struct ThresholdExplanation: Sendable {
    public let id: String
    public let applied: Bool
    /// Why it did not apply ("suspended by rule `x`", "applies_when is false").
    public let note: String?
    public let count: Int64?
    public let tier: String?
    public let text: String
    public let location: SourceReference
}
