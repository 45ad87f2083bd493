import CELRuntime
import RescindDiagnostics
import RescindEngine
import RescindPolicy

// Each kind of policy file, compared item by item.
extension DiffComparison {
    // MARK: policy_set

    mutating func policySet() {
        switch (a.model.header, b.model.header) {
        case (nil, nil): return
        case (nil, let y?):
            add(.policySet, y.name.value, .added, after: "\(y.name.value) \(y.version.value)", spans: (nil, y.span),
                DiffWords("policy set `\(y.name.value)` added", "新增策略集 `\(y.name.value)`"))
        case (let x?, nil):
            add(.policySet, x.name.value, .removed, before: "\(x.name.value) \(x.version.value)", spans: (x.span, nil),
                DiffWords("policy set `\(x.name.value)` removed", "删除策略集 `\(x.name.value)`"))
        case (let x?, let y?):
            let id = y.name.value
            value(x.name.value, y.name.value, kind: .policySet, id: id, field: "name", spans: (x.name.span, y.name.span), code: false) {
                DiffWords("policy set now named `\($0)` (was `\($1)`)", "策略集名称改为 `\($0)`（原为 `\($1)`）")
            }
            value(x.version.value, y.version.value, kind: .policySet, id: id, field: "version",
                  spans: (x.version.span, y.version.span), code: false) {
                DiffWords("version now \($0) (was \($1))", "版本改为 \($0)（原为 \($1)）")
            }
            if x.defaultEffect.value != y.defaultEffect.value {
                let old = DiffText.effect(x.defaultEffect.value), new = DiffText.effect(y.defaultEffect.value)
                add(.policySet, id, .changed, field: "default", before: x.defaultEffect.value.rawValue,
                    after: y.defaultEffect.value.rawValue, spans: (x.defaultEffect.span, y.defaultEffect.span),
                    DiffWords("when no rule matches, the decision is now \(new.en) (was \(old.en))",
                              "无规则命中时，决定改为「\(new.zhCN)」（原为「\(old.zhCN)」）"))
            }
            texts(x.defaultReason, y.defaultReason, kind: .policySet, id: id, field: "default.reason",
                  subject: DiffWords("the default reason", "默认理由"), fallback: (x.defaultEffect.span, y.defaultEffect.span))
            problemEffect(x.onError, y.onError, kind: .policySet, id: id, field: "on_error",
                          subject: DiffWords("a decision with a problem (`on_error`)", "出错时（`on_error`）的决定"),
                          spans: (x.span, y.span))
            set(x.locales.map { Located($0, at: x.span) }, y.locales.map { Located($0, at: y.span) },
                kind: .policySet, id: id, field: "locales") { change, locale in
                change == .added ? DiffWords("locale `\(locale)` added", "新增语言 `\(locale)`")
                    : DiffWords("locale `\(locale)` removed", "删除语言 `\(locale)`")
            }
            history(x, y, id: id)
            problemEffect(x.onHistoryUnavailable, y.onHistoryUnavailable, kind: .policySet, id: id,
                          field: "on_history_unavailable",
                          subject: DiffWords("a decision when the history store does not answer (`on_history_unavailable`)",
                                             "取消记录库未响应时（`on_history_unavailable`）的决定"),
                          spans: (x.span, y.span))
            set(x.files ?? [], y.files ?? [], kind: .policySet, id: id, field: "files") { change, file in
                change == .added ? DiffWords("file `\(file)` added to the policy set", "策略集新增文件 `\(file)`")
                    : DiffWords("file `\(file)` removed from the policy set", "策略集删除文件 `\(file)`")
            }
        }
    }

    private mutating func history(_ x: PolicySetHeader, _ y: PolicySetHeader, id: String) {
        switch (x.history, y.history) {
        case (nil, nil): return
        case (nil, let new?):
            add(.policySet, id, .added, field: "history", after: DiffCode.line(new.list.source), spans: (nil, new.span),
                DiffWords("the history store now supplies `\(DiffCode.line(new.list.source))`",
                          "改由取消记录库提供 `\(DiffCode.line(new.list.source))`"))
        case (let old?, nil):
            add(.policySet, id, .removed, field: "history", before: DiffCode.line(old.list.source), spans: (old.span, nil),
                DiffWords("the history store no longer supplies `\(DiffCode.line(old.list.source))`",
                          "取消记录库不再提供 `\(DiffCode.line(old.list.source))`"))
        case (let old?, let new?):
            value(old.list.source, new.list.source, kind: .policySet, id: id, field: "history.list",
                  spans: (old.list.span, new.list.span)) {
                DiffWords("the history store now supplies `\($0)` (was `\($1)`)", "取消记录库提供的列表改为 `\($0)`（原为 `\($1)`）")
            }
            value(old.buyer.source, new.buyer.source, kind: .policySet, id: id, field: "history.buyer",
                  spans: (old.buyer.span, new.buyer.span)) {
                DiffWords("whose history counts is now `\($0)` (was `\($1)`)", "计入谁的取消记录改为 `\($0)`（原为 `\($1)`）")
            }
            value(old.requestLists?.value ?? "accept", new.requestLists?.value ?? "accept", kind: .policySet, id: id,
                  field: "history.request_lists", spans: (old.requestLists?.span ?? old.span, new.requestLists?.span ?? new.span),
                  code: false) {
                DiffWords("a request's own list is now `\($0)`ed (was `\($1)`)", "请求自带的列表改为 `\($0)`（原为 `\($1)`）")
            }
        }
    }

