public import RescindDiagnostics
public import RescindEngine

// The policy model: what the YAML files say, typed, with a span for every element.
// The loader builds it from YAML; the compiler checks it and turns it into a
// `RescindEngine.PolicySet`. Spans are metadata: they are not part of `==`.

/// A value written in a policy together with where it was written.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var span: SourceSpan

    public init(_ value: Value, at span: SourceSpan) {
        self.value = value
        self.span = span
    }
}

extension Located: Equatable where Value: Equatable {
    public static func == (lhs: Located, rhs: Located) -> Bool { lhs.value == rhs.value }
}

/// A CEL expression as written in a YAML scalar, with what is needed to map offsets
/// inside the expression back to file positions.
public struct ExpressionText: Sendable, Equatable {
    public var source: String
    public var span: SourceSpan
    /// Where the expression's first character is (after any quote or block indicator).
    public var origin: ExpressionOrigin

    public init(source: String, span: SourceSpan, origin: ExpressionOrigin) {
        self.source = source
        self.span = span
        self.origin = origin
    }

    public static func == (lhs: ExpressionText, rhs: ExpressionText) -> Bool { lhs.source == rhs.source }
}

/// How expression text maps onto its file: line `i` of the expression starts at
/// `lineStarts[i]` (a 1-based line and column in the file). When the text is not a
/// plain copy of the file's characters (quotes with escapes, folded lines),
/// `positions[i]` is where the expression's `i`th Unicode scalar is written, and wins.
public struct ExpressionOrigin: Sendable, Hashable {
    public var lineStarts: [SourceLocation]
    public var positions: [SourceLocation]?

    public init(lineStarts: [SourceLocation], positions: [SourceLocation]? = nil) {
        self.lineStarts = lineStarts
        self.positions = positions
    }
}

/// `kind: policy_set`.
public struct PolicySetHeader: Sendable {
    public var name: Located<String>
    public var version: Located<String>
    public var defaultEffect: Located<Effect>
    public var defaultReason: LocalizedText?
    public var locales: [String]
    /// `files:`, the exact policy files the set is made of (names inside the folder),
    /// so a file lost or left over in a deployment is an error; nil when not given.
    public var files: [Located<String>]?
    /// `on_error`: what a decision with a problem decides at least; nil when not given
    /// (review, with the standard reason).
    public var onError: ProblemEffectModel? = nil
    public var span: SourceSpan
}

/// `on_error` / `on_missing`: an effect, written alone (`on_error: review`) or with a
/// reason (`on_error: {effect: review, reason: {en: …}}`).
public struct ProblemEffectModel: Sendable {
    public var effect: Located<Effect>
    public var reason: LocalizedText?
    public var span: SourceSpan
}

/// A reason or message per locale; `{expr}` holes are CEL.
public struct LocalizedText: Sendable {
    public var byLocale: [(locale: String, text: ExpressionText)]
    public var span: SourceSpan
    /// Where each locale key is written, by locale, for messages about the key itself.
    public var keySpans: [String: SourceSpan] = [:]
}

/// A rule's, threshold's or tier's `description`: one plain text for every locale, or
/// one per locale, checked like a reason's (every policy locale, no other, none empty).
/// Plain text: `{…}` is not a hole.
public enum DescriptionModel: Sendable {
    case shared(String)
    case byLocale(LocalizedText)
}

/// One field of an object in the schema.
public struct FieldModel: Sendable {
    public indirect enum TypeSpec: Sendable {
        /// `string`, `list(cancellation)`, an enum or type name …
        case named(Located<String>)
        /// An inline object.
        case object([FieldModel])
    }

    public var name: Located<String>
    public var type: TypeSpec
    public var optional: Bool
    public var defaultValue: YAMLDefault?
    public var description: String?
    /// `minimum` / `maximum` as written, kept as text until the field's type is known
    /// (a decimal bound must never pass through `Double`).
    public var minimum: YAMLBound?
    public var maximum: YAMLBound?
}

