import CELRuntime
import RescindCELLibrary

/// What deciding records about a refund when explaining: the cases chosen and the
/// values computed. The rest (the formula's steps, the days counted) is worked out again
/// when the explanation is read, from the same request and policy set.
struct RefundDerivation {
    /// The index of the fee case that applied; nil when none did (no fee).
    let feeCase: Int?
    let initiateCase: Int
    let expectCase: Int
    let fee: CELDecimal
    let amount: CELDecimal
    let at: CELTimestamp
}

/// How a refund was worked out, step by step, in the explanation's words.
public struct RefundExplanation: Sendable {
    /// One step: a label (`fee`, `initiate_by`, …) and what was done, with its values.
    public struct Step: Sendable, Hashable {
        /// What the step computes: `fee`, `amount`, `initiate_by`, `expected_by` (in Chinese, 手续费 …).
        public let label: String
        /// How: the case chosen, the formula with its values, the days counted.
        public let text: String
    }

    /// Where the refund policy is written.
    public let location: SourceReference
    public let steps: [Step]
}

extension ExplanationSource {
    /// The refund's derivation (see `Explanation.refund`); nil when deciding did not
    /// reach the refund (the decision does not allow, or the set has no refunds).
    func refundExplanation() -> RefundExplanation? {
        guard let refunds = policy.refunds, let record = refund else { return nil }
        let words = ExplanationWords(locale: locale)
        switch record {
        case .notApplicable:
            let condition = refunds.appliesWhen.map { "`\(Self.text(of: $0))`" } ?? ""
            let text = words.chinese ? "\(condition) 不成立，不退款" : "\(condition) does not hold: no refund"
            return RefundExplanation(
                location: refunds.location,
                steps: [.init(label: words.chinese ? "适用条件（applies_when）" : "applies_when", text: text)])
        case .derived(let derivation):
            var steps: [RefundExplanation.Step] = []
            // The fee.
            let feeText: String
            if let index = derivation.feeCase {
                let fee = refunds.fee[index]
                feeText = caseText(index, fee.when, words) + formula(fee.value, fee: nil, value: derivation.fee, words)
            } else {
                feeText = (words.chinese ? "没有情形适用，不收手续费：" : "no case applies, no fee: ") + derivation.fee.formatted(scale: 2)
            }
            steps.append(.init(label: words.chinese ? "手续费" : "fee", text: feeText))
            steps.append(.init(
                label: words.chinese ? "退款金额" : "amount",
                text: "`\(refunds.amount.source)`\(words.colon)"
                    + formula(refunds.amount, fee: derivation.fee, value: derivation.amount, words)))
            // The deadlines.
            let calendar = refunds.calendar
            let requestDay = calendar.localDate(ofEpochSeconds: derivation.at.seconds)
            let initiate = refunds.initiateWithin[derivation.initiateCase]
            let (initiateText, initiateDay) = days(initiate.value, after: requestDay, calendar, words)
            steps.append(.init(
                label: words.chinese ? "最迟发起退款（initiate_by）" : "initiate_by",
                text: caseText(derivation.initiateCase, initiate.when, words) + initiateText))
            let expect = refunds.expectWithin[derivation.expectCase]
            let (expectText, _) = days(expect.value, after: initiateDay, calendar, words)
            steps.append(.init(
                label: words.chinese ? "预计到账（expected_by）" : "expected_by",
                text: caseText(derivation.expectCase, expect.when, words) + expectText))
            if let effect = refundWithheldBy {
                steps.append(.init(
                    label: words.chinese ? "不予退款" : "not paid",
                    text: words.chinese
                        ? "决定因上述问题升为「\(words.effect(effect))」，本次不退款"
                        : "the problems above raise the decision to \(effect.rawValue), so no refund is paid"))
            }
            return RefundExplanation(location: refunds.location, steps: steps)
        }
    }

    /// "case 2 applies (`order.payment_method == "card"`): ".
    private func caseText(_ index: Int, _ condition: Condition?, _ words: ExplanationWords) -> String {
        let written = condition.map { "`\(Self.text(of: $0))`" }
        if words.chinese {
            return "适用第 \(index + 1) 种情形" + (written.map { "（\($0)）" } ?? "（无条件）") + "："
        }
        return "case \(index + 1) applies" + (written.map { " (\($0))" } ?? " (no condition)") + ": "
    }

    /// A condition as written: its CEL, with `all`, `any` and `not` in words CEL reads.
    static func text(of condition: Condition) -> String {
        switch condition {
        case .expression(let expression): expression.source
        case .all(let parts): parts.map { "(\(text(of: $0)))" }.joined(separator: " && ")
        case .any(let parts): parts.map { "(\(text(of: $0)))" }.joined(separator: " || ")
        case .not(let inner): "!(\(text(of: inner)))"
        }
    }

