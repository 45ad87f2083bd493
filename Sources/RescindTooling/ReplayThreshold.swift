import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// A `--fail-on` threshold for CI: `METRIC>LIMIT`, where the limit is a number of
/// requests (`>0`: any) or a share of the requests replayed (`>1%`, `>0.5%`).
///
/// Metrics:
/// - `FROM->TO`: effects flipped from `FROM` to `TO`; each is `allow`, `review`,
///   `deny`, `invalid` (rejected by that side's schema) or `any` (any other).
/// - `changed`: requests with any change; `deciding-rules`: the same effect decided by
///   other rules; `obligations`: requests whose obligations changed.
/// - `TYPE.FIELD` (`refund.amount`), `TYPE.added`, `TYPE.removed`, `TYPE.*` (any change
///   to obligations of that type), under the same effect.
/// - `bad-lines`: lines neither side could decide (a share of all lines).
package struct ReplayThreshold: Sendable, Hashable {
    /// What a threshold counts (see the forms above).
    package enum Metric: Sendable, Hashable {
        /// nil is `any`.
        case flips(from: ReplayEffect?, to: ReplayEffect?)
        case changed
        case decidingRules
        case obligations
        case obligationType(String)
        case obligation(ReplayChange)
        case badLines
    }

    /// The most a threshold allows: a number of requests, or a percentage of them.
    package enum Limit: Sendable, Hashable {
        case count(Int)
        case percent(Decimal)
    }

    /// The threshold as written.
    package let spec: String
    /// What it counts, and the most it allows.
    package let metric: Metric
    package let limit: Limit

    /// The forms, for messages.
    static let forms =
        "e.g. `allow->deny>1%`, `any->deny>0`, `changed>5%`, `refund.amount>0`, "
        + "`voucher.*>0`, `deciding-rules>10`, `bad-lines>0` (see `rescind replay --help`)"

    /// Parses a threshold; the error says what is wrong, lowercase, with the input in
    /// backticks.
    package static func parse(_ spec: String) -> Result<ReplayThreshold, ReplayThresholdError> {
        let text = spec.filter { !$0.isWhitespace }
        func failure(_ problem: String) -> Result<ReplayThreshold, ReplayThresholdError> {
            .failure(ReplayThresholdError(message: "--fail-on `\(spec)`: \(problem)"))
        }
        guard let separator = text.lastIndex(of: ">"), separator != text.startIndex,
            text[text.index(before: separator)] != "-"
        else { return failure("expected METRIC>LIMIT, \(forms)") }
        let name = String(text[..<separator])
        var number = String(text[text.index(after: separator)...])
        let isPercent = number.hasSuffix("%")
        if isPercent { number.removeLast() }
        let limit: Limit
        if isPercent {
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                number.filter({ $0 == "." }).count <= 1, number.contains(where: \.isNumber),
                let value = Decimal(string: number, locale: Locale(identifier: "en_US_POSIX")), value <= 100
            else { return failure("the limit `\(number)%` is not a percentage from 0% to 100%") }
            limit = .percent(value)
        } else {
            guard let value = Int(number), value >= 0 else {
                return failure("the limit `\(number)` is not a number of requests (or a percentage such as `1%`)")
            }
            limit = .count(value)
        }
        switch metric(name) {
        case .success(let metric): return .success(ReplayThreshold(spec: spec, metric: metric, limit: limit))
        case .failure(let problem): return failure(problem.message)
        }
    }

    private static let keywords: [String: Metric] = [
        "changed": .changed, "deciding-rules": .decidingRules, "obligations": .obligations, "bad-lines": .badLines,
    ]
    private static let effectNames = ["any"] + ReplayEffect.allCases.map(\.rawValue)

    private static func metric(_ name: String) -> Result<Metric, ReplayThresholdError> {
        if let metric = keywords[name] { return .success(metric) }
        if let arrow = name.range(of: "->") {
            let from = String(name[..<arrow.lowerBound]), to = String(name[arrow.upperBound...])
            for effect in [from, to] where !effectNames.contains(effect) {
                let help = Suggestions.didYouMean(effect, in: effectNames).map { "; \($0.en)" } ?? ""
                return .failure(ReplayThresholdError(
                    message: "unknown effect `\(effect)`\(help) (the effects are `allow`, `review`, `deny`, `invalid` and `any`)"))
            }
            if from == to && from != "any" {
                return .failure(ReplayThresholdError(message: "`\(from)->\(to)` is no change"))
            }
            return .success(.flips(from: ReplayEffect(rawValue: from), to: ReplayEffect(rawValue: to)))
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            let help = Suggestions.didYouMean(name, in: keywords.keys.sorted()).map { "; \($0.en)" } ?? "; write METRIC>LIMIT, \(forms)"
            return .failure(ReplayThresholdError(message: "unknown metric `\(name)`\(help)"))
        }
        let (type, field) = (parts[0], parts[1])
        let metric: Metric = switch field {
        case "*": .obligationType(type)
        case "added": .obligation(.obligationAdded(type: type))
        case "removed": .obligation(.obligationRemoved(type: type))
        default: .obligation(.obligationField(type: type, field: field))
        }
        return .success(metric)
    }

    /// The obligation type and field this threshold names, when no policy set of the
    /// replay has them: a misspelt threshold would otherwise pass every time.
    package func unknownName(in policySets: [PolicySet]) -> ReplayThresholdError? {
        let type: String, field: String?
        switch metric {
        case .obligationType(let name): (type, field) = (name, nil)
        case .obligation(.obligationField(let name, let fieldName)): (type, field) = (name, fieldName)
        case .obligation(.obligationAdded(let name)), .obligation(.obligationRemoved(let name)): (type, field) = (name, nil)
        default: return nil
        }
        var fields: [String: Set<String>] = [:]
        for policySet in policySets {
            for (name, names) in Self.obligationFields(of: policySet) { fields[name, default: []].formUnion(names) }
        }
        guard let known = fields[type] else {
            let help = Suggestions.didYouMean(type, in: fields.keys.sorted()).map { "; \($0.en)" } ?? ""
            return ReplayThresholdError(
                message: "--fail-on `\(spec)`: neither policy set has obligations of type `\(type)`\(help)")
        }
        if let field, !known.contains(field) {
            let help = Suggestions.didYouMean(field, in: known.sorted()).map { "; \($0.en)" } ?? ""
            return ReplayThresholdError(
                message: "--fail-on `\(spec)`: `\(type)` obligations have no field `\(field)`\(help)")
        }
        return nil
    }

    /// The obligation types a policy set can produce, with their fields.
    static func obligationFields(of policySet: PolicySet) -> [String: Set<String>] {
        Dictionary(uniqueKeysWithValues: policySet.obligationFieldNames.map { ($0.type, Set($0.fields)) })
    }

    /// Checks the threshold against a replay's counts.
    package func check(_ report: ReplayReport) -> ReplayCheck {
        let count: Int
        var total = report.replayed
        switch metric {
        case .flips(let from, let to):
            count = report.transitions.filter { row in
                row.from != row.to && (from == nil || row.from == from) && (to == nil || row.to == to)
            }.reduce(0) { $0 + $1.count }
        case .changed: count = report.changed
        case .decidingRules:
            count = report.decidingRuleChanges
        case .obligations: count = report.obligationRequests
        case .obligationType(let type): count = report.obligationTypeRequests[type] ?? 0
        case .obligation(let change): count = report.changes.first { $0.change == change }?.requests ?? 0
        case .badLines:
            count = report.badLines
            total = report.lines
        }
        let exceeded = switch limit {
        case .count(let limit): count > limit
        case .percent(let limit): Decimal(count) * 100 > limit * Decimal(total)
        }
        return ReplayCheck(threshold: self, count: count, total: total, exceeded: exceeded)
    }
}

/// A `--fail-on` that cannot be used, and why.
package struct ReplayThresholdError: Error, Sendable, Hashable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

/// A threshold checked: the count it measured, of how many, and whether it was exceeded.
package struct ReplayCheck: Sendable, Hashable {
    /// The threshold checked.
    package let threshold: ReplayThreshold
    /// What it counted.
    package let count: Int
    /// The requests replayed (all lines, for `bad-lines`).
    package let total: Int
    /// Whether the count passed the limit.
    package let exceeded: Bool

    /// "3 of 1000 (0.30%)".
    package var measured: String { "\(count) of \(total) (\(percentText(count, of: total)))" }
}
