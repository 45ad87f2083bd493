extension Decision {
    /// The decision for people: effect, deciding rules, reasons, obligations, and the
    /// explanation when there is one.
    public var text: String { text(showing: .all) }

    /// The decision for people, with only the selected rules and thresholds in its
    /// explanation.
    public func text(showing selection: ExplanationSelection) -> String {
        var out = "effect: \(effect.rawValue)"
        let problemRules = problemRules
        out += !decidingRules.isEmpty ? " (\(decidingRules.joined(separator: ", ")))\n"
            : problemRules.isEmpty ? " (no rule matched; the policy set's default)\n"
            : " (\(problemRules.joined(separator: ", ")): the policy could not decide in full; see the problems)\n"
        if !matchedRules.isEmpty { out += "matched: \(matchedRules.joined(separator: ", "))\n" }
        out += "reasons:\n"
        for reason in reasons { out += "  - \(reason.text)\n" }
        if !obligations.isEmpty {
            out += "obligations:\n"
            for obligation in obligations {
                let fields = obligation.fields.map { "\($0.name) \($0.value.text)" }.joined(separator: ", ")
                out += "  - \(obligation.type): \(fields)\n"
            }
        }
        for problem in problems {
            out += "problem: \(problem.location): \(problem.kind.rawValue): rule `\(problem.rule)`: `\(problem.expression)`: \(problem.message)\n"
        }
        out += "policy: \(policy.name) \(policy.version) (sha256:\(policy.digest.prefix(12)))\n"
        if let explanation { out += explanation.text(showing: selection) }
        return out
    }
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