    // MARK: schema

    mutating func schema() {
        let x = a.model.schema, y = b.model.schema
        let oldEnums = Dictionary(x?.enums.map { ($0.name.value, $0) } ?? [], uniquingKeysWith: { first, _ in first })
        let newEnums = Dictionary(y?.enums.map { ($0.name.value, $0) } ?? [], uniquingKeysWith: { first, _ in first })
        for name in Set(oldEnums.keys).union(newEnums.keys).sorted() {
            switch (oldEnums[name], newEnums[name]) {
            case (nil, let new?):
                let values = new.values.map(\.value).joined(separator: ", ")
                add(.enumType, name, .added, after: values, spans: (nil, new.name.span),
                    DiffWords("enum `\(name)` added: \(values)", "新增枚举 `\(name)`：\(values)"))
            case (let old?, nil):
                add(.enumType, name, .removed, before: old.values.map(\.value).joined(separator: ", "),
                    spans: (old.name.span, nil), DiffWords("enum `\(name)` removed", "删除枚举 `\(name)`"))
            case (let old?, let new?):
                set(old.values, new.values, kind: .enumValue, id: name, field: "values", idOf: { "\(name).\($0)" }) { change, value in
                    change == .added ? DiffWords("value `\(value)` added to enum `\(name)`", "枚举 `\(name)` 新增取值 `\(value)`")
                        : DiffWords("value `\(value)` removed from enum `\(name)`", "枚举 `\(name)` 删除取值 `\(value)`")
                }
            case (nil, nil): break
            }
        }
        let oldTypes = Dictionary(x?.types.map { ($0.name.value, $0) } ?? [], uniquingKeysWith: { first, _ in first })
        let newTypes = Dictionary(y?.types.map { ($0.name.value, $0) } ?? [], uniquingKeysWith: { first, _ in first })
        for name in Set(oldTypes.keys).union(newTypes.keys).sorted() {
            switch (oldTypes[name], newTypes[name]) {
            case (nil, let new?):
                let fields = new.fields.map(\.name.value).joined(separator: ", ")
                add(.type, name, .added, after: fields, spans: (nil, new.name.span),
                    DiffWords("type `\(name)` added, with fields \(fields)", "新增类型 `\(name)`，字段为 \(fields)"))
            case (let old?, nil):
                add(.type, name, .removed, before: old.fields.map(\.name.value).joined(separator: ", "),
                    spans: (old.name.span, nil), DiffWords("type `\(name)` removed", "删除类型 `\(name)`"))
            case (let old?, let new?):
                fields(old.fields, new.fields, kind: .typeField, prefix: "\(name).", owner: name)
            case (nil, nil): break
            }
        }
        fields(x?.request ?? [], y?.request ?? [], kind: .field, prefix: "", owner: nil)
    }

    /// Fields of the request (or of a type), flattened to paths (`order.total`).
    private mutating func fields(_ x: [FieldModel], _ y: [FieldModel], kind: PolicyChange.Kind, prefix: String, owner: String?) {
        let old = Dictionary(Self.flatten(x, ""), uniquingKeysWith: { first, _ in first })
        let new = Dictionary(Self.flatten(y, ""), uniquingKeysWith: { first, _ in first })
        func subject(_ path: String) -> DiffWords {
            owner.map { DiffWords("field `\(path)` of type `\($0)`", "类型 `\($0)` 的字段 `\(path)`") }
                ?? DiffWords("field `\(path)`", "字段 `\(path)`")
        }
        for path in Set(old.keys).union(new.keys).sorted() {
            let id = prefix + path
            let s = subject(path)
            switch (old[path], new[path]) {
            case (nil, let field?):
                // A field inside an object added with it is part of that object's line.
                if let parent = Self.parent(path), new[parent] != nil, old[parent] == nil { continue }
                let summary = Self.summary(field)
                add(kind, id, .added, after: summary, spans: (nil, field.name.span),
                    DiffWords("\(s.en) added: \(summary)", "新增\(s.zhCN)：\(Self.summaryZh(field))"))
            case (let field?, nil):
                if let parent = Self.parent(path), old[parent] != nil, new[parent] == nil { continue }
                add(kind, id, .removed, before: Self.summary(field), spans: (field.name.span, nil),
                    DiffWords("\(s.en) removed", "删除\(s.zhCN)"))
            case (let before?, let after?):
                let spans = (before.name.span, after.name.span)
                value(Self.type(before), Self.type(after), kind: kind, id: id, field: "type", spans: spans, code: false) {
                    DiffWords("\(s.en) now of type `\($0)` (was `\($1)`)", "\(s.zhCN)的类型改为 `\($0)`（原为 `\($1)`）")
                }
                if before.optional != after.optional {
                    add(kind, id, .changed, field: "optional", before: "\(before.optional)", after: "\(after.optional)", spans: spans,
                        after.optional ? DiffWords("\(s.en) is now optional (was required)", "\(s.zhCN)改为可选（原为必填）")
                            : DiffWords("\(s.en) is now required (was optional)", "\(s.zhCN)改为必填（原为可选）"))
                }
                value(before.defaultValue.map { DiffCode.line($0.text) }, after.defaultValue.map { DiffCode.line($0.text) },
                      kind: kind, id: id, field: "default", spans: (before.defaultValue?.span ?? spans.0, after.defaultValue?.span ?? spans.1),
                      code: false) {
                    DiffWords("default of \(s.en) now `\($0)` (was `\($1)`)", "\(s.zhCN)的默认值改为 `\($0)`（原为 `\($1)`）")
                }
                value(before.minimum?.text, after.minimum?.text, kind: kind, id: id, field: "minimum",
                      spans: (before.minimum?.span ?? spans.0, after.minimum?.span ?? spans.1), code: false) {
                    DiffWords("minimum of \(s.en) now `\($0)` (was `\($1)`)", "\(s.zhCN)的最小值改为 `\($0)`（原为 `\($1)`）")
                }
                value(before.maximum?.text, after.maximum?.text, kind: kind, id: id, field: "maximum",
                      spans: (before.maximum?.span ?? spans.0, after.maximum?.span ?? spans.1), code: false) {
                    DiffWords("maximum of \(s.en) now `\($0)` (was `\($1)`)", "\(s.zhCN)的最大值改为 `\($0)`（原为 `\($1)`）")
                }
                if before.description != after.description {
                    add(kind, id, .changed, field: "description", before: before.description, after: after.description, spans: spans,
                        DiffWords("description of \(s.en) changed", "\(s.zhCN)的描述已修改"), showsValues: true)
                }
            case (nil, nil): break
            }
        }
    }