/// A range bound of a schema field (`minimum: 0`), as the YAML scalar's text.
public struct YAMLBound: Sendable {
    /// The key it was written under (`minimum`, `maximum`), for messages.
    public var key: String
    /// The scalar's text as written (quotes removed), parsed by the field's type.
    public var text: String
    /// Where the value is written, for load-time errors.
    public var span: SourceSpan
}

/// A schema default, kept as YAML until the field's type is known.
public struct YAMLDefault: Sendable {
    public var text: String
    public var isMapping: Bool
    public var span: SourceSpan
}

/// `kind: schema`.
public struct SchemaModel: Sendable {
    public var enums: [(name: Located<String>, values: [Located<String>])]
    public var types: [(name: Located<String>, fields: [FieldModel])]
    public var request: [FieldModel]
    public var span: SourceSpan
}

/// `kind: calendar`.
public struct CalendarModel: Sendable {
    public var name: Located<String>
    public var timeZone: Located<String>
    public var weekend: [Located<String>]
    public var holidays: [Located<String>]
    public var workdays: [Located<String>]
    /// `years: 2025..2026` (or one year, `2026`): the years whose holidays the calendar
    /// lists in full; nil when not given.
    public var years: Located<String>? = nil
    public var span: SourceSpan
}

/// A rule's `when` (or any condition): CEL, or all / any / not of conditions.
public indirect enum ConditionModel: Sendable {
    case expression(ExpressionText)
    case all([ConditionModel], SourceSpan)
    case any([ConditionModel], SourceSpan)
    case not(ConditionModel, SourceSpan)
}

/// An obligation as written: a type and its fields.
public struct ObligationModel: Sendable {
    public var type: Located<String>
    public var fields: [(key: Located<String>, value: Located<String>)]
    public var span: SourceSpan
    /// Where the text of each field's value is in the file (for CEL values), by key.
    public var origins: [String: ExpressionOrigin] = [:]
}

/// One rule.
public struct RuleModel: Sendable {
    public var id: Located<String>
    public var description: DescriptionModel
    public var when: ConditionModel?
    public var effect: Located<Effect>
    public var reason: LocalizedText?
    public var obligations: [ObligationModel]
    public var suspends: [Located<String>]
    public var span: SourceSpan
}

/// One tier of a threshold.
public struct TierModel: Sendable {
    public var id: Located<String>
    public var description: DescriptionModel
    public var atLeast: Located<Int>
    public var effect: Located<Effect>
    public var reason: LocalizedText?
    public var obligations: [ObligationModel]
    public var span: SourceSpan
}

/// One threshold.
public struct ThresholdModel: Sendable {
    public var id: Located<String>
    public var description: DescriptionModel
    public var appliesWhen: ConditionModel?
    public var count: ExpressionText
    public var filter: ExpressionText?
    public var timestamp: ExpressionText
    public var window: Located<String>
    public var tiers: [TierModel]
    /// `on_missing`: what a request without the counted list gets.
    public var onMissing: ProblemEffectModel? = nil
    public var span: SourceSpan
}

/// A refund case: `when` and a value.
public struct RefundCase<T: Sendable>: Sendable {
    public var when: ConditionModel?
    public var value: T
    public var span: SourceSpan
}

/// `kind: refunds`.
public struct RefundModel: Sendable {
    public var calendar: Located<String>
    public var appliesWhen: ConditionModel?
    public var currency: ExpressionText
    public var fee: [RefundCase<ExpressionText>]
    public var amount: ExpressionText
    public var initiateWithin: [RefundCase<Located<Int>>]
    public var expectWithin: [RefundCase<Located<Int>>]
    public var span: SourceSpan
    /// Where the keys `initiate_within` and `expect_within` are written.
    public var initiateWithinSpan: SourceSpan? = nil
    public var expectWithinSpan: SourceSpan? = nil
}

/// Everything a policy folder declares, before checking.
public struct PolicyModel: Sendable {
    public var header: PolicySetHeader?
    public var schema: SchemaModel?
    public var calendars: [CalendarModel] = []
    public var rules: [RuleModel] = []
    public var thresholds: [ThresholdModel] = []
    public var refunds: RefundModel?
    /// Paths of the files read, in the order read (sorted).
    public var files: [String] = []

    public init() {}
}
