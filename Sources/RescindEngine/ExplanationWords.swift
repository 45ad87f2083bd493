import CELRuntime
import RescindJSON

/// The words of an explanation in one locale: English, or Chinese (zh-CN) for any
/// `zh…` locale. Policy text — ids, conditions — is shown as written, descriptions in
/// the locale's text when the policy gives one; everything the engine says around it
/// is in the locale.
///
/// Kept together so the two languages stay in step: every sentence has both forms here.
package struct ExplanationWords: Sendable {
    /// Whether the words are Chinese.
    package let chinese: Bool

    /// The words for a decision's locale.
    package init(locale: String) {
        chinese = locale.lowercased().hasPrefix("zh")
    }

    // MARK: Labels

    /// The explanation's heading, without punctuation.
    package var heading: String { chinese ? "决策说明" : "explanation" }
    /// The heading of a partial explanation: "explanation (only `a` and `b`)".
    package func heading(only names: String) -> String {
        chinese ? "决策说明（仅含 \(names)）" : "explanation (only \(names))"
    }
    /// The heading of the advice section.
    package var alternativesHeading: String { chinese ? "怎样才能改变结果" : "what would change the outcome" }
    /// The heading of the refund's derivation.
    package var refundHeading: String { chinese ? "退款计算" : "refund" }
    /// After a heading or a label: ": " or "：".
    package var colon: String { chinese ? "：" : ": " }
    /// The word for a threshold.
    package var threshold: String { chinese ? "阈值" : "threshold" }
    /// Markdown's words for a rule that matched or not.
    package func matched(_ matched: Bool) -> String {
        chinese ? (matched ? "✔ 命中" : "✘ 未命中") : (matched ? "✔ matched" : "✘ not matched")
    }
    /// Markdown's link from a condition to the values it read.
    package var with: String { chinese ? "，读取 " : " with " }
    /// "and" between names: "`a` and `b`", "`a`、`b`".
    package func list(_ items: [String]) -> String {
        guard let last = items.last, items.count > 1 else { return items.first ?? "" }
        return chinese ? items.joined(separator: "、") : items.dropLast().joined(separator: ", ") + " and " + last
    }

    /// An effect as a reader says it.
    package func effect(_ effect: Effect) -> String {
        guard chinese else { return effect.rawValue }
        switch effect {
        case .allow: return "允许"
        case .deny: return "拒绝"
        case .review: return "人工审核"
        }
    }

    /// A condition's outcome, as a word; `padded` aligns the text format's column.
    package func outcome(_ outcome: ConditionExplanation.Outcome, padded: Bool) -> String {
        switch outcome {
        case .true: chinese ? (padded ? "成立  " : "成立") : (padded ? "true " : "true")
        case .false: chinese ? "不成立" : "false"
        case .notEvaluated: chinese ? (padded ? "  -   " : "未求值") : (padded ? "  -  " : "not evaluated")
        case .error(let message):
            padded ? (chinese ? "出错（\(message)）" : "error (\(message))") : (chinese ? "出错" : "error")
        }
    }

    // MARK: Thresholds

    /// A threshold's line: what was counted and where the count stands among the tiers,
    /// or why it did not count.
    package func text(_ threshold: ThresholdExplanation) -> String {
        guard chinese else { return threshold.text }
        switch threshold.skip {
        case .suspended(let rule)?: return "本次被规则 `\(rule)` 暂停，不计数"
        case .notApplicable?: return "不适用：其 `applies_when` 不成立"
        case .missingList(let path, let effect)?:
            return "未提供历史记录：请求中没有 `\(path)`，因此未计数；本次决定至少为「\(self.effect(effect))」"
        case nil: break
        }
        if let note = threshold.note { return note }
        guard let count = threshold.count else { return "" }
        let counted = threshold.threshold.countedList
        let at = threshold.at.map { "（截至 \($0)）" } ?? ""
        var text = "近 \(window(threshold.threshold))内\(at)，\(counted) 计入 \(count) 次"
        switch threshold.historySource {
        case .store?: text += "（来自取消记录库）"
        case .request?: text += "（按请求所附记录）"
        case .unavailable?: text += "（取消记录库未响应，未取得记录）"
        case nil: break
        }
        if let tier = threshold.reachedTier {
            text += "；已达档位 `\(tier.id)`（\(tier.atLeast) 次起）"
            if let next = threshold.threshold.tiers.first(where: { $0.atLeast > count }) {
                text += "，档位 `\(next.id)` 自 \(next.atLeast) 次起"
            }
        } else if let first = threshold.threshold.tiers.first {
            text += "；首个档位 `\(first.id)` 自 \(first.atLeast) 次起"
        }
        return text
    }

    /// A threshold's window in words: "30 days", "30 天".
    func window(_ threshold: Threshold) -> String {
        guard chinese else { return threshold.windowText }
        return duration(seconds: threshold.window.seconds)
    }

    /// A length of time in the largest whole unit: "30 minutes", "1 hour", "14 days";
    /// "30 分钟", "14 天" (the policy book's windows and deadlines).
    package func duration(seconds: Int64) -> String {
        let (count, en, zh): (Int64, String, String) =
            if seconds % 86_400 == 0 { (seconds / 86_400, "day", "天") }
            else if seconds % 3600 == 0 { (seconds / 3600, "hour", "小时") }
            else if seconds % 60 == 0 { (seconds / 60, "minute", "分钟") }
            else { (seconds, "second", "秒") }
        return chinese ? "\(count) \(zh)" : "\(count) \(en)\(count == 1 ? "" : "s")"
    }

    /// How the reached tier could have been avoided.
    func tierAlternative(_ threshold: ThresholdExplanation, tier: Threshold.Tier, count: Int64) -> String {
        let counted = threshold.threshold.countedList
        if chinese {
            return "档位 `\(tier.id)`（`\(threshold.id)`）自 \(tier.atLeast) 次起适用，当前计数为 \(count)"
                + "（近 \(window(threshold.threshold))内 \(counted)）"
        }
        return "tier `\(tier.id)` of `\(threshold.id)` applies from \(tier.atLeast); the count is \(count)"
            + " (\(counted) within the \(threshold.threshold.windowText))"
    }

    // MARK: Advice

    /// A matched deny or review rule and the conditions that made it hold.
    func blocking(rule: String, effect: Effect, tests: [(expression: String, seen: [(String, String)])]) -> String {
        let parts = tests.map { test -> String in
            guard !test.seen.isEmpty else { return "`\(test.expression)`" }
            let seen = test.seen.map { chinese ? "\($0.0) 为 \($0.1)" : "\($0.0) is \($0.1)" }
            return "`\(test.expression)`"
                + (chinese ? "（\(seen.joined(separator: "，"))）" : " (\(seen.joined(separator: ", ")))")
        }
        if chinese {
            // No space after a full-width bracket.
            var text = "规则 `\(rule)` 在 "
            for (index, part) in parts.enumerated() {
                if index > 0 { text += parts[index - 1].hasSuffix("）") ? "且 " : " 且 " }
                text += part
            }
            return text + (parts.last?.hasSuffix("）") ?? false ? "" : " ") + "成立时决定\(self.effect(effect))"
        }
        return "rule `\(rule)` decides \(effect.rawValue) while " + parts.joined(separator: " and ") + " hold"
    }

    /// One piece of advice as a sentence: the changes, and the outcome they were checked
    /// to give; `current` is the decision's effect now ("still" when it stays).
    package func advice(_ advice: Advice, current: Effect) -> String {
        let stays = advice.outcome == current
        let changes = advice.changes.map(change)
        let deciding = advice.deciding.map { "`\($0)`" }
        if chinese {
            let condition = "若 " + changes.joined(separator: "，且 ")
            if advice.works {
                return "\(condition)，规则 `\(advice.rule)` 将\(effect(advice.effect))取消"
            }
            return "\(condition)，规则 `\(advice.rule)` 将会命中，但决定\(stays ? "仍为" : "将为")\(effect(advice.outcome))"
                + (deciding.isEmpty ? "" : "（\(deciding.joined(separator: "、"))）")
        }
        let condition = changes.joined(separator: " and ")
        if advice.works {
            return "rule `\(advice.rule)` would \(advice.effect.rawValue) if \(condition)"
        }
        return "rule `\(advice.rule)` would match if \(condition), but the decision would \(stays ? "still " : "")be "
            + advice.outcome.rawValue + (deciding.isEmpty ? "" : " (\(deciding.joined(separator: ", ")))")
    }

    /// "reason were "input_error" (now "changed_mind")", "at 不晚于 …（现为 …）".
    func change(_ change: AdviceChange) -> String {
        let isTime = change.valueTime != nil
        let relation: String
        switch (change.relation, chinese, isTime) {
        case (.equals, false, _): relation = "were"
        case (.atLeast, false, true): relation = "were no earlier than"
        case (.atLeast, false, false): relation = "were at least"
        case (.atMost, false, true): relation = "were no later than"
        case (.atMost, false, false): relation = "were at most"
        case (.equals, true, _): relation = "为"
        case (.atLeast, true, true): relation = "不早于"
        case (.atLeast, true, false): relation = "不少于"
        case (.atMost, true, true): relation = "不晚于"
        case (.atMost, true, false): relation = "不超过"
        }
        let now = change.shownCurrent.map { chinese ? "（现为 \($0)）" : " (now \($0))" } ?? ""
        return "\(change.path) \(relation) \(change.shownValue)\(now)"
    }

    // MARK: Values

    /// A value as people read it: a time in the policy calendar's zone (`time`), an
    /// amount as a number, anything else as its CEL literal.
    static func show(_ value: Value, time: LocalTime?) -> String {
        if let time { return time.description }
        if case .decimal(let d) = value { return d.description }
        return value.celLiteral
    }
}

extension ThresholdExplanation {
    /// How the reached tier could have been avoided, in `words`.
    func alternative(_ words: ExplanationWords) -> (effect: Effect, text: String)? {
        guard let tier = reachedTier, let count else { return nil }
        return (tier.effect, words.tierAlternative(self, tier: tier, count: count))
    }
}