    /// `count` business days after `start`, as counted: the days counted and those
    /// skipped (weekends, holidays), make-up workdays marked, and the deadline reached.
    private func days(
        _ count: Int, after start: CivilDate, _ calendar: BusinessCalendar, _ words: ExplanationWords
    ) -> (String, CivilDate) {
        let zone = words.chinese
            ? "按 \(calendar.name) 日历，\(calendar.timeZone.identifier) 时间"
            : "calendar \(calendar.name), \(calendar.timeZone.identifier)"
        var counted: [(CivilDate, Bool)] = []  // (day, is a make-up workday)
        var skipped: [(CivilDate, Bool)] = []  // (day, is a holiday)
        var day = start
        // The same bound as the calendar's own walk, in case of broken data.
        var steps = 0
        while counted.count < count && steps < count * 7 + calendar.holidays.count + 7 {
            day = day.adding(days: 1)
            steps += 1
            if calendar.isBusinessDay(day) {
                counted.append((day, calendar.makeUpWorkdays.contains(day)))
            } else {
                skipped.append((day, calendar.holidays.contains(day)))
            }
        }
        let deadline = LocalTime(
            epochSeconds: calendar.endOfDay(day), utcOffset: calendar.offset(atEpochSeconds: calendar.endOfDay(day)))
        let countedText = Self.runs(counted, words) { $0 ? (words.chinese ? "调休上班日" : "make-up workday") : nil }
        let skippedText = Self.runs(skipped, words) {
            $0 ? (words.chinese ? "法定节假日" : "holiday") : (words.chinese ? "周末" : "weekend")
        }
        var text: String
        if words.chinese {
            if count == 0 {
                text = "0 个工作日，即 \(start) 当天（\(zone)）"
            } else {
                text = "自 \(start) 次日起算 \(count) 个工作日（\(zone)）：计入 \(countedText)"
                if !skipped.isEmpty { text += "；跳过 \(skippedText)" }
            }
        } else {
            if count == 0 {
                text = "0 business days: the same day, \(start) (\(zone))"
            } else {
                text = "\(count) business day\(count == 1 ? "" : "s") after \(start) (\(zone)): counted \(countedText)"
                if !skipped.isEmpty { text += "; skipped \(skippedText)" }
            }
        }
        return (text + " → \(deadline)", day)
    }

    /// Consecutive days with the same note as ranges: "2026-10-01..2026-10-07 (holiday),
    /// 2026-10-10 (make-up workday)".
    private static func runs(_ days: [(CivilDate, Bool)], _ words: ExplanationWords, note: (Bool) -> String?) -> String {
        var parts: [String] = []
        var index = 0
        while index < days.count {
            var end = index
            while end + 1 < days.count, days[end + 1].1 == days[index].1,
                days[end + 1].0.daysSinceEpoch == days[end].0.daysSinceEpoch + 1
            {
                end += 1
            }
            var part = end == index ? "\(days[index].0)" : "\(days[index].0)..\(days[end].0)"
            if let note = note(days[index].1) { part += words.chinese ? "（\(note)）" : " (\(note))" }
            parts.append(part)
            index = end + 1
        }
        return parts.joined(separator: words.chinese ? "、" : ", ")
    }

    /// A decimal expression with the values it computed: "5% × 1200.00 = 60.00, capped at
    /// 20.00". From its formula when the compiler made one; otherwise the
    /// expression as written and its value.
    private func formula(
        _ expression: CompiledExpression, fee: CELDecimal?, value: CELDecimal, _ words: ExplanationWords
    ) -> String {
        guard let formula = expression.formula,
            let text = FormulaText(formula: formula, request: request, fee: fee, words: words).text
        else {
            return "`\(expression.source)` = \(value.formatted(scale: 2))"
        }
        let shown = value.formatted(scale: 2)
        // "… = 1180.00", "capped at 20.00" need no "→ 1180.00" after them.
        return text.hasSuffix(" \(shown)") ? text : text + " → \(shown)"
    }
}

/// A decimal formula's steps in words, with the values at each step.
private struct FormulaText {
    let formula: DecimalFormula
    let request: ObjectValue
    let fee: CELDecimal?
    let words: ExplanationWords

    private struct Part {
        let value: CELDecimal
        let text: String
        /// A constant as written in the policy.
        let constant: Bool
        /// The text is the value alone (no operation): needs no parentheses.
        let plain: Bool
    }

