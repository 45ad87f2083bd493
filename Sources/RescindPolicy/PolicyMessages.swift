import RescindDiagnostics
import RescindEngine

/// Diagnostic codes of the policy layer (load and check), all in one place.
extension DiagnosticCode {
    package static let policyNoFiles: DiagnosticCode = "policy-no-files"
    package static let policyUnknownKind: DiagnosticCode = "policy-unknown-kind"
    package static let policyMissingDocument: DiagnosticCode = "policy-missing-document"
    package static let policyDuplicateDocument: DiagnosticCode = "policy-duplicate-document"
    package static let policyInvalidValue: DiagnosticCode = "policy-invalid-value"
    package static let policyDuplicateID: DiagnosticCode = "policy-duplicate-id"
    package static let policyUnknownType: DiagnosticCode = "policy-unknown-type"
    package static let policyUnknownCalendar: DiagnosticCode = "policy-unknown-calendar"
    package static let policyUnknownThreshold: DiagnosticCode = "policy-unknown-threshold"
    package static let policyTiersOutOfOrder: DiagnosticCode = "policy-tiers-out-of-order"
    package static let policyMissingLocale: DiagnosticCode = "policy-missing-locale"
    package static let policyNeverMatches: DiagnosticCode = "policy-rule-never-matches"
    package static let policyShadowed: DiagnosticCode = "policy-rule-shadowed"
    package static let policyUnknownObligation: DiagnosticCode = "policy-unknown-obligation"
    package static let policyInvalidRange: DiagnosticCode = "policy-invalid-range"
    package static let policyEmptyFile: DiagnosticCode = "policy-empty-file"
    package static let policyMissingKind: DiagnosticCode = "policy-missing-kind"
    package static let policyFileNotListed: DiagnosticCode = "policy-file-not-listed"
    package static let policyListedFileMissing: DiagnosticCode = "policy-listed-file-missing"
    package static let policyInvalidConstant: DiagnosticCode = "policy-invalid-constant"
    package static let policyUnknownRecipient: DiagnosticCode = "policy-unknown-recipient"
    package static let policyCalendarConflict: DiagnosticCode = "policy-calendar-conflict"
    package static let policyCalendarNoEffect: DiagnosticCode = "policy-calendar-no-effect"
    package static let policyUnknownLocale: DiagnosticCode = "policy-unknown-locale"
    package static let policyEmptyReason: DiagnosticCode = "policy-empty-reason"
    package static let policyYAMLTagInExpression: DiagnosticCode = "policy-yaml-tag-in-expression"
}

/// The policy layer's messages: lowercase, user input in backticks, a `help:` where it
/// helps; each written in English and in Chinese (zh-CN) side by side.
enum PolicyMessages {
    static func noFiles(_ paths: [String]) -> Diagnostic {
        let list = paths.map { "`\($0)`" }
        return .error(
            .policyNoFiles,
            .en("no policy files found in \(list.joined(separator: ", "))", zh: "在 \(list.joined(separator: "、")) 中没有找到策略文件"),
            at: nil,
            help: .en(
                "policy files end in `.yaml` or `.yml` (`*.tests.yaml` files are tests)",
                zh: "策略文件以 `.yaml` 或 `.yml` 结尾（`*.tests.yaml` 是测试文件）"))
    }

    static func unreadable(_ path: String, _ reason: String) -> Diagnostic {
        .error(.policyNoFiles, .en("cannot read `\(path)`: \(reason)", zh: "无法读取 `\(path)`：\(reason)"), at: nil)
    }

    static func unknownKind(_ kind: String, at span: SourceSpan) -> Diagnostic {
        let kinds = documentKinds
        // A test file named directly (a glob such as `Policies/*.yaml` picks them up).
        let testHelp: DiagnosticText? =
            ["tests", "fixtures"].contains(kind)
            ? .en(
                "this is a policy test file: run it with `rescind test`; folders skip `*.tests.yaml` files",
                zh: "这是策略测试文件：请用 `rescind test` 运行；检查文件夹时会跳过 `*.tests.yaml` 文件")
            : nil
        return .error(
            .policyUnknownKind, .en("unknown document kind `\(kind)`", zh: "未知的文档类型 `\(kind)`"), at: span,
            help: testHelp ?? Suggestions.didYouMean(kind, in: kinds) ?? expectedOneOf(kinds))
    }

    /// "expected one of `a`, `b` or `c`".
    static func expectedOneOf(_ names: [String]) -> DiagnosticText {
        let list = Suggestions.quoted(names)
        return .en("expected one of \(list.en)", zh: "应为 \(list.zh) 之一")
    }

