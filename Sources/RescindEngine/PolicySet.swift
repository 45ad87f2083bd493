import CELCommon
import CELRuntime
import RescindUnsafe
import RescindCELLibrary

/// What a rule or tier decides. Effects combine by precedence: deny beats review
/// beats allow.
public enum Effect: String, Sendable, Hashable, CaseIterable, Comparable {
    case allow
    case review
    case deny

    var precedence: Int {
        switch self {
        case .allow: 0
        case .review: 1
        case .deny: 2
        }
    }

    public static func < (lhs: Effect, rhs: Effect) -> Bool { lhs.precedence < rhs.precedence }
}

/// Where a policy element was written, for explanations (`file:line`).
public struct SourceReference: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line)" }
}

/// A compiled CEL expression with the text it came from and where it was written.
package final class CompiledExpression: Sendable {
    package let program: Program
    package let source: String
    package let location: SourceReference
    /// The request paths the expression reads (`order.status`), by expression id, so an
    /// explanation can show the values a condition saw.
    package let observed: [ObservedPath]
    /// How to decide it without CEL, when the compiler found a way.
    package let shortcut: Shortcut
    /// `!(source)`, as explanations show a negated condition; built when read (only
    /// explanations read it), so a large set does not hold a second copy of every text.
    package var negatedSource: String { "!(\(source))" }
    /// The comparisons in the expression that depend on the request, for test coverage
    /// (`rescind test`); deciding never reads them.
    package let boundaries: [Boundary]
    /// For a decimal expression the compiler could follow step by step, its formula,
    /// with or without shortcuts: explanations show a refund's fee and amount from it.
    package let formula: DecimalFormula?

    package init(
        program: Program, source: String, location: SourceReference, observed: [ObservedPath] = [],
        shortcut: Shortcut = .none, boundaries: [Boundary] = [], formula: DecimalFormula? = nil
    ) {
        self.formula = formula
        self.program = program
        self.source = source
        self.location = location
        self.observed = observed
        self.shortcut = shortcut
        self.boundaries = boundaries
    }
}

/// A request path read by an expression, and the id of the node that reads it.
package struct ObservedPath: Sendable {
    package let id: Int32
    package let path: String
    /// The same path resolved against the schema, when it leads through objects, so an
    /// explanation reads the value directly instead of tracing the evaluation.
    package let field: FieldPath?

    package init(id: Int32, path: String, field: FieldPath? = nil) {
        self.id = id
        self.path = path
        self.field = field
    }
}

/// A rule's `when`: CEL conditions combined with all / any / not.
package indirect enum Condition: Sendable {
    case expression(CompiledExpression)
    case all([Condition])
    case any([Condition])
    case not(Condition)
}

/// A text with `{expr}` holes filled from the request.
package final class MessageTemplate: Sendable {
    package enum Part: Sendable {
        case text(String)
        case value(CompiledExpression)
    }

    package let parts: [Part]

    package init(parts: [Part]) { self.parts = parts }
}

/// One text per locale; `text(for:)` falls back to English.
package final class LocalizedMessage: Sendable {
    /// The templates, in the order of `locales`.
    private let templates: [MessageTemplate]

    /// The locales it has texts in, sorted, so any fallback is deterministic.
    package let locales: [String]
    /// The index of the English text, else of the first: where any other locale falls back.
    private let fallback: Int

    package init(byLocale: [String: MessageTemplate]) {
        let entries = byLocale.sorted { $0.key < $1.key }
        locales = entries.map(\.key)
        templates = entries.map(\.value)
        fallback = locales.firstIndex(of: "en") ?? 0
    }

    /// Whether there is a text written for exactly `locale`. Run on every decision with
    /// the request's locale: comparing lengths first keeps the string comparison to the
    /// one candidate that can be equal (two equal small strings compare as two words).
    @inline(__always)
    package func hasText(for locale: String) -> Bool { index(of: locale) != nil }

    @inline(__always)
    private func index(of locale: String) -> Int? {
        let length = locale.utf8.count
        for index in locales.indices where locales[index].utf8.count == length && locales[index] == locale { return index }
        return nil
    }

    /// The template for `locale`, else English, else the first by locale name. Run for
    /// every reason a decision gives: a scan of a handful of short locales, by index, so
    /// no entry is copied (and retained) on the way.
    package func template(for locale: String) -> MessageTemplate? {
        guard !templates.isEmpty else { return nil }
        return templates[index(of: locale) ?? fallback]
    }

    /// The template every locale without a text of its own reads (English, else the
    /// first by locale name).
    package var fallbackTemplate: MessageTemplate? { templates.isEmpty ? nil : templates[fallback] }
}

