import CELCommon
import CELRuntime
import Foundation
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// Builds the book's document in one locale from the files as read and the compiled set.
struct BookBuilder {
    let model: PolicyModel
    let set: PolicySet
    let locale: String
    let words: BookWords
    let reader: ConditionReader

    init(book: PolicyBook, locale: String) {
        model = book.model
        set = book.policySet
        words = BookWords(locale: locale)
        // Reasons are taken in the set's own locale that matches (`zh` → `zh-CN`).
        self.locale = book.policySet.localeMatcher.match(locale) ?? (words.chinese ? "zh-CN" : "en")
        reader = ConditionReader(policySet: book.policySet, locale: locale)
    }

    private var chinese: Bool { words.chinese }
    private func pick(_ en: String, _ zh: String) -> String { words.pick(en, zh) }

    func build() -> BookDocument {
        var blocks: [BookBlock] = []
        let title = pick("Policy book: ", "规则手册：") + set.name + " " + set.version
        blocks.append(.heading(level: 1, [.text(title)], anchor: "top"))
        blocks += overview()
        blocks += decisions()
        blocks += rules()
        blocks += thresholds()
        blocks += refunds()
        blocks += calendars()
        blocks += history()
        blocks += request()
        blocks += signOff()
        return BookDocument(title: title, language: words.language, blocks: blocks)
    }

    // MARK: Places

    /// `file:line` of a span.
    private func place(_ span: SourceSpan) -> String { "\(span.file):\(span.start.line)" }

    private func sourceField(_ place: String) -> (label: String, value: [BookInline]) {
        (pick("Source", "来源"), [.code(place)])
    }

    // MARK: Overview

    private func overview() -> [BookBlock] {
        var fields: [(label: String, value: [BookInline])] = [
            (pick("Policy set", "规则集"), [.code(set.name)]),
            (pick("Version", "版本"), [.code(set.version)]),
            (pick("Digest (SHA-256 of the files)", "摘要（文件的 SHA-256）"), [.code(set.digest)]),
            (pick("Languages", "语言"), words.joined(set.locales.map { [.code($0)] }, last: pick(" and ", "、"))),
            (pick("Files", "文件"), words.joined(set.files.map { [.code($0)] }, last: pick(", ", "、"))),
        ]
        if let header = model.header { fields.append(sourceField(place(header.name.span))) }
        return [
            .paragraph([.text(pick(
                "This book is generated from the policy files by ",
                "本手册由 ")), .code("rescind book"), .text(pick(
                ". It says in words what the files decide; every item names the file and line it comes from. "
                    + "A condition that cannot be put into words exactly is shown as written, in code. "
                    + "Text in braces, such as {order.id}, is filled in from the request when a decision is made.",
                " 根据规则文件生成，用文字说明各文件的决策内容；每一项都注明其所在的文件和行号。"
                    + "无法准确转述的条件按原文（代码）列出。原因文本中花括号内的内容（如 {order.id}）在作出决定时按申请内容填入。"))]),
            .fields(fields),
        ]
    }

    // MARK: How decisions are made

    private func decisions() -> [BookBlock] {
        var blocks: [BookBlock] = [.heading(level: 2, [.text(pick("How a decision is made", "决策方式"))], anchor: "decisions")]
        blocks.append(.paragraph([.text(pick(
            "Every rule whose conditions hold takes part in the decision, and so does the highest tier each threshold reaches. "
                + "The strictest effect wins: deny beats review, and review beats allow. The decision gives the reasons "
                + "and carries the obligations of the rules and tiers whose effect is the final one; a refund follows "
                + "only an allowed cancellation.",
            "所有条件成立的规则都参与决策，每个阈值所达到的最高档位也参与决策。以最严格的结果为准："
                + "拒绝优先于人工审核，人工审核优先于允许。决定给出结果与最终结果相同的规则和档位的原因，"
                + "并带上它们的义务；只有被允许的取消才会退款。"))]))
        blocks.append(.list([
            BookListItem([.strong(words.effect(.allow)), .text(pick(": the cancellation goes ahead.", "：取消照常进行。"))]),
            BookListItem([.strong(words.effect(.review)), .text(pick(
                ": a person reviews the cancellation before it goes ahead.", "：取消须先经平台人工审核。"))]),
            BookListItem([.strong(words.effect(.deny)), .text(pick(": the cancellation is refused.", "：不予取消。"))]),
        ]))
        if let header = model.header {
            blocks.append(.item(anchor: "default", source: place(header.defaultEffect.span), [
                .heading(level: 3, [.text(pick("When no rule matches", "没有规则命中时"))], anchor: nil),
                .fields([(pick("Decision", "决定"), [.strong(words.effect(set.defaultEffect))])]),
            ] + reason(set.defaultReason) + [.fields([sourceField(place(header.defaultEffect.span))])]))
            let onErrorSpan = header.onError?.span ?? header.span
            blocks.append(.item(anchor: "on-error", source: place(onErrorSpan), [
                .heading(level: 3, [.text(pick("When a decision cannot be worked out in full", "无法完整作出决定时"))], anchor: nil),
                .paragraph([.text(pick(
                    "When a condition cannot be evaluated, no refund case fits, or a refund deadline falls after the "
                        + "years the calendar lists, the decision is at least this (it can only become stricter):",
                    "当某个条件无法求值、没有适用的退款情形，或退款期限超出日历所列年份时，决定至少为下列结果（只会更严格）："))]),
                .fields([(pick("Decision", "决定"), [.strong(words.effect(set.onError.effect))])]),
            ] + reason(set.onError.reason) + [.fields([sourceField(place(onErrorSpan))])]))
        }
        return blocks
    }