    /// A file with no document: often one caught half-written, so never an empty part of the set.
    static func emptyFile(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyEmptyFile, .en("the policy file is empty", zh: "策略文件是空的"), at: span,
            help: .en(
                "a policy file holds at least one document with a `kind`; delete the file if it is not needed",
                zh: "策略文件至少要有一个带 `kind` 的文档；如果不需要这个文件，请删除它"))
    }

    /// A `---` followed by nothing.
    static func emptyDocument(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyEmptyFile, .en("an empty document", zh: "空文档"), at: span,
            help: .en("remove the extra `---`, or give the document a `kind`", zh: "请删除多余的 `---`，或为该文档写上 `kind`"))
    }

    static func missingKind(at span: SourceSpan) -> Diagnostic {
        let kinds = Suggestions.quoted(documentKinds)
        return .error(
            .policyMissingKind, .en("the document has no `kind`", zh: "文档没有 `kind`"), at: span,
            help: .en("start it with `kind:` and one of \(kinds.en)", zh: "请在开头写上 `kind:`，取值为 \(kinds.zh) 之一"))
    }

    static func fileNotListed(_ name: String, at span: SourceSpan, listedAt list: SourceSpan, listed: [String]) -> Diagnostic {
        .error(
            .policyFileNotListed,
            .en("`\(name)` is not listed in the policy set's `files`", zh: "`\(name)` 不在策略集的 `files` 列表中"), at: span,
            notes: [DiagnosticNote(.en("the list is here", zh: "列表在这里"), span: list)],
            help: Suggestions.didYouMean(name, in: listed).map {
                .en("\($0.en) rename the file, or add `\(name)` to `files`", zh: "\($0.zh)请重命名该文件，或把 `\(name)` 加入 `files`")
            }
                ?? .en(
                    "add `\(name)` to `files`, or remove the file if it does not belong to the set",
                    zh: "请把 `\(name)` 加入 `files`；如果它不属于这个策略集，请移除该文件"))
    }

    static func listedFileMissing(_ name: String, at span: SourceSpan, present: [String]) -> Diagnostic {
        .error(
            .policyListedFileMissing,
            .en(
                "`\(name)` is listed in `files` but is not in the policy set",
                zh: "`\(name)` 列在 `files` 中，但策略集里没有这个文件"),
            at: span,
            help: Suggestions.didYouMean(name, in: present)
                ?? .en("add the file, or remove it from `files`", zh: "请添加该文件，或把它从 `files` 中删除"))
    }

    static let documentKinds = ["policy_set", "schema", "calendar", "rules", "thresholds", "refunds"]

    static func missingDocument(_ kind: String) -> Diagnostic {
        .error(
            .policyMissingDocument,
            .en("the policy set has no `kind: \(kind)` document", zh: "策略集中没有 `kind: \(kind)` 的文档"), at: nil,
            help: .en(
                "add a file with `kind: \(kind)`; see docs/policy-language.md",
                zh: "请添加一个 `kind: \(kind)` 的文件；参见 docs/policy-language.md"))
    }

    static func duplicateDocument(_ kind: String, at span: SourceSpan, first: SourceSpan) -> Diagnostic {
        .error(
            .policyDuplicateDocument,
            .en(
                "a second `kind: \(kind)` document; a policy set has one",
                zh: "出现了第二个 `kind: \(kind)` 的文档；一个策略集只能有一个"),
            at: span, notes: [DiagnosticNote(.en("the first one is here", zh: "第一个在这里"), span: first)])
    }

    /// `what` names the value ("effect", "time zone"); `expected` says what it should be.
    static func invalid(
        _ what: DiagnosticText, _ value: String, expected: DiagnosticText, at span: SourceSpan,
        help: DiagnosticText? = nil
    ) -> Diagnostic {
        .error(
            .policyInvalidValue,
            .en(
                "invalid \(what.en) `\(value)`: expected \(expected.en)",
                zh: "无效的\(what.zh) `\(value)`：应为\(expected.zh)"),
            at: span, help: help)
    }

    static func boundOnUnorderedType(_ key: String, field: String, type: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidRange,
            .en("`\(key)` on field `\(field)` of type `\(type)`", zh: "类型为 `\(type)` 的字段 `\(field)` 不能使用 `\(key)`"),
            at: span,
            help: .en(
                "`minimum` and `maximum` apply to `int`, `decimal` and `timestamp` fields",
                zh: "`minimum` 和 `maximum` 只适用于 `int`、`decimal` 和 `timestamp` 类型的字段"))
    }

    static func emptyRange(field: String, minimum: String, maximum: String, at span: SourceSpan, minimumSpan: SourceSpan?)
        -> Diagnostic
    {
        .error(
            .policyInvalidRange,
            .en(
                "field `\(field)` has `maximum` `\(maximum)` below its `minimum` `\(minimum)`",
                zh: "字段 `\(field)` 的 `maximum` `\(maximum)` 小于其 `minimum` `\(minimum)`"),
            at: span,
            notes: minimumSpan.map { [DiagnosticNote(.en("the minimum is here", zh: "最小值在这里"), span: $0)] } ?? [],
            help: .en("no value could pass; both bounds are inclusive", zh: "没有任何值能通过；上下限都包含边界值本身"))
    }

    static func defaultOutOfRange(_ value: String, field: String, range: FieldBounds, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidRange,
            .en(
                "the default `\(value)` of field `\(field)` is outside its range \(range.text)",
                zh: "字段 `\(field)` 的默认值 `\(value)` 超出了其范围（\(range.chineseText)）"),
            at: span,
            help: .en(
                "a default must be a value the request itself could send", zh: "默认值必须是请求本身也可能发送的值"))
    }

    static func duplicateID(_ id: String, at span: SourceSpan, first: SourceSpan) -> Diagnostic {
        .error(
            .policyDuplicateID, .en("duplicate id `\(id)`", zh: "id `\(id)` 重复"), at: span,
            notes: [DiagnosticNote(.en("`\(id)` is first defined here", zh: "`\(id)` 首次定义在这里"), span: first)],
            help: .en(
                "rule, threshold and tier ids must be unique across the policy set",
                zh: "规则、阈值和档位的 id 在整个策略集中必须唯一"))
    }

    static func unknownType(_ name: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownType, .en("unknown type `\(name)`", zh: "未知的类型 `\(name)`"), at: span,
            help: Suggestions.didYouMean(name, in: known)
                ?? .en(
                    "expected string, int, bool, decimal, timestamp, duration, list(T), map(string, T), an enum or a type name",
                    zh: "应为 string、int、bool、decimal、timestamp、duration、list(T)、map(string, T)、枚举或类型名"))
    }

    static func unknownCalendar(_ name: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        let list = Suggestions.quoted(known, .and)
        return .error(
            .policyUnknownCalendar, .en("unknown calendar `\(name)`", zh: "未知的日历 `\(name)`"), at: span,
            help: Suggestions.didYouMean(name, in: known)
                ?? (known.isEmpty
                    ? .en("no `kind: calendar` document defines any calendar", zh: "没有任何 `kind: calendar` 的文档定义了日历")
                    : .en("known calendars: \(list.en)", zh: "已定义的日历：\(list.zh)")))
    }

    // MARK: history

    static func historyListNotAField(_ list: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyInvalidValue,
            .en("`history.list` `\(list)` is not a field path of the request", zh: "`history.list` 的 `\(list)` 不是请求中的字段路径"),
            at: span,
            help: Suggestions.didYouMean(list.split(separator: ".").last.map(String.init) ?? list, in: known))
    }

    static func historyListNotAList(_ list: String, found: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidValue,
            .en(
                "`history.list` `\(list)` must be a list of objects, found `\(found)`",
                zh: "`history.list` 的 `\(list)` 必须是对象列表，实际是 `\(found)`"),
            at: span)
    }

    static func historyItemField(_ name: String, kind: String, list: String, found: String?, at span: SourceSpan)
        -> Diagnostic
    {
        let what: DiagnosticText = found.map { .en("is `\($0)`", zh: "却是 `\($0)`") } ?? .en("is missing", zh: "却没有")
        let type: DiagnosticText = kind == "enum" ? .en("an enum", zh: "枚举") : .en("type `\(kind)`", zh: "`\(kind)` 类型")
        return .error(
            .policyInvalidValue,
            .en(
                "the items of `\(list)` need a field `\(name)` of \(type.en) for the history store; it \(what.en)",
                zh: "取消记录库要求 `\(list)` 的每一项有\(type.zh)的字段 `\(name)`，这里\(what.zh)"),
            at: span,
            help: .en(
                "history items carry `order_id` (string), `at` (timestamp), `initiator` and `reason` (enums)",
                zh: "历史记录的每一项包含 `order_id`（string）、`at`（timestamp）、`initiator` 和 `reason`（枚举）"))
    }

    static func historyListNotCounted(_ list: String, at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyInvalidValue,
            .en(
                "no threshold counts `\(list)`, so the history store would supply it for nothing",
                zh: "没有任何阈值统计 `\(list)`，取消记录库提供的记录将毫无用处"),
            at: span,
            help: .en(
                "count it in a threshold (`count: \(list)`), or remove `history`",
                zh: "请在某个阈值中统计它（`count: \(list)`），或删除 `history`"))
    }

    static func historyUnavailableAllows(at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyInvalidValue,
            .en(
                "`on_history_unavailable: allow` lets every cancellation through uncounted while the history store is down",
                zh: "`on_history_unavailable: allow` 会在取消记录库不可用期间放行所有取消，且不计数"),
            at: span,
            help: .en(
                "`review` (the default) or `deny` keeps repeat cancellers in check during an outage",
                zh: "改用 `review`（默认）或 `deny`，在故障期间也能约束频繁取消的用户"))
    }

    static func historyUnavailableWithoutHistory(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidValue,
            .en(
                "`on_history_unavailable` has no effect: the policy set declares no `history`",
                zh: "`on_history_unavailable` 不起作用：策略集没有声明 `history`"),
            at: span,
            help: .en(
                "add a `history:` section, or remove `on_history_unavailable`",
                zh: "请添加 `history:` 一节，或删除 `on_history_unavailable`"))
    }

    static func unknownThreshold(_ name: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownThreshold,
            .en("`suspends` names an unknown threshold `\(name)`", zh: "`suspends` 指定了未知的阈值 `\(name)`"), at: span,
            help: Suggestions.didYouMean(name, in: known))
    }

    static func tiersOutOfOrder(_ tier: String, _ atLeast: Int, after previous: String, _ previousAtLeast: Int, at span: SourceSpan, previousSpan: SourceSpan) -> Diagnostic {
        .error(
            .policyTiersOutOfOrder,
            .en(
                "tier `\(tier)` starts at \(atLeast), not above the previous tier `\(previous)` (\(previousAtLeast))",
                zh: "档位 `\(tier)` 自 \(atLeast) 次起，没有高于上一个档位 `\(previous)`（\(previousAtLeast) 次）"),
            at: span,
            notes: [DiagnosticNote(.en("`\(previous)` starts here", zh: "`\(previous)` 从这里开始"), span: previousSpan)],
            help: .en("list tiers by strictly increasing `at_least`", zh: "请按 `at_least` 严格递增的顺序列出档位"))
    }

    /// What a text per locale is: a `reason`, which needs every locale, or a
    /// `description`, written per locale (which could be one string for all instead).
    enum LocalizedKind {
        case reason
        case description
    }

    static func missingLocale(_ locale: String, at span: SourceSpan, kind: LocalizedKind = .reason) -> Diagnostic {
        switch kind {
        case .reason:
            .error(
                .policyMissingLocale, .en("the reason has no `\(locale)` text", zh: "原因缺少 `\(locale)` 文本"), at: span,
                help: .en(
                    "every reason needs a text for each of the policy set's `locales`",
                    zh: "每条原因都需要为策略集 `locales` 中的每种语言各写一段文本"))
        case .description:
            .error(
                .policyMissingLocale, .en("the description has no `\(locale)` text", zh: "描述缺少 `\(locale)` 文本"),
                at: span,
                help: .en(
                    "a description written per locale needs a text for each of the policy set's `locales` (or write one string for all of them)",
                    zh: "按语言分别书写的描述需要为策略集 `locales` 中的每种语言各写一段文本（或者只写一段所有语言通用的文本）"))
        }
    }

    static func neverMatches(_ rule: String, path: String, first: String, second: String, at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyNeverMatches,
            .en(
                "rule `\(rule)` can never match: `\(path)` cannot be both \(first) and \(second)",
                zh: "规则 `\(rule)` 永远不会命中：`\(path)` 不可能既是 \(first) 又是 \(second)"),
            at: span, help: .en("did you mean `any:` instead of `all:`?", zh: "是否想用 `any:` 而不是 `all:`？"))
    }

    static func shadowed(_ rule: String, by other: String, effect: String, at span: SourceSpan, otherSpan: SourceSpan) -> Diagnostic {
        .warning(
            .policyShadowed,
            .en(
                "rule `\(rule)` never decides: whenever it matches, rule `\(other)` also matches and its `\(effect)` wins",
                zh: "规则 `\(rule)` 永远不会决定结果：每当它命中时，规则 `\(other)` 也会命中，而后者的 `\(effect)` 优先"),
            at: span, notes: [DiagnosticNote(.en("`\(other)` is here", zh: "`\(other)` 在这里"), span: otherSpan)])
    }

    static func unknownObligation(_ type: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownObligation, .en("unknown obligation type `\(type)`", zh: "未知的义务类型 `\(type)`"), at: span,
            help: Suggestions.didYouMean(type, in: known) ?? expectedOneOf(known))
    }

    // MARK: - Constants checked at load

    /// A call with literal arguments only that fails: it would fail on every request.
    static func invalidConstant(_ failure: ConstantChecks.Failure, at span: SourceSpan) -> Diagnostic {
        let quoted = failure.literal.map { "`\(celString($0))`" }
        switch (failure.function, failure.literal) {
        case ("duration", let text?):
            let help: DiagnosticText
            if let fix = ConstantFixes.duration(text) {
                help = fix.hadDays
                    ? .en(
                        "CEL durations have no days: write \(celString(fix.fix))",
                        zh: "CEL 的时长没有“天”这个单位：请写成 \(celString(fix.fix))")
                    : .en("write \(celString(fix.fix))", zh: "请写成 \(celString(fix.fix))")
            } else {
                help = .en(
                    "a CEL duration is a number and a unit `h`, `m`, `s` or `ms`, such as \"30m\" or \"1h30m\"",
                    zh: "CEL 时长由数字和单位 `h`、`m`、`s` 或 `ms` 组成，例如 \"30m\" 或 \"1h30m\"")
            }
            return .error(
                .policyInvalidConstant, .en("\(quoted!) is not a CEL duration", zh: "\(quoted!) 不是有效的 CEL 时长"), at: span,
                help: help)
        case ("decimal", let text?):
            return .error(
                .policyInvalidConstant, .en("\(quoted!) is not a decimal number", zh: "\(quoted!) 不是有效的十进制数"), at: span,
                help: ConstantFixes.decimal(text).map { .en("write \(celString($0))", zh: "请写成 \(celString($0))") }
                    ?? .en(
                        "a decimal is digits with an optional sign and a `.` before the fraction, such as \"129.99\"",
                        zh: "十进制数由数字组成，可带正负号，小数部分前用 `.`，例如 \"129.99\""))
        case ("timestamp", let text?):
            return .error(
                .policyInvalidConstant,
                .en("\(quoted!) is not an RFC 3339 timestamp", zh: "\(quoted!) 不是 RFC 3339 格式的时间戳"), at: span,
                help: ConstantFixes.timestamp(text).map {
                    .en(
                        "write \(celString($0)) (a timestamp needs a time and a UTC offset; `Z` is UTC)",
                        zh: "请写成 \(celString($0))（时间戳需要包含时间和 UTC 偏移；`Z` 表示 UTC）")
                }
                    ?? .en(
                        "write a date, a time and a UTC offset, such as \"2026-01-01T00:00:00Z\" or \"2026-01-01T00:00:00+08:00\"",
                        zh: "请写出日期、时间和 UTC 偏移，例如 \"2026-01-01T00:00:00Z\" 或 \"2026-01-01T00:00:00+08:00\""))
        case ("matches", let text?):
            let shown = quoted ?? "`\(text)`"
            return .error(
                .policyInvalidConstant, .en("invalid regular expression \(shown)", zh: "无效的正则表达式 \(shown)"), at: span,
                notes: [DiagnosticNote(.en(failure.message, zh: "正则表达式引擎报告：\(failure.message)"))],
                help: .en(
                    "CEL patterns use RE2 syntax: https://github.com/google/re2/wiki/Syntax",
                    zh: "CEL 的正则表达式使用 RE2 语法：https://github.com/google/re2/wiki/Syntax"))
        default:
            return .error(
                .policyInvalidConstant,
                .en(
                    "`\(failure.call)` fails for every request: \(failure.message)",
                    zh: "`\(failure.call)` 对每个请求都会失败：\(failure.message)"),
                at: span,
                help: .en(
                    "its arguments are all constants, so it is evaluated when the policies load",
                    zh: "它的参数全是常量，因此在加载策略时就会求值"))
        }
    }

    /// A string as a CEL literal, for messages.
    private static func celString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    // MARK: - Obligation fields

    static func unknownRecipient(_ name: String, in type: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownRecipient,
            .en("unknown recipient `\(name)` in a `\(type)` obligation", zh: "`\(type)` 义务中有未知的接收方 `\(name)`"),
            at: span, help: Suggestions.didYouMean(name, in: known) ?? expectedOneOf(known))
    }

    static func unknownObligationKey(_ key: String, in type: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        let list = Suggestions.quoted(known)
        return .error(
            .yamlUnknownKey,
            .en("unknown key `\(key)` in a `\(type)` obligation", zh: "`\(type)` 义务中有未知的键 `\(key)`"), at: span,
            help: Suggestions.didYouMean(key, in: known) ?? .en("expected \(list.en)", zh: "应为 \(list.zh)"))
    }

    static func missingObligationKey(_ key: String, in type: String, at span: SourceSpan) -> Diagnostic {
        .error(.yamlMissingKey, .en("a `\(type)` obligation needs `\(key)`", zh: "`\(type)` 义务需要 `\(key)`"), at: span)
    }

    static func invalidWholeNumber(_ text: String, key: String, range: ClosedRange<Int64>, at span: SourceSpan) -> Diagnostic {
        let help: DiagnosticText? = ConstantFixes.number(text).flatMap {
            range.contains(Int64($0)) ? .en("write `\($0)`", zh: "请写成 `\($0)`") : nil
        }
        return .error(
            .policyInvalidValue,
            .en(
                "invalid `\(key)` `\(text)`: expected a whole number from \(range.lowerBound) to \(range.upperBound)",
                zh: "无效的 `\(key)` `\(text)`：应为 \(range.lowerBound) 到 \(range.upperBound) 之间的整数"),
            at: span, help: help)
    }

    static func invalidObligationDuration(_ text: String, key: String, at span: SourceSpan) -> Diagnostic {
        let fix = ConstantFixes.duration(text, days: true)?.fix
        let isZeroOrLess = PolicyDuration.parse(text) != nil
        return .error(
            .policyInvalidValue,
            isZeroOrLess
                ? .en(
                    "invalid `\(key)` `\(text)`: expected a duration of more than zero",
                    zh: "无效的 `\(key)` `\(text)`：时长必须大于零")
                : .en(
                    "invalid `\(key)` `\(text)`: expected a duration such as `24h`, `30m` or `14d`",
                    zh: "无效的 `\(key)` `\(text)`：应为时长，例如 `24h`、`30m` 或 `14d`"),
            at: span, help: isZeroOrLess ? nil : fix.map { .en("write `\($0)`", zh: "请写成 `\($0)`") })
    }

    static func negativeAmount(_ amount: String, key: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidValue, .en("`\(key)` is `\(amount)`: expected zero or more", zh: "`\(key)` 为 `\(amount)`：应为零或正数"),
            at: span,
            help: .en(
                "an obligation's amount is what is owed; it cannot be negative", zh: "义务中的金额是应付的数额，不能为负数"))
    }

    static func invalidCurrencyCode(_ code: String, at span: SourceSpan) -> Diagnostic {
        let upper = code.uppercased()
        let fixed = upper.count == 3 && upper.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
        return .error(
            .policyInvalidValue,
            .en(
                "invalid currency `\(code)`: expected a three-letter ISO 4217 code",
                zh: "无效的币种 `\(code)`：应为三个字母的 ISO 4217 代码"),
            at: span,
            help: fixed
                ? .en("write `\"\(upper)\"`", zh: "请写成 `\"\(upper)\"`")
                : .en(
                    "write a code such as `\"CNY\"`, or `order.currency` for the order's",
                    zh: "请写出币种代码，例如 `\"CNY\"`；如用订单的币种，请写 `order.currency`"))
    }

    // MARK: - Calendars

    static func holidayIsWorkday(_ date: String, at span: SourceSpan, holiday: SourceSpan) -> Diagnostic {
        .error(
            .policyCalendarConflict,
            .en("`\(date)` is both a holiday and a make-up workday", zh: "`\(date)` 既是节假日又是调休工作日"), at: span,
            notes: [DiagnosticNote(.en("the holiday is listed here", zh: "节假日列在这里"), span: holiday)],
            help: .en(
                "copy the dates from the notice again: a day is either off or worked",
                zh: "请对照放假通知重新抄录日期：一天要么放假，要么上班"))
    }

    /// A weekday's English name (`saturday`) in Chinese.
    private static func chineseWeekday(_ name: String) -> String {
        switch name {
        case "monday": "星期一"
        case "tuesday": "星期二"
        case "wednesday": "星期三"
        case "thursday": "星期四"
        case "friday": "星期五"
        case "saturday": "星期六"
        case "sunday": "星期日"
        default: name
        }
    }

    static func holidayOnWeekend(_ entry: String, weekdays: [String], at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyCalendarNoEffect,
            .en(
                "holiday `\(entry)` falls only on \(weekdays.joined(separator: " and ")), already days off",
                zh: "节假日 `\(entry)` 只落在\(weekdays.map(chineseWeekday).joined(separator: "和"))，本来就是休息日"),
            at: span,
            help: .en(
                "check the date against the notice; a holiday listed here changes nothing",
                zh: "请对照放假通知核对日期；这里列出的节假日不会带来任何变化"))
    }

    static func workdayNotWeekend(_ date: String, weekday: String, at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyCalendarNoEffect,
            .en(
                "make-up workday `\(date)` is a \(weekday), already a workday",
                zh: "调休工作日 `\(date)` 是\(chineseWeekday(weekday))，本来就是工作日"),
            at: span,
            help: .en(
                "make-up workdays are weekend days that are worked; check the date against the notice",
                zh: "调休工作日是需要上班的周末；请对照放假通知核对日期"))
    }

    // MARK: - Reasons

    static func unknownLocale(_ locale: String, at span: SourceSpan, locales: [String]) -> Diagnostic {
        let help =
            policyLocale(matching: locale, in: locales).map { DiagnosticText.en("write `\($0)`", zh: "请写成 `\($0)`") }
            ?? Suggestions.didYouMean(locale, in: locales)
            ?? .en(
                "add `\(locale)` to `locales` in the policy set (policy-set.yaml), or remove this text",
                zh: "请把 `\(locale)` 加入策略集（policy-set.yaml）的 `locales`，或删除这段文本")
        let list = Suggestions.quoted(locales, .and)
        return .error(
            .policyUnknownLocale,
            .en(
                "`\(locale)` is not one of the policy set's locales (\(list.en))",
                zh: "`\(locale)` 不是策略集的语言之一（\(list.zh)）"),
            at: span, help: help)
    }

    /// The policy locale `key` spells differently (`zh-cn`, `zh_CN` for `zh-CN`), if any.
    static func policyLocale(matching key: String, in locales: [String]) -> String? {
        func folded(_ text: String) -> String { text.lowercased().replacingOccurrences(of: "_", with: "-") }
        guard !locales.contains(key) else { return nil }
        return locales.first { folded($0) == folded(key) }
    }

    static func emptyReason(_ locale: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyEmptyReason, .en("the `\(locale)` text is empty", zh: "`\(locale)` 文本是空的"), at: span,
            help: .en("write the text people read in `\(locale)`", zh: "请写出用户在 `\(locale)` 下看到的文本"))
    }

    // MARK: - YAML read as something else

    static func tagInExpression(_ tag: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyYAMLTagInExpression,
            .en(
                "`\(tag)` is read as a YAML tag, not as part of the expression",
                zh: "`\(tag)` 被读成了 YAML 标签，而不是表达式的一部分"),
            at: span,
            help: .en(
                "quote the condition (`\"\(tag)\"`) or write `not: \(tag.dropFirst())`",
                zh: "请给条件加上引号（`\"\(tag)\"`），或写成 `not: \(tag.dropFirst())`"))
    }
}

