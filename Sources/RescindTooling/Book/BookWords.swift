import CELRuntime
import RescindEngine

/// The book's words in one locale: English, or Chinese for any `zh…` locale. The
/// sentences around policy text, and the phrases conditions and amounts are read into,
/// each with both forms side by side so the two languages stay in step. Effects and
/// lengths of time are worded as explanations word them (`ExplanationWords`).
package struct BookWords: Sendable {
    package let chinese: Bool
    let explanation: ExplanationWords

    package init(locale: String) {
        explanation = ExplanationWords(locale: locale)
        chinese = explanation.chinese
    }

    /// The document's language tag.
    var language: String { chinese ? "zh-CN" : "en" }

    func pick(_ en: String, _ zh: String) -> String { chinese ? zh : en }

    // MARK: Names

    /// A field named as the subject of a sentence: the glossary's words, else the path in code.
    func subject(_ path: String) -> [BookInline] {
        guard let subject = BookGlossary.subjects[path] else { return [.code(path)] }
        return [.text(chinese ? subject.zh : subject.en)]
    }

    /// An enum value: the glossary's words for the shipped enums, else the value in code.
    func value(_ value: String, enumeration: String) -> [BookInline] {
        guard let entry = BookGlossary.values[enumeration]?[value] else { return [.code(value)] }
        return [.text(chinese ? entry.zh : entry.en)]
    }

    /// Who an obligation goes to.
    func recipient(_ name: String) -> [BookInline] {
        guard let entry = BookGlossary.recipients[name] else { return [.code(name)] }
        return [.text(chinese ? entry.zh : entry.en)]
    }

    /// An effect as a reader says it: `allow`, `review`, `deny` in English (the words
    /// policies write), 允许 / 人工审核 / 拒绝 in Chinese.
    func effect(_ effect: Effect) -> String { explanation.effect(effect) }

    /// A length of time: "30 minutes", "24 hours", "30 days"; nil for fractions of a second.
    func duration(_ duration: CELDuration) -> String? {
        guard duration.nanos == 0, duration.seconds > 0 else { return nil }
        // A day is said as policies usually write it, 24 hours; longer whole days in days.
        if duration.seconds == 86_400 { return pick("24 hours", "24 小时") }
        return explanation.duration(seconds: duration.seconds)
    }

    // MARK: Conditions

    /// How a field is compared with a constant.
    enum Relation: Equatable {
        case equals, notEquals, less, atMost, greater, atLeast

        /// The relation that holds exactly when this one does not.
        var negated: Relation {
            switch self {
            case .equals: .notEquals
            case .notEquals: .equals
            case .less: .atLeast
            case .atMost: .greater
            case .greater: .atMost
            case .atLeast: .less
            }
        }

        /// The relation with its operands exchanged (`0 < x` is `x > 0`).
        var swapped: Relation {
            switch self {
            case .equals, .notEquals: self
            case .less: .greater
            case .atMost: .atLeast
            case .greater: .less
            case .atLeast: .atMost
            }
        }
    }

    /// A bool field: its glossary meaning, else "`path` is true / false".
    func flag(_ path: String, value: Bool) -> [BookInline] {
        if let flag = BookGlossary.flags[path] {
            return [.text(chinese ? (value ? flag.zhTrue : flag.zhFalse) : (value ? flag.enTrue : flag.enFalse))]
        }
        return [.code(path), .text(chinese ? (value ? " 为真" : " 为假") : (value ? " is true" : " is false"))]
    }

    /// "the order is paid or being processed", "订单状态不是已发货、已签收或已取消".
    func enumTest(_ path: String, enumeration: String, values: [String], negated: Bool) -> [BookInline] {
        let subject = BookGlossary.subjects[path]
        let names = values.map { value($0, enumeration: enumeration) }
        if chinese {
            return self.subject(path) + [.text(subjectGap(path) + (negated ? "不是" : "为"))] + joined(names, last: "或")
        }
        let verb = negated ? (subject?.enNegatedVerb ?? "is not") : (subject?.enVerb ?? "is")
        return self.subject(path) + [.text(" \(verb) ")] + joined(names, last: " or ")
    }

    /// "the order total is at least 100.00", "卖家近 30 天的订单数大于 0".
    func compare(_ path: String, _ relation: Relation, _ value: String) -> [BookInline] {
        let word: String = switch relation {
        case .equals: pick("is", "等于")
        case .notEquals: pick("is not", "不等于")
        case .less: pick("is less than", "小于")
        case .atMost: pick("is at most", "不超过")
        case .greater: pick("is more than", "大于")
        case .atLeast: pick("is at least", "不少于")
        }
        return subject(path) + [.text(chinese ? "\(subjectGap(path))\(word) \(value)" : " \(word) \(value)")]
    }

    /// A timestamp field against a constant time.
    func compareTime(_ path: String, _ relation: Relation, _ value: String) -> [BookInline] {
        let word: String = switch relation {
        case .equals: pick("is", "为")
        case .notEquals: pick("is not", "不为")
        case .less: pick("is before", "早于")
        case .atMost: pick("is no later than", "不晚于")
        case .greater: pick("is after", "晚于")
        case .atLeast: pick("is no earlier than", "不早于")
        }
        return subject(path) + [.text(chinese ? subjectGap(path) + word + " " : " \(word) "), .code(value)]
    }

    /// `later - earlier <op> length`: "the request is no more than 30 minutes after the
    /// order was placed", "申请时间距下单时间不超过 30 分钟".
    func elapsed(_ later: String, _ relation: Relation, _ length: String, after earlier: String) -> [BookInline] {
        if chinese {
            let word: String = switch relation {
            case .less: "不足"
            case .atMost: "不超过"
            case .greater: "超过"
            default: "不少于"
            }
            return subject(later) + [.text(subjectGap(later) + "距")] + subject(earlier)
                + [.text(subjectGap(earlier) + "\(word) \(length)")]
        }
        let word: String = switch relation {
        case .less: "less than"
        case .atMost: "no more than"
        case .greater: "more than"
        default: "at least"
        }
        let after: [BookInline] = BookGlossary.subjects[earlier]?.enAfter.map { [.text($0)] } ?? subject(earlier)
        return subject(later) + [.text(" is \(word) \(length) after ")] + after
    }

    /// `cond ? a : b`: "a when cond, otherwise b".
    func choice(_ yes: [BookInline], when test: [BookInline], otherwise no: [BookInline]) -> [BookInline] {
        chinese
            ? merged([.text("当")] + test + [.text("时为")] + yes + [.text("，否则为")] + no)
            : merged(yes + [.text(" when ")] + test + [.text(", otherwise ")] + no)
    }

    /// Between a code span and Chinese text, a space; between two Chinese words, none.
    private func subjectGap(_ path: String) -> String { BookGlossary.subjects[path] == nil ? " " : "" }

    /// Conditions that must all hold, in one sentence.
    func all(_ parts: [[BookInline]]) -> [BookInline] { joined(parts, last: chinese ? "，且" : " and ", separator: chinese ? "，" : ", ") }

    /// Conditions of which one must hold.
    func any(_ parts: [[BookInline]]) -> [BookInline] { joined(parts, last: chinese ? "，或" : " or ", separator: chinese ? "，" : ", ") }

    /// "a, b or c" / "a、b或c".
    func joined(_ parts: [[BookInline]], last: String, separator: String? = nil) -> [BookInline] {
        let separator = separator ?? (chinese ? "、" : ", ")
        var result: [BookInline] = []
        for (index, part) in parts.enumerated() {
            if index > 0 { result.append(.text(index == parts.count - 1 ? last : separator)) }
            result += part
        }
        return merged(result)
    }

    /// Adjacent texts joined into one.
    func merged(_ items: [BookInline]) -> [BookInline] {
        var result: [BookInline] = []
        for item in items {
            if case .text(let next) = item, case .text(let previous)? = result.last {
                result[result.count - 1] = .text(previous + next)
            } else {
                result.append(item)
            }
        }
        return result
    }

    // MARK: Amounts

    var fee: String { pick("the fee", "手续费") }

    /// "x, rounded half to even to 2 decimal places".
    func rounded(_ amount: [BookInline], places: Int64) -> [BookInline] {
        merged(amount + [.text(pick(
            ", rounded half to even to \(places) decimal place\(places == 1 ? "" : "s")",
            "，保留 \(places) 位小数（四舍六入五成双）"))])
    }

    /// `min(x, cap)` / `max(x, floor)`: "x, at most cap".
    func capped(_ amount: [BookInline], _ bound: [BookInline], atMost: Bool) -> [BookInline] {
        merged(amount + [.text(atMost ? pick(", at most ", "，最高 ") : pick(", at least ", "，最低 "))] + bound)
    }

    /// "5% of the order total", "订单金额的 5%".
    func percent(_ percent: String, of amount: [BookInline]) -> [BookInline] {
        chinese ? merged(amount + [.text("的 \(percent)%")]) : merged([.text("\(percent)% of ")] + amount)
    }

    /// `a + b`, `a - b`, `a * b` of two fields or constants.
    func arithmetic(_ function: String, _ a: [BookInline], _ b: [BookInline]) -> [BookInline] {
        let word: String = switch function {
        case "_+_": pick(" plus ", "加")
        case "_-_": pick(" minus ", "减去")
        default: pick(" times ", "乘以")
        }
        return merged(a + [.text(word)] + b)
    }
}
