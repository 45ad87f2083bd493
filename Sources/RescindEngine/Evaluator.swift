import CELRuntime
import Foundation

/// Options for one decision.
public struct DecisionOptions: Sendable {
    /// Overrides the request's `locale` for reasons.
    public var locale: String?
    /// Record the explanation (costs a traced evaluation of every condition).
    public var explain: Bool

    public init(locale: String? = nil, explain: Bool = false) {
        self.locale = locale
        self.explain = explain
    }
}

extension PolicySet {
    /// Decides a decoded request. Deterministic: the clock is the request's `at`.
    public func decide(_ request: ObjectValue, options: DecisionOptions = DecisionOptions()) -> Decision {
        var run = DecisionRun(policy: self, request: request, explain: options.explain)
        return run.decide(locale: options.locale)
    }

}

/// The state of one decision: the activation and what has been found so far.
struct DecisionRun {
    let policy: PolicySet
    let request: ObjectValue
    let explain: Bool
    var activation: Activation
    var problems: [EvaluationProblem] = []
    var ruleExplanations: [RuleExplanation] = []
    var thresholdExplanations: [ThresholdExplanation] = []
    /// The rule or tier being evaluated, for problem reports.
    var current = ""
    /// While explaining a rule: its conditions' outcomes so far.
    var recording: [ConditionExplanation]?
    /// While explaining: how a reached tier could have been avoided.
    var tierAlternatives: [(effect: Effect, text: String)] = []

    init(policy: PolicySet, request: ObjectValue, explain: Bool) {
        self.policy = policy
        self.request = request
        self.explain = explain
        var activation = policy.emptyActivation
        if let slot = policy.requestSlot { activation[slot: slot] = .object(request) }
        // The decoder builds requests of the schema's root type, so field indexes agree.
        if request.type === policy.schema.root {
            for (index, slot) in policy.fieldSlots.enumerated() {
                if let slot, let value = request.fields[index] { activation[slot: slot] = value }
            }
        } else {
            for (index, field) in request.type.fields.enumerated() {
                if let value = request.fields[index] { activation[field.name] = value }
            }
        }
        self.activation = activation
    }

    mutating func decide(locale requestedLocale: String?) -> Decision {
        let locale = requestedLocale ?? stringField("locale") ?? "en"
        var matched: [(id: String, effect: Effect, reason: LocalizedMessage, obligations: [ObligationTemplate], count: Int64?)] = []
        var suspended: [String: String] = [:]

        for rule in policy.rules {
            current = rule.id
            recording = explain ? [] : nil
            let holds = evaluate(rule.condition)
            if let conditions = recording {
                ruleExplanations.append(RuleExplanation(
                    id: rule.id, effect: rule.effect, matched: holds, location: rule.location, conditions: conditions))
            }
            recording = nil
            guard holds else { continue }
            matched.append((rule.id, rule.effect, rule.reason, rule.obligations, nil))
            for threshold in rule.suspends where suspended[threshold] == nil { suspended[threshold] = rule.id }
        }

        for threshold in policy.thresholds {
            current = threshold.id
            if let (tier, count) = reachedTier(threshold, suspendedBy: suspended[threshold.id]) {
                matched.append((tier.id, tier.effect, tier.reason, tier.obligations, count))
            }
        }

        let effect = matched.map(\.effect).max() ?? policy.defaultEffect
        let deciding = matched.filter { $0.effect == effect }
        var reasons: [Reason] = []
        var obligations: [Obligation] = []
        if deciding.isEmpty {
            reasons.append(Reason(rule: "default", text: render(policy.defaultReason, locale: locale)))
        }
        for entry in deciding {
            if let count = entry.count, let slot = policy.countSlot { activation[slot: slot] = .int(count) }
            let text = render(entry.reason, locale: locale)
            reasons.append(Reason(rule: entry.id, text: text))
            for template in entry.obligations {
                obligations.append(materialize(template, source: entry.id, reason: text))
            }
        }
        if effect == .allow, let refund = refund() { obligations.insert(refund, at: 0) }

        return Decision(
            requestID: stringField("id"), effect: effect, decidingRules: deciding.map(\.id),
            matchedRules: matched.map(\.id), obligations: obligations, reasons: reasons, locale: locale,
            policy: PolicyIdentity(name: policy.name, version: policy.version, digest: policy.digest),
            problems: problems,
            explanation: explain
                ? Explanation(
                    rules: ruleExplanations, thresholds: thresholdExplanations,
                    alternatives: alternatives(effect: effect))
                : nil)
    }