// MARK: - Decisions that cannot be made as written (on_error, totality, calendar years, on_missing)

extension DiagnosticCode {
    package static let policyOnErrorAllows: DiagnosticCode = "policy-on-error-allows"
    package static let policyRefundNoCase: DiagnosticCode = "policy-refund-no-case"
    package static let policyCalendarYears: DiagnosticCode = "policy-calendar-years"
    package static let policyCalendarCoverageEnding: DiagnosticCode = "policy-calendar-coverage-ending"
    package static let policyMissingListUnhandled: DiagnosticCode = "policy-missing-list-unhandled"
}

extension PolicyMessages {
    /// `on_error: allow`: a problem would let a cancellation through.
    static func onErrorAllows(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyOnErrorAllows,
            .en(
                "`on_error` cannot be `allow`: a decision that could not be made in full must never allow",
                zh: "`on_error` 不能是 `allow`：未能完整做出的决定绝不能放行"),
            at: span,
            help: .en(
                "write `on_error: review` (a person decides) or `on_error: deny`",
                zh: "请写成 `on_error: review`（转人工审核）或 `on_error: deny`"))
    }

    /// A refund case table with no case for some value of an enum its cases test.
    static func noRefundCase(
        _ table: String, field: String, value: String, example: [(String, String)], at span: SourceSpan
    ) -> Diagnostic {
        let notes = example.isEmpty ? [] : [DiagnosticNote(.en(
            "for example when " + example.map { "`\($0.0)` = `\($0.1)`" }.joined(separator: ", "),
            zh: "例如当 " + example.map { "`\($0.0)` = `\($0.1)`" }.joined(separator: "，") + " 时"))]
        return .error(
            .policyRefundNoCase,
            .en("`\(table)` has no case for `\(field)` = `\(value)`", zh: "`\(table)` 没有 `\(field)` = `\(value)` 的情形"),
            at: span, notes: notes,
            help: .en(
                "add a case for `\(value)`, or leave it out in the refunds' `applies_when` (then no refund is paid)",
                zh: "请为 `\(value)` 添加一个情形，或在退款的 `applies_when` 中排除它（这样就不退款）"))
    }

    /// A refund case table whose cases test no enum and none of which surely holds.
    static func noRefundFallback(_ table: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyRefundNoCase,
            .en(
                "`\(table)` may have no case for a request: none of its cases surely holds",
                zh: "`\(table)` 可能对某些请求没有适用的情形：其中没有一个情形一定成立"),
            at: span,
            help: .en(
                "end `\(table)` with a case without `when`, which holds when no case above it does",
                zh: "请在 `\(table)` 末尾加一个不带 `when` 的情形，上面的情形都不成立时就用它"))
    }

    /// A listed holiday or make-up workday outside the calendar's `years`.
    static func dateOutsideYears(_ date: String, years: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyCalendarYears,
            .en("`\(date)` is outside the calendar's years `\(years)`", zh: "`\(date)` 不在日历的年份范围 `\(years)` 之内"),
            at: span,
            help: .en(
                "extend `years` once that year's holidays and make-up workdays are all listed",
                zh: "请先列全该年的节假日和调休工作日，再扩展 `years`"))
    }

    /// A calendar whose years end soon (or have ended), as of `today`.
    static func coverageEnding(_ calendar: String, lastDay: String, days: Int, today: String, at span: SourceSpan)
        -> Diagnostic
    {
        let when: DiagnosticText =
            days < 0
            ? .en("ended \(-days) day\(days == -1 ? "" : "s") ago", zh: "已于 \(-days) 天前结束")
            : .en("ends in \(days) day\(days == 1 ? "" : "s")", zh: "将在 \(days) 天后结束")
        return .warning(
            .policyCalendarCoverageEnding,
            .en(
                "calendar `\(calendar)`'s last covered day is \(lastDay): its coverage \(when.en) (today is \(today))",
                zh: "日历 `\(calendar)` 覆盖的最后一天是 \(lastDay)：其覆盖范围\(when.zh)（今天是 \(today)）"),
            at: span,
            help: .en(
                "add the next year's holidays and make-up workdays as published and extend `years`; until then a"
                    + " refund deadline after \(lastDay) is a `calendar-out-of-range` problem and goes to `on_error`",
                zh: "请按公布的安排添加下一年的节假日和调休工作日，并扩展 `years`；在此之前，晚于 \(lastDay) 的退款期限"
                    + "会产生 `calendar-out-of-range` 问题，并按 `on_error` 处理"))
    }

    /// A threshold counting a list a request may leave out, without `on_missing`.
    static func missingListUnhandled(_ threshold: String, list: String, optional: String, at span: SourceSpan)
        -> Diagnostic
    {
        .warning(
            .policyMissingListUnhandled,
            .en(
                "threshold `\(threshold)` counts `\(list)`, which a request may leave out (`\(optional)` is optional),"
                    + " and does not say what happens then",
                zh: "阈值 `\(threshold)` 统计 `\(list)`，但请求可能不提供它（`\(optional)` 是可选的），"
                    + "而该阈值没有说明这种情况下如何处理"),
            at: span,
            help: .en(
                "add `on_missing: review` (or `deny`); without it such a request gets the policy set's `on_error`",
                zh: "请添加 `on_missing: review`（或 `deny`）；否则这类请求会按策略集的 `on_error` 处理"))
    }

    // What policy values are, as `invalid(_:_:expected:)` names them.
    static let effectWord = DiagnosticText.en("effect", zh: "效果")
    static let effectChoices = DiagnosticText.en("`allow`, `deny` or `review`", zh: "`allow`、`deny` 或 `review`")
}