    var text: String? {
        var stack: [Part] = []
        let constants = formula.constantList
        for step in formula.stepList {
            switch step {
            case .field(let index):
                let value: CELDecimal
                switch formula.fields[index].read(from: request) {
                case .decimal(let d)?: value = d
                case .int(let i)?: value = CELDecimal(i)
                default: return nil
                }
                stack.append(Part(value: value, text: value.formatted(scale: 2), constant: false, plain: true))
            case .constant(let index):
                stack.append(Part(value: constants[index], text: constants[index].description, constant: true, plain: true))
            case .fee:
                guard let fee else { return nil }
                stack.append(Part(value: fee, text: fee.formatted(scale: 2), constant: false, plain: true))
            case .round(let places):
                guard let top = stack.popLast(), let rounded = try? top.value.rounded(scale: places) else { return nil }
                if rounded == top.value {
                    stack.append(Part(value: rounded, text: top.text, constant: top.constant, plain: top.plain))
                } else {
                    let unit = places > 0 ? "0." + String(repeating: "0", count: places - 1) + "1" : "1"
                    let text = words.chinese
                        ? "\(top.text)，按银行家舍入法保留到 \(unit) 得 \(rounded.formatted(scale: places))"
                        : "\(top.text), rounded half-even to \(unit) = \(rounded.formatted(scale: places))"
                    stack.append(Part(value: rounded, text: text, constant: false, plain: false))
                }
            case .add, .subtract, .multiply, .minimum, .maximum:
                guard let rhs = stack.popLast(), let lhs = stack.popLast(), let part = combine(step, lhs, rhs) else {
                    return nil
                }
                stack.append(part)
            }
        }
        guard stack.count == 1 else { return nil }
        return stack[0].text
    }

    private func combine(_ step: DecimalFormula.Step, _ lhs: Part, _ rhs: Part) -> Part? {
        func operand(_ part: Part) -> String { part.plain ? part.text : "(\(part.text))" }
        switch step {
        case .add, .subtract, .multiply:
            let value: CELDecimal
            var left = operand(lhs), right = operand(rhs), sign: String
            switch step {
            case .add:
                guard let v = try? lhs.value.adding(rhs.value) else { return nil }
                value = v
                sign = "+"
            case .subtract:
                guard let v = try? lhs.value.subtracting(rhs.value) else { return nil }
                value = v
                sign = "−"
            default:
                guard let v = try? lhs.value.multiplying(by: rhs.value) else { return nil }
                value = v
                sign = "×"
                // A rate is read as a percentage, written first: "5% × 1200.00".
                if let percent = Self.percent(rhs) {
                    (left, right) = (percent, operand(lhs))
                } else if let percent = Self.percent(lhs) {
                    left = percent
                }
            }
            let shown = value.formatted(scale: max(2, Self.scale(of: value)))
            return Part(value: value, text: "\(left) \(sign) \(right) = \(shown)", constant: false, plain: false)
        case .minimum, .maximum:
            let isMinimum = if case .minimum = step { true } else { false }
            let value = isMinimum ? min(lhs.value, rhs.value) : max(lhs.value, rhs.value)
            // A bound written as a constant reads as a cap (or a floor) on the other side.
            let (bound, other) = rhs.constant ? (rhs, lhs) : lhs.constant ? (lhs, rhs) : (rhs, lhs)
            guard bound.constant else {
                let name = isMinimum ? "min" : "max"
                return Part(
                    value: value, text: "\(name)(\(lhs.text), \(rhs.text)) = \(value.formatted(scale: 2))",
                    constant: false, plain: false)
            }
            let applies = value == bound.value && value != other.value
            let boundText = bound.value.formatted(scale: 2)
            let text: String
            switch (isMinimum, applies, words.chinese) {
            case (true, true, false): text = "\(other.text), capped at \(boundText)"
            case (true, false, false): text = "\(other.text) (at most \(boundText))"
            case (false, true, false): text = "\(other.text), raised to the minimum \(boundText)"
            case (false, false, false): text = "\(other.text) (at least \(boundText))"
            case (true, true, true): text = "\(other.text)，超过上限，取上限 \(boundText)"
            case (true, false, true): text = "\(other.text)（上限 \(boundText)）"
            case (false, true, true): text = "\(other.text)，低于下限，取下限 \(boundText)"
            case (false, false, true): text = "\(other.text)（下限 \(boundText)）"
            }
            return Part(value: value, text: text, constant: false, plain: false)
        default:
            return nil
        }
    }

    /// A constant rate below 1 as a percentage: 0.05 → "5%".
    private static func percent(_ part: Part) -> String? {
        guard part.constant, part.value > CELDecimal(Int64(0)), part.value < CELDecimal(Int64(1)),
            let hundred = try? part.value.multiplying(by: CELDecimal(Int64(100)))
        else { return nil }
        return "\(hundred.description)%"
    }

    /// The digits after the point a value needs (at least the 2 of an amount).
    private static func scale(of value: CELDecimal) -> Int {
        let text = value.description
        guard let point = text.firstIndex(of: ".") else { return 0 }
        return text.distance(from: point, to: text.endIndex) - 1
    }
}