    // MARK: - Conditions

    /// Whether a condition holds. Evaluation errors count as "does not hold" and are
    /// reported as problems, so a broken condition never allows by accident.
    mutating func evaluate(_ condition: Condition) -> Bool {
        switch condition {
        case .expression(let expression):
            return evaluate(expression)
        case .all(let conditions):
            var holds = true
            for condition in conditions where holds || recording != nil {
                // With an explanation, every condition is still shown (as not evaluated).
                if !holds {
                    let skipped = Self.notEvaluated(condition)
                    recording?.append(contentsOf: skipped)
                    continue
                }
                holds = evaluate(condition)
            }
            return holds
        case .any(let conditions):
            var holds = false
            for condition in conditions {
                if holds {
                    let skipped = Self.notEvaluated(condition)
                    recording?.append(contentsOf: skipped)
                    continue
                }
                holds = evaluate(condition)
            }
            return holds
        case .not(let inner):
            let recorded = recording?.count ?? 0
            let holds = !evaluate(inner)
            if recording != nil, case .expression = inner, let last = recording?.popLast(), recording!.count == recorded {
                // Show the negation itself, so the outcome reads the way the rule does.
                recording?.append(last.negated)
            }
            return holds
        }
    }

    private mutating func evaluate(_ expression: CompiledExpression) -> Bool {
        if recording != nil {
            let (result, trace) = expression.program.evaluateWithTrace(activation)
            let outcome: ConditionExplanation.Outcome
            switch result {
            case .success(.bool(true)): outcome = .true
            case .success(.bool(false)): outcome = .false
            case .success(let other): outcome = .error("expected a bool, found \(other.celLiteral)")
            case .failure(let error): outcome = .error(error.message)
            }
            if case .error(let message) = outcome { problem(expression, message) }
            let observed = expression.observed.compactMap { path in
                trace[path.id].map { (path: path.path, value: $0.celLiteral) }
            }
            recording?.append(ConditionExplanation(
                expression: expression.source, location: expression.location, outcome: outcome, observed: observed))
            return outcome == .true
        }
        switch expression.program.evaluate(activation) {
        case .success(.bool(let holds)): return holds
        case .success(let other):
            problem(expression, "expected a bool, found \(other.celLiteral)")
            return false
        case .failure(let error):
            problem(expression, error.message)
            return false
        }
    }

    private static func notEvaluated(_ condition: Condition) -> [ConditionExplanation] {
        switch condition {
        case .expression(let e):
            [ConditionExplanation(expression: e.source, location: e.location, outcome: .notEvaluated, observed: [])]
        case .all(let cs), .any(let cs): cs.flatMap(Self.notEvaluated)
        case .not(.expression(let e)):
            [ConditionExplanation(expression: "!(\(e.source))", location: e.location, outcome: .notEvaluated, observed: [])]
        case .not(let c): Self.notEvaluated(c)
        }
    }

    private mutating func problem(_ expression: CompiledExpression, _ message: String) {
        problems.append(EvaluationProblem(
            rule: current, expression: expression.source, location: expression.location, message: message))
    }

    // MARK: - Thresholds

