import RescindDiagnostics
import RescindEngine

extension Decision {
    /// The decision as Markdown for a pull-request comment or a ticket: the outcome,
    /// reasons and obligations as lists, then the explanation (when there is one) with
    /// only the selected rules and thresholds.
    ///
    /// Plain CommonMark lists and code spans, no tables or HTML, so it reads the same
    /// rendered or raw. Policy text is escaped; `backticked` parts of the engine's
    /// sentences stay code.
    public func markdown(showing selection: ExplanationSelection = .all) -> String {
        // With an explanation, in the decision's locale (as `text` is); else English.
        let words = explanation.map { _ in ExplanationWords(locale: locale) } ?? ExplanationWords(locale: "en")
        let zh = words.chinese
        let labels = DecisionLabels(chinese: zh)
        let open = zh ? "（" : " (", close = zh ? "）" : ")"
        let effectName = words.effect(effect)
        var out = (zh ? "### 决定：" : "### Decision: ") + effectName + "\n\n"
        out += "- **\(labels.effectName)\(labels.colon)** \(effectName)" + (zh ? "（" : " (")
        let problemRules = problemRules
        out += !decidingRules.isEmpty ? decidingRules.map(Markdown.code).joined(separator: ", ") + close + "\n"
            : problemRules.isEmpty ? labels.byDefault + close + "\n"
            : problemRules.map(Markdown.code).joined(separator: ", ") + labels.undecided + close + "\n"
        out += "- **\(labels.matchedName)\(labels.colon)** "
            + (matchedRules.isEmpty ? (zh ? "无" : "none") : matchedRules.map(Markdown.code).joined(separator: ", ")) + "\n"
        if let requestID { out += "- **\(labels.requestName)\(labels.colon)** \(Markdown.code(requestID))\n" }
        out += "- **\(labels.policyName)\(labels.colon)** \(Markdown.prose(policy.name)) \(Markdown.prose(policy.version))"
        out += "\(open)\(Markdown.code("sha256:\(policy.digest.prefix(12))"))\(close)\n"

        out += labels.heading(labels.reasonsName)
        for reason in reasons { out += Markdown.item(Markdown.prose(reason.text)) }
        if !obligations.isEmpty {
            out += labels.heading(labels.obligationsName)
            for obligation in obligations {
                let fields = obligation.fields.map { "\(Markdown.prose($0.name)) \(Markdown.code($0.value.text))" }
                out += Markdown.item("**\(Markdown.prose(obligation.type))**: " + fields.joined(separator: ", "))
            }
        }
        if !problems.isEmpty {
            out += labels.heading(labels.problemsName)
            for problem in problems {
                out += Markdown.item(
                    "\(Markdown.code(problem.kind.rawValue)): \(labels.rule) \(Markdown.code(problem.rule)): "
                        + "\(Markdown.code(problem.expression)): \(Markdown.prose(problem.message))"
                        + "\(open)\(Markdown.code(problem.location.description))\(close)")
            }
        }
        if let explanation { out += explanation.markdown(showing: selection) }
        return out
    }
}

extension Explanation {
    /// The explanation as Markdown, in its locale: one list item per rule (those that
    /// decided first) with its description and conditions nested, the thresholds, the
    /// refund's derivation and what would change the outcome.
    public func markdown(showing selection: ExplanationSelection = .all) -> String {
        let words = self.words
        var out = "\n#### " + (words.chinese ? "决策说明" : "Explanation")
        if !selection.isAll {
            out += words.chinese
                ? "（仅含 \(Markdown.codeList(selection.names, words))）" : " (only \(Markdown.codeList(selection.names)))"
        }
        out += "\n\n"
        let open = words.chinese ? "（" : " (", close = words.chinese ? "）" : ")"
        func rule(_ rule: RuleExplanation) {
            guard selection.shows(rule) else { return }
            out += Markdown.item(
                "\(words.matched(rule.matched))\(words.colon)\(Markdown.code(rule.id)) → \(words.effect(rule.effect))"
                    + "\(open)\(Markdown.code(rule.location.description))\(close)")
            if !rule.description.isEmpty { out += Markdown.item("*\(Markdown.prose(rule.description))*", depth: 1) }
            for condition in rule.conditions {
                var line = "\(words.outcome(condition.outcome, padded: false))\(words.colon)\(Markdown.code(condition.expression))"
                if case .error(let message) = condition.outcome { line += "\(open)\(Markdown.prose(message))\(close)" }
                if !condition.observed.isEmpty {
                    line += words.with + condition.observed.map { "\(Markdown.code($0.path)) = \(Markdown.code($0.shown))" }
                        .joined(separator: words.chinese ? "，" : ", ")
                }
                out += Markdown.item(line, depth: 1)
            }
        }
        func threshold(_ threshold: ThresholdExplanation) {
            guard selection.shows(threshold) else { return }
            out += Markdown.item(
                "\(words.threshold) \(Markdown.code(threshold.id))\(words.colon)\(Markdown.prose(words.text(threshold)))"
                    + "\(open)\(Markdown.code(threshold.location.description))\(close)")
            if !threshold.description.isEmpty { out += Markdown.item("*\(Markdown.prose(threshold.description))*", depth: 1) }
            if let tier = threshold.tierDescription, !tier.isEmpty { out += Markdown.item("*\(Markdown.prose(tier))*", depth: 1) }
        }
        for item in readingOrder {
            switch item {
            case .rule(let explanation): rule(explanation)
            case .threshold(let explanation): threshold(explanation)
            }
        }
        if let refund {
            out += "\n#### " + (words.chinese ? "退款计算" : "Refund")
                + "\(open)\(Markdown.code(refund.location.description))\(close)\n\n"
            for step in refund.steps {
                out += Markdown.item("**\(Markdown.prose(step.label))**\(words.colon)\(Markdown.prose(step.text))")
            }
        }
        let alternatives = self.alternatives
        if !alternatives.isEmpty {
            out += "\n#### " + (words.chinese ? "怎样才能改变结果" : "What would change the outcome") + "\n\n"
            for alternative in alternatives { out += Markdown.item(Markdown.prose(alternative)) }
        }
        return out
    }
}

/// The few Markdown constructs decisions need, escaped so that policy text cannot
/// change the document's structure.
package enum Markdown {
    /// A list item; continuation lines are indented so a multi-line reason stays in it.
    package static func item(_ text: String, depth: Int = 0) -> String {
        let indent = String(repeating: "  ", count: depth)
        return indent + "- " + text.replacing("\n", with: "\n" + indent + "  ") + "\n"
    }

    /// A code span whose fence is longer than any run of backticks inside it, padded
    /// when the text starts or ends with a backtick (CommonMark would read it as fence).
    package static func code(_ text: String) -> String {
        var longest = 0, run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = text.first == "`" || text.last == "`" ? " " : ""
        return fence + pad + text.replacing("\n", with: " ") + pad + fence
    }

    /// Names as code spans in a locale's words: "`a`、`b`" in Chinese.
    static func codeList(_ names: [String], _ words: ExplanationWords) -> String {
        words.list(names.map(code))
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
    package static func prose(_ text: String) -> String {
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