    // MARK: Reasons and obligations

    /// A reason in the book's locale, quoted; `{…}` holes in code.
    private func reason(_ message: LocalizedMessage, label: String? = nil) -> [BookBlock] {
        guard let template = message.template(for: locale) else { return [] }
        return [
            .paragraph([.text(label ?? pick("Reason given:", "给出的原因："))]),
            .quote(reasonText(template)),
        ]
    }

    private func reasonText(_ template: MessageTemplate) -> [BookInline] {
        words.merged(template.parts.map { part in
            switch part {
            case .text(let text): .text(text)
            case .value(let expression): .code("{\(expression.source)}")
            }
        })
    }

    /// An obligation in words.
    private func obligation(_ template: ObligationTemplate) -> [BookInline] {
        var values: [String: ObligationTemplate.FieldValue] = [:]
        for field in template.fields { values[field.name] = field.value }
        func text(_ name: String) -> String? {
            if case .text(let text)? = values[name] { return text }
            return nil
        }
        func expression(_ name: String, amount: Bool = false) -> [BookInline]? {
            guard case .expression(let expression, _)? = values[name] else { return nil }
            return (amount ? reader.amount(expression.source) : reader.value(expression.source)).inlines
        }
        func label(_ name: String) -> String? {
            if case .deadline(_, let label, _)? = values[name] {
                return PolicyDuration.parse(label).flatMap(words.duration) ?? label
            }
            return nil
        }
        let to = text("to").map(words.recipient)
        switch template.type.name {
        case "notify":
            if let to, let within = label("within") {
                return words.merged(chinese
                    ? [.text("在 \(within)内通知")] + to + [.text("，并告知上述原因")]
                    : [.text("tell ")] + to + [.text(" within \(within), giving the reason above")])
            }
        case "voucher":
            if let to, let amount = expression("amount", amount: true), let currency = expression("currency") {
                return words.merged(chinese
                    ? [.text("向")] + to + [.text("赠送优惠券，面额为")] + amount + [.text("（币种：")] + currency + [.text("）")]
                    : [.text("give ")] + to + [.text(" a voucher of ")] + amount + [.text(" (currency: ")] + currency + [.text(")")])
            }
        case "seller_penalty":
            if case .int(let points)? = values["points"], let seller = expression("seller") {
                return words.merged(chinese
                    ? [.text("对")] + seller + [.text("记违规扣分 \(points) 分")]
                    : [.text("\(points) penalty point\(points == 1 ? "" : "s") for ")] + seller)
            }
        case "warn_account":
            if let account = expression("account") {
                return words.merged(chinese
                    ? [.text("向")] + account + [.text("的账户发出警告")]
                    : [.text("warn the account of ")] + account)
            }
        case "restrict_account":
            if let account = expression("account"), let length = label("for") {
                return words.merged(chinese
                    ? [.text("限制")] + account + [.text("的账户使用 \(length)")]
                    : [.text("restrict the account of ")] + account + [.text(" for \(length)")])
            }
        default:
            break
        }
        // A type or field the book has no words for: the type and its fields as written.
        var inlines: [BookInline] = [.code(template.type.name)]
        for (name, value) in template.fields {
            let shown: String = switch value {
            case .text(let text): text
            case .int(let int): String(int)
            case .expression(let expression, _): expression.source
            case .deadline(_, let label, _): label
            }
            inlines += [.text(" "), .code("\(name): \(shown)")]
        }
        return inlines
    }

    private func obligations(_ templates: [ObligationTemplate]) -> [BookInline] {
        guard !templates.isEmpty else { return [.text(pick("none", "无"))] }
        return words.merged(words.joined(templates.map(obligation), last: "; ", separator: "; ").map { item in
            if case .text(let text) = item, chinese { return .text(text.replacingOccurrences(of: "; ", with: "；")) }
            return item
        })
    }

