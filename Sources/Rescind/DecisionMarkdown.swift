extension Decision {
    /// The decision as Markdown for a pull-request comment or a ticket: the outcome,
    /// reasons and obligations as lists, then the explanation (when there is one) with
    /// only the selected rules and thresholds.
    ///
    /// Plain CommonMark lists and code spans, no tables or HTML, so it reads the same
    /// rendered or raw. Policy text is escaped; `backticked` parts of the engine's
    /// sentences stay code.
    public func markdown(showing selection: ExplanationSelection = .all) -> String {
        var out = "### Decision: \(effect.rawValue)\n\n"
        out += "- **effect:** \(effect.rawValue) "
        let problemRules = problemRules
        out += !decidingRules.isEmpty ? "(\(decidingRules.map(Markdown.code).joined(separator: ", ")))\n"
            : problemRules.isEmpty ? "(no rule matched; the policy set's default)\n"
            : "(\(problemRules.map(Markdown.code).joined(separator: ", ")): the policy could not decide in full; see the problems)\n"
        out += "- **matched:** " + (matchedRules.isEmpty ? "none" : matchedRules.map(Markdown.code).joined(separator: ", ")) + "\n"
        if let requestID { out += "- **request:** \(Markdown.code(requestID))\n" }
        out += "- **policy:** \(Markdown.prose(policy.name)) \(Markdown.prose(policy.version)) "
        out += "(\(Markdown.code("sha256:\(policy.digest.prefix(12))")))\n"

        out += "\n#### Reasons\n\n"
        for reason in reasons { out += Markdown.item(Markdown.prose(reason.text)) }
        if !obligations.isEmpty {
            out += "\n#### Obligations\n\n"
            for obligation in obligations {
                let fields = obligation.fields.map { "\(Markdown.prose($0.name)) \(Markdown.code($0.value.text))" }
                out += Markdown.item("**\(Markdown.prose(obligation.type))**: " + fields.joined(separator: ", "))
            }
        }
        if !problems.isEmpty {
            out += "\n#### Problems\n\n"
            for problem in problems {
                out += Markdown.item(
                    "\(Markdown.code(problem.kind.rawValue)): rule \(Markdown.code(problem.rule)): \(Markdown.code(problem.expression)): "
                        + "\(Markdown.prose(problem.message)) (\(Markdown.code(problem.location.description)))")
            }
        }
        if let explanation { out += explanation.markdown(showing: selection) }
        return out
    }
}

extension Explanation {
    /// The explanation as Markdown: one list item per rule with its conditions nested,
    /// then the thresholds and what would change the outcome.
    public func markdown(showing selection: ExplanationSelection = .all) -> String {
        var out = "\n#### Explanation"
        if !selection.isAll { out += " (only \(Markdown.codeList(selection.names)))" }
        out += "\n\n"
        for rule in rules where selection.shows(rule) {
            out += Markdown.item(
                "\(rule.matched ? "✔ matched" : "✘ not matched"): \(Markdown.code(rule.id)) → \(rule.effect.rawValue) "
                    + "(\(Markdown.code(rule.location.description)))")
            for condition in rule.conditions {
                let outcome = switch condition.outcome {
                case .true: "true"
                case .false: "false"
                case .notEvaluated: "not evaluated"
                case .error: "error"
                }
                var line = "\(outcome): \(Markdown.code(condition.expression))"
                if case .error(let message) = condition.outcome { line += " (\(Markdown.prose(message)))" }
                if !condition.observed.isEmpty {
                    line += " with " + condition.observed.map { "\(Markdown.code($0.path)) = \(Markdown.code($0.value))" }
                        .joined(separator: ", ")
                }
                out += Markdown.item(line, depth: 1)
            }
        }
        for threshold in thresholds where selection.shows(threshold) {
            out += Markdown.item(
                "threshold \(Markdown.code(threshold.id)): \(Markdown.prose(threshold.text)) "
                    + "(\(Markdown.code(threshold.location.description)))")
        }
        let alternatives = self.alternatives
        if !alternatives.isEmpty {
            out += "\n#### What would change the outcome\n\n"
            for alternative in alternatives { out += Markdown.item(Markdown.prose(alternative)) }
        }
        return out
    }
}

/// The few Markdown constructs decisions need, escaped so that policy text cannot
/// change the document's structure.
enum Markdown {
    /// A list item; continuation lines are indented so a multi-line reason stays in it.
    static func item(_ text: String, depth: Int = 0) -> String {
        let indent = String(repeating: "  ", count: depth)
        return indent + "- " + text.replacing("\n", with: "\n" + indent + "  ") + "\n"
    }

    /// A code span whose fence is longer than any run of backticks inside it, padded
    /// when the text starts or ends with a backtick (CommonMark would read it as fence).
    static func code(_ text: String) -> String {
        var longest = 0, run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = text.first == "`" || text.last == "`" ? " " : ""
        return fence + pad + text.replacing("\n", with: " ") + pad + fence
    }

    /// Names as code spans: "`a`, `b` and `c`", as `Suggestions.quotedList` words it.
    static func codeList(_ names: [String]) -> String {
        let spans = names.map(code)
        guard let last = spans.last, spans.count > 1 else { return spans.first ?? "" }
        return spans.dropLast().joined(separator: ", ") + " and " + last
    }

    /// Text with Markdown's punctuation escaped, except inside `code spans`: reasons
    /// come from policy authors, and the engine's sentences quote ids and expressions
    /// in backticks, which should render as code.
    static func prose(_ text: String) -> String {
        let characters = Array(text)
        var out = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "`" {
                let run = runLength(of: "`", in: characters, from: index)
                if let close = closingRun(of: run, in: characters, after: index + run) {
                    out += String(characters[index..<close + run])
                    index = close + run
                } else {
                    out += String(repeating: "\\`", count: run)
                    index += run
                }
                continue
            }
            let before = index > 0 ? characters[index - 1] : nil
            if needsEscape(character, before: before, after: index + 1 < characters.count ? characters[index + 1] : nil) {
                out += "\\"
            }
            out.append(character)
            index += 1
        }
        return out
    }

    /// Punctuation that could start emphasis, a link, HTML, an entity or a strikethrough,
    /// and at the start of a line a heading or a list. An underscore inside a word
    /// (`initiate_by`) is literal in CommonMark and left alone.
    private static func needsEscape(_ character: Character, before: Character?, after: Character?) -> Bool {
        switch character {
        case "\\", "*", "[", "]", "<", ">", "~", "|", "&": true
        case "_": !(before?.isLetterOrDigit ?? false) || !(after?.isLetterOrDigit ?? false)
        case "#", "-", "+": before == nil || before == "\n"
        default: false
        }
    }

    private static func runLength(of character: Character, in characters: [Character], from start: Int) -> Int {
        var end = start
        while end < characters.count, characters[end] == character { end += 1 }
        return end - start
    }

    /// The start of the next run of exactly `length` backticks, as CommonMark closes a code span.
    private static func closingRun(of length: Int, in characters: [Character], after start: Int) -> Int? {
        var index = start
        while index < characters.count {
            guard characters[index] == "`" else {
                index += 1
                continue
            }
            let run = runLength(of: "`", in: characters, from: index)
            if run == length { return index }
            index += run
        }
        return nil
    }
}

extension Character {
    fileprivate var isLetterOrDigit: Bool { isLetter || isNumber }
}