    private mutating func reachedTier(_ threshold: Threshold, suspendedBy rule: String?) -> (Threshold.Tier, Int64)? {
        func note(_ text: String, count: Int64? = nil, tier: String? = nil, applied: Bool) {
            guard explain else { return }
            thresholdExplanations.append(ThresholdExplanation(
                id: threshold.id, applied: applied, note: applied ? nil : text, count: count, tier: tier,
                text: text, location: threshold.location))
        }
        if let rule {
            note("suspended by rule `\(rule)`", applied: false)
            return nil
        }
        if let condition = threshold.appliesWhen, !evaluate(condition) {
            note("does not apply: its `applies_when` is false", applied: false)
            return nil
        }
        let count: Int64
        switch threshold.count.program.evaluate(activation) {
        case .success(.int(let value)): count = value
        case .success(let other):
            problem(threshold.count, "expected an int count, found \(other.celLiteral)")
            return nil
        case .failure(let error):
            problem(threshold.count, error.message)
            return nil
        }
        let tier = threshold.tiers.last { count >= $0.atLeast }
        if explain {
            let window = describe(threshold.window)
            let at = requestTime.map { " before \($0)" } ?? ""
            var text = "\(count) counted in \(threshold.countedList) within the \(window)\(at)"
            if let tier {
                text += "; tier `\(tier.id)` starts at \(tier.atLeast)"
                if let next = threshold.tiers.first(where: { $0.atLeast > count }) {
                    text += ", `\(next.id)` at \(next.atLeast)"
                }
            } else if let first = threshold.tiers.first {
                text += "; the first tier `\(first.id)` starts at \(first.atLeast)"
            }
            note(text, count: count, tier: tier?.id, applied: true)
            if let tier {
                tierAlternatives.append((
                    tier.effect,
                    "tier `\(tier.id)` of `\(threshold.id)` applies from \(tier.atLeast); the count is \(count)"
                        + " (\(threshold.countedList) within the \(window))"))
            }
        }
        return tier.map { ($0, count) }
    }

    // MARK: - Refunds and obligations

    private mutating func refund() -> Obligation? {
        guard let policy = policy.refunds else { return nil }
        current = "refunds"
        if let condition = policy.appliesWhen, !evaluate(condition) { return nil }
        var fee = CELDecimal(Int64(0))
        for option in policy.fee where option.when.map({ evaluate($0) }) ?? true {
            guard let value = decimal(option.value) else { return nil }
            fee = value
            break
        }
        if let slot = self.policy.feeSlot { activation[slot: slot] = .decimal(fee) }
        guard let amount = decimal(policy.amount), let at = requestTimestamp else { return nil }
        let currency = string(policy.currency) ?? ""
        guard let initiateDays = firstCase(policy.initiateWithin), let expectDays = firstCase(policy.expectWithin)
        else { return nil }
        let calendar = policy.calendar
        let requestDate = calendar.localDate(ofEpochSeconds: at.seconds)
        guard let initiateDate = calendar.addingBusinessDays(initiateDays, to: requestDate),
            let expectDate = calendar.addingBusinessDays(expectDays, to: initiateDate)
        else { return nil }
        return Obligation(type: "refund", source: "refunds", fields: [
            .init(name: "amount", value: .decimal(amount.formatted(scale: 2))),
            .init(name: "fee", value: .decimal(fee.formatted(scale: 2))),
            .init(name: "currency", value: .string(currency)),
            .init(name: "initiate_by", value: .string(Deadline.format(calendar.endOfDay(initiateDate), in: calendar))),
            .init(name: "expected_by", value: .string(Deadline.format(calendar.endOfDay(expectDate), in: calendar))),
        ])
    }

    private mutating func firstCase(_ cases: [RefundPolicy.Case<Int>]) -> Int? {
        cases.first { $0.when.map { evaluate($0) } ?? true }?.value
    }

    private mutating func materialize(_ template: ObligationTemplate, source: String, reason: String) -> Obligation {
        var fields: [Obligation.Field] = []
        for (name, value) in template.fields {
            switch value {
            case .text(let text): fields.append(.init(name: name, value: .string(text)))
            case .int(let int): fields.append(.init(name: name, value: .int(int)))
            case .expression(let expression, let scale):
                switch expression.program.evaluate(activation) {
                case .success(.decimal(let d)): fields.append(.init(name: name, value: .decimal(d.formatted(scale: scale))))
                case .success(.string(let s)): fields.append(.init(name: name, value: .string(s)))
                case .success(.int(let i)): fields.append(.init(name: name, value: .int(i)))
                case .success(.bool(let b)): fields.append(.init(name: name, value: .bool(b)))
                case .success(.timestamp(let t)): fields.append(.init(name: name, value: .string(t.rfc3339)))
                case .success(let other): fields.append(.init(name: name, value: .string(other.celLiteral)))
                case .failure(let error): problem(expression, error.message)
                }
            case .deadline(let after, let label, let key):
                fields.append(.init(name: name, value: .string(label)))
                if let at = requestTimestamp, let due = at.adding(after) {
                    fields.append(.init(name: key, value: .string(localTime(due.seconds))))
                }
            }
        }
        if template.type == "notify" { fields.append(.init(name: "reason", value: .string(reason))) }
        return Obligation(type: template.type, source: source, fields: fields)
    }

