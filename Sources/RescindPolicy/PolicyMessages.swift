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

/// The policy layer's messages: lowercase, user input in backticks, a `help:` where it helps.
enum PolicyMessages {
    static func noFiles(_ paths: [String]) -> Diagnostic {
        .error(
            .policyNoFiles, "no policy files found in \(paths.map { "`\($0)`" }.joined(separator: ", "))", at: nil,
            help: "policy files end in `.yaml` or `.yml` (`*.tests.yaml` files are tests)")
    }

    static func unreadable(_ path: String, _ reason: String) -> Diagnostic {
        .error(.policyNoFiles, "cannot read `\(path)`: \(reason)", at: nil)
    }

    static func unknownKind(_ kind: String, at span: SourceSpan) -> Diagnostic {
        let kinds = documentKinds
        // A test file named directly (a glob such as `Policies/*.yaml` picks them up).
        let testHelp = ["tests", "fixtures"].contains(kind)
            ? "this is a policy test file: run it with `rescind test`; folders skip `*.tests.yaml` files" : nil
        return .error(
            .policyUnknownKind, "unknown document kind `\(kind)`", at: span,
            help: testHelp ?? Suggestions.didYouMean(kind, in: kinds) ?? "expected one of \(Suggestions.quotedList(kinds))")
    }