    private static func flatten(_ fields: [FieldModel], _ prefix: String) -> [(String, FieldModel)] {
        fields.flatMap { field -> [(String, FieldModel)] in
            let path = prefix + field.name.value
            if case .object(let inner) = field.type { return [(path, field)] + flatten(inner, path + ".") }
            return [(path, field)]
        }
    }

    private static func parent(_ path: String) -> String? {
        path.lastIndex(of: ".").map { String(path[..<$0]) }
    }

    private static func type(_ field: FieldModel) -> String {
        switch field.type {
        case .named(let name): name.value
        // Its fields are compared one by one.
        case .object: "object"
        }
    }

    /// `decimal, optional, default 0, minimum 0.00`.
    private static func summary(_ field: FieldModel) -> String {
        var parts = [type(field)]
        if field.optional { parts.append("optional") }
        if let value = field.defaultValue { parts.append("default \(DiffCode.line(value.text))") }
        if let bound = field.minimum { parts.append("minimum \(bound.text)") }
        if let bound = field.maximum { parts.append("maximum \(bound.text)") }
        return parts.joined(separator: ", ")
    }

    private static func summaryZh(_ field: FieldModel) -> String {
        var parts = [type(field)]
        if field.optional { parts.append("可选") }
        if let value = field.defaultValue { parts.append("默认值 \(DiffCode.line(value.text))") }
        if let bound = field.minimum { parts.append("最小值 \(bound.text)") }
        if let bound = field.maximum { parts.append("最大值 \(bound.text)") }
        return parts.joined(separator: "，")
    }

    // MARK: calendars

