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

    /// The selected rules and thresholds; the heading names the selection so a partial
    /// explanation is never mistaken for the whole one.
    public func text(showing selection: ExplanationSelection) -> String {
        var out = selection.isAll
            ? "explanation:\n"
            : "explanation (only \(Suggestions.quotedList(selection.names, conjunction: "and"))):\n"
        for rule in rules where selection.shows(rule) {
            out += "  \(rule.matched ? "✔" : "✘") \(rule.id) → \(rule.effect.rawValue)  [\(rule.location)]\n"
            for condition in rule.conditions {
                let mark = switch condition.outcome {
                case .true: "true "
                case .false: "false"
                case .notEvaluated: "  -  "
                case .error(let message): "error (\(message))"
                }
                out += "      \(mark) \(condition.expression)"
                if !condition.observed.isEmpty {
                    out += "   (" + condition.observed.map { "\($0.path) = \($0.value)" }.joined(separator: ", ") + ")"
                }
                out += "\n"
            }
        }
        for threshold in thresholds where selection.shows(threshold) {
            out += "  threshold \(threshold.id): \(threshold.text)  [\(threshold.location)]\n"
        }
        let alternatives = self.alternatives
        if !alternatives.isEmpty {
            out += "what would change the outcome:\n"
            for alternative in alternatives { out += "  - \(alternative)\n" }
        }
        return out
    }
}