// MARK: - Values and what they should be, as the readers and compilers name them

extension PolicyMessages {
    static let requestListsWord = DiagnosticText.en("`request_lists`", zh: "`request_lists`")
    static let requestListsChoices = DiagnosticText.en("`accept` or `refuse`", zh: "`accept` 或 `refuse`")
    static let typeNameOrFields = DiagnosticText.en("a type name or a mapping of fields", zh: "类型名或字段映射")
    static let numberOrTimestamp = DiagnosticText.en("a number or a timestamp string", zh: "数字或时间戳字符串")
    static let textOrTextPerLocale = DiagnosticText.en(
        "a string, or a text per locale (`{en: …, zh-CN: …}`)", zh: "字符串，或按语言分别书写的文本（`{en: …, zh-CN: …}`）")
    static let aLocale = DiagnosticText.en("a locale", zh: "语言标记")
    static let aString = DiagnosticText.en("a string", zh: "字符串")
    static let aValue = DiagnosticText.en("a value", zh: "一个值")
    static let aCELExpression = DiagnosticText.en("a CEL expression", zh: "CEL 表达式")

    /// How a mapping is named in "unknown key … in rule".
    static func field(_ name: String) -> DiagnosticText { .en("field `\(name)`", zh: "字段 `\(name)`") }
    static func keyed(_ key: String) -> DiagnosticText { .en("`\(key)`", zh: "`\(key)`") }
    static func keyedCase(_ key: String) -> DiagnosticText { .en("`\(key)` case", zh: "`\(key)` 情形") }
    static let policyDocument = DiagnosticText.en("policy document", zh: "策略文档")
    static let ruleWord = DiagnosticText.en("rule", zh: "规则")
    static let thresholdWord = DiagnosticText.en("threshold", zh: "阈值")
    static let tierWord = DiagnosticText.en("tier", zh: "档位")
    static let feeCase = DiagnosticText.en("fee case", zh: "手续费情形")

