import RescindDiagnostics
import RescindEngine

// The policy model: what the YAML files say, typed, with a span for every element.
// The loader builds it from YAML; the compiler checks it and turns it into a
// `RescindEngine.PolicySet`. Spans are metadata: they are not part of `==`.

/// A value written in a policy together with where it was written.
package struct Located<Value: Sendable>: Sendable {
    package var value: Value
    package var span: SourceSpan

    package init(_ value: Value, at span: SourceSpan) {
        self.value = value
        self.span = span
    }
}

extension Located: Equatable where Value: Equatable {
    package static func == (lhs: Located, rhs: Located) -> Bool { lhs.value == rhs.value }
}

/// A CEL expression as written in a YAML scalar, with what is needed to map offsets
/// inside the expression back to file positions.
package struct ExpressionText: Sendable, Equatable {
    package var source: String
    package var span: SourceSpan
    /// Where the expression's first character is (after any quote or block indicator).
    package var origin: ExpressionOrigin

    package init(source: String, span: SourceSpan, origin: ExpressionOrigin) {
        self.source = source
        self.span = span
        self.origin = origin
    }

    package static func == (lhs: ExpressionText, rhs: ExpressionText) -> Bool { lhs.source == rhs.source }
}

/// How expression text maps onto its file: line `i` of the expression starts at
/// `lineStarts[i]` (a 1-based line and column in the file). When the text is not a
/// plain copy of the file's characters (quotes with escapes, folded lines),
/// `positions[i]` is where the expression's `i`th Unicode scalar is written, and wins.
package struct ExpressionOrigin: Sendable, Hashable {
    package var lineStarts: [SourceLocation]
    package var positions: [SourceLocation]?

    package init(lineStarts: [SourceLocation], positions: [SourceLocation]? = nil) {
        self.lineStarts = lineStarts
        self.positions = positions
    }
}

/// `kind: policy_set`.
package struct PolicySetHeader: Sendable {
    package var name: Located<String>
    package var version: Located<String>
    package var defaultEffect: Located<Effect>
    package var defaultReason: LocalizedText?
    package var locales: [String]
    /// `files:`, the exact policy files the set is made of (names inside the folder),
    /// so a file lost or left over in a deployment is an error; nil when not given.
    package var files: [Located<String>]?
    /// `on_error`: what a decision with a problem decides at least; nil when not given
    /// (review, with the standard reason).
    package var onError: ProblemEffectModel? = nil
    /// `history:`: a request list that Rescind's history store supplies; nil when not given.
    package var history: HistoryModel? = nil
    /// `on_history_unavailable`: what a decision decides at least when the history store
    /// does not answer; nil when not given (review, with the standard reason).
    package var onHistoryUnavailable: ProblemEffectModel? = nil
    package var span: SourceSpan
}

/// `history:` in the policy set: which request list Rescind's history store supplies, for
/// whom, and what a decision decides when the store cannot answer.
///
///     history:
///       list: buyer_history.cancellations
///       buyer: 'actor.role == "buyer" ? actor.id : order.buyer_id'
///       request_lists: accept
///     on_history_unavailable: review
package struct HistoryModel: Sendable {
    /// The list, as a path from the request (`buyer_history.cancellations`).
    package var list: ExpressionText
    /// Whose history: a CEL expression of type `string` over the request.
    package var buyer: ExpressionText
    /// `accept` (a request's own list is used, and the explanation says so) or `refuse`.
    package var requestLists: Located<String>?
    package var span: SourceSpan

    package static let requestListChoices = ["accept", "refuse"]
}

/// `on_error` / `on_missing`: an effect, written alone (`on_error: review`) or with a
/// reason (`on_error: {effect: review, reason: {en: …}}`).
package struct ProblemEffectModel: Sendable {
    package var effect: Located<Effect>
    package var reason: LocalizedText?
    package var span: SourceSpan
}

/// A reason or message per locale; `{expr}` holes are CEL.
package struct LocalizedText: Sendable {
    package var byLocale: [(locale: String, text: ExpressionText)]
    package var span: SourceSpan
    /// Where each locale key is written, by locale, for messages about the key itself.
    package var keySpans: [String: SourceSpan] = [:]
}

/// A rule's, threshold's or tier's `description`: one plain text for every locale, or
/// one per locale, checked like a reason's (every policy locale, no other, none empty).
/// Plain text: `{…}` is not a hole.
package enum DescriptionModel: Sendable {
    case shared(String)
    case byLocale(LocalizedText)
}