    // MARK: Conditions

    /// A condition as blocks: one sentence, or a lead and a list of its parts. `lead`
    /// starts the sentence ("Applies when", "适用条件："); in Chinese a list is led by
    /// "当以下条件全部成立时" and `verb` ("适用").
    private func condition(
        _ model: ConditionModel?, lead: String, verb: String, always: String, item: CELType? = nil
    ) -> [BookBlock] {
        guard let model else { return [.paragraph([.text(always)])] }
        switch model {
        case .all, .any:
            let text = chinese
                ? (model.isAll ? "当以下条件全部成立时" : "当以下任一条件成立时") + verb + "："
                : lead + " " + groupLead(model)
            return [.paragraph([.text(text)]), .list(conditionItems(model, item: item))]
        default:
            let (phrase, children) = conditionLine(model, item: item)
            let line = words.merged([.text(lead + (chinese ? "" : " "))] + phrase + [.text(children.isEmpty ? pick(".", "。") : "")])
            return children.isEmpty ? [.paragraph(line)] : [.paragraph(line), .list(children)]
        }
    }

    private func groupLead(_ model: ConditionModel) -> String {
        switch model {
        case .all: pick("all of these hold:", "以下条件全部成立：")
        case .any: pick("any of these holds:", "以下任一条件成立：")
        case .not: pick("this does not hold:", "以下条件不成立：")
        case .expression: ""
        }
    }

    /// The items of an `all` / `any` (or a `not` around one).
    private func conditionItems(_ model: ConditionModel, item: CELType?) -> [BookListItem] {
        switch model {
        case .all(let parts, _), .any(let parts, _):
            return parts.map { part in
                let (phrase, children) = conditionLine(part, item: item)
                return BookListItem(phrase, children: children)
            }
        default:
            let (phrase, children) = conditionLine(model, item: item)
            return [BookListItem(phrase, children: children)]
        }
    }

    /// One condition as a line, and the lines under it for a group.
    private func conditionLine(_ model: ConditionModel, item: CELType?) -> ([BookInline], [BookListItem]) {
        switch model {
        case .expression(let text):
            return (reader.condition(text.source, item: item).inlines, [])
        case .not(.expression(let text), _):
            return (reader.condition(text.source, item: item, negated: true).inlines, [])
        case .not(let inner, _):
            // `not:` around a group: the group, as a list, under "this does not hold".
            return ([.text(groupLead(model))], [BookListItem([.text(groupLead(inner))], children: conditionItems(inner, item: item))])
        case .all, .any:
            return ([.text(groupLead(model))], conditionItems(model, item: item))
        }
    }

    private var when: String { pick("Applies when", "适用条件：") }
    private var always: String { pick("Applies to every request.", "适用于所有申请。") }

    // MARK: Rules