    static func schemaWithoutRequest(at span: SourceSpan) -> Diagnostic {
        .error(.yamlMissingKey, .en("the schema has no `request` fields", zh: "schema 中没有 `request` 字段"), at: span)
    }

    static func notACondition(at span: SourceSpan) -> Diagnostic {
        .error(
            .yamlTypeMismatch,
            .en(
                "a condition is a CEL expression or one of `all:`, `any:` or `not:`",
                zh: "条件应为 CEL 表达式，或 `all:`、`any:`、`not:` 之一"),
            at: span,
            help: .en(
                "write `all:` with a list of conditions that must all hold", zh: "请写 `all:`，后面列出必须全部成立的条件"))
    }

    static func obligationWithoutType(at span: SourceSpan) -> Diagnostic {
        .error(.yamlMissingKey, .en("an obligation needs a `type`", zh: "义务需要 `type`"), at: span)
    }

    // What `invalid(_:_:expected:)` reports in calendars, thresholds and refunds.
    static let timeZoneWord = DiagnosticText.en("time zone", zh: "时区")
    static let timeZoneExpected = DiagnosticText.en(
        "an IANA time zone name such as `Asia/Shanghai`", zh: "IANA 时区名，例如 `Asia/Shanghai`")
    static let weekdayWord = DiagnosticText.en("weekday", zh: "星期")
    static let weekdayExpected = DiagnosticText.en("a weekday name such as `saturday`", zh: "星期的英文名，例如 `saturday`")
    static let yearsWord = DiagnosticText.en("years", zh: "年份范围")
    static let yearsExpected = DiagnosticText.en(
        "a year `2026` or a range of years `2025..2026`", zh: "单个年份 `2026` 或年份范围 `2025..2026`")
    static let dateWord = DiagnosticText.en("date", zh: "日期")
    static let dateExpected = DiagnosticText.en(
        "`YYYY-MM-DD` or a range `YYYY-MM-DD..YYYY-MM-DD`", zh: "`YYYY-MM-DD` 或日期范围 `YYYY-MM-DD..YYYY-MM-DD`")
    static let windowWord = DiagnosticText.en("window", zh: "时间窗口")
    static let windowExpected = DiagnosticText.en("a duration such as `720h` or `30d`", zh: "时长，例如 `720h` 或 `30d`")
    static let businessDaysWord = DiagnosticText.en("number of business days", zh: "工作日天数")
    static func fromZero(to maximum: Int) -> DiagnosticText { .en("0 to \(maximum)", zh: " 0 到 \(maximum)") }