    // MARK: - Values

    private mutating func decimal(_ expression: CompiledExpression) -> CELDecimal? {
        switch expression.program.evaluate(activation) {
        case .success(.decimal(let d)): return d
        case .success(.int(let i)): return CELDecimal(i)
        case .success(let other):
            problem(expression, "expected a decimal, found \(other.celLiteral)")
            return nil
        case .failure(let error):
            problem(expression, error.message)
            return nil
        }
    }

    private mutating func string(_ expression: CompiledExpression) -> String? {
        if case .success(.string(let s)) = expression.program.evaluate(activation) { return s }
        return nil
    }

    func render(_ message: LocalizedMessage, locale: String) -> String {
        guard let template = message.template(for: locale) else { return "" }
        var text = ""
        for part in template.parts {
            switch part {
            case .text(let literal): text += literal
            case .value(let expression):
                switch expression.program.evaluate(activation) {
                case .success(.string(let s)): text += s
                case .success(.decimal(let d)): text += d.formatted(scale: 2)
                case .success(.timestamp(let t)):
                    text += localTime(t.seconds)
                case .success(let value): text += value.celLiteral
                case .failure: text += "{\(expression.source)}"
                }
            }
        }
        return text
    }

    /// An instant as people read it here: in the refund calendar's zone (UTC without one).
    private func localTime(_ seconds: Int64) -> String {
        policy.refunds.map { Deadline.format(seconds, in: $0.calendar) } ?? Deadline.format(seconds, offset: 0)
    }

    private func stringField(_ name: String) -> String? {
        if case .string(let s)? = request[name] { return s }
        return nil
    }

    private var requestTimestamp: CELTimestamp? {
        if case .timestamp(let t)? = request["at"] { return t }
        return nil
    }

    private var requestTime: String? {
        requestTimestamp.map { localTime($0.seconds) }
    }

    private func describe(_ duration: CELDuration) -> String {
        let seconds = duration.seconds
        if seconds % 86_400 == 0 { return "\(seconds / 86_400) days" }
        if seconds % 3600 == 0 { return "\(seconds / 3600) hours" }
        if seconds % 60 == 0 { return "\(seconds / 60) minutes" }
        return "\(seconds) seconds"
    }

    // MARK: - Alternatives

    /// For a deny or review: the allow rules that failed, each with the conditions that
    /// were false and the values they saw.
    /// Who is asking cannot change, so conditions that read only the actor are not
    /// offered as ways to a different outcome.
    private func alternatives(effect: Effect) -> [String] {
        guard effect != .allow else { return [] }
        var result = tierAlternatives.filter { $0.effect == effect }.map(\.text)
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

/// Deadlines are shown in the calendar's zone: `2026-12-02T23:59:59+08:00`.
public enum Deadline {
    public static func format(_ epochSeconds: Int64, in zone: TimeZone) -> String {
        format(epochSeconds, offset: zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(epochSeconds))))
    }

    public static func format(_ epochSeconds: Int64, in calendar: BusinessCalendar) -> String {
        format(epochSeconds, offset: calendar.offset(atEpochSeconds: epochSeconds))
    }

    static func format(_ epochSeconds: Int64, offset: Int) -> String {
        let local = epochSeconds + Int64(offset)
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let date = CivilDate(daysSinceEpoch: Int(days))
        let secondOfDay = Int(local - days * 86_400)
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let time = "\(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60))"
        let sign = offset < 0 ? "-" : "+"
        let zoneText = offset == 0 ? "Z" : "\(sign)\(pad(abs(offset) / 3600)):\(pad(abs(offset) / 60 % 60))"
        return "\(date)T\(time)\(zoneText)"
    }
}