/// A plain text for people, not a template: a rule's, threshold's or tier's
/// `description`. Written once for every locale (`description: "..."`) or once per
/// locale (`description: {en: "...", zh-CN: "..."}`); read only when explaining.
package struct LocalizedString: Sendable, Hashable {
    /// The texts by locale; empty when one text serves every locale.
    package let byLocale: [String: String]
    /// The text every locale reads when no locale has its own.
    private let shared: String

    /// One text for every locale.
    package init(_ text: String) {
        byLocale = [:]
        shared = text
    }

    /// One text per locale; a locale without one reads English, else the first by name.
    package init(byLocale: [String: String]) {
        self.byLocale = byLocale
        shared = byLocale["en"] ?? byLocale.min { $0.key < $1.key }?.value ?? ""
    }

    /// The text for `locale` (a decision's locale), else English, else the first.
    package func text(for locale: String) -> String { byLocale[locale] ?? shared }

    /// The English text (or the one text, or the first by locale): what callers that
    /// know no locale show.
    package var text: String { shared }

    /// The locales with a text of their own, sorted; empty for one text for all.
    package var locales: [String] { byLocale.keys.sorted() }
}

/// An obligation as written in a policy: its type and fields, some computed from the
/// request when the decision is made.
package final class ObligationTemplate: Sendable {
    /// How a field's value is produced.
    package enum FieldValue: Sendable {
        case text(String)
        case int(Int64)
        /// A CEL expression; decimals are rendered with `scale` places.
        case expression(CompiledExpression, scale: Int)
        /// `label` (the duration as written) then, under `key`, the deadline
        /// `request.at + duration` in the policy's time zone.
        case deadline(after: CELDuration, label: String, key: String)
    }

    /// The type's declaration: what the renderer adds to the fields (deadlines, the reason).
    package let type: ObligationType
    package let fields: [(name: String, value: FieldValue)]
    package let location: SourceReference

    package init(type: ObligationType, fields: [(name: String, value: FieldValue)], location: SourceReference) {
        self.type = type
        self.fields = fields
        self.location = location
    }
}

/// What a decision with a problem decides at least, and the reason it then gives: the
/// policy set's `on_error`, a threshold's `on_missing`. Effects combine as a rule's do
/// (deny beats review beats allow), so a problem can only make a decision stricter.
package final class ProblemEffect: Sendable {
    package let effect: Effect
    package let reason: LocalizedMessage

    package init(effect: Effect, reason: LocalizedMessage) {
        self.effect = effect
        self.reason = reason
    }

    /// `on_error` when the policy set does not say: review, with a reason that tells the
    /// buyer a person will look at it (policy-language.md, "on_error").
    package static let standardOnError = ProblemEffect(
        effect: .review,
        reason: LocalizedMessage(byLocale: [
            "en": MessageTemplate(parts: [.text(
                "This cancellation needs to be reviewed by our team because our policy could not be applied to it automatically. We will let you know the result as soon as possible."
            )]),
            "zh-CN": MessageTemplate(parts: [.text("本次取消暂时无法按规则自动处理，需经平台人工审核，审核结果将尽快通知您，请耐心等待。")]),
        ]))

    /// `on_missing` when the threshold gives an effect but no reason.
    package static func standardOnMissing(_ effect: Effect) -> ProblemEffect {
        ProblemEffect(
            effect: effect,
            reason: LocalizedMessage(byLocale: [
                "en": MessageTemplate(parts: [.text(
                    "We could not check the information this cancellation depends on, so it needs to be reviewed by our team. We will let you know the result as soon as possible."
                )]),
                "zh-CN": MessageTemplate(parts: [.text("本次取消所需的信息不完整，需经平台人工审核，审核结果将尽快通知您，请耐心等待。")]),
            ]))
    }

    /// `on_history_unavailable` when the policy set gives no reason: review (the default)
    /// tells the buyer a person will look at it; deny asks them to try again later; allow
    /// gives no reason of its own.
    package static func standardOnHistoryUnavailable(_ effect: Effect) -> ProblemEffect {
        let (en, zh) = switch effect {
        case .deny: (
            "We cannot check your recent cancellations right now, so this cancellation cannot go ahead yet. Please try again later.",
            "暂时无法核实您近期的取消记录，本次取消暂不能进行，请稍后再试。")
        default: (
            "We cannot check your recent cancellations right now, so this cancellation needs to be reviewed by our team. We will let you know the result as soon as possible.",
            "暂时无法核实您近期的取消记录，本次取消需经平台人工审核，审核结果将尽快通知您，请耐心等待。")
        }
        return ProblemEffect(
            effect: effect,
            reason: LocalizedMessage(byLocale: [
                "en": MessageTemplate(parts: [.text(en)]), "zh-CN": MessageTemplate(parts: [.text(zh)]),
            ]))
    }

    /// The pseudo rule id the reason of `on_error` is given under (like `default`).
    package static let onErrorRule = "on-error"
    /// The pseudo rule id of an `on_missing` reason.
    package static let onMissingRule = "on-missing"
    /// The pseudo rule id of the `on_history_unavailable` reason.
    package static let onHistoryUnavailableRule = "on-history-unavailable"
}

