import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// What a request came to under one policy set in a replay: an effect, or `invalid`
/// when that set's schema rejects the request (a schema change can do that).
package enum ReplayEffect: String, Sendable, Hashable, Comparable, CaseIterable {
    case allow, review, deny, invalid

    init(_ effect: Effect) {
        switch effect {
        case .allow: self = .allow
        case .review: self = .review
        case .deny: self = .deny
        }
    }

    /// The position in `allCases`: allow, review, deny, invalid.
    var index: Int {
        switch self {
        case .allow: 0
        case .review: 1
        case .deny: 2
        case .invalid: 3
        }
    }

    package static func < (lhs: ReplayEffect, rhs: ReplayEffect) -> Bool { lhs.index < rhs.index }
}

/// A kind of change between the baseline's and the candidate's decision on a request:
/// replay counts requests and keeps samples per kind.
package enum ReplayChange: Sendable, Hashable, Comparable {
    /// The effect flipped (`allow → review`), or one schema rejects the request.
    case effect(from: ReplayEffect, to: ReplayEffect)
    /// The same effect, decided by other rules or tiers.
    case decidingRules(effect: Effect, from: [String], to: [String])
    /// The same effect, and a field of an obligation changed (`refund.initiate_by`).
    case obligationField(type: String, field: String)
    /// The same effect, and the candidate adds an obligation of this type.
    case obligationAdded(type: String)
    /// The same effect, and the candidate drops an obligation of this type.
    case obligationRemoved(type: String)

    /// As the reports write it: `allow → review`, `allow: a → a, b`, `refund.amount`,
    /// `voucher added`.
    package var label: String {
        switch self {
        case .effect(let from, let to): "\(from.rawValue) → \(to.rawValue)"
        case .decidingRules(let effect, let from, let to):
            "\(effect.rawValue): \(Self.list(from)) → \(Self.list(to))"
        case .obligationField(let type, let field): "\(type).\(field)"
        case .obligationAdded(let type): "\(type) added"
        case .obligationRemoved(let type): "\(type) removed"
        }
    }

    /// The rules of a decision as a list; `(default)` when the default decided.
    static func list(_ rules: [String]) -> String { rules.isEmpty ? "(default)" : rules.joined(separator: ", ") }

    /// Flips first (by effect), then deciding rules, then obligations by type and field.
    private var sortKey: (Int, String, String, String) {
        switch self {
        case .effect(let from, let to): (0, from.rawValue.padded(from), to.rawValue.padded(to), "")
        case .decidingRules(let effect, let from, let to):
            (1, effect.rawValue.padded(ReplayEffect(effect)), from.joined(separator: "\u{1}"), to.joined(separator: "\u{1}"))
        case .obligationField(let type, let field): (2, type, "0" + field, "")
        case .obligationAdded(let type): (2, type, "1", "")
        case .obligationRemoved(let type): (2, type, "2", "")
        }
    }

    package static func < (lhs: ReplayChange, rhs: ReplayChange) -> Bool { lhs.sortKey < rhs.sortKey }
}

extension String {
    /// An effect name prefixed with its rank, so effects sort allow, review, deny, invalid.
    fileprivate func padded(_ effect: ReplayEffect) -> String {
        "\(effect.index)" + self
    }
}

/// Why a request's decision changed: a rule or tier that matches on one side only, or
/// decides differently, or the default, or a schema that rejects the request.
package struct ReplayCause: Sendable, Hashable, Comparable {
    /// How the rule or tier differs between the two sides.
    package enum How: Sendable, Hashable {
        /// Matches under the candidate only.
        case nowMatches
        /// Matches under the baseline only.
        case noLongerMatches
        /// Matches under both, with another effect.
        case effectChanged(from: Effect, to: Effect)
        /// No rule matched under either, and the default's effect changed.
        case defaultChanged(from: Effect, to: Effect)
        /// One side's schema rejects the request with this error code.
        case rejected(byCandidate: Bool, code: String)
    }

    /// The rule or tier id; the JSON path of the rejected field for `rejected`; empty
    /// for the default.
    package let rule: String
    /// How it differs.
    package let how: How

    /// "`abuse-review` matches now", "the candidate's schema rejects `$.reason`
    /// (`request-invalid-enum`)", …
    package var text: String {
        switch how {
        case .nowMatches: "`\(rule)` matches now"
        case .noLongerMatches: "`\(rule)` no longer matches"
        case .effectChanged(let from, let to): "`\(rule)` decides \(to.rawValue) instead of \(from.rawValue)"
        case .defaultChanged(let from, let to): "the default decides \(to.rawValue) instead of \(from.rawValue)"
        case .rejected(let byCandidate, let code):
            "the \(byCandidate ? "candidate" : "baseline")'s schema rejects `\(rule)` (`\(code)`)"
        }
    }

    /// A short name for `how`, as JSON reports it.
    package var kind: String {
        switch how {
        case .nowMatches: "now_matches"
        case .noLongerMatches: "no_longer_matches"
        case .effectChanged: "effect_changed"
        case .defaultChanged: "default_changed"
        case .rejected(let byCandidate, _): byCandidate ? "rejected_by_candidate" : "rejected_by_baseline"
        }
    }

    package static func < (lhs: ReplayCause, rhs: ReplayCause) -> Bool { (lhs.rule, lhs.text) < (rhs.rule, rhs.text) }
}