    mutating func calendars() {
        let old = Dictionary(a.model.calendars.map { ($0.name.value, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(b.model.calendars.map { ($0.name.value, $0) }, uniquingKeysWith: { first, _ in first })
        for name in Set(old.keys).union(new.keys).sorted() {
            switch (old[name], new[name]) {
            case (nil, let y?):
                let years = y.years.map { ", years \($0.value)" } ?? ""
                let yearsZh = y.years.map { "，覆盖 \($0.value) 年" } ?? ""
                add(.calendar, name, .added, after: "\(y.timeZone.value)\(years)", spans: (nil, y.span),
                    DiffWords("calendar `\(name)` added (\(y.timeZone.value)\(years))", "新增日历 `\(name)`（\(y.timeZone.value)\(yearsZh)）"))
                days([], y.holidays, calendar: name, kind: .holiday)
                days([], y.workdays, calendar: name, kind: .workday)
            case (let x?, nil):
                add(.calendar, name, .removed, before: x.timeZone.value, spans: (x.span, nil),
                    DiffWords("calendar `\(name)` removed", "删除日历 `\(name)`"))
            case (let x?, let y?):
                file(x.span, y.span, kind: .calendar, id: name, subject: DiffWords("calendar `\(name)`", "日历 `\(name)`"))
                value(x.timeZone.value, y.timeZone.value, kind: .calendar, id: name, field: "time_zone",
                      spans: (x.timeZone.span, y.timeZone.span), code: false) {
                    DiffWords("calendar `\(name)` now in time zone \($0) (was \($1))", "日历 `\(name)` 的时区改为 \($0)（原为 \($1)）")
                }
                value(x.years.map { DiffCode.key($0.value) }, y.years.map { DiffCode.key($0.value) }, kind: .calendar, id: name,
                      field: "years", spans: (x.years?.span ?? x.span, y.years?.span ?? y.span), code: false) {
                    DiffWords("calendar `\(name)` now lists the years \($0) in full (was \($1))",
                              "日历 `\(name)` 完整覆盖的年份改为 \($0)（原为 \($1)）")
                }
                let oldWeekend = Set(x.weekend.map { $0.value.lowercased() }), newWeekend = Set(y.weekend.map { $0.value.lowercased() })
                if oldWeekend != newWeekend {
                    let before = x.weekend.map(\.value).joined(separator: ", "), after = y.weekend.map(\.value).joined(separator: ", ")
                    add(.calendar, name, .changed, field: "weekend", before: before, after: after,
                        spans: (x.weekend.first?.span ?? x.span, y.weekend.first?.span ?? y.span),
                        DiffWords("weekend of `\(name)` now \(after) (was \(before))", "日历 `\(name)` 的周末改为 \(after)（原为 \(before)）"))
                }
                days(x.holidays, y.holidays, calendar: name, kind: .holiday)
                days(x.workdays, y.workdays, calendar: name, kind: .workday)
            case (nil, nil): break
            }
        }
    }

    /// Holidays or workdays compared day by day, reported as runs of consecutive days
    /// (a range added is one change, wherever the entries were split).
    private mutating func days(_ old: [Located<String>], _ new: [Located<String>], calendar: String, kind: PolicyChange.Kind) {
        let before = Self.expand(old), after = Self.expand(new)
        let added = Set(after.keys).subtracting(before.keys).sorted()
        let removed = Set(before.keys).subtracting(after.keys).sorted()
        for (run, change) in Self.runs(added).map({ ($0, PolicyChange.Change.added) }) + Self.runs(removed).map({ ($0, .removed) }) {
            let text = Self.rangeText(run)
            let span = change == .added ? after[run.lowerBound] : before[run.lowerBound]
            let single = run.count == 1
            let words: DiffWords
            switch (kind, change) {
            case (.holiday, .added):
                words = DiffWords("holiday\(single ? "" : "s") \(text) added to `\(calendar)`", "日历 `\(calendar)` 新增节假日 \(text)")
            case (.holiday, _):
                words = DiffWords("holiday\(single ? "" : "s") \(text) removed from `\(calendar)`", "日历 `\(calendar)` 删除节假日 \(text)")
            case (_, .added):
                words = DiffWords("make-up workday\(single ? "" : "s") \(text) added to `\(calendar)`", "日历 `\(calendar)` 新增调休上班日 \(text)")
            default:
                words = DiffWords("make-up workday\(single ? "" : "s") \(text) removed from `\(calendar)`", "日历 `\(calendar)` 删除调休上班日 \(text)")
            }
            add(kind, "\(calendar)/\(text)", change, field: kind == .holiday ? "holidays" : "workdays",
                before: change == .removed ? text : nil, after: change == .added ? text : nil,
                spans: change == .added ? (nil, span) : (span, nil), words)
        }
    }

    /// Each day of the entries (`2026-10-01..2026-10-07` is seven), with the entry's span.
    private static func expand(_ entries: [Located<String>]) -> [Int: SourceSpan] {
        var days: [Int: SourceSpan] = [:]
        for entry in entries {
            let text = entry.value.trimmingCharacters(in: .whitespaces)
            let bounds = text.components(separatedBy: "..")
            guard let first = CivilDate(iso: bounds[0].trimmingCharacters(in: .whitespaces)) else { continue }
            let last = bounds.count == 2 ? CivilDate(iso: bounds[1].trimmingCharacters(in: .whitespaces)) ?? first : first
            guard first.daysSinceEpoch <= last.daysSinceEpoch else { continue }
            for day in first.daysSinceEpoch...last.daysSinceEpoch where days[day] == nil { days[day] = entry.span }
        }
        return days
    }

    private static func runs(_ days: [Int]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for day in days {
            if let last = runs.last, last.upperBound + 1 == day {
                runs[runs.count - 1] = last.lowerBound...day
            } else {
                runs.append(day...day)
            }
        }
        return runs
    }

    private static func rangeText(_ run: ClosedRange<Int>) -> String {
        let first = CivilDate(daysSinceEpoch: run.lowerBound).description
        return run.count == 1 ? first : "\(first)..\(CivilDate(daysSinceEpoch: run.upperBound).description)"
    }

    // MARK: rules

    mutating func rules() {
        let old = Dictionary(a.model.rules.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(b.model.rules.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
        for id in Set(old.keys).union(new.keys).sorted() {
            let subject = DiffWords("rule `\(id)`", "规则 `\(id)`")
            switch (old[id], new[id]) {
            case (nil, let rule?):
                let condition = DiffCode.cel(rule.when), effect = DiffText.effect(rule.effect.value)
                add(.rule, id, .added, after: "\(condition) → \(rule.effect.value.rawValue)", spans: (nil, rule.span),
                    DiffWords("rule `\(id)` added: `\(condition)` → \(effect.en)", "新增规则 `\(id)`：`\(condition)` → \(effect.zhCN)"))
            case (let rule?, nil):
                add(.rule, id, .removed, before: "\(DiffCode.cel(rule.when)) → \(rule.effect.value.rawValue)", spans: (rule.span, nil),
                    DiffWords("rule `\(id)` removed", "删除规则 `\(id)`"))
            case (let x?, let y?):
                let spans = (x.span, y.span)
                file(x.span, y.span, kind: .rule, id: id, subject: subject)
                effect(x.effect, y.effect, kind: .rule, id: id, subject: subject)
                condition(x.when, y.when, kind: .rule, id: id, field: "condition",
                          subject: DiffWords("condition of rule `\(id)`", "规则 `\(id)` 的条件"), spans: spans)
                texts(x.reason, y.reason, kind: .rule, id: id, field: "reason",
                      subject: DiffWords("reason of rule `\(id)`", "规则 `\(id)` 的理由"), fallback: spans)
                descriptions(x.description, y.description, kind: .rule, id: id, subject: subject, spans: spans)
                obligations(x.obligations, y.obligations, kind: .rule, id: id, owner: subject, spans: spans)
                set(x.suspends, y.suspends, kind: .rule, id: id, field: "suspends") { change, threshold in
                    change == .added
                        ? DiffWords("rule `\(id)` now suspends `\(threshold)`", "规则 `\(id)` 现在暂停 `\(threshold)`")
                        : DiffWords("rule `\(id)` no longer suspends `\(threshold)`", "规则 `\(id)` 不再暂停 `\(threshold)`")
                }
            case (nil, nil): break
            }
        }
    }

    // MARK: thresholds

    /// A rule's or a tier's effect changed: "rule `x` now decides deny (was allow)".
    private mutating func effect(
        _ x: Located<Effect>, _ y: Located<Effect>, kind: PolicyChange.Kind, id: String, subject: DiffWords
    ) {
        guard x.value != y.value else { return }
        let before = DiffText.effect(x.value), after = DiffText.effect(y.value)
        add(kind, id, .changed, field: "effect", before: x.value.rawValue, after: y.value.rawValue, spans: (x.span, y.span),
            DiffWords("\(subject.en) now decides \(after.en) (was \(before.en))",
                      "\(subject.zhCN) 的决定改为「\(after.zhCN)」（原为「\(before.zhCN)」）"))
    }

    mutating func thresholds() {
        let old = Dictionary(a.model.thresholds.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(b.model.thresholds.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
        for id in Set(old.keys).union(new.keys).sorted() {
            let subject = DiffWords("threshold `\(id)`", "阈值 `\(id)`")
            switch (old[id], new[id]) {
            case (nil, let y?):
                let list = DiffCode.line(y.count.source)
                add(.threshold, id, .added, after: "\(list) over \(y.window.value)", spans: (nil, y.span),
                    DiffWords("threshold `\(id)` added: counts `\(list)` over \(y.window.value)",
                              "新增阈值 `\(id)`：统计 \(y.window.value) 内的 `\(list)`"))
                for tier in y.tiers { tierAdded(tier, of: y) }
            case (let x?, nil):
                add(.threshold, id, .removed, before: "\(DiffCode.line(x.count.source)) over \(x.window.value)", spans: (x.span, nil),
                    DiffWords("threshold `\(id)` removed", "删除阈值 `\(id)`"))
            case (let x?, let y?):
                let spans = (x.span, y.span)
                file(x.span, y.span, kind: .threshold, id: id, subject: subject)
                descriptions(x.description, y.description, kind: .threshold, id: id, subject: subject, spans: spans)
                condition(x.appliesWhen, y.appliesWhen, kind: .threshold, id: id, field: "applies_when",
                          subject: DiffWords("when threshold `\(id)` applies (`applies_when`)", "阈值 `\(id)` 的适用条件（`applies_when`）"),
                          spans: spans)
                value(x.count.source, y.count.source, kind: .threshold, id: id, field: "count", spans: (x.count.span, y.count.span)) {
                    DiffWords("threshold `\(id)` now counts `\($0)` (was `\($1)`)", "阈值 `\(id)` 的计数对象改为 `\($0)`（原为 `\($1)`）")
                }
                let oldFilter = x.filter.map { ConditionModel.expression($0) }, newFilter = y.filter.map { ConditionModel.expression($0) }
                condition(oldFilter, newFilter, kind: .threshold, id: id, field: "where",
                          subject: DiffWords("what threshold `\(id)` counts (`where`)", "阈值 `\(id)` 的计数筛选条件（`where`）"),
                          spans: spans)
                value(x.timestamp.source, y.timestamp.source, kind: .threshold, id: id, field: "timestamp",
                      spans: (x.timestamp.span, y.timestamp.span)) {
                    DiffWords("threshold `\(id)` now dates items by `\($0)` (was `\($1)`)", "阈值 `\(id)` 的计时字段改为 `\($0)`（原为 `\($1)`）")
                }
                value(x.window.value, y.window.value, kind: .threshold, id: id, field: "window", spans: (x.window.span, y.window.span),
                      code: false) {
                    DiffWords("threshold `\(id)` now counts over \($0) (was \($1))", "阈值 `\(id)` 的统计窗口改为 \($0)（原为 \($1)）")
                }
                problemEffect(x.onMissing, y.onMissing, kind: .threshold, id: id, field: "on_missing",
                              subject: DiffWords("a request without the counted list (`on_missing` of threshold `\(id)`)",
                                                 "缺少计数列表的请求（阈值 `\(id)` 的 `on_missing`）"),
                              spans: spans)
                tiers(x, y)
            case (nil, nil): break
            }
        }
    }

    private mutating func tierAdded(_ tier: TierModel, of threshold: ThresholdModel) {
        let id = "\(threshold.id.value)/\(tier.id.value)"
        let counted = DiffText.counted(threshold.count, tier.atLeast.value), effect = DiffText.effect(tier.effect.value)
        add(.tier, id, .added, after: "at_least \(tier.atLeast.value) → \(tier.effect.value.rawValue)", spans: (nil, tier.span),
            DiffWords("tier `\(tier.id.value)` added to `\(threshold.id.value)`: from \(counted.en) → \(effect.en)",
                      "阈值 `\(threshold.id.value)` 新增档位 `\(tier.id.value)`：自 \(counted.zhCN)起 → \(effect.zhCN)"))
    }

    private mutating func tiers(_ x: ThresholdModel, _ y: ThresholdModel) {
        let threshold = y.id.value
        let old = Dictionary(x.tiers.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(y.tiers.map { ($0.id.value, $0) }, uniquingKeysWith: { first, _ in first })
        // Tiers are tried in order: the same tiers in another order is a change.
        let oldOrder = x.tiers.map(\.id.value).filter { new[$0] != nil }, newOrder = y.tiers.map(\.id.value).filter { old[$0] != nil }
        if oldOrder != newOrder {
            let before = oldOrder.joined(separator: ", "), after = newOrder.joined(separator: ", ")
            add(.threshold, threshold, .changed, field: "tiers", before: before, after: after, spans: (x.span, y.span),
                DiffWords("tiers of `\(threshold)` now in the order \(after) (was \(before))",
                          "阈值 `\(threshold)` 的档位顺序改为 \(after)（原为 \(before)）"))
        }
        for tierID in Set(old.keys).union(new.keys).sorted() {
            let id = "\(threshold)/\(tierID)"
            let subject = DiffWords("tier `\(tierID)` of `\(threshold)`", "阈值 `\(threshold)` 的档位 `\(tierID)`")
            switch (old[tierID], new[tierID]) {
            case (nil, let tier?): tierAdded(tier, of: y)
            case (let tier?, nil):
                add(.tier, id, .removed, before: "at_least \(tier.atLeast.value) → \(tier.effect.value.rawValue)",
                    spans: (tier.span, nil),
                    DiffWords("tier `\(tierID)` removed from `\(threshold)`", "阈值 `\(threshold)` 删除档位 `\(tierID)`"))
            case (let before?, let after?):
                let spans = (before.span, after.span)
                if before.atLeast.value != after.atLeast.value {
                    let now = DiffText.counted(y.count, after.atLeast.value), was = before.atLeast.value
                    add(.tier, id, .changed, field: "at_least", before: "\(was)", after: "\(after.atLeast.value)",
                        spans: (before.atLeast.span, after.atLeast.span),
                        DiffWords("tier `\(tierID)` of `\(threshold)` now starts at \(now.en) (was \(was))",
                                  "阈值 `\(threshold)` 的档位 `\(tierID)` 改为自 \(now.zhCN)起适用（原为 \(was) 次）"))
                }
                effect(before.effect, after.effect, kind: .tier, id: id, subject: subject)
                texts(before.reason, after.reason, kind: .tier, id: id, field: "reason",
                      subject: DiffWords("reason of \(subject.en)", "\(subject.zhCN)的理由"), fallback: spans)
                descriptions(before.description, after.description, kind: .tier, id: id, subject: subject, spans: spans)
                obligations(before.obligations, after.obligations, kind: .tier, id: id, owner: subject, spans: spans)
            case (nil, nil): break
            }
        }
    }

    // MARK: refunds

    mutating func refunds() {
        let id = "refunds"
        switch (a.model.refunds, b.model.refunds) {
        case (nil, nil): return
        case (nil, let y?):
            add(.refunds, id, .added, after: "calendar \(y.calendar.value)", spans: (nil, y.span),
                DiffWords("refunds added (business days of `\(y.calendar.value)`)", "新增退款规则（按 `\(y.calendar.value)` 日历的工作日计算）"))
            cases([], y.fee.map(\.when), group: "fee", sides: (nil, y))
            cases([], y.initiateWithin.map(\.when), group: "initiate_within", sides: (nil, y))
            cases([], y.expectWithin.map(\.when), group: "expect_within", sides: (nil, y))
        case (let x?, nil):
            add(.refunds, id, .removed, before: "calendar \(x.calendar.value)", spans: (x.span, nil),
                DiffWords("refunds removed: no refund is computed", "删除退款规则：不再计算退款"))
        case (let x?, let y?):
            let spans = (x.span, y.span)
            file(x.span, y.span, kind: .refunds, id: id, subject: DiffWords("refunds", "退款规则"))
            value(x.calendar.value, y.calendar.value, kind: .refunds, id: id, field: "calendar",
                  spans: (x.calendar.span, y.calendar.span), code: false) {
                DiffWords("refund deadlines now count business days of `\($0)` (was `\($1)`)",
                          "退款时限改为按 `\($0)` 日历的工作日计算（原为 `\($1)`）")
            }
            condition(x.appliesWhen, y.appliesWhen, kind: .refunds, id: id, field: "applies_when",
                      subject: DiffWords("which cancellations are refunded (`applies_when`)", "退款的适用条件（`applies_when`）"), spans: spans)
            value(x.currency.source, y.currency.source, kind: .refunds, id: id, field: "currency",
                  spans: (x.currency.span, y.currency.span)) {
                DiffWords("refund currency now `\($0)` (was `\($1)`)", "退款币种改为 `\($0)`（原为 `\($1)`）")
            }
            value(x.amount.source, y.amount.source, kind: .refunds, id: id, field: "amount", spans: (x.amount.span, y.amount.span)) {
                DiffWords("refund amount now `\($0)` (was `\($1)`)", "退款金额改为 `\($0)`（原为 `\($1)`）")
            }
            cases(x.fee.map(\.when), y.fee.map(\.when), group: "fee", sides: (x, y))
            cases(x.initiateWithin.map(\.when), y.initiateWithin.map(\.when), group: "initiate_within", sides: (x, y))
            cases(x.expectWithin.map(\.when), y.expectWithin.map(\.when), group: "expect_within", sides: (x, y))
        }
    }

    /// The value and span of case `index` of `group` in `refunds`.
    private static func refundCase(_ refunds: RefundModel, _ group: String, _ index: Int) -> (value: String, valueSpan: SourceSpan, span: SourceSpan) {
        switch group {
        case "fee":
            let item = refunds.fee[index]
            return (DiffCode.line(item.value.source), item.value.span, item.span)
        case "initiate_within":
            let item = refunds.initiateWithin[index]
            return ("\(item.value.value)", item.value.span, item.span)
        default:
            let item = refunds.expectWithin[index]
            return ("\(item.value.value)", item.value.span, item.span)
        }
    }

    /// Refund cases of one group, matched by condition; the first case whose condition
    /// holds is used, so the order of the cases is compared too.
    private mutating func cases(
        _ old: [ConditionModel?], _ new: [ConditionModel?], group: String, sides: (RefundModel?, RefundModel?)
    ) {
        let oldSide = sides.0
        guard let newSide = sides.1 else { return }
        let oldKeys = old.map { DiffCode.key(DiffCode.cel($0)) }, newKeys = new.map { DiffCode.key(DiffCode.cel($0)) }
        // Match equal conditions first; the rest pair up in order (a condition edited in place).
        var pairs: [(old: Int?, new: Int?)] = []
        var unmatchedOld = Array(old.indices), unmatchedNew: [Int] = []
        for index in new.indices {
            if let position = unmatchedOld.firstIndex(where: { oldKeys[$0] == newKeys[index] }) {
                pairs.append((unmatchedOld.remove(at: position), index))
            } else {
                unmatchedNew.append(index)
            }
        }
        for (o, n) in zip(unmatchedOld, unmatchedNew) { pairs.append((o, n)) }
        for o in unmatchedOld.dropFirst(unmatchedNew.count) { pairs.append((o, nil)) }
        for n in unmatchedNew.dropFirst(unmatchedOld.count) { pairs.append((nil, n)) }

        // Labels name cases in words and ids; a repeated label gets `#2`.
        var labels: [String: Int] = [:]
        func label(_ condition: ConditionModel?) -> String {
            let base = DiffCode.label(condition)
            labels[base, default: 0] += 1
            return labels[base]! == 1 ? base : "\(base)#\(labels[base]!)"
        }
        let ordered = pairs.sorted { ($0.new ?? Int.max, $0.old ?? Int.max) < ($1.new ?? Int.max, $1.old ?? Int.max) }
        var matchedOrder: [(old: Int, new: Int, label: String)] = []
        for pair in ordered {
            let caseLabel = label(pair.new.map { new[$0] } ?? pair.old.map { old[$0] } ?? nil)
            let id = "\(group)/\(caseLabel)"
            let sortKey = "\(["fee": 0, "initiate_within": 1, "expect_within": 2][group] ?? 3)/\(String(format: "%04d", pair.new ?? 9000 + (pair.old ?? 0)))"
            switch (pair.old, pair.new) {
            case (nil, let n?):
                let item = Self.refundCase(newSide, group, n)
                let condition = DiffCode.cel(new[n])
                add(.refundCase, id, .added, after: "\(item.value) when \(condition)", spans: (nil, item.span),
                    Self.caseWords(group, caseLabel, item.value, condition: condition), sortKey: sortKey)
            case (let o?, nil):
                guard let oldSide else { continue }
                let item = Self.refundCase(oldSide, group, o)
                add(.refundCase, id, .removed, before: "\(item.value) when \(DiffCode.cel(old[o]))", spans: (item.span, nil),
                    Self.removedWords(group, caseLabel, item.value), sortKey: sortKey)
            case (let o?, let n?):
                guard let oldSide else { continue }
                let before = Self.refundCase(oldSide, group, o), after = Self.refundCase(newSide, group, n)
                if oldKeys[o] == newKeys[n] {
                    matchedOrder.append((o, n, caseLabel))
                } else {
                    condition(old[o], new[n], kind: .refundCase, id: id, field: "condition",
                              subject: DiffWords("condition of the `\(group)` case `\(caseLabel)`", "`\(group)` 情形 `\(caseLabel)` 的条件"),
                              spans: (before.span, after.span), sortKey: sortKey)
                }
                let compareAsCode = group == "fee"
                if compareAsCode ? DiffCode.key(before.value) != DiffCode.key(after.value) : before.value != after.value {
                    add(.refundCase, id, .changed, field: group == "fee" ? "amount" : "days", before: before.value, after: after.value,
                        spans: (before.valueSpan, after.valueSpan), Self.changedWords(group, caseLabel, after.value, before.value),
                        sortKey: sortKey)
                }
            case (nil, nil): break
            }
        }
        // The same cases in another order may pick another case: a change.
        let byOld = matchedOrder.sorted { $0.old < $1.old }.map(\.label), byNew = matchedOrder.map(\.label)
        if byOld != byNew, let oldSide {
            let before = byOld.joined(separator: ", "), after = byNew.joined(separator: ", ")
            let list = { (labels: [String]) in labels.map { "`\($0)`" }.joined(separator: ", ") }
            add(.refundCase, group, .changed, field: "order", before: before, after: after,
                spans: (Self.groupSpan(oldSide, group), Self.groupSpan(newSide, group)),
                DiffWords("`\(group)` cases now tried in the order \(list(byNew)) (was \(list(byOld))); the first that matches applies",
                          "`\(group)` 各情形的匹配顺序改为 \(list(byNew))（原为 \(list(byOld))），按顺序取第一个符合的情形"),
                sortKey: "\(["fee": 0, "initiate_within": 1, "expect_within": 2][group] ?? 3)/")
        }
    }

    /// Where a group of cases starts: its key, else its first case.
    private static func groupSpan(_ refunds: RefundModel, _ group: String) -> SourceSpan {
        switch group {
        case "fee": refunds.fee.first?.span ?? refunds.span
        case "initiate_within": refunds.initiateWithinSpan ?? refunds.initiateWithin.first?.span ?? refunds.span
        default: refunds.expectWithinSpan ?? refunds.expectWithin.first?.span ?? refunds.span
        }
    }

    private static func caseWords(_ group: String, _ label: String, _ value: String, condition: String) -> DiffWords {
        switch group {
        case "fee":
            DiffWords("fee case added: `\(label)` pays `\(value)`", "新增手续费情形：`\(label)` 收取 `\(value)`")
        case "initiate_within":
            DiffWords("refund case added: `\(label)` initiated within \(DiffText.businessDays(value))",
                      "新增退款情形：`\(label)` 在 \(value) 个工作日内发起退款")
        default:
            DiffWords("refund case added: `\(label)` expected within \(DiffText.businessDays(value)) of initiation",
                      "新增退款情形：`\(label)` 在发起后 \(value) 个工作日内到账")
        }
    }

    private static func removedWords(_ group: String, _ label: String, _ value: String) -> DiffWords {
        switch group {
        case "fee":
            DiffWords("fee case for `\(label)` removed (was `\(value)`)", "删除 `\(label)` 的手续费情形（原为 `\(value)`）")
        case "initiate_within":
            DiffWords("refund case for `\(label)` removed (was initiated within \(DiffText.businessDays(value)))",
                      "删除 `\(label)` 的退款发起情形（原为 \(value) 个工作日内发起）")
        default:
            DiffWords("refund case for `\(label)` removed (was expected within \(DiffText.businessDays(value)) of initiation)",
                      "删除 `\(label)` 的退款到账情形（原为发起后 \(value) 个工作日内到账）")
        }
    }

    private static func changedWords(_ group: String, _ label: String, _ new: String, _ old: String) -> DiffWords {
        switch group {
        case "fee":
            DiffWords("fee for `\(label)` now `\(new)` (was `\(old)`)", "`\(label)` 的手续费改为 `\(new)`（原为 `\(old)`）")
        case "initiate_within":
            DiffWords("refund for `\(label)` now initiated within \(DiffText.businessDays(new)) (was \(old))",
                      "`\(label)` 的退款改为 \(new) 个工作日内发起（原为 \(old) 个）")
        default:
            DiffWords("refund for `\(label)` now expected within \(DiffText.businessDays(new)) of initiation (was \(old))",
                      "`\(label)` 的退款改为发起后 \(new) 个工作日内到账（原为 \(old) 个）")
        }
    }
}