    // What `invalid(_:_:expected:)` reports for a field's bounds and default.
    static func keyWord(_ key: String) -> DiagnosticText { .en(key, zh: "`\(key)`") }
    static let boundInteger = DiagnosticText.en("an integer such as `0`", zh: "整数，例如 `0`")
    static let boundDecimal = DiagnosticText.en(
        "a decimal such as `0` or `\"10000000.00\"`", zh: "十进制数，例如 `0` 或 `\"10000000.00\"`")
    static let boundTimestamp = DiagnosticText.en(
        "an RFC 3339 timestamp with an offset, such as `\"2000-01-01T00:00:00Z\"`",
        zh: "带时区偏移的 RFC 3339 时间戳，例如 `\"2000-01-01T00:00:00Z\"`")
    static let defaultWord = DiagnosticText.en("default", zh: "默认值")
    static func oneOf(_ values: [String]) -> DiagnosticText {
        let list = Suggestions.quoted(values)
        return .en("one of \(list.en)", zh: " \(list.zh) 之一")
    }
    static let anInteger = DiagnosticText.en("an integer", zh: "整数")
    static let trueOrFalse = DiagnosticText.en("`true` or `false`", zh: "`true` 或 `false`")
    static let decimalLike = DiagnosticText.en("a decimal like `0.00`", zh: "十进制数，例如 `0.00`")
    static let defaultOnlyFor = DiagnosticText.en(
        "a default only for string, enum, int, bool or decimal fields", zh: "只有 string、enum、int、bool 或 decimal 字段才能有默认值")

