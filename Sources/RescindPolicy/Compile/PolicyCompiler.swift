import CEL
import CELCommon
import CELParser
import CELRuntime
import Foundation
import RescindCELLibrary
import RescindDiagnostics
import RescindEngine

/// The result of checking and compiling a policy model: a policy set when there were
/// no errors, and every diagnostic (warnings too) either way.
package struct PolicyCompileResult: Sendable {
    package let policySet: PolicySet?
    package let diagnostics: Diagnostics
}

/// Checks a `PolicyModel` and compiles it into an immutable `PolicySet`. Every problem
/// is collected; a set with any error is never produced.
package struct PolicyCompiler {
    /// How a policy set is compiled.
    package struct Options: Sendable {
        /// Decide enum tests, plain field reads and window counts natively wherever the
        /// compiler proves them equivalent to the CEL (the default). Off, every condition
        /// runs through CEL: for differential tests and for ruling the shortcuts out.
        package var shortcuts: Bool
        /// The day to measure calendars' coverage against: `rescind check` gives today,
        /// and then warns about a calendar whose `years` end within
        /// `calendarWarningDays`. Nil (the default) for every other load: deciding never
        /// reads the wall clock.
        package var today: CivilDate?
        /// The longest condition accepted, in UTF-8 bytes (`--max-expression-length`).
        package var maxExpressionLength: Int = CELParser.Options().maxLength
        /// The deepest nesting a condition may have (`--max-expression-depth`).
        package var maxExpressionDepth: Int = CELParser.Options().maxDepth

        package init(shortcuts: Bool = true, today: CivilDate? = nil) {
            self.shortcuts = shortcuts
            self.today = today
        }
    }

    /// How soon before a calendar's last covered day `rescind check` warns.
    package static let calendarWarningDays = 60

    var diagnostics = Diagnostics()
    /// Rule, threshold and tier ids seen so far: one namespace across the policy set.
    private var claimedIDs: [String: SourceSpan] = [:]
    private let options: Options

    package init(options: Options = Options()) { self.options = options }

    private mutating func claim(_ id: Located<String>) {
        if let first = claimedIDs[id.value] {
            diagnostics.append(PolicyMessages.duplicateID(id.value, at: id.span, first: first))
        } else {
            claimedIDs[id.value] = id.span
        }
    }

    package mutating func compile(_ model: PolicyModel, digest: String) -> PolicyCompileResult {
        guard let header = model.header else {
            diagnostics.append(PolicyMessages.missingDocument("policy_set"))
            return finish(nil)
        }
        guard let schemaModel = model.schema else {
            diagnostics.append(PolicyMessages.missingDocument("schema"))
            return finish(nil)
        }
        var schemaCompiler = SchemaCompiler()
        let schema = schemaCompiler.compile(schemaModel)
        diagnostics.append(contentsOf: schemaCompiler.diagnostics)

        let calendars = compileCalendars(model.calendars)
        let rootFields = schema.root.fields
        var variables: [String: CELType] = [PolicySet.requestVariable: .object(schema.root)]
        for field in rootFields { variables[field.name] = field.type }
        let globals = [PolicySet.requestVariable] + rootFields.map(\.name)
            + [PolicySet.feeVariable, PolicySet.countVariable]
        var environment = CELEnvironment(variables: variables, libraries: [.rescind(calendars: calendars)])
        environment.parserOptions.maxLength = options.maxExpressionLength
        environment.parserOptions.maxDepth = options.maxExpressionDepth
        environment.sharedGlobals = globals
        let requestVariables = Set([PolicySet.requestVariable] + rootFields.map(\.name))
        let shortcuts = ShortcutFinder(schema: schema, enabled: options.shortcuts)
        var expressions = ExpressionCompiler(
            environment: environment, requestVariables: requestVariables, calendars: calendars.names,
            shortcuts: shortcuts)

        var rules: [Rule] = []
        for rule in model.rules {
            claim(rule.id)
            let condition = rule.when.flatMap { compileCondition($0, expressions) }
            let reason = compileMessage(rule.reason, locales: header.locales, at: rule.span, expressions)
            let obligations = rule.obligations.compactMap { compileObligation($0, expressions) }
            let description = compileDescription(rule.description, locales: header.locales)
            guard let condition, let reason else { continue }
            rules.append(Rule(
                id: rule.id.value, description: description, condition: condition, effect: rule.effect.value,
                reason: reason, obligations: obligations, suspends: rule.suspends.map(\.value),
                location: reference(rule.id.span)))
        }

        var thresholds: [Threshold] = []
        for threshold in model.thresholds {
            claim(threshold.id)
            if let compiled = compileThreshold(threshold, header: header, schema: schema, &expressions) {
                thresholds.append(compiled)
            }
        }
        let thresholdIDs = model.thresholds.map(\.id.value)
        for rule in model.rules {
            for name in rule.suspends where !thresholdIDs.contains(name.value) {
                diagnostics.append(PolicyMessages.unknownThreshold(name.value, at: name.span, known: thresholdIDs))
            }
        }

        var refunds: RefundPolicy?
        if let model = model.refunds {
            refunds = compileRefunds(model, calendars: calendars, expressions)
            checkTotality(model, shortcuts)
        }

        let defaultReason = compileMessage(header.defaultReason, locales: header.locales, at: header.span, expressions)
            ?? LocalizedMessage(byLocale: [:])
        let conditions = expressions.cache
        diagnostics.append(contentsOf: StaticChecks(shortcuts: shortcuts) { source in
            conditions.entries[ExpressionCache.Key(source: source, expecting: .bool)]?.program.parsed.expr
        }.check(model.rules))
        var onError = ProblemEffect.standardOnError
        if let written = header.onError {
            if written.effect.value == .allow { diagnostics.append(PolicyMessages.onErrorAllows(at: written.effect.span)) }
            onError = compileProblemEffect(written, locales: header.locales, expressions) ?? onError
        }

        let history = header.history.flatMap {
            compileHistory($0, header: header, schema: schema, thresholds: thresholds, expressions)
        }
        if header.history == nil, let written = header.onHistoryUnavailable {
            diagnostics.append(PolicyMessages.historyUnavailableWithoutHistory(at: written.span))
        }

        let set = PolicySet(
            name: header.name.value, version: header.version.value, digest: digest, files: model.files,
            schema: schema, globals: globals, rules: rules, thresholds: thresholds, refunds: refunds,
            defaultEffect: header.defaultEffect.value, defaultReason: defaultReason,
            onError: onError, calendars: calendars, history: history,
            enumFieldCount: shortcuts.enumFieldCount, numberFieldCount: shortcuts.numberFieldCount,
            arena: shortcuts.arena)
        return finish(set)
    }

    /// `history:`: the list must be a request field path to a list of objects that carry
    /// a history item's fields, counted by some threshold (the store is asked for the
    /// longest window counted); `buyer` must be a `string`.
    private mutating func compileHistory(
        _ model: HistoryModel, header: PolicySetHeader, schema: RequestSchema, thresholds: [Threshold],
        _ expressions: ExpressionCompiler
    ) -> HistorySupply? {
        let listText = model.list.source.trimmingCharacters(in: .whitespaces)
        let path = listText.split(separator: ".").map(String.init)
        var type: ObjectType? = schema.root
        var itemType: ObjectType?
        for (index, name) in path.enumerated() {
            guard let object = type, let slot = object.slot(of: name) else {
                diagnostics.append(PolicyMessages.historyListNotAField(
                    listText, at: model.list.span, known: type?.fields.map(\.name) ?? []))
                return nil
            }
            let fieldType = object.fields[slot].type
            if index == path.count - 1 {
                guard case .list(.object(let item)) = fieldType else {
                    diagnostics.append(PolicyMessages.historyListNotAList(listText, found: "\(fieldType)", at: model.list.span))
                    return nil
                }
                itemType = item
            } else if case .object(let next) = fieldType {
                type = next
            } else {
                type = nil
            }
        }
        guard let itemType else { return nil }
        for (name, kind) in HistorySupply.itemFields {
            let declared = itemType.slot(of: name).map { itemType.fields[$0].type }
            let matches = switch (declared, kind) {
            case (.string?, "string"), (.timestamp?, "timestamp"), (.enumString?, "enum"): true
            default: false
            }
            if !matches {
                diagnostics.append(PolicyMessages.historyItemField(
                    name, kind: kind, list: listText, found: declared.map { "\($0)" }, at: model.list.span))
            }
        }
        // `countedList` is the count's source, then ` where ` and the filter if any.
        let windows = thresholds.filter { $0.countedList == listText || $0.countedList.hasPrefix(listText + " where ") }
            .map(\.window)
        guard let window = windows.max(by: { ($0.seconds, $0.nanos) < ($1.seconds, $1.nanos) }) else {
            diagnostics.append(PolicyMessages.historyListNotCounted(listText, at: model.list.span))
            return nil
        }
        guard let buyer = expressions.compile(model.buyer, expecting: .string, role: PolicyMessages.roleKey("buyer"), diagnostics: &diagnostics)
        else { return nil }
        var onUnavailable = ProblemEffect.standardOnHistoryUnavailable(.review)
        if let written = header.onHistoryUnavailable {
            if written.effect.value == .allow {
                diagnostics.append(PolicyMessages.historyUnavailableAllows(at: written.effect.span))
            }
            onUnavailable = compileProblemEffect(written, locales: header.locales, expressions)
                ?? onUnavailable
            if written.reason == nil { onUnavailable = .standardOnHistoryUnavailable(written.effect.value) }
        }
        return HistorySupply(
            list: listText, path: path, itemType: itemType, buyer: buyer.expression, window: window,
            onUnavailable: onUnavailable, refusesRequestLists: model.requestLists?.value == "refuse",
            location: reference(model.span))
    }

    private func finish(_ set: PolicySet?) -> PolicyCompileResult {
        PolicyCompileResult(policySet: diagnostics.hasErrors ? nil : set, diagnostics: diagnostics)
    }

    private func reference(_ span: SourceSpan) -> SourceReference {
        SourceReference(file: span.file, line: span.start.line, column: span.start.column)
    }

    // MARK: - Calendars

    private mutating func compileCalendars(_ models: [CalendarModel]) -> CalendarRegistry {
        var registry = CalendarRegistry()
        var seen: [String: SourceSpan] = [:]
        let weekdays = ["monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7]
        for model in models {
            if let first = seen[model.name.value] {
                diagnostics.append(PolicyMessages.duplicateID(model.name.value, at: model.name.span, first: first))
                continue
            }
            seen[model.name.value] = model.name.span
            guard let zone = TimeZone(identifier: model.timeZone.value) else {
                diagnostics.append(PolicyMessages.invalid(
                    PolicyMessages.timeZoneWord, model.timeZone.value, expected: PolicyMessages.timeZoneExpected,
                    at: model.timeZone.span))
                continue
            }
            var weekend: Set<Int> = []
            for day in model.weekend {
                guard let number = weekdays[day.value.lowercased()] else {
                    diagnostics.append(PolicyMessages.invalid(
                        PolicyMessages.weekdayWord, day.value, expected: PolicyMessages.weekdayExpected, at: day.span,
                        help: Suggestions.didYouMean(day.value.lowercased(), in: weekdays.keys)))
                    continue
                }
                weekend.insert(number)
            }
            let holidays = dates(model.holidays)
            let workdays = dates(model.workdays)
            checkCalendarDays(holidays: holidays, workdays: workdays, weekend: weekend)
            let holidayDays = days(holidays), workdayDays = days(workdays)
            let years = coveredYears(model, listed: holidayDays.union(workdayDays))
            registry.add(BusinessCalendar(
                name: model.name.value, timeZone: zone, weekend: weekend, holidays: holidayDays,
                makeUpWorkdays: workdayDays, years: years))
        }
        return registry
    }

    /// The years a calendar covers: `years: 2025..2026` (or `2026`) as written; when not
    /// written, from the first to the last year its dates list; every year when it
    /// lists none (weekends only). A listed date outside written years is an error, and
    /// with `Options.today` a coverage ending soon is a warning.
    private mutating func coveredYears(_ model: CalendarModel, listed: Set<CivilDate>) -> ClosedRange<Int>? {
        var years: ClosedRange<Int>?
        if let written = model.years {
            let parts = written.value.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = parts.map { part in part.count == 4 && part.allSatisfy(\.isASCII) ? Int(part) : nil }
            guard (1...2).contains(parts.count), let first = numbers.first ?? nil, let last = numbers.last ?? nil,
                first >= 1, first <= last, last <= 9999
            else {
                diagnostics.append(PolicyMessages.invalid(
                    PolicyMessages.yearsWord, written.value, expected: PolicyMessages.yearsExpected, at: written.span))
                return nil
            }
            years = first...last
            let text = first == last ? "\(first)" : "\(first)..\(last)"
            for item in model.holidays + model.workdays {
                // Each listed entry's own dates (a range's ends are enough: ranges are under a year).
                let ends = item.value.components(separatedBy: "..").compactMap {
                    CivilDate(iso: $0.trimmingCharacters(in: .whitespaces))
                }
                if let outside = ends.first(where: { !(first...last).contains($0.year) }) {
                    diagnostics.append(PolicyMessages.dateOutsideYears(outside.description, years: text, at: item.span))
                }
            }
        } else if let earliest = listed.min(), let latest = listed.max() {
            years = earliest.year...latest.year
        }
        if let years, let today = options.today, let lastDay = CivilDate(year: years.upperBound, month: 12, day: 31) {
            let days = lastDay.daysSinceEpoch - today.daysSinceEpoch
            if days < Self.calendarWarningDays {
                diagnostics.append(PolicyMessages.coverageEnding(
                    model.name.value, lastDay: lastDay.description, days: days, today: today.description,
                    at: model.years?.span ?? model.name.span))
            }
        }
        return years
    }

    /// The days (since the epoch) of each entry: a date, or an inclusive range
    /// `2026-10-01..2026-10-07`; an entry that is neither is reported and left out.
    private mutating func dates(_ items: [Located<String>]) -> [(entry: Located<String>, days: ClosedRange<Int>)] {
        var result: [(entry: Located<String>, days: ClosedRange<Int>)] = []
        for item in items {
            let parts = item.value.components(separatedBy: "..")
            let bounds = parts.map { CivilDate(iso: $0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(parts.count), let first = bounds.first ?? nil, let last = bounds.last ?? nil,
                first <= last, last.daysSinceEpoch - first.daysSinceEpoch < 366
            else {
                diagnostics.append(PolicyMessages.invalid(
                    PolicyMessages.dateWord, item.value, expected: PolicyMessages.dateExpected, at: item.span))
                continue
            }
            result.append((item, first.daysSinceEpoch...last.daysSinceEpoch))
        }
        return result
    }

    private func days(_ entries: [(entry: Located<String>, days: ClosedRange<Int>)]) -> Set<CivilDate> {
        Set(entries.flatMap { $0.days.map(CivilDate.init(daysSinceEpoch:)) })
    }

    /// A day both off and worked is an error; a holiday only on weekend days and a
    /// make-up workday on a weekday change nothing, so they are likely wrong dates.
    private mutating func checkCalendarDays(
        holidays: [(entry: Located<String>, days: ClosedRange<Int>)],
        workdays: [(entry: Located<String>, days: ClosedRange<Int>)], weekend: Set<Int>
    ) {
        let names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        func weekday(_ day: Int) -> Int { CivilDate(daysSinceEpoch: day).weekday }
        for holiday in holidays where holiday.days.allSatisfy({ weekend.contains(weekday($0)) }) {
            let weekdays = Set(holiday.days.map(weekday)).sorted().map { names[$0 - 1] }
            diagnostics.append(PolicyMessages.holidayOnWeekend(
                holiday.entry.value, weekdays: weekdays, at: holiday.entry.span))
        }
        for workday in workdays {
            if let day = workday.days.first(where: { day in holidays.contains { $0.days.contains(day) } }),
                let holiday = holidays.first(where: { $0.days.contains(day) })
            {
                diagnostics.append(PolicyMessages.holidayIsWorkday(
                    CivilDate(daysSinceEpoch: day).description, at: workday.entry.span, holiday: holiday.entry.span))
            } else if let day = workday.days.first(where: { !weekend.contains(weekday($0)) }) {
                diagnostics.append(PolicyMessages.workdayNotWeekend(
                    CivilDate(daysSinceEpoch: day).description, weekday: names[weekday(day) - 1], at: workday.entry.span))
            }
        }
    }

    // MARK: - Conditions and messages

    private mutating func compileCondition(_ model: ConditionModel, _ expressions: ExpressionCompiler) -> Condition? {
        switch model {
        case .expression(let text):
            return expressions.compile(text, expecting: .bool, role: PolicyMessages.roleCondition, diagnostics: &diagnostics)
                .map { .expression($0.expression) }
        case .all(let items, _):
            let compiled = items.map { compileCondition($0, expressions) }
            return compiled.contains { $0 == nil } ? nil : .all(compiled.compactMap { $0 })
        case .any(let items, _):
            let compiled = items.map { compileCondition($0, expressions) }
            return compiled.contains { $0 == nil } ? nil : .any(compiled.compactMap { $0 })
        case .not(let inner, _):
            return compileCondition(inner, expressions).map { .not($0) }
        }
    }

    /// A localized text; every policy locale must be present. `{expr}` holes are CEL.
    private mutating func compileMessage(
        _ text: LocalizedText?, locales: [String], at span: SourceSpan, _ expressions: ExpressionCompiler
    ) -> LocalizedMessage? {
        guard let text else {
            diagnostics.append(PolicyMessages.missingReason(
                at: SourceSpan(file: span.file, start: span.start, end: span.start), locales: locales))
            return nil
        }
        checkLocales(of: text, locales: locales, kind: .reason)
        var byLocale: [String: MessageTemplate] = [:]
        var failed = false
        for (locale, message) in text.byLocale {
            guard check(locale, message, of: text, locales: locales) else {
                failed = true
                continue
            }
            guard let template = compileTemplate(message, expressions) else {
                failed = true
                continue
            }
            byLocale[locale] = template
        }
        return failed ? nil : LocalizedMessage(byLocale: byLocale)
    }

    /// A `description`: one text for every locale, or a text per locale checked as a
    /// reason's locales are. Plain text, never a template.
    private mutating func compileDescription(_ description: DescriptionModel, locales: [String]) -> LocalizedString {
        switch description {
        case .shared(let text):
            return LocalizedString(text)
        case .byLocale(let text):
            checkLocales(of: text, locales: locales, kind: .description)
            var byLocale: [String: String] = [:]
            for (locale, written) in text.byLocale where check(locale, written, of: text, locales: locales) {
                byLocale[locale] = written.source
            }
            return LocalizedString(byLocale: byLocale)
        }
    }

    /// Reports each policy locale a text per locale leaves out. `zh_CN:` for `zh-CN` is
    /// reported once, as a misspelt key, not also as a missing text.
    private mutating func checkLocales(of text: LocalizedText, locales: [String], kind: PolicyMessages.LocalizedKind) {
        let misspelt = Set(text.byLocale.compactMap { PolicyMessages.policyLocale(matching: $0.locale, in: locales) })
        for locale in locales where !text.byLocale.contains(where: { $0.locale == locale }) && !misspelt.contains(locale) {
            diagnostics.append(PolicyMessages.missingLocale(locale, at: text.span, kind: kind))
        }
    }

    /// Whether one locale's text may be used: its key is a policy locale (a text under
    /// any other key would never be shown) and it is not blank. Reports why not.
    private mutating func check(
        _ locale: String, _ written: ExpressionText, of text: LocalizedText, locales: [String]
    ) -> Bool {
        guard locales.contains(locale) else {
            diagnostics.append(PolicyMessages.unknownLocale(
                locale, at: text.keySpans[locale] ?? written.span, locales: locales))
            return false
        }
        guard written.source.contains(where: { !$0.isWhitespace }) else {
            diagnostics.append(PolicyMessages.emptyReason(locale, at: written.span))
            return false
        }
        return true
    }

    private mutating func compileTemplate(_ text: ExpressionText, _ expressions: ExpressionCompiler) -> MessageTemplate? {
        var parts: [MessageTemplate.Part] = []
        var literal = ""
        var rest = Substring(text.source)
        var failed = false
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                diagnostics.append(PolicyMessages.unclosedHole(at: text.span))
                return nil
            }
            if !literal.isEmpty { parts.append(.text(literal)) }
            literal = ""
            let source = String(rest[rest.index(after: open)..<close])
            let offset = text.source.utf8.distance(from: text.source.utf8.startIndex, to: rest.index(after: open).samePosition(in: text.source.utf8) ?? text.source.utf8.startIndex)
            var hole = text
            hole.source = source
            let origin = expressions.locate(TextRange(offset, offset), in: text).start
            let skipped = text.source.utf8.prefix(offset).lazy.filter { $0 & 0xC0 != 0x80 }.count
            hole.origin = ExpressionOrigin(
                lineStarts: [origin], positions: text.origin.positions.map { Array($0.dropFirst(skipped)) })
            if let compiled = expressions.compile(hole, expecting: nil, role: PolicyMessages.roleMessageValue, diagnostics: &diagnostics) {
                parts.append(.value(compiled.expression))
            } else {
                failed = true
            }
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.text(literal)) }
        return failed ? nil : MessageTemplate(parts: parts)
    }

    // MARK: - Obligations

    /// Checks and compiles one obligation by its type's declaration (`ObligationType`).
    private mutating func compileObligation(_ model: ObligationModel, _ expressions: ExpressionCompiler) -> ObligationTemplate? {
        guard let type = ObligationType.named(model.type.value) else {
            diagnostics.append(PolicyMessages.unknownObligation(
                model.type.value, at: model.type.span, known: ObligationType.all.map(\.name)))
            return nil
        }
        let names = type.fields.map(\.name)
        var given: [String: Located<String>] = [:]
        for (key, value) in model.fields {
            guard names.contains(key.value) else {
                diagnostics.append(PolicyMessages.unknownObligationKey(key.value, in: type.name, at: key.span, known: names))
                continue
            }
            given[key.value] = value
        }
        var fields: [(String, ObligationTemplate.FieldValue)] = []
        var failed = false
        for field in type.fields {
            let written = given[field.name]
            let text: String
            switch (written, field.presence) {
            case (let value?, _): text = value.value
            case (nil, .defaultValue(let value)): text = value
            case (nil, .optional): continue
            case (nil, .required):
                diagnostics.append(PolicyMessages.missingObligationKey(field.name, in: type.name, at: model.span))
                failed = true
                continue
            }
            let span = written?.span ?? model.span
            switch field.kind {
            case .recipient(let choices):
                guard choices.contains(text) else {
                    diagnostics.append(PolicyMessages.unknownRecipient(text, in: type.name, at: span, known: choices))
                    failed = true
                    continue
                }
                fields.append((field.name, .text(text)))
            case .text:
                fields.append((field.name, .text(text)))
            case .integer(let range):
                guard let number = Int64(text), range.contains(number) else {
                    diagnostics.append(PolicyMessages.invalidWholeNumber(text, key: field.name, range: range, at: span))
                    failed = true
                    continue
                }
                fields.append((field.name, .int(number)))
            case .duration(let deadlineKey):
                guard let duration = PolicyDuration.parse(text), duration > CELDuration(nanoseconds: 0) else {
                    diagnostics.append(PolicyMessages.invalidObligationDuration(text, key: field.name, at: span))
                    failed = true
                    continue
                }
                fields.append((field.name, .deadline(after: duration, label: text, key: deadlineKey)))
            case .expression(let resultType, let rule):
                let source = ExpressionText(
                    source: text, span: span,
                    origin: model.origins[field.name] ?? ExpressionOrigin(lineStarts: [span.start]))
                guard let compiled = expressions.compile(
                    source, expecting: resultType, role: PolicyMessages.roleKey(field.name), diagnostics: &diagnostics)
                else {
                    failed = true
                    continue
                }
                if let rule, let problem = ObligationConstants.check(compiled.program, rule, key: field.name, at: span) {
                    diagnostics.append(problem)
                    failed = true
                    continue
                }
                fields.append((field.name, .expression(compiled.expression, scale: ObligationType.amountScale)))
            }
        }
        guard !failed else { return nil }
        return ObligationTemplate(type: type, fields: fields, location: reference(model.span))
    }

    // MARK: - Thresholds

    private mutating func compileThreshold(
        _ model: ThresholdModel, header: PolicySetHeader, schema: RequestSchema, _ expressions: inout ExpressionCompiler
    ) -> Threshold? {
        let description = compileDescription(model.description, locales: header.locales)
        guard let window = PolicyDuration.parse(model.window.value) else {
            diagnostics.append(PolicyMessages.invalid(
                PolicyMessages.windowWord, model.window.value, expected: PolicyMessages.windowExpected, at: model.window.span))
            return nil
        }
        // Check the list, then `where` and `timestamp` with `item` bound to its element type.
        guard let list = expressions.compile(model.count, expecting: nil, role: PolicyMessages.roleKey("count"), diagnostics: &diagnostics)
        else { return nil }
        guard case .list(let element)? = list.program.checked?.resultType else {
            diagnostics.append(PolicyMessages.countNotAList(found: "\(list.program.resultType)", at: model.count.span))
            return nil
        }
        var itemScope = expressions
        itemScope.environment.variables["item"] = element
        itemScope.environment.sharedGlobals = []
        var ok = true
        var filterExpr: Expr?
        if let filter = model.filter {
            let compiled = itemScope.compile(filter, expecting: .bool, role: PolicyMessages.roleKey("where"), diagnostics: &diagnostics)
            filterExpr = compiled?.program.parsed.expr
            ok = compiled != nil && ok
        }
        let timestamp = itemScope.compile(
            model.timestamp, expecting: .timestamp, role: PolicyMessages.roleKey("timestamp"), diagnostics: &diagnostics)
        ok = timestamp != nil && ok
        let applies = model.appliesWhen.flatMap { compileCondition($0, expressions) }
        if model.appliesWhen != nil && applies == nil { ok = false }

        var tiers: [Threshold.Tier] = []
        var previous: TierModel?
        for tier in model.tiers {
            claim(tier.id)
            if let previous, tier.atLeast.value <= previous.atLeast.value {
                diagnostics.append(PolicyMessages.tiersOutOfOrder(
                    tier.id.value, tier.atLeast.value, after: previous.id.value, previous.atLeast.value,
                    at: tier.atLeast.span, previousSpan: previous.atLeast.span))
            }
            previous = tier
            var withCount = expressions
            withCount.environment.variables[PolicySet.countVariable] = .int
            let reason = compileMessage(tier.reason, locales: header.locales, at: tier.span, withCount)
            let obligations = tier.obligations.compactMap { compileObligation($0, expressions) }
            let description = compileDescription(tier.description, locales: header.locales)
            guard let reason else { continue }
            tiers.append(Threshold.Tier(
                id: tier.id.value, description: description, atLeast: Int64(tier.atLeast.value),
                effect: tier.effect.value, reason: reason, obligations: obligations, location: reference(tier.id.span)))
        }
        guard ok else { return nil }

        // The count is one CEL expression, so it is planned, bounded and traced like any other.
        let filter = model.filter.map { "(\($0.source)) && " } ?? ""
        let ts = model.timestamp.source
        let seconds = window.seconds
        let counted = """
            size((\(model.count.source)).filter(item, \(filter)(\(ts)) > request.at - duration("\(seconds)s") && (\(ts)) <= request.at))
            """
        // Positions describe the written text, not this one: locate by line starts only.
        let synthetic = ExpressionText(
            source: counted, span: model.count.span, origin: ExpressionOrigin(lineStarts: model.count.origin.lineStarts))
        guard let count = expressions.compile(synthetic, expecting: .int, role: PolicyMessages.roleCount, diagnostics: &diagnostics)
        else { return nil }
        // For coverage of the window's edge: the counted items' times, whatever their age.
        // It compiles whenever the count does; a failure would only cost that coverage.
        let everyTimestamp = "(\(model.count.source))" + (model.filter.map { ".filter(item, \($0.source))" } ?? "")
            + ".map(item, \(ts))"
        var ignored = Diagnostics()
        let countedTimestamps = expressions.compile(
            ExpressionText(source: everyTimestamp, span: model.count.span, origin: synthetic.origin),
            expecting: nil, role: PolicyMessages.roleCountedTimestamps, diagnostics: &ignored)?.expression
        let described = model.count.source + (model.filter.map { " where \($0.source)" } ?? "")
        let native = timestamp.flatMap {
            expressions.shortcuts.windowCount(
                list: list.program.parsed.expr, timestamp: $0.program.parsed.expr,
                filter: filterExpr, window: window)
        }
        let missing = missingListPath(list.program.parsed.expr, schema: schema)
        var onMissing: ProblemEffect?
        if let written = model.onMissing {
            onMissing = compileProblemEffect(written, locales: header.locales, expressions, missing: true)
        } else if let missing, let optional = missing.optionalObjects.first {
            // Unsaid, a missing list still never counts as empty: `on_error` decides.
            diagnostics.append(PolicyMessages.missingListUnhandled(
                model.id.value, list: missing.description, optional: optional.description, at: model.id.span))
        }
        return Threshold(
            id: model.id.value, description: description, appliesWhen: applies, count: count.expression,
            countedList: described, window: window, windowCount: native, tiers: tiers,
            location: reference(model.id.span), countedTimestamps: countedTimestamps, missingList: missing,
            onMissing: onMissing)
    }

    /// The counted list's path, when it runs through optional objects a request may
    /// leave out (the decoder zero-fills them); nil when it is always supplied or is
    /// not a plain field path.
    private func missingListPath(_ expr: Expr, schema: RequestSchema) -> MissingListPath? {
        guard let written = WrittenPath(expr) else { return nil }
        let names = written.root == PolicySet.requestVariable ? written.names : [written.root] + written.names
        var optional: [FieldPath] = []
        var type = schema.root
        for (index, name) in names.enumerated() {
            guard let slot = type.slot(of: name) else { return nil }
            let field = type.fields[slot]
            guard case .object(let object) = field.type else { break }
            if !field.required, schema.defaults[type.name]?[slot] == nil,
                let path = FieldPath(Array(names[...index]), from: schema.root)
            {
                optional.append(path)
            }
            type = object
        }
        return optional.isEmpty ? nil : MissingListPath(description: names.joined(separator: "."), optionalObjects: optional)
    }

    // MARK: - on_error and on_missing

    /// An `on_error` or `on_missing`: its effect and reason (the standard one when none
    /// is written; every policy locale when one is).
    private mutating func compileProblemEffect(
        _ model: ProblemEffectModel, locales: [String], _ expressions: ExpressionCompiler, missing: Bool = false
    ) -> ProblemEffect? {
        let standard = missing ? ProblemEffect.standardOnMissing(model.effect.value) : .standardOnError
        guard model.reason != nil else { return ProblemEffect(effect: model.effect.value, reason: standard.reason) }
        guard let reason = compileMessage(model.reason, locales: locales, at: model.span, expressions) else { return nil }
        return ProblemEffect(effect: model.effect.value, reason: reason)
    }

    // MARK: - Refunds

    private mutating func compileRefunds(
        _ model: RefundModel, calendars: CalendarRegistry, _ expressions: ExpressionCompiler
    ) -> RefundPolicy? {
        guard let calendar = calendars[model.calendar.value] else {
            diagnostics.append(PolicyMessages.unknownCalendar(
                model.calendar.value, at: model.calendar.span, known: calendars.names))
            return nil
        }
        var ok = true
        func condition(_ model: ConditionModel?) -> Condition? {
            guard let model else { return nil }
            let compiled = compileCondition(model, expressions)
            if compiled == nil { ok = false }
            return compiled
        }
        let applies = condition(model.appliesWhen)
        let currency = expressions.compile(model.currency, expecting: .string, role: PolicyMessages.roleKey("currency"), diagnostics: &diagnostics)
        var fees: [RefundPolicy.Case<CompiledExpression>] = []
        for fee in model.fee {
            let when = condition(fee.when)
            if let amount = expressions.compile(fee.value, expecting: .decimal, role: PolicyMessages.roleFee, diagnostics: &diagnostics) {
                fees.append(.init(when: when, value: amount.expression))
            } else {
                ok = false
            }
        }
        var withFee = expressions
        withFee.environment.variables[PolicySet.feeVariable] = .decimal
        let amount = withFee.compile(model.amount, expecting: .decimal, role: PolicyMessages.roleKey("amount"), diagnostics: &diagnostics)
        func days(_ cases: [RefundCase<Located<Int>>]) -> [RefundPolicy.Case<Int>] {
            cases.map { item in
                if !(0...BusinessCalendar.maxBusinessDays).contains(item.value.value) {
                    diagnostics.append(PolicyMessages.invalid(
                        PolicyMessages.businessDaysWord, String(item.value.value),
                        expected: PolicyMessages.fromZero(to: BusinessCalendar.maxBusinessDays), at: item.value.span))
                }
                return .init(when: condition(item.when), value: item.value.value)
            }
        }
        let initiate = days(model.initiateWithin)
        let expect = days(model.expectWithin)
        guard ok, let currency, let amount else { return nil }
        return RefundPolicy(
            calendar: calendar, appliesWhen: applies, currency: currency.expression, fee: fees,
            amount: amount.expression, initiateWithin: initiate, expectWithin: expect, location: reference(model.span),
            initiateLocation: model.initiateWithinSpan.map(reference), expectLocation: model.expectWithinSpan.map(reference))
    }

    /// Every request the refunds apply to must find an `initiate_within` and an
    /// `expect_within` case (see `Totality`). `fee` may have none: then there is no fee.
    private mutating func checkTotality(_ model: RefundModel, _ shortcuts: ShortcutFinder) {
        let totality = Totality(shortcuts: shortcuts)
        for (table, cases, span) in [
            ("initiate_within", model.initiateWithin, model.initiateWithinSpan),
            ("expect_within", model.expectWithin, model.expectWithinSpan),
        ] where !cases.isEmpty || span != nil {
            diagnostics.append(contentsOf: totality.check(
                table: table, cases: cases.map(\.when), appliesWhen: model.appliesWhen, at: span ?? model.span))
        }
    }
}