/// One obligation that differs between the decisions on a request.
package struct ObligationDifference: Sendable, Hashable {
    /// The kind of change: a field, or an obligation added or removed.
    package let change: ReplayChange
    /// The field's values (nil where absent); nil for whole obligations added or removed.
    package let before: Obligation.FieldValue?
    package let after: Obligation.FieldValue?

    /// "refund.initiate_by 2026-12-02T23:59:59+08:00 → 2026-12-01T23:59:59+08:00
    /// (earlier by 1 day)", "voucher added".
    package var text: String {
        guard case .obligationField = change else { return change.label }
        var text = "\(change.label) \(before?.text ?? "(absent)") → \(after?.text ?? "(absent)")"
        switch (before, after) {
        case (.time(let old)?, .time(let new)?):
            text += " (\(Shift.text(seconds: new.epochSeconds - old.epochSeconds)))"
        case (.decimal(let old, _)?, .decimal(let new, let scale)?):
            if let delta = try? new.subtracting(old) { text += " (\(Shift.signed(delta, scale: scale)))" }
        default: break
        }
        return text
    }

    /// The differences between two decisions' obligations, paired by type in order:
    /// the first refund with the first refund, and so on; what is left over was added
    /// or removed. Fields are compared as shown (`text`), so 1.5 and 1.50 at the same
    /// scale are the same amount.
    static func between(_ before: [Obligation], _ after: [Obligation]) -> [ObligationDifference] {
        var differences: [ObligationDifference] = []
        var unmatched = after
        for old in before {
            guard let index = unmatched.firstIndex(where: { $0.type == old.type }) else {
                differences.append(ObligationDifference(change: .obligationRemoved(type: old.type), before: nil, after: nil))
                continue
            }
            let new = unmatched.remove(at: index)
            for field in old.fields {
                let value = new[field.name]
                if value?.text != field.value.text {
                    differences.append(ObligationDifference(
                        change: .obligationField(type: old.type, field: field.name), before: field.value, after: value))
                }
            }
            for field in new.fields where old[field.name] == nil {
                differences.append(ObligationDifference(
                    change: .obligationField(type: old.type, field: field.name), before: nil, after: field.value))
            }
        }
        for new in unmatched {
            differences.append(ObligationDifference(change: .obligationAdded(type: new.type), before: nil, after: nil))
        }
        return differences
    }
}