    // How an expression is named in "… must be a `bool`, found `int`".
    static func roleKey(_ key: String) -> DiagnosticText { .en("`\(key)`", zh: "`\(key)`") }
    static let roleCondition = DiagnosticText.en("a condition", zh: "条件")
    static let roleMessageValue = DiagnosticText.en("a message value", zh: "消息中的值")
    static let roleCount = DiagnosticText.en("the count", zh: "计数")
    static let roleFee = DiagnosticText.en("a fee", zh: "手续费")
    static let roleCountedTimestamps = DiagnosticText.en("the counted items' timestamps", zh: "所计各项的时间戳")

    static func resultType(role: DiagnosticText, expected: String, found: String, at span: SourceSpan) -> Diagnostic {
        .error(
            "cel-result-type",
            .en("\(role.en) must be a `\(expected)`, found `\(found)`", zh: "\(role.zh)的结果必须是 `\(expected)`，实际是 `\(found)`"),
            at: span)
    }
}

// MARK: - Reasons and message templates

extension PolicyMessages {
    static func missingReason(at span: SourceSpan, locales: [String]) -> Diagnostic {
        let list = Suggestions.quoted(locales, .and)
        return .error(
            .yamlMissingKey, .en("missing `reason`", zh: "缺少 `reason`"), at: span,
            help: .en("give a reason in each of \(list.en)", zh: "请用 \(list.zh) 分别写出原因"))
    }

    static func unclosedHole(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidValue, .en("unclosed `{` in a message", zh: "消息中的 `{` 没有闭合"), at: span,
            help: .en(
                "a `{` starts a CEL expression that ends at the next `}`", zh: "`{` 开始一个 CEL 表达式，到下一个 `}` 结束"))
    }

    static func countNotAList(found: String, at span: SourceSpan) -> Diagnostic {
        .error(
            "cel-result-type",
            .en("`count` must be a list, found `\(found)`", zh: "`count` 的结果必须是列表，实际是 `\(found)`"), at: span)
    }
}