    /// A file with no document: often one caught half-written, so never an empty part of the set.
    static func emptyFile(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyEmptyFile, "the policy file is empty", at: span,
            help: "a policy file holds at least one document with a `kind`; delete the file if it is not needed")
    }

    /// A `---` followed by nothing.
    static func emptyDocument(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyEmptyFile, "an empty document", at: span,
            help: "remove the extra `---`, or give the document a `kind`")
    }

    static func missingKind(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyMissingKind, "the document has no `kind`", at: span,
            help: "start it with `kind:` and one of \(Suggestions.quotedList(documentKinds))")
    }

    static func fileNotListed(_ name: String, at span: SourceSpan, listedAt list: SourceSpan, listed: [String]) -> Diagnostic {
        .error(
            .policyFileNotListed, "`\(name)` is not listed in the policy set's `files`", at: span,
            notes: [DiagnosticNote("the list is here", span: list)],
            help: Suggestions.didYouMean(name, in: listed).map { "\($0) rename the file, or add `\(name)` to `files`" }
                ?? "add `\(name)` to `files`, or remove the file if it does not belong to the set")
    }

    static func listedFileMissing(_ name: String, at span: SourceSpan, present: [String]) -> Diagnostic {
        .error(
            .policyListedFileMissing, "`\(name)` is listed in `files` but is not in the policy set", at: span,
            help: Suggestions.didYouMean(name, in: present) ?? "add the file, or remove it from `files`")
    }

    static let documentKinds = ["policy_set", "schema", "calendar", "rules", "thresholds", "refunds"]

    static func missingDocument(_ kind: String) -> Diagnostic {
        .error(
            .policyMissingDocument, "the policy set has no `kind: \(kind)` document", at: nil,
            help: "add a file with `kind: \(kind)`; see docs/policy-language.md")
    }

    static func duplicateDocument(_ kind: String, at span: SourceSpan, first: SourceSpan) -> Diagnostic {
        .error(
            .policyDuplicateDocument, "a second `kind: \(kind)` document; a policy set has one", at: span,
            notes: [DiagnosticNote("the first one is here", span: first)])
    }

    static func invalid(_ what: String, _ value: String, expected: String, at span: SourceSpan, help: String? = nil)
        -> Diagnostic
    {
        .error(.policyInvalidValue, "invalid \(what) `\(value)`: expected \(expected)", at: span, help: help)
    }

    static func boundOnUnorderedType(_ key: String, field: String, type: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidRange, "`\(key)` on field `\(field)` of type `\(type)`", at: span,
            help: "`minimum` and `maximum` apply to `int`, `decimal` and `timestamp` fields")
    }

    static func emptyRange(field: String, minimum: String, maximum: String, at span: SourceSpan, minimumSpan: SourceSpan?)
        -> Diagnostic
    {
        .error(
            .policyInvalidRange, "field `\(field)` has `maximum` `\(maximum)` below its `minimum` `\(minimum)`", at: span,
            notes: minimumSpan.map { [DiagnosticNote("the minimum is here", span: $0)] } ?? [],
            help: "no value could pass; both bounds are inclusive")
    }

    static func defaultOutOfRange(_ value: String, field: String, range: FieldBounds, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidRange, "the default `\(value)` of field `\(field)` is outside its range \(range.text)", at: span,
            help: "a default must be a value the request itself could send")
    }

    static func duplicateID(_ id: String, at span: SourceSpan, first: SourceSpan) -> Diagnostic {
        .error(
            .policyDuplicateID, "duplicate id `\(id)`", at: span,
            notes: [DiagnosticNote("`\(id)` is first defined here", span: first)],
            help: "rule, threshold and tier ids must be unique across the policy set")
    }

    static func unknownType(_ name: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownType, "unknown type `\(name)`", at: span,
            help: Suggestions.didYouMean(name, in: known)
                ?? "expected string, int, bool, decimal, timestamp, duration, list(T), map(string, T), an enum or a type name")
    }

    static func unknownCalendar(_ name: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownCalendar, "unknown calendar `\(name)`", at: span,
            help: Suggestions.didYouMean(name, in: known)
                ?? (known.isEmpty ? "no `kind: calendar` document defines any calendar" : "known calendars: \(Suggestions.quotedList(known, conjunction: "and"))"))
    }

    // MARK: history

    static func historyListNotAField(_ list: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyInvalidValue, "`history.list` `\(list)` is not a field path of the request", at: span,
            help: Suggestions.didYouMean(list.split(separator: ".").last.map(String.init) ?? list, in: known))
    }

    static func historyListNotAList(_ list: String, found: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidValue, "`history.list` `\(list)` must be a list of objects, found `\(found)`", at: span)
    }

    static func historyItemField(_ name: String, kind: String, list: String, found: String?, at span: SourceSpan)
        -> Diagnostic
    {
        let what = found.map { "is `\($0)`" } ?? "is missing"
        return .error(
            .policyInvalidValue,
            "the items of `\(list)` need a field `\(name)` of \(kind == "enum" ? "an enum" : "type `\(kind)`") for the history store; it \(what)",
            at: span, help: "history items carry `order_id` (string), `at` (timestamp), `initiator` and `reason` (enums)")
    }

    static func historyListNotCounted(_ list: String, at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyInvalidValue, "no threshold counts `\(list)`, so the history store would supply it for nothing",
            at: span, help: "count it in a threshold (`count: \(list)`), or remove `history`")
    }

    static func historyUnavailableAllows(at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyInvalidValue,
            "`on_history_unavailable: allow` lets every cancellation through uncounted while the history store is down",
            at: span, help: "`review` (the default) or `deny` keeps repeat cancellers in check during an outage")
    }

    static func historyUnavailableWithoutHistory(at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidValue, "`on_history_unavailable` has no effect: the policy set declares no `history`",
            at: span, help: "add a `history:` section, or remove `on_history_unavailable`")
    }

    static func unknownThreshold(_ name: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownThreshold, "`suspends` names an unknown threshold `\(name)`", at: span,
            help: Suggestions.didYouMean(name, in: known))
    }

    static func tiersOutOfOrder(_ tier: String, _ atLeast: Int, after previous: String, _ previousAtLeast: Int, at span: SourceSpan, previousSpan: SourceSpan) -> Diagnostic {
        .error(
            .policyTiersOutOfOrder,
            "tier `\(tier)` starts at \(atLeast), not above the previous tier `\(previous)` (\(previousAtLeast))", at: span,
            notes: [DiagnosticNote("`\(previous)` starts here", span: previousSpan)],
            help: "list tiers by strictly increasing `at_least`")
    }

    /// `kind` is what the texts are: a `reason` (which needs every locale) or a
    /// `description` written per locale (which could be one string for all instead).
    static func missingLocale(_ locale: String, at span: SourceSpan, kind: String = "reason") -> Diagnostic {
        .error(
            .policyMissingLocale, "the \(kind) has no `\(locale)` text", at: span,
            help: kind == "reason"
                ? "every reason needs a text for each of the policy set's `locales`"
                : "a \(kind) written per locale needs a text for each of the policy set's `locales` (or write one string for all of them)")
    }

    static func neverMatches(_ rule: String, path: String, first: String, second: String, at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyNeverMatches,
            "rule `\(rule)` can never match: `\(path)` cannot be both \(first) and \(second)", at: span,
            help: "did you mean `any:` instead of `all:`?")
    }

    static func shadowed(_ rule: String, by other: String, effect: String, at span: SourceSpan, otherSpan: SourceSpan) -> Diagnostic {
        .warning(
            .policyShadowed,
            "rule `\(rule)` never decides: whenever it matches, rule `\(other)` also matches and its `\(effect)` wins",
            at: span, notes: [DiagnosticNote("`\(other)` is here", span: otherSpan)])
    }

    static func unknownObligation(_ type: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownObligation, "unknown obligation type `\(type)`", at: span,
            help: Suggestions.didYouMean(type, in: known) ?? "expected one of \(Suggestions.quotedList(known))")
    }

    // MARK: - Constants checked at load

    /// A call with literal arguments only that fails: it would fail on every request.
    static func invalidConstant(_ failure: ConstantChecks.Failure, at span: SourceSpan) -> Diagnostic {
        let quoted = failure.literal.map { "`\(celString($0))`" }
        switch (failure.function, failure.literal) {
        case ("duration", let text?):
            let help: String
            if let fix = ConstantFixes.duration(text) {
                help = fix.hadDays
                    ? "CEL durations have no days: write \(celString(fix.fix))"
                    : "write \(celString(fix.fix))"
            } else {
                help = "a CEL duration is a number and a unit `h`, `m`, `s` or `ms`, such as \"30m\" or \"1h30m\""
            }
            return .error(.policyInvalidConstant, "\(quoted!) is not a CEL duration", at: span, help: help)
        case ("decimal", let text?):
            return .error(
                .policyInvalidConstant, "\(quoted!) is not a decimal number", at: span,
                help: ConstantFixes.decimal(text).map { "write \(celString($0))" }
                    ?? "a decimal is digits with an optional sign and a `.` before the fraction, such as \"129.99\"")
        case ("timestamp", let text?):
            return .error(
                .policyInvalidConstant, "\(quoted!) is not an RFC 3339 timestamp", at: span,
                help: ConstantFixes.timestamp(text).map {
                    "write \(celString($0)) (a timestamp needs a time and a UTC offset; `Z` is UTC)"
                } ?? "write a date, a time and a UTC offset, such as \"2026-01-01T00:00:00Z\" or \"2026-01-01T00:00:00+08:00\"")
        case ("matches", let text?):
            return .error(
                .policyInvalidConstant, "invalid regular expression \(quoted ?? "`\(text)`")", at: span,
                notes: [DiagnosticNote(failure.message)],
                help: "CEL patterns use RE2 syntax: https://github.com/google/re2/wiki/Syntax")
        default:
            return .error(
                .policyInvalidConstant, "`\(failure.call)` fails for every request: \(failure.message)", at: span,
                help: "its arguments are all constants, so it is evaluated when the policies load")
        }
    }

    /// A string as a CEL literal, for messages.
    private static func celString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    // MARK: - Obligation fields

    static func unknownRecipient(_ name: String, in type: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .policyUnknownRecipient, "unknown recipient `\(name)` in a `\(type)` obligation", at: span,
            help: Suggestions.didYouMean(name, in: known) ?? "expected one of \(Suggestions.quotedList(known))")
    }

    static func unknownObligationKey(_ key: String, in type: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .yamlUnknownKey, "unknown key `\(key)` in a `\(type)` obligation", at: span,
            help: Suggestions.didYouMean(key, in: known) ?? "expected \(Suggestions.quotedList(known))")
    }

    static func missingObligationKey(_ key: String, in type: String, at span: SourceSpan) -> Diagnostic {
        .error(.yamlMissingKey, "a `\(type)` obligation needs `\(key)`", at: span)
    }

    static func invalidWholeNumber(_ text: String, key: String, range: ClosedRange<Int64>, at span: SourceSpan) -> Diagnostic {
        let help = ConstantFixes.number(text).flatMap { range.contains(Int64($0)) ? "write `\($0)`" : nil }
        return .error(
            .policyInvalidValue,
            "invalid `\(key)` `\(text)`: expected a whole number from \(range.lowerBound) to \(range.upperBound)",
            at: span, help: help)
    }

    static func invalidObligationDuration(_ text: String, key: String, at span: SourceSpan) -> Diagnostic {
        let fix = ConstantFixes.duration(text, days: true)?.fix
        let isZeroOrLess = PolicyDuration.parse(text) != nil
        return .error(
            .policyInvalidValue,
            isZeroOrLess
                ? "invalid `\(key)` `\(text)`: expected a duration of more than zero"
                : "invalid `\(key)` `\(text)`: expected a duration such as `24h`, `30m` or `14d`",
            at: span, help: isZeroOrLess ? nil : fix.map { "write `\($0)`" })
    }

    static func negativeAmount(_ amount: String, key: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyInvalidValue, "`\(key)` is `\(amount)`: expected zero or more", at: span,
            help: "an obligation's amount is what is owed; it cannot be negative")
    }

    static func invalidCurrencyCode(_ code: String, at span: SourceSpan) -> Diagnostic {
        let upper = code.uppercased()
        let fixed = upper.count == 3 && upper.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
        return .error(
            .policyInvalidValue, "invalid currency `\(code)`: expected a three-letter ISO 4217 code", at: span,
            help: fixed ? "write `\"\(upper)\"`" : "write a code such as `\"CNY\"`, or `order.currency` for the order's")
    }

    // MARK: - Calendars

    static func holidayIsWorkday(_ date: String, at span: SourceSpan, holiday: SourceSpan) -> Diagnostic {
        .error(
            .policyCalendarConflict, "`\(date)` is both a holiday and a make-up workday", at: span,
            notes: [DiagnosticNote("the holiday is listed here", span: holiday)],
            help: "copy the dates from the notice again: a day is either off or worked")
    }

    static func holidayOnWeekend(_ entry: String, weekdays: [String], at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyCalendarNoEffect,
            "holiday `\(entry)` falls only on \(weekdays.joined(separator: " and ")), already days off", at: span,
            help: "check the date against the notice; a holiday listed here changes nothing")
    }

    static func workdayNotWeekend(_ date: String, weekday: String, at span: SourceSpan) -> Diagnostic {
        .warning(
            .policyCalendarNoEffect,
            "make-up workday `\(date)` is a \(weekday), already a workday", at: span,
            help: "make-up workdays are weekend days that are worked; check the date against the notice")
    }

    // MARK: - Reasons

    static func unknownLocale(_ locale: String, at span: SourceSpan, locales: [String]) -> Diagnostic {
        let help = policyLocale(matching: locale, in: locales).map { "write `\($0)`" }
            ?? Suggestions.didYouMean(locale, in: locales)
            ?? "add `\(locale)` to `locales` in the policy set (policy-set.yaml), or remove this text"
        return .error(
            .policyUnknownLocale,
            "`\(locale)` is not one of the policy set's locales (\(Suggestions.quotedList(locales, conjunction: "and")))",
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
            .policyEmptyReason, "the `\(locale)` text is empty", at: span,
            help: "write the text people read in `\(locale)`")
    }

    // MARK: - YAML read as something else

    static func tagInExpression(_ tag: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyYAMLTagInExpression,
            "`\(tag)` is read as a YAML tag, not as part of the expression", at: span,
            help: "quote the condition (`\"\(tag)\"`) or write `not: \(tag.dropFirst())`")
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
            .policyOnErrorAllows, "`on_error` cannot be `allow`: a decision that could not be made in full must never allow",
            at: span, help: "write `on_error: review` (a person decides) or `on_error: deny`")
    }

    /// A refund case table with no case for some value of an enum its cases test.
    static func noRefundCase(
        _ table: String, field: String, value: String, example: [(String, String)], at span: SourceSpan
    ) -> Diagnostic {
        let notes = example.isEmpty ? [] : [DiagnosticNote(
            "for example when " + example.map { "`\($0.0)` = `\($0.1)`" }.joined(separator: ", "))]
        return .error(
            .policyRefundNoCase, "`\(table)` has no case for `\(field)` = `\(value)`", at: span, notes: notes,
            help: "add a case for `\(value)`, or leave it out in the refunds' `applies_when` (then no refund is paid)")
    }

    /// A refund case table whose cases test no enum and none of which surely holds.
    static func noRefundFallback(_ table: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyRefundNoCase, "`\(table)` may have no case for a request: none of its cases surely holds", at: span,
            help: "end `\(table)` with a case without `when`, which holds when no case above it does")
    }

    /// A listed holiday or make-up workday outside the calendar's `years`.
    static func dateOutsideYears(_ date: String, years: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .policyCalendarYears, "`\(date)` is outside the calendar's years `\(years)`", at: span,
            help: "extend `years` once that year's holidays and make-up workdays are all listed")
    }

    /// A calendar whose years end soon (or have ended), as of `today`.
    static func coverageEnding(_ calendar: String, lastDay: String, days: Int, today: String, at span: SourceSpan)
        -> Diagnostic
    {
        let when = days < 0 ? "ended \(-days) day\(days == -1 ? "" : "s") ago" : "ends in \(days) day\(days == 1 ? "" : "s")"
        return .warning(
            .policyCalendarCoverageEnding,
            "calendar `\(calendar)`'s last covered day is \(lastDay): its coverage \(when) (today is \(today))", at: span,
            help: "add the next year's holidays and make-up workdays as published and extend `years`; until then a"
                + " refund deadline after \(lastDay) is a `calendar-out-of-range` problem and goes to `on_error`")
    }

    /// A threshold counting a list a request may leave out, without `on_missing`.
    static func missingListUnhandled(_ threshold: String, list: String, optional: String, at span: SourceSpan)
        -> Diagnostic
    {
        .warning(
            .policyMissingListUnhandled,
            "threshold `\(threshold)` counts `\(list)`, which a request may leave out (`\(optional)` is optional),"
                + " and does not say what happens then",
            at: span,
            help: "add `on_missing: review` (or `deny`); without it such a request gets the policy set's `on_error`")
    }
}