/// A rule: when its condition holds, it contributes its effect, reason and obligations.
package final class Rule: Sendable {
    package let id: String
    /// The `description` in English (or its one text); `descriptions` has every locale's.
    package let description: String
    /// The `description` per locale, as explanations show it.
    package let descriptions: LocalizedString
    package let condition: Condition
    package let effect: Effect
    package let reason: LocalizedMessage
    package let obligations: [ObligationTemplate]
    /// Thresholds that do not apply to a request this rule matches.
    package let suspends: [String]
    package let location: SourceReference

    package init(
        id: String, description: LocalizedString, condition: Condition, effect: Effect, reason: LocalizedMessage,
        obligations: [ObligationTemplate], suspends: [String], location: SourceReference
    ) {
        self.id = id
        self.description = description.text
        self.descriptions = description
        self.condition = condition
        self.effect = effect
        self.reason = reason
        self.obligations = obligations
        self.suspends = suspends
        self.location = location
    }
}

/// A rolling-window counter with ordered tiers; only the highest tier reached applies.
package final class Threshold: Sendable {
    /// One step of a threshold.
    package final class Tier: Sendable {
        package let id: String
        /// The `description` in English (or its one text); `descriptions` has every locale's.
        package let description: String
        /// The `description` per locale, as explanations show it.
        package let descriptions: LocalizedString
        package let atLeast: Int64
        package let effect: Effect
        package let reason: LocalizedMessage
        package let obligations: [ObligationTemplate]
        package let location: SourceReference

        package init(
            id: String, description: LocalizedString, atLeast: Int64, effect: Effect, reason: LocalizedMessage,
            obligations: [ObligationTemplate], location: SourceReference
        ) {
            self.id = id
            self.description = description.text
            self.descriptions = description
            self.atLeast = atLeast
            self.effect = effect
            self.reason = reason
            self.obligations = obligations
            self.location = location
        }
    }

    package let id: String
    /// The `description` in English (or its one text); `descriptions` has every locale's.
    package let description: String
    /// The `description` per locale, as explanations show it.
    package let descriptions: LocalizedString
    package let appliesWhen: Condition?
    /// Evaluates to the number of matching items in the window (an `int`).
    package let count: CompiledExpression
    /// What is counted, in words, for explanations ("buyer_history.cancellations where …").
    package let countedList: String
    package let window: CELDuration
    /// The same count done natively, when the compiler could prove it equivalent.
    package let windowCount: WindowCount?
    /// Ascending by `atLeast`.
    package let tiers: [Tier]
    package let location: SourceReference
    /// The timestamps of the items `count` would count if the window were endless (the
    /// list filtered by `where`), so test coverage can tell which side of the window's
    /// edge each item fell on; deciding never evaluates it.
    package let countedTimestamps: CompiledExpression?
    /// The counted list's path, when a request may leave it out (it lies in an optional
    /// object): a request without it is not counted as an empty list but decided with
    /// `onMissing` and a `missing-list` problem.
    package let missingList: MissingListPath?
    /// What a request without the list gets (`on_missing`); nil leaves it to the
    /// policy set's `on_error`.
    package let onMissing: ProblemEffect?

    package init(
        id: String, description: LocalizedString, appliesWhen: Condition?, count: CompiledExpression, countedList: String,
        window: CELDuration, windowCount: WindowCount? = nil, tiers: [Tier], location: SourceReference,
        countedTimestamps: CompiledExpression? = nil, missingList: MissingListPath? = nil, onMissing: ProblemEffect? = nil
    ) {
        self.missingList = missingList
        self.onMissing = onMissing
        self.countedTimestamps = countedTimestamps
        self.windowCount = windowCount
        self.id = id
        self.description = description.text
        self.descriptions = description
        self.appliesWhen = appliesWhen
        self.count = count
        self.countedList = countedList
        self.window = window
        self.tiers = tiers
        self.location = location
    }
}

