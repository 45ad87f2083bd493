import CEL
import CELRuntime
import Foundation
import Rescind
import RescindCELLibrary
import RescindDiagnostics
import RescindPolicy
@testable import RescindEngine

// The third side of the differential test (ThreeSidedDifferentialTests): a decision
// worked out from the policy set's model as docs/policy-language.md describes it, the
// slow, obvious way.
//
// Re-implemented here, sharing nothing with the engine's evaluator or plan:
// - which rules match: each rule's `when` tree walked node by node (`all` stops at the
//   first false, `any` at the first true, `not` negates), every leaf run as its plain
//   CEL program; no `DecisionPlan`, no `ConditionSites`, no `Shortcut` (enum bit masks,
//   field reads, decimal formulas, native comparisons), no candidate bit sets, no
//   ordinal cache; variables bound by name, never by slot;
// - the effect: deny beats review beats allow, else the default; `suspends`;
// - thresholds: `applies_when`, the missing-list check (walking the optional objects by
//   name), the count (the threshold's CEL count, never the native `WindowCount`), the
//   highest tier reached, the tier counts reasons read;
// - the deciding outcomes' computed obligation fields;
// - the refund: `applies_when`, the first fee / `initiate_within` / `expect_within` case
//   that holds, the fee and amount by CEL (never `DecimalFormula`), the currency, the
//   deadlines by walking the calendar day by day from its listed holidays, make-up
//   workdays and weekend in its time zone (never `BusinessDeadlines` nor the calendar's
//   own day arithmetic), the years the calendar covers;
// - problems (kind, owner, expression, location, message) and raising the effect to
//   `on_error` / `on_missing`, dropping the refund and obligations.
//
// Shared with the engine, because they are not what the plan or the shortcuts change:
// the YAML loader and the policy compiler's model (the `Rule`/`Threshold`/`RefundPolicy`
// values and each expression's compiled CEL `Program`, including the count expression
// the compiler writes for a threshold: the CEL runtime has its own conformance tests),
// the request decoder, the choice of the decision's locale (`decisionLocale`), and
// rendering: the reference builds a `Decision` value (effect, matched outcomes, tier
// counts, refund, problems, obligation values) and the engine's JSON writer and message
// renderer turn it into text, as they do for every decision. It needs `@testable`: the
// `Decision` initializer, `OutcomeSet`, `TierCount`, `DecisionDetails`, and
// `MissingListPath.optionalObjects` are internal to RescindEngine.
struct ReferenceEvaluator {
    let policy: PolicySet

    /// The decision the policy language gives for `request` (no explanation).
    func decide(_ request: ObjectValue) -> Decision {
        var run = Run(policy: policy, request: request)
        return run.decide()
    }

    private struct Run {
        let policy: PolicySet
        let request: ObjectValue
        /// Every CEL variable by name: each present root field, `request`, and `fee`
        /// once the refund's fee is known.
        var bindings: [String: Value] = [:]
        var problems: [EvaluationProblem] = []
        /// Who a problem is reported under: a rule, tier, threshold or `refunds`.
        var owner = "refunds"

        init(policy: PolicySet, request: ObjectValue) {
            self.policy = policy
            self.request = request
            for (index, field) in request.type.fields.enumerated() {
                if let value = request.fields[index] { bindings[field.name] = value }
            }
            bindings[PolicySet.requestVariable] = .object(request)
        }