/// One field of an object in the schema.
package struct FieldModel: Sendable {
    package indirect enum TypeSpec: Sendable {
        /// `string`, `list(cancellation)`, an enum or type name …
        case named(Located<String>)
        /// An inline object.
        case object([FieldModel])
    }

    package var name: Located<String>
    package var type: TypeSpec
    package var optional: Bool
    package var defaultValue: YAMLDefault?
    package var description: String?
    /// `minimum` / `maximum` as written, kept as text until the field's type is known
    /// (a decimal bound must never pass through `Double`).
    package var minimum: YAMLBound?
    package var maximum: YAMLBound?
}

/// A range bound of a schema field (`minimum: 0`), as the YAML scalar's text.
package struct YAMLBound: Sendable {
    /// The key it was written under (`minimum`, `maximum`), for messages.
    package var key: String
    /// The scalar's text as written (quotes removed), parsed by the field's type.
    package var text: String
    /// Where the value is written, for load-time errors.
    package var span: SourceSpan
}

/// A schema default, kept as YAML until the field's type is known.
package struct YAMLDefault: Sendable {
    package var text: String
    package var isMapping: Bool
    package var span: SourceSpan
}

/// `kind: schema`.
package struct SchemaModel: Sendable {
    package var enums: [(name: Located<String>, values: [Located<String>])]
    package var types: [(name: Located<String>, fields: [FieldModel])]
    package var request: [FieldModel]
    package var span: SourceSpan
}

/// `kind: calendar`.
package struct CalendarModel: Sendable {
    package var name: Located<String>
    package var timeZone: Located<String>
    package var weekend: [Located<String>]
    package var holidays: [Located<String>]
    package var workdays: [Located<String>]
    /// `years: 2025..2026` (or one year, `2026`): the years whose holidays the calendar
    /// lists in full; nil when not given.
    package var years: Located<String>? = nil
    package var span: SourceSpan
}

/// A rule's `when` (or any condition): CEL, or all / any / not of conditions.
package indirect enum ConditionModel: Sendable {
    case expression(ExpressionText)
    case all([ConditionModel], SourceSpan)
    case any([ConditionModel], SourceSpan)
    case not(ConditionModel, SourceSpan)
}

/// An obligation as written: a type and its fields.
package struct ObligationModel: Sendable {
    package var type: Located<String>
    package var fields: [(key: Located<String>, value: Located<String>)]
    package var span: SourceSpan
    /// Where the text of each field's value is in the file (for CEL values), by key.
    package var origins: [String: ExpressionOrigin] = [:]
}

/// One rule.
package struct RuleModel: Sendable {
    package var id: Located<String>
    package var description: DescriptionModel
    package var when: ConditionModel?
    package var effect: Located<Effect>
    package var reason: LocalizedText?
    package var obligations: [ObligationModel]
    package var suspends: [Located<String>]
    package var span: SourceSpan
}

/// One tier of a threshold.
package struct TierModel: Sendable {
    package var id: Located<String>
    package var description: DescriptionModel
    package var atLeast: Located<Int>
    package var effect: Located<Effect>
    package var reason: LocalizedText?
    package var obligations: [ObligationModel]
    package var span: SourceSpan
}

/// One threshold.
package struct ThresholdModel: Sendable {
    package var id: Located<String>
    package var description: DescriptionModel
    package var appliesWhen: ConditionModel?
    package var count: ExpressionText
    package var filter: ExpressionText?
    package var timestamp: ExpressionText
    package var window: Located<String>
    package var tiers: [TierModel]
    /// `on_missing`: what a request without the counted list gets.
    package var onMissing: ProblemEffectModel? = nil
    package var span: SourceSpan
}

/// A refund case: `when` and a value.
package struct RefundCase<T: Sendable>: Sendable {
    package var when: ConditionModel?
    package var value: T
    package var span: SourceSpan
}

/// `kind: refunds`.
package struct RefundModel: Sendable {
    package var calendar: Located<String>
    package var appliesWhen: ConditionModel?
    package var currency: ExpressionText
    package var fee: [RefundCase<ExpressionText>]
    package var amount: ExpressionText
    package var initiateWithin: [RefundCase<Located<Int>>]
    package var expectWithin: [RefundCase<Located<Int>>]
    package var span: SourceSpan
    /// Where the keys `initiate_within` and `expect_within` are written.
    package var initiateWithinSpan: SourceSpan? = nil
    package var expectWithinSpan: SourceSpan? = nil
}

/// Everything a policy folder declares, before checking.
package struct PolicyModel: Sendable {
    package var header: PolicySetHeader?
    package var schema: SchemaModel?
    package var calendars: [CalendarModel] = []
    package var rules: [RuleModel] = []
    package var thresholds: [ThresholdModel] = []
    package var refunds: RefundModel?
    /// Paths of the files read, in the order read (sorted).
    package var files: [String] = []

    package init() {}
}