/// How one obligation field changed over all the requests where it changed, in memory
/// bounded by the kinds of values, not by the number of requests.
package struct FieldChangeStats: Sendable {
    /// Amounts that went up and down.
    package private(set) var raised = 0
    package private(set) var lowered = 0
    /// The smallest and largest signed change of an amount, and their sum.
    package private(set) var smallest: CELDecimal?
    package private(set) var largest: CELDecimal?
    package private(set) var total: CELDecimal?
    /// The scale amounts are shown at.
    package private(set) var scale = 2
    /// Deadlines moved, by the shift in seconds (negative: earlier).
    package private(set) var shifts = BoundedCounter<Int64>(capacity: 16)
    /// Other values, as `before → after` texts.
    package private(set) var values = BoundedCounter<String>(capacity: 8)

    mutating func add(_ difference: ObligationDifference) {
        switch (difference.before, difference.after) {
        case (.time(let old)?, .time(let new)?):
            shifts.add(new.epochSeconds - old.epochSeconds)
        case (.decimal(let old, _)?, .decimal(let new, let scale)?) where (try? new.subtracting(old)) != nil:
            let delta = try! new.subtracting(old)
            self.scale = scale
            if delta > CELDecimal.zero { raised += 1 } else { lowered += 1 }
            smallest = smallest.map { min($0, delta) } ?? delta
            largest = largest.map { max($0, delta) } ?? delta
            total = total.map { try? $0.adding(delta) } ?? delta
        default:
            values.add("\(difference.before?.text ?? "(absent)") → \(difference.after?.text ?? "(absent)")")
        }
    }

    mutating func merge(_ other: FieldChangeStats) {
        raised += other.raised
        lowered += other.lowered
        if let value = other.smallest { smallest = smallest.map { min($0, value) } ?? value }
        if let value = other.largest { largest = largest.map { max($0, value) } ?? value }
        if let value = other.total { total = total.map { try? $0.adding(value) } ?? value }
        if other.raised + other.lowered > 0 { scale = other.scale }
        shifts.merge(other.shifts)
        values.merge(other.values)
    }

    /// "later by 1 day: 8, earlier by 2 days: 1", "raised 2, lowered 1; from -6.50 to
    /// +3.00, in all -3.50", "card → wallet: 3".
    package var summary: String {
        var parts: [String] = []
        if raised + lowered > 0, let smallest, let largest {
            var text = "raised \(raised), lowered \(lowered); "
            text += smallest == largest
                ? "by \(Shift.signed(smallest, scale: scale))"
                : "by \(Shift.signed(smallest, scale: scale)) to \(Shift.signed(largest, scale: scale))"
            if let total { text += ", in all \(Shift.signed(total, scale: scale))" }
            parts.append(text)
        }
        parts += shifts.sorted(by: <).map { "\(Shift.text(seconds: $0.key)): \($0.count)" }
        if shifts.other > 0 { parts.append("other shifts: \(shifts.other)") }
        parts += values.sorted(by: <).map { "\($0.key): \($0.count)" }
        if values.other > 0 { parts.append("other values: \(values.other)") }
        return parts.joined(separator: "; ")
    }
}

/// Counts of the first `capacity` distinct keys, in the order first seen, and of the
/// rest together: memory stays bounded whatever the input. Merging counters of
/// consecutive parts of the input gives the counter of the whole.
package struct BoundedCounter<Key: Hashable & Sendable>: Sendable {
    /// How many distinct keys are counted apart.
    package let capacity: Int
    private var keys: [Key] = []
    private var counts: [Key: Int] = [:]
    /// How many were counted beyond the first `capacity` distinct keys.
    package private(set) var other = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func add(_ key: Key, count: Int = 1) {
        if let existing = counts[key] {
            counts[key] = existing + count
        } else if keys.count < capacity {
            keys.append(key)
            counts[key] = count
        } else {
            other += count
        }
    }

    mutating func merge(_ later: BoundedCounter) {
        for key in later.keys { add(key, count: later.counts[key]!) }
        other += later.other
    }

    /// The kept keys with their counts, sorted by `order` on the keys.
    package func sorted(by order: (Key, Key) -> Bool) -> [(key: Key, count: Int)] {
        keys.sorted(by: order).map { ($0, counts[$0]!) }
    }
}

extension CELDecimal {
    fileprivate static let zero = CELDecimal(Int64(0))
}

/// How changes of amounts and deadlines are written.
enum Shift {
    /// "later by 1 day", "earlier by 2 days", "later by 3 hours", "later by 90 seconds".
    static func text(seconds: Int64) -> String {
        let direction = seconds < 0 ? "earlier" : "later"
        let size = seconds.magnitude
        let (count, unit): (UInt64, String) =
            if size % 86_400 == 0 { (size / 86_400, "day") }
            else if size % 3600 == 0 { (size / 3600, "hour") }
            else if size % 60 == 0 { (size / 60, "minute") }
            else { (size, "second") }
        return "\(direction) by \(count) \(unit)\(count == 1 ? "" : "s")"
    }

    /// An amount's change with its sign: "+3.00", "-6.50".
    static func signed(_ value: CELDecimal, scale: Int) -> String {
        let text = value.formatted(scale: scale)
        return value < CELDecimal.zero ? text : "+" + text
    }
}

/// A count as a share of a total with two decimals ("2.50%"), computed in integers so
/// the text is the same on every machine.
func percentText(_ count: Int, of total: Int) -> String {
    guard total > 0 else { return "0.00%" }
    let hundredths = (count * 20_000 + total) / (2 * total)
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)%"
}