/// A counted list a request may leave out, and how to tell that it did: the optional
/// objects on its path, which a decoder zero-fills when they are absent.
package final class MissingListPath: Sendable, CustomStringConvertible {
    /// The list's path as written (`buyer_history.cancellations`).
    package let description: String
    /// The paths of the optional objects on the way, outermost first.
    package let optionalObjects: [FieldPath]
    /// The same paths as field names, for a request decoded by another set's decoder
    /// (whose object types the paths do not know).
    let optionalObjectNames: [[String]]

    package init(description: String, optionalObjects: [FieldPath]) {
        self.description = description
        self.optionalObjects = optionalObjects
        self.optionalObjectNames = optionalObjects.map { $0.description.split(separator: ".").map(String.init) }
    }
}

/// How refunds are computed and when they are due.
package final class RefundPolicy: Sendable {
    /// The first case whose condition holds (or that has none) decides.
    package struct Case<T: Sendable>: Sendable {
        package let when: Condition?
        package let value: T

        package init(when: Condition?, value: T) {
            self.when = when
            self.value = value
        }
    }

    package let calendar: BusinessCalendar
    package let appliesWhen: Condition?
    package let currency: CompiledExpression
    package let fee: [Case<CompiledExpression>]
    /// Reads the variable `fee`.
    package let amount: CompiledExpression
    package let initiateWithin: [Case<Int>]
    package let expectWithin: [Case<Int>]
    package let location: SourceReference
    /// Where `initiate_within` and `expect_within` are written, for `no-refund-case`.
    package let initiateLocation: SourceReference
    package let expectLocation: SourceReference
    /// The instants whose local day lies in the calendar's years (`years`): from the
    /// first one to the last, inclusive; nil when the calendar covers every year.
    let coveredSeconds: ClosedRange<Int64>?

    package init(
        calendar: BusinessCalendar, appliesWhen: Condition?, currency: CompiledExpression,
        fee: [Case<CompiledExpression>], amount: CompiledExpression, initiateWithin: [Case<Int>],
        expectWithin: [Case<Int>], location: SourceReference, initiateLocation: SourceReference? = nil,
        expectLocation: SourceReference? = nil
    ) {
        self.initiateLocation = initiateLocation ?? location
        self.expectLocation = expectLocation ?? location
        self.coveredSeconds = calendar.coveredDays.map {
            calendar.epochSeconds(ofDay: $0.lowerBound, secondOfDay: 0)...calendar.epochSeconds(
                ofDay: $0.upperBound, secondOfDay: 86_399)
        }
        self.calendar = calendar
        self.appliesWhen = appliesWhen
        self.currency = currency
        self.fee = fee
        self.amount = amount
        self.initiateWithin = initiateWithin
        self.expectWithin = expectWithin
        self.location = location
        self.fastDeadlines = BusinessDeadlines(calendar)
    }

    /// The calendar's deadline arithmetic as table lookups, where it can be (see
    /// `BusinessDeadlines`).
    let fastDeadlines: BusinessDeadlines?
}