    private func rules() -> [BookBlock] {
        var blocks: [BookBlock] = [.heading(level: 2, [.text(pick("Rules", "规则"))], anchor: "rules")]
        let compiled = Dictionary(set.rules.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for written in model.rules {
            guard let rule = compiled[written.id.value] else { continue }
            let source = place(written.id.span)
            var item: [BookBlock] = [
                .heading(level: 3, [.code(rule.id), .text(pick(": ", "：")), .text(words.effect(rule.effect))], anchor: nil),
            ]
            let description = rule.descriptions.text(for: locale)
            if !description.isEmpty { item.append(.paragraph([.text(description)])) }
            item += condition(written.when, lead: when, verb: "适用", always: always)
            var fields: [(label: String, value: [BookInline])] = [
                (pick("Decision", "决定"), [.strong(words.effect(rule.effect))]),
                (pick("Obligations", "义务"), obligations(rule.obligations)),
            ]
            if !rule.suspends.isEmpty {
                fields.append((pick("Switches off", "暂停阈值"), words.joined(
                    rule.suspends.map { [.link($0, anchor: BookDocument.anchor("threshold", $0))] }, last: pick(" and ", "、"))
                    + [.text(pick(" for the request it matches", "（仅对其命中的本次申请）"))]))
            }
            fields.append(sourceField(source))
            item.append(.fields(fields))
            item += reason(rule.reason)
            blocks.append(.item(anchor: BookDocument.anchor("rule", rule.id), source: source, item))
        }
        return blocks
    }

    // MARK: Thresholds

    private func thresholds() -> [BookBlock] {
        guard !model.thresholds.isEmpty else { return [] }
        var blocks: [BookBlock] = [
            .heading(level: 2, [.text(pick("Thresholds", "阈值"))], anchor: "thresholds"),
            .paragraph([.text(pick(
                "A threshold counts earlier events in a window of time before the request; only the highest tier reached "
                    + "applies, and it takes part in the decision like a rule.",
                "阈值统计申请前一段时间内的既往记录；只适用所达到的最高档位，该档位与规则一样参与决策。"))]),
        ]
        let compiled = Dictionary(set.thresholds.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for written in model.thresholds {
            guard let threshold = compiled[written.id.value] else { continue }
            let source = place(written.id.span)
            var item: [BookBlock] = [.heading(level: 3, [.code(threshold.id)], anchor: nil)]
            let description = threshold.descriptions.text(for: locale)
            if !description.isEmpty { item.append(.paragraph([.text(description)])) }
            item += condition(written.appliesWhen, lead: when, verb: "适用", always: always)
            let elementType = reader.elementType(of: written.count.source)
            var fields: [(label: String, value: [BookInline])] = [
                (pick("Counts", "统计对象"), reader.value(written.count.source).inlines
                    + [.text(pick(" (", "（")), .code(written.count.source), .text(pick(")", "）"))]),
            ]
            if let filter = written.filter {
                fields.append((pick("Only those where", "仅统计"), reader.condition(filter.source, item: elementType).inlines))
            }
            let window = words.duration(threshold.window) ?? written.window.value
            fields.append((pick("Window", "时间窗口"), words.merged([.text(pick(
                "the \(window) before the request, by ", "申请前 \(window)内，按")), ] + reader.value(
                    written.timestamp.source, item: elementType).inlines + [.text(pick(
                "; one exactly \(window) old is no longer counted",
                "计算；恰好 \(window)前的记录不再计入"))])))
            let suspending = set.rules.filter { $0.suspends.contains(threshold.id) }
            if !suspending.isEmpty {
                fields.append((pick("Switched off by", "被以下规则暂停"), words.joined(
                    suspending.map { [.link($0.id, anchor: BookDocument.anchor("rule", $0.id))] }, last: pick(" and ", "、"))))
            }
            fields.append(sourceField(source))
            item.append(.fields(fields))
            item.append(.heading(level: 4, [.text(pick("Tiers", "档位"))], anchor: nil))
            let tiersByID = Dictionary(written.tiers.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
            item.append(.table(BookTable(
                header: [
                    pick("Tier", "档位"), pick("From (count)", "起始次数"), pick("Decision", "决定"),
                    pick("Reason given", "给出的原因"), pick("Obligations", "义务"), pick("Source", "来源"),
                ],
                rows: threshold.tiers.map { tier in
                    let tierSource = tiersByID[tier.id].map { place($0.id.span) }
                    let tierDescription = tier.descriptions.text(for: locale)
                    return BookTable.Row([
                        [.code(tier.id)] + (tierDescription.isEmpty ? [] : [.text(pick(": ", "：") + tierDescription)]),
                        [.text(pick("\(tier.atLeast) or more", "\(tier.atLeast) 次及以上"))],
                        [.strong(words.effect(tier.effect))],
                        tier.reason.template(for: locale).map(reasonText) ?? [],
                        obligations(tier.obligations),
                        tierSource.map { [.code($0)] } ?? [],
                    ], anchor: BookDocument.anchor("tier", tier.id), source: tierSource)
                })))
            if let onMissing = threshold.onMissing, let missing = threshold.missingList {
                let span = written.onMissing?.span ?? written.span
                item.append(.item(anchor: BookDocument.anchor("threshold", threshold.id, "on-missing"), source: place(span), [
                    .heading(level: 4, [.text(pick("When the request has no list to count", "申请未附带统计所需的记录时"))], anchor: nil),
                    .paragraph([.text(pick(
                        "A request without ", "申请中没有 ")), .code(missing.description), .text(pick(
                        " is not counted as having none: the decision is at least this.",
                        " 时，不视为没有记录，决定至少为下列结果。"))]),
                    .fields([(pick("Decision", "决定"), [.strong(words.effect(onMissing.effect))]), sourceField(place(span))]),
                ] + reason(onMissing.reason)))
            }
            blocks.append(.item(anchor: BookDocument.anchor("threshold", threshold.id), source: source, item))
        }
        return blocks
    }

    // MARK: Refunds

    private func refunds() -> [BookBlock] {
        guard let written = model.refunds, let refunds = set.refunds else { return [] }
        var blocks: [BookBlock] = [.heading(level: 2, [.text(pick("Refunds", "退款"))], anchor: "refunds")]
        var item: [BookBlock] = []
        item += condition(written.appliesWhen, lead: pick("Refunds are made when", "退款条件："), verb: "退款", always: pick(
            "Every allowed cancellation is refunded.", "所有被允许的取消均予退款。"))
        item.append(.paragraph([.text(pick(
            "A refund follows only an allowed cancellation; one refused or sent for review gets no refund yet.",
            "只有被允许的取消才会退款；被拒绝或待人工审核的取消暂不退款。"))]))
        let calendar = refunds.calendar
        item.append(.fields([
            (pick("Amount", "退款金额"), reader.amount(written.amount.source).inlines),
            (pick("Currency", "币种"), reader.value(written.currency.source).inlines),
            (pick("Business days", "工作日"), [.text(pick("counted on the calendar ", "按日历 ")),
                .link(calendar.name, anchor: BookDocument.anchor("calendar", calendar.name)),
                .text(pick(" (\(calendar.timeZone.identifier))", "（\(calendar.timeZone.identifier)）计算"))]),
            sourceField(place(written.span)),
        ]))

        item.append(.heading(level: 3, [.text(pick("Fee", "手续费"))], anchor: "refund-fee"))
        if written.fee.isEmpty {
            item.append(.paragraph([.text(pick("No fee is charged.", "不收取手续费。"))]))
        } else {
            item.append(.paragraph([.text(pick(
                "The first case whose condition holds sets the fee; when none holds, there is no fee.",
                "按顺序取第一个条件成立的情形计算手续费；都不成立时不收取手续费。"))]))
            item.append(.table(BookTable(
                header: ["#", pick("When", "条件"), pick("Fee", "手续费"), pick("Source", "来源")],
                rows: written.fee.enumerated().map { index, fee in
                    BookTable.Row([
                        [.text("\(index + 1)")], caseCondition(fee.when), reader.amount(fee.value.source).inlines,
                        [.code(place(fee.span))],
                    ], anchor: "refund-fee-\(index + 1)", source: place(fee.span))
                })))
        }

        item.append(.heading(level: 3, [.text(pick("Deadlines", "退款期限"))], anchor: "refund-deadlines"))
        item.append(.paragraph([.text(pick(
            "Deadlines are counted in business days of the calendar and end at 23:59:59 in its time zone. The refund is "
                + "initiated by the end of the given number of business days after the day of the request; it is "
                + "expected by the end of the given number of business days after the initiate-by day (0: the same day). In each "
                + "table the first case whose condition holds is used.",
            "期限按日历的工作日计算，截止于当地时间当日 23:59:59。退款须在申请当日之后的指定工作日数内发起；"
                + "预计在发起期限之后的指定工作日数内到账（0 表示同一天）。每张表按顺序取第一个条件成立的情形。"))]))
        if let matrix = deadlineMatrix(written, refunds) { item += matrix }
        for (title, key, cases) in [
            (pick("Initiated within", "发起期限"), "initiate", written.initiateWithin),
            (pick("Expected within", "到账期限"), "expect", written.expectWithin),
        ] {
            item.append(.heading(level: 4, [.text(title)], anchor: "refund-\(key)"))
            item.append(.table(BookTable(
                header: ["#", pick("When", "条件"), pick("Business days", "工作日"), pick("Source", "来源")],
                rows: cases.enumerated().map { index, entry in
                    BookTable.Row([
                        [.text("\(index + 1)")], caseCondition(entry.when), [.text(days(entry.value.value))],
                        [.code(place(entry.span))],
                    ], anchor: "refund-\(key)-\(index + 1)", source: place(entry.span))
                })))
        }
        blocks.append(.item(anchor: "refund-policy", source: place(written.span), item))
        return blocks
    }

    private func days(_ count: Int) -> String {
        if count == 0 { return pick("0 business days (the same day)", "0 个工作日（当日）") }
        return pick("\(count) business day\(count == 1 ? "" : "s")", "\(count) 个工作日")
    }

    /// A refund case's `when` in one cell: one sentence for a condition or a group of
    /// conditions (`all` / `any` of single conditions); a group of groups, which one
    /// sentence could not say unambiguously, as its parts in code.
    private func caseCondition(_ model: ConditionModel?) -> [BookInline] {
        guard let model else { return [.text(pick("otherwise (always)", "其他情形（总是）"))] }
        func single(_ model: ConditionModel) -> [BookInline]? {
            switch model {
            case .expression(let text): reader.condition(text.source).inlines
            case .not(.expression(let text), _): reader.condition(text.source, negated: true).inlines
            default: nil
            }
        }
        if let line = single(model) { return line }
        switch model {
        case .all(let parts, _), .any(let parts, _):
            let lines = parts.compactMap(single)
            if lines.count == parts.count { return model.isAll ? words.all(lines) : words.any(lines) }
        default:
            break
        }
        return [.code(Self.written(model))]
    }

    /// A condition group as written, in CEL's notation (`!`, `&&`, `||`).
    static func written(_ model: ConditionModel) -> String {
        switch model {
        case .expression(let text): "(\(text.source))"
        case .all(let parts, _): "(" + parts.map(written).joined(separator: " && ") + ")"
        case .any(let parts, _): "(" + parts.map(written).joined(separator: " || ") + ")"
        case .not(let inner, _): "!" + written(inner)
        }
    }

    /// The deadlines by payment method, worked out from the cases when every case and
    /// `applies_when` tests only enum fields (from the compiled plan): for each method,
    /// the days most requests get, and the earlier cases that give others.
    private func deadlineMatrix(_ written: RefundModel, _ refunds: RefundPolicy) -> [BookBlock]? {
        guard let table = DeadlineMatrix(refunds: refunds, method: "order.payment_method") else { return nil }
        var rows: [BookTable.Row] = []
        for method in table.methods {
            var cells: [[BookInline]] = [words.value(method.value, enumeration: table.enumeration)
                + [.text(pick(" (", "（")), .code(method.value), .text(pick(")", "）"))]]
            for (column, cases) in [(method.initiate, written.initiateWithin), (method.expect, written.expectWithin)] {
                var cell: [BookInline] = [.text(days(cases[column.usual].value.value))]
                // A case that gives the same days as the usual one changes nothing the table shows.
                for exception in column.exceptions where cases[exception].value.value != cases[column.usual].value.value {
                    guard case .expression(let text)? = cases[exception].when else { return nil }
                    let exceptionDays = days(cases[exception].value.value)
                    if chinese {
                        cell += [.text("；")] + reader.condition(text.source).inlines
                            + [.text("时为 \(exceptionDays)（情形 \(exception + 1)）")]
                    } else {
                        cell += [.text("; \(exceptionDays) when ")] + reader.condition(text.source).inlines
                            + [.text(" (case \(exception + 1))")]
                    }
                }
                cells.append(words.merged(cell))
            }
            rows.append(BookTable.Row(cells))
        }
        return [
            .heading(level: 4, [.text(pick("By payment method", "按支付方式"))], anchor: "refund-by-payment-method"),
            .table(BookTable(
                header: [pick("Payment method", "支付方式"), pick("Initiated within", "发起期限"), pick("Expected within", "到账期限")],
                rows: rows)),
        ]
    }

    // MARK: Calendars

    private static let weekdays = [
        ("Monday", "星期一"), ("Tuesday", "星期二"), ("Wednesday", "星期三"), ("Thursday", "星期四"),
        ("Friday", "星期五"), ("Saturday", "星期六"), ("Sunday", "星期日"),
    ]
    private static let weekdayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    private func weekday(_ date: CivilDate) -> String {
        let names = Self.weekdays[date.weekday - 1]
        return chinese ? names.1 : names.0
    }

    private func calendars() -> [BookBlock] {
        guard !model.calendars.isEmpty else { return [] }
        var blocks: [BookBlock] = [.heading(level: 2, [.text(pick("Calendars", "日历"))], anchor: "calendars")]
        for written in model.calendars {
            guard let calendar = set.calendars[written.name.value] else { continue }
            let anchor = BookDocument.anchor("calendar", calendar.name)
            var item: [BookBlock] = [.heading(level: 3, [.code(calendar.name)], anchor: nil)]
            item.append(.paragraph([.text(pick(
                "A business day is a day that is not a weekend day or a holiday, or a weekend day listed as a make-up workday.",
                "工作日指非周末、非节假日的日子，以及列为调休上班日的周末。"))]))
            let weekend = written.weekend.compactMap { day in
                Self.weekdayNames.firstIndex(of: day.value.lowercased()).map { Self.weekdays[$0] }
            }.map { chinese ? $0.1 : $0.0 }
            let years = calendar.coveredYears.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)–\($0.upperBound)" }
            var fields: [(label: String, value: [BookInline])] = [
                (pick("Time zone", "时区"), [.code(calendar.timeZone.identifier)]),
                (pick("Weekend", "周末"), [.text(weekend.joined(separator: pick(", ", "、")))]),
            ]
            if let years {
                fields.append((pick("Years listed in full", "完整列出的年份"), [.text(years + pick(
                    "; a deadline needing a day outside them is not guessed (the decision follows the rule for "
                        + "decisions that cannot be worked out in full)",
                    "；需要用到这些年份之外日期的期限不作推测（按无法完整作出决定时的规定处理）"))]))
            }
            fields.append(sourceField(place(written.name.span)))
            item.append(.fields(fields))
            var byYear: [Int: (holidays: [Located<String>], workdays: [Located<String>])] = [:]
            for entry in written.holidays { if let year = Self.dates(entry.value)?.first.year { byYear[year, default: ([], [])].holidays.append(entry) } }
            for entry in written.workdays { if let year = Self.dates(entry.value)?.first.year { byYear[year, default: ([], [])].workdays.append(entry) } }
            var allYears = Set(byYear.keys)
            if let covered = calendar.coveredYears, covered.count <= 50 { allYears.formUnion(covered) }
            for year in allYears.sorted() {
                let entries = byYear[year] ?? ([], [])
                item.append(.heading(level: 4, [.text(pick("\(year)", "\(year) 年"))], anchor: "\(anchor)-\(year)"))
                item.append(.paragraph([.text(pick("Holidays:", "节假日："))]))
                if entries.holidays.isEmpty {
                    item.append(.paragraph([.text(pick("none listed", "未列出"))]))
                } else {
                    item.append(.table(BookTable(
                        header: [pick("Dates", "日期"), pick("Days", "天数"), pick("Weekdays", "星期"), pick("Source", "来源")],
                        rows: entries.holidays.map { entry in
                            let (first, last) = Self.dates(entry.value)!
                            let count = last.daysSinceEpoch - first.daysSinceEpoch + 1
                            let dates = first == last ? first.description : "\(first) – \(last)"
                            let weekdays = first == last ? weekday(first) : "\(weekday(first)) – \(weekday(last))"
                            return BookTable.Row(
                                [[.text(dates)], [.text("\(count)")], [.text(weekdays)], [.code(place(entry.span))]],
                                anchor: "\(anchor)-holiday-\(first)", source: place(entry.span))
                        })))
                }
                item.append(.paragraph([.text(pick("Make-up workdays (weekend days worked):", "调休上班日（周末上班）："))]))
                if entries.workdays.isEmpty {
                    item.append(.paragraph([.text(pick("none listed", "未列出"))]))
                } else {
                    item.append(.table(BookTable(
                        header: [pick("Date", "日期"), pick("Weekday", "星期"), pick("Source", "来源")],
                        rows: entries.workdays.map { entry in
                            let (first, last) = Self.dates(entry.value)!
                            let dates = first == last ? first.description : "\(first) – \(last)"
                            let weekdays = first == last ? weekday(first) : "\(weekday(first)) – \(weekday(last))"
                            return BookTable.Row(
                                [[.text(dates)], [.text(weekdays)], [.code(place(entry.span))]],
                                anchor: "\(anchor)-workday-\(first)", source: place(entry.span))
                        })))
                }
            }
            blocks.append(.item(anchor: anchor, source: place(written.name.span), item))
        }
        return blocks
    }

    /// A calendar entry's first and last date: `2026-01-01` or `2026-01-01..2026-01-03`.
    static func dates(_ entry: String) -> (first: CivilDate, last: CivilDate)? {
        let parts = entry.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), let first = CivilDate(iso: parts[0]), let last = CivilDate(iso: parts[parts.count - 1]),
            first <= last
        else { return nil }
        return (first, last)
    }

    // MARK: History

    private func history() -> [BookBlock] {
        guard let written = model.header?.history, let history = set.history else { return [] }
        var blocks: [BookBlock] = [.heading(level: 2, [.text(pick("Cancellation history", "取消记录"))], anchor: "history")]
        var item: [BookBlock] = [.paragraph([
            .text(pick("With a history store (", "启用取消记录库（")), .code("rescind serve --history"),
            .text(pick(
                "), Rescind keeps the buyers' past cancellations itself and supplies them to each decision, so a calling "
                    + "service does not have to send them.",
                "）时，Rescind 自行保存买家的历史取消记录，并在每次决策时提供，调用方无需随申请发送。")),
        ])]
        let window = words.duration(history.window) ?? "\(history.window.seconds)s"
        let unavailableSpan = model.header?.onHistoryUnavailable?.span ?? written.span
        item.append(.fields([
            (pick("The list it supplies", "提供的记录"), reader.value(written.list.source).inlines
                + [.text(pick(" (", "（")), .code(written.list.source), .text(pick(")", "）"))]),
            (pick("Whose history", "记录所属买家"), reader.value(written.buyer.source).inlines),
            (pick("What the store looks back over", "查询的时间范围"), [.text(pick(
                "the last \(window) (the longest window a threshold counts)", "最近 \(window)（各阈值中最长的时间窗口）"))]),
            (pick("A request that sends its own list", "申请自带记录时"), [.text(history.refusesRequestLists
                ? pick("is refused as invalid input", "视为无效输入，不予受理")
                : pick("is decided on the list it sends, and the explanation says so", "按申请所附记录决策，并在决策说明中注明"))]),
            sourceField(place(written.span)),
        ]))
        item.append(.item(anchor: "on-history-unavailable", source: place(unavailableSpan), [
            .heading(level: 3, [.text(pick("When the history store does not answer", "取消记录库无响应时"))], anchor: nil),
            .fields([(pick("Decision", "决定"), [.strong(words.effect(history.onUnavailable.effect))]), sourceField(place(unavailableSpan))]),
        ] + reason(history.onUnavailable.reason)))
        blocks.append(.item(anchor: "history-store", source: place(written.span), item))
        return blocks
    }

    // MARK: The request

    private func request() -> [BookBlock] {
        guard let schema = model.schema else { return [] }
        var blocks: [BookBlock] = [
            .heading(level: 2, [.text(pick("The request", "申请内容"))], anchor: "request"),
            .paragraph([.text(pick(
                "The fields a cancellation request carries, as the conditions above read them.",
                "取消申请所包含的字段，即上述条件所读取的内容。"))]),
        ]
        var enums: [String: [String]] = [:]
        for entry in schema.enums { enums[entry.name.value] = entry.values.map(\.value) }
        func rows(_ fields: [FieldModel], prefix: String) -> [BookTable.Row] {
            var result: [BookTable.Row] = []
            for field in fields {
                let path = prefix + field.name.value
                let typeCell: [BookInline]
                var values: [BookInline] = []
                switch field.type {
                case .named(let name):
                    typeCell = [.code(name.value)]
                    if let listed = enums[name.value] {
                        values = words.joined(listed.map { value in
                            let named = words.value(value, enumeration: name.value)
                            return named == [.code(value)]
                                ? named : [.code(value)] + [.text(pick(" (", "（"))] + named + [.text(pick(")", "）"))]
                        }, last: pick(", ", "、"))
                    }
                case .object:
                    typeCell = [.text(pick("object", "对象"))]
                }
                var notes: [BookInline] = []
                if field.optional { notes.append(.text(pick("optional", "可选"))) }
                if let value = field.defaultValue, !value.isMapping {
                    if !notes.isEmpty { notes.append(.text(pick("; ", "；"))) }
                    notes += [.text(pick("default ", "默认值 ")), .code(value.text.isEmpty ? "\"\"" : value.text)]
                }
                for bound in [field.minimum, field.maximum].compactMap({ $0 }) {
                    if !notes.isEmpty { notes.append(.text(pick("; ", "；"))) }
                    notes += [.text(bound.key == "minimum" ? pick("at least ", "最小 ") : pick("at most ", "最大 ")), .code(bound.text)]
                }
                if let description = field.description, !description.isEmpty {
                    if !notes.isEmpty { notes.append(.text(pick("; ", "；"))) }
                    notes.append(.text(description))
                }
                let named = BookGlossary.meaning(path).map { [BookInline.text(chinese ? $0.zh : $0.en)] } ?? []
                result.append(BookTable.Row(
                    [[.code(path)], named, typeCell, values, words.merged(notes), [.code(place(field.name.span))]],
                    anchor: BookDocument.anchor("field", path), source: place(field.name.span)))
                if case .object(let children) = field.type { result += rows(children, prefix: path + ".") }
            }
            return result
        }
        let header = [pick("Field", "字段"), pick("Meaning", "含义"), pick("Type", "类型"), pick("Values", "取值"),
                      pick("Notes", "说明"), pick("Source", "来源")]
        blocks.append(.table(BookTable(header: header, rows: rows(schema.request, prefix: ""))))
        for type in schema.types {
            blocks.append(.heading(level: 3, [.text(pick("Type ", "类型 ")), .code(type.name.value)],
                                   anchor: BookDocument.anchor("type", type.name.value)))
            blocks.append(.table(BookTable(header: header, rows: rows(type.fields, prefix: "item."))))
        }
        return blocks
    }

    // MARK: Sign-off

    private func signOff() -> [BookBlock] {
        [
            .heading(level: 2, [.text(pick("Sign-off", "审批"))], anchor: "sign-off"),
            .paragraph([.text(pick("Approved for ", "批准版本：")), .code(set.name), .text(" "), .code(set.version),
                        .text(pick(", digest ", "，摘要 ")), .code(set.digest), .text(pick(".", "。"))]),
            .table(BookTable(
                header: [pick("Role", "职责"), pick("Name", "姓名"), pick("Date", "日期"), pick("Signature", "签字")],
                rows: [
                    BookTable.Row([[.text(pick("Compliance", "合规"))], [], [], []]),
                    BookTable.Row([[.text(pick("Legal", "法务"))], [], [], []]),
                ])),
        ]
    }
}

extension ConditionModel {
    var isAll: Bool { if case .all = self { true } else { false } }
}
