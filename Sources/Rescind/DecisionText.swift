import RescindDiagnostics
import RescindEngine

extension Decision {
    /// The decision for people: effect, deciding rules, reasons, obligations, and the
    /// explanation when there is one.
    public var text: String { text(showing: .all) }

    /// The decision for people, with only the selected rules and thresholds in its
    /// explanation.
    public func text(showing selection: ExplanationSelection) -> String {
        // With an explanation the whole text is for a business reader, in the decision's
        // locale; without one it is the terse operator format scripts have grepped,
        // always in English labels (the reasons are in the locale either way).
        let words = explanation.map { _ in ExplanationWords(locale: locale) } ?? ExplanationWords(locale: "en")
        let labels = DecisionLabels(chinese: words.chinese)
        var out = labels.effect + words.effect(effect)
        let problemRules = problemRules
        out += !decidingRules.isEmpty ? labels.parenthesized(decidingRules.joined(separator: ", ")) + "\n"
            : problemRules.isEmpty ? labels.parenthesized(labels.byDefault) + "\n"
            : labels.parenthesized(problemRules.joined(separator: ", ") + labels.undecided) + "\n"
        if !matchedRules.isEmpty { out += labels.matched + matchedRules.joined(separator: ", ") + "\n" }
        out += labels.reasons + "\n"
        for reason in reasons { out += "  - \(reason.text)\n" }
        if !obligations.isEmpty {
            out += labels.obligations + "\n"
            for obligation in obligations {
                let fields = obligation.fields.map { "\($0.name) \($0.value.text)" }.joined(separator: ", ")
                out += "  - \(obligation.type): \(fields)\n"
            }
        }
        for problem in problems {
            out += labels.problem + "\(problem.location): \(problem.kind.rawValue): \(labels.rule) `\(problem.rule)`: "
                + "`\(problem.expression)`: \(problem.message)\n"
        }
        out += labels.policy + "\(policy.name) \(policy.version)" + labels.parenthesized("sha256:\(policy.digest.prefix(12))") + "\n"
        if let explanation { out += explanation.text(showing: selection) }
        return out
    }
}

/// The labels of the decision's text: English, or Chinese when an explanation is shown
/// in a Chinese locale. Field names of obligations stay as the JSON names them.
struct DecisionLabels {
    let chinese: Bool

    // The names, shared by the text and the Markdown.
    var effectName: String { chinese ? "决定" : "effect" }
    var matchedName: String { chinese ? "命中规则" : "matched" }
    var reasonsName: String { chinese ? "理由" : "reasons" }
    var obligationsName: String { chinese ? "后续事项" : "obligations" }
    var problemsName: String { chinese ? "问题" : "problems" }
    var requestName: String { chinese ? "请求" : "request" }
    var policyName: String { chinese ? "策略" : "policy" }
    var rule: String { chinese ? "规则" : "rule" }
    var colon: String { chinese ? "：" : ":" }
    var byDefault: String { chinese ? "没有规则命中，按策略集的默认决定" : "no rule matched; the policy set's default" }
    var undecided: String { chinese ? "：策略未能完整判定，见下方问题" : ": the policy could not decide in full; see the problems" }

    // The text's line starts.
    var effect: String { effectName + colon + (chinese ? "" : " ") }
    var matched: String { matchedName + colon + (chinese ? "" : " ") }
    var reasons: String { reasonsName + colon }
    var obligations: String { obligationsName + colon }
    var problem: String { chinese ? "问题：" : "problem: " }
    var policy: String { policyName + colon + (chinese ? "" : " ") }

    func parenthesized(_ text: String) -> String { chinese ? "（\(text)）" : " (\(text))" }
    /// A Markdown section heading: the name, capitalized in English.
    func heading(_ name: String) -> String { "\n#### " + (chinese ? name : name.capitalized) + "\n\n" }
}

extension Explanation {
    /// Rule by rule: matched or not, each condition with the values it saw and where it is.
    public var text: String { text(showing: .all) }

    /// The selected rules and thresholds, the refund's derivation and what would change
    /// the outcome, in the explanation's locale. The heading names the selection so a
    /// partial explanation is never mistaken for the whole one. What decided comes
    /// first (see `Explanation.readingOrder`).
    public func text(showing selection: ExplanationSelection) -> String {
        let words = self.words
        var out = selection.isAll
            ? words.heading + words.colon.trimmingTrailingSpace + "\n"
            : words.heading(only: words.list(selection.names.map { "`\($0)`" })) + words.colon.trimmingTrailingSpace + "\n"
        func rule(_ rule: RuleExplanation) {
            guard selection.shows(rule) else { return }
            out += "  \(rule.matched ? "✔" : "✘") \(rule.id) → \(words.effect(rule.effect))  [\(rule.location)]\n"
            if !rule.description.isEmpty { out += "      \(rule.description)\n" }
            for condition in rule.conditions {
                out += "      \(words.outcome(condition.outcome, padded: true)) \(condition.expression)"
                if !condition.observed.isEmpty {
                    let values = condition.observed.map { "\($0.path) = \($0.shown)" }
                    out += words.chinese
                        ? "   （" + values.joined(separator: "，") + "）"
                        : "   (" + values.joined(separator: ", ") + ")"
                }
                out += "\n"
            }
        }
        func threshold(_ threshold: ThresholdExplanation) {
            guard selection.shows(threshold) else { return }
            out += "  \(words.threshold) \(threshold.id)\(words.colon)\(words.text(threshold))  [\(threshold.location)]\n"
            if !threshold.description.isEmpty { out += "      \(threshold.description)\n" }
            if let tier = threshold.tierDescription, !tier.isEmpty { out += "      \(tier)\n" }
        }
        for item in readingOrder {
            switch item {
            case .rule(let explanation): rule(explanation)
            case .threshold(let explanation): threshold(explanation)
            }
        }
        if let refund {
            out += words.refundHeading + words.colon.trimmingTrailingSpace + "  [\(refund.location)]\n"
            for step in refund.steps { out += "  \(step.label)\(words.colon)\(step.text)\n" }
        }
        let alternatives = self.alternatives
        if !alternatives.isEmpty {
            out += words.alternativesHeading + words.colon.trimmingTrailingSpace + "\n"
            for alternative in alternatives { out += "  - \(alternative)\n" }
        }
        return out
    }
}

extension String {
    /// ": " as a line's last character: ":"; "：" as it is.
    fileprivate var trimmingTrailingSpace: String { hasSuffix(" ") ? String(dropLast()) : self }
}