extension RefundPolicy {
    /// The ends of the business days `initiate` after the request's local date and
    /// `expect` after that, in the calendar's zone, counted by the calendar (for when its
    /// tables, `deadlines(at:_:_:_:)`, cannot tell).
    func countedDeadlines(at: CELTimestamp, _ initiate: Int, _ expect: Int) -> (LocalTime, LocalTime)? {
        // Day numbers throughout: no civil date is needed until the deadlines are shown.
        let requestDay = calendar.localDay(ofEpochSeconds: at.seconds)
        guard let initiateDay = calendar.addingBusinessDays(initiate, toDay: requestDay),
            let expectDay = calendar.addingBusinessDays(expect, toDay: initiateDay)
        else { return nil }
        return (endOfDay(initiateDay), endOfDay(expectDay))
    }

    /// The deadlines from the calendar's tables: `.some(nil)` when there are none,
    /// nil when the tables cannot tell (see `BusinessDeadlines`).
    @inline(__always)
    static func deadlines(
        at: CELTimestamp, _ initiate: Int, _ expect: Int, _ tables: BusinessDeadlines
    ) -> (LocalTime, LocalTime)?? {
        guard let requestDay = tables.localDay(ofEpochSeconds: at.seconds),
            let initiateDay = tables.addingBusinessDays(initiate, toDay: requestDay)
        else { return nil }
        guard let initiateDay else { return .some(nil) }
        guard let expectDay = tables.addingBusinessDays(expect, toDay: initiateDay) else { return nil }
        guard let expectDay else { return .some(nil) }
        return (
            LocalTime(epochSeconds: tables.endOfDay(initiateDay), utcOffset: tables.utcOffset),
            LocalTime(epochSeconds: tables.endOfDay(expectDay), utcOffset: tables.utcOffset)
        )
    }

    /// The calendar's UTC offset at an instant.
    func utcOffset(atEpochSeconds seconds: Int64) -> Int { calendar.offset(atEpochSeconds: seconds) }

    private func endOfDay(_ day: Int) -> LocalTime {
        let seconds = calendar.epochSeconds(ofDay: day, secondOfDay: 86_399)
        return LocalTime(epochSeconds: seconds, utcOffset: calendar.offset(atEpochSeconds: seconds))
    }
}