        mutating func decide() -> Decision {
            let rules = policy.rules
            var matched: [Int] = []  // outcome indexes: rules, then each threshold's tiers
            var effects: [Effect] = []
            var suspendedBy: [String: Int] = [:]
            for (index, rule) in rules.enumerated() {
                owner = rule.id
                guard holds(rule.condition) else { continue }
                matched.append(index)
                effects.append(rule.effect)
                for id in rule.suspends where suspendedBy[id] == nil { suspendedBy[id] = index }
            }

            var tierCounts: [TierCount] = []
            var base = rules.count
            for (index, threshold) in policy.thresholds.enumerated() {
                defer { base += threshold.tiers.count }
                if suspendedBy[threshold.id] != nil { continue }
                owner = threshold.id
                if !holds(optional: threshold.appliesWhen) { continue }
                if let missing = threshold.missingList, isMissing(missing) {
                    problems.append(EvaluationProblem(
                        kind: .missingList, rule: threshold.id, expression: threshold.countedList,
                        location: threshold.location,
                        message: "the request has no `\(missing.description)`, so `\(threshold.id)` could not count"))
                    continue
                }
                let count: Int64
                switch evaluate(threshold.count) {
                case .int(let value): count = value
                case .error(let error):
                    report(threshold.count, error.message)
                    continue
                case let other:
                    report(threshold.count, "expected an int count, found \(other.celLiteral)")
                    continue
                }
                guard let tier = threshold.tiers.lastIndex(where: { count >= $0.atLeast }) else { continue }
                matched.append(base + tier)
                effects.append(threshold.tiers[tier].effect)
                tierCounts.append(TierCount(threshold: index, count: count))
            }

            var effect = effects.max() ?? policy.defaultEffect
            var obligationValues: [Value] = []
            if !effects.isEmpty {
                for outcome in matched where policy.outcomes[outcome].effect == effect {
                    owner = policy.outcomes[outcome].id
                    for template in policy.outcomes[outcome].obligations {
                        for (_, field) in template.fields {
                            guard case .expression(let expression, _) = field else { continue }
                            let value = evaluate(expression)
                            if case .error(let error) = value { report(expression, error.message) }
                            obligationValues.append(value)
                        }
                    }
                }
            }
            var refund = effect == .allow ? self.refund() : nil
            if !problems.isEmpty {
                var raised = Effect.allow
                for problem in problems {
                    let onMissing = problem.kind == .missingList
                        ? policy.thresholds.first { $0.id == problem.rule }?.onMissing : nil
                    raised = max(raised, (onMissing ?? policy.onError).effect)
                }
                if raised > effect {
                    effect = raised
                    refund = nil
                    obligationValues = []
                }
            }

            var outcomes = OutcomeSet()
            for index in matched { outcomes.insert(index) }
            let requestID: String? = if case .string(let id)? = request["id"] { id } else { nil }
            return Decision(
                requestID: requestID, effect: effect,
                locale: policy.decisionLocale(requested: nil, request: request), refund: refund,
                policySet: policy, request: request, matched: outcomes, firstTierCount: tierCounts.first,
                details: DecisionDetails.make(
                    problems: problems, explanation: nil, moreTierCounts: Array(tierCounts.dropFirst()),
                    obligationValues: obligationValues))
        }

        // MARK: Conditions

        /// A `when` tree as written; a failed leaf does not hold and is a problem.
        mutating func holds(_ condition: Condition) -> Bool {
            switch condition {
            case .expression(let expression):
                switch evaluate(expression) {
                case .bool(let value): return value
                case .error(let error): report(expression, error.message)
                case let other: report(expression, "expected a bool, found \(other.celLiteral)")
                }
                return false
            case .all(let items):
                for item in items where !holds(item) { return false }
                return true
            case .any(let items):
                for item in items where holds(item) { return true }
                return false
            case .not(let inner):
                return !holds(inner)
            }
        }

        /// An `applies_when` or a case's `when`; none always holds.
        mutating func holds(optional condition: Condition?) -> Bool {
            guard let condition else { return true }
            return holds(condition)
        }

        /// The expression's CEL program, run plainly with the variables by name.
        func evaluate(_ expression: CompiledExpression) -> Value {
            expression.program.evaluate(expression.program.makeActivation(bindings)).value
        }

        mutating func report(_ expression: CompiledExpression, _ message: String) {
            problems.append(EvaluationProblem(
                kind: .evaluationError, rule: owner, expression: expression.source, location: expression.location,
                message: message))
        }

        /// Whether an optional object on the counted list's path was not sent: absent, or
        /// zero-filled by the decoder.
        func isMissing(_ path: MissingListPath) -> Bool {
            for object in path.optionalObjects {
                var current: Value? = .object(request)
                for name in object.description.split(separator: ".") {
                    guard case .object(let value)? = current else { return true }
                    current = value[String(name)]
                }
                guard case .object(let value)? = current, !value.isZeroFilled else { return true }
            }
            return false
        }

        // MARK: Refunds