/// A loaded, checked and compiled policy set: immutable, `Sendable`, evaluated many
/// times. Built by `RescindPolicy`'s compiler.
package final class PolicySet: Sendable {
    package let name: String
    package let version: String
    /// SHA-256 of the sources (file names and contents, in path order), hex.
    package let digest: String
    package let files: [String]
    package let schema: RequestSchema
    /// The variable names every compiled program was given slots for, in order.
    package let globals: [String]
    package let rules: [Rule]
    package let thresholds: [Threshold]
    package let refunds: RefundPolicy?
    package let defaultEffect: Effect
    package let defaultReason: LocalizedMessage
    /// What a decision with a problem decides at least (`on_error`; review by default).
    package let onError: ProblemEffect
    package let calendars: CalendarRegistry
    /// The request list Rescind's history store supplies (`history:`); nil when none does.
    package let history: HistorySupply?
    /// How many enum fields conditions test by shortcut (the size of a decision's ordinal cache).
    package let enumFieldCount: Int

    package init(
        name: String, version: String, digest: String, files: [String], schema: RequestSchema, globals: [String],
        rules: [Rule], thresholds: [Threshold], refunds: RefundPolicy?, defaultEffect: Effect,
        defaultReason: LocalizedMessage, onError: ProblemEffect = .standardOnError, calendars: CalendarRegistry,
        history: HistorySupply? = nil, enumFieldCount: Int = 0, numberFieldCount: Int = 0,
        arena: PlanArena = PlanArena()
    ) {
        self.onError = onError
        self.history = history
        self.name = name
        self.version = version
        self.digest = digest
        self.files = files
        self.schema = schema
        self.globals = globals
        self.rules = rules
        self.thresholds = thresholds
        self.refunds = refunds
        self.defaultEffect = defaultEffect
        self.defaultReason = defaultReason
        self.calendars = calendars
        self.enumFieldCount = enumFieldCount
        self.identity = PolicyIdentity(name: name, version: version, digest: digest)
        self.policyMemberJSON = Self.policyMemberJSON(name: name, version: version, digest: digest)
        let layout = ActivationLayout(names: globals)
        self.emptyActivation = Activation(layout: layout)
        self.requestSlot = layout.slot(of: Self.requestVariable)
        var sources = Array(repeating: SlotSource.none, count: layout.count)
        for (field, declared) in schema.root.fields.enumerated() {
            if let slot = layout.slot(of: declared.name) { sources[slot] = field }
        }
        if let slot = requestSlot { sources[slot] = SlotSource.request }
        self.slotSources = sources
        self.feeSlot = layout.slot(of: Self.feeVariable)
        self.countSlot = layout.slot(of: Self.countVariable)
        let root = schema.root
        func field(_ name: String, _ kind: ValueKind) -> Int? {
            guard let slot = root.slot(of: name) else { return nil }
            switch (root.fields[slot].type, kind) {
            case (.string, .string), (.enumString, .string), (.timestamp, .timestamp): return slot
            default: return nil
            }
        }
        self.idSlot = field("id", .string)
        self.atSlot = field("at", .timestamp)
        self.localeSlot = field("locale", .string)
        var outcomes = rules.map { Outcome(id: $0.id, effect: $0.effect, reason: $0.reason, obligations: $0.obligations, threshold: nil) }
        var tierBase: [Int] = []
        for (index, threshold) in thresholds.enumerated() {
            tierBase.append(outcomes.count)
            outcomes += threshold.tiers.map {
                Outcome(id: $0.id, effect: $0.effect, reason: $0.reason, obligations: $0.obligations, threshold: index)
            }
        }
        self.outcomes = outcomes
        self.outcomeTexts = OutcomeTexts(outcomes: outcomes, in: arena)
        self.plan = DecisionPlan(
            rules: rules, thresholds: thresholds, refunds: refunds, enumFieldCount: enumFieldCount,
            numberFieldCount: numberFieldCount, effects: outcomes.map(\.effect), tierBase: tierBase,
            computesObligations: outcomes.map { outcome in
                outcome.obligations.contains { template in
                    template.fields.contains { if case .expression = $0.value { true } else { false } }
                }
            },
            in: arena)
    }

    /// Name, version and digest, as decisions report them.
    package let identity: PolicyIdentity
    /// The decision JSON's `policy` member, with its leading comma (see `policyMemberJSON`).
    let policyMemberJSON: [UInt8]

    // Resolved once so a decision binds the request by slot, never by name.
    /// An activation with every variable unbound; each decision starts from a copy.
    let emptyActivation: Activation
    let requestSlot: Int?
    /// For each activation slot, the root field index that fills it, or a `SlotSource` marker.
    let slotSources: [Int]
    let feeSlot: Int?
    let countSlot: Int?
    /// Root-object slots of the request's `id`, `at` and `locale`, when declared so.
    let idSlot: Int?
    let atSlot: Int?
    let localeSlot: Int?
    /// Rules, then each threshold's tiers: a decision records what matched by index here.
    let outcomes: [Outcome]
    /// The outcomes' ids, reasons and obligation flags as a decision writes them.
    let outcomeTexts: OutcomeTexts
    /// The enum tests each condition starts with.
    let plan: DecisionPlan

    /// The variable every request field is also reachable through (`request.at`).
    package static let requestVariable = "request"
    /// The variable holding the computed refund fee while the amount is evaluated.
    package static let feeVariable = "fee"
    /// The variable holding a threshold's count while its tier's reason is rendered.
    package static let countVariable = "count"
}

/// A rule or a tier, as a decision sees it: an id, an effect, and what it brings.
struct Outcome: Sendable {
    let id: String
    let effect: Effect
    let reason: LocalizedMessage
    let obligations: [ObligationTemplate]
    /// For a tier, the index of its threshold (its reason may show the count).
    let threshold: Int?
}

/// Markers in `PolicySet.slotSources` for slots not filled from a root field.
enum SlotSource {
    static let none = -1
    static let request = -2
}