        mutating func refund() -> Refund? {
            guard let refunds = policy.refunds else { return nil }
            owner = "refunds"
            if !holds(optional: refunds.appliesWhen) { return nil }
            var fee = CELDecimal(Int64(0))
            for feeCase in refunds.fee where holds(optional: feeCase.when) {
                guard let value = decimal(feeCase.value) else { return nil }
                fee = value
                break
            }
            bindings[PolicySet.feeVariable] = .decimal(fee)
            guard let amount = decimal(refunds.amount) else { return nil }
            guard case .timestamp(let at)? = request["at"] else { return nil }
            let currency: String
            switch evaluate(refunds.currency) {
            case .string(let text): currency = text
            case .error(let error):
                report(refunds.currency, error.message)
                return nil
            case let other:
                report(refunds.currency, "expected a string currency, found \(other.celLiteral)")
                return nil
            }
            guard let initiate = firstCase(refunds.initiateWithin) else {
                return noCase("initiate_within", refunds.initiateLocation)
            }
            guard let expect = firstCase(refunds.expectWithin) else {
                return noCase("expect_within", refunds.expectLocation)
            }
            let calendar = refunds.calendar
            let requestDay = localDate(at.seconds, calendar)
            guard let initiateDay = addingBusinessDays(initiate, to: requestDay, calendar),
                let expectDay = addingBusinessDays(expect, to: initiateDay, calendar)
            else { return nil }
            let initiateBy = endOfDay(initiateDay, calendar)
            let expectedBy = endOfDay(expectDay, calendar)
            if let years = calendar.coveredYears,
                !years.contains(requestDay.year) || !years.contains(localDate(expectedBy.epochSeconds, calendar).year)
            {
                problems.append(EvaluationProblem(
                    kind: .calendarOutOfRange, rule: "refunds", expression: "calendar `\(calendar.name)`",
                    location: refunds.location,
                    message: "the refund deadlines need the business days from \(requestDay) to"
                        + " \(localDate(expectedBy.epochSeconds, calendar)), but calendar `\(calendar.name)` covers"
                        + " only the years \(years.lowerBound)..\(years.upperBound)"))
                return nil
            }
            return Refund(amount: amount, fee: fee, currency: currency, initiateBy: initiateBy, expectedBy: expectedBy)
        }

        mutating func firstCase(_ cases: [RefundPolicy.Case<Int>]) -> Int? {
            for item in cases where holds(optional: item.when) { return item.value }
            return nil
        }

        mutating func decimal(_ expression: CompiledExpression) -> CELDecimal? {
            switch evaluate(expression) {
            case .decimal(let value): return value
            case .int(let value): return CELDecimal(value)
            case .error(let error): report(expression, error.message)
            case let other: report(expression, "expected a decimal, found \(other.celLiteral)")
            }
            return nil
        }

        mutating func noCase(_ table: String, _ location: SourceReference) -> Refund? {
            problems.append(EvaluationProblem(
                kind: .noRefundCase, rule: "refunds", expression: table, location: location,
                message: "no case of `\(table)` holds for this request, so no refund deadline could be set"))
            return nil
        }

        // MARK: Calendar, day by day

        /// The calendar's offset from UTC at an instant, from its time zone (Foundation).
        func offset(_ seconds: Int64, _ calendar: BusinessCalendar) -> Int {
            calendar.timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
        }

        func localDate(_ seconds: Int64, _ calendar: BusinessCalendar) -> CivilDate {
            let local = seconds + Int64(offset(seconds, calendar))
            return CivilDate(daysSinceEpoch: Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400))
        }

        /// The `count`-th business day after `date` (`date` itself for 0): a make-up
        /// workday is one; a holiday or a weekend day is not.
        func addingBusinessDays(_ count: Int, to date: CivilDate, _ calendar: BusinessCalendar) -> CivilDate? {
            var day = date
            var remaining = count
            var steps = 0
            while remaining > 0 {
                day = day.adding(days: 1)
                steps += 1
                if steps > 3660 { return nil }
                let business = calendar.makeUpWorkdays.contains(day)
                    || (!calendar.weekend.contains(day.weekday) && !calendar.holidays.contains(day))
                if business { remaining -= 1 }
            }
            return day
        }

        /// 23:59:59 local time on `date`, shown at the offset then.
        func endOfDay(_ date: CivilDate, _ calendar: BusinessCalendar) -> LocalTime {
            let local = Int64(date.daysSinceEpoch) * 86_400 + 86_399
            let seconds = local - Int64(offset(local - Int64(offset(local, calendar)), calendar))
            return LocalTime(epochSeconds: seconds, utcOffset: offset(seconds, calendar))
        }
    }
}
