import RescindDiagnostics
import RescindEngine
import RescindYAML

/// Reads YAML documents into the policy model, one `kind` at a time.
struct DocumentReader {
    var model = PolicyModel()
    var diagnostics = Diagnostics()
    /// The file being read, to map expression text to file positions.
    var source: SourceFile?
    /// The texts the model keeps, each distinct one once: a large set repeats its tests
    /// thousands of times. A text is copied when first kept, so the model holds none of
    /// the memory of the thread that parsed the tree (see `ParseAhead`).
    private var kept: Set<String> = []

    private mutating func keep(_ text: String) -> String {
        if let known = kept.firstIndex(of: text) { return kept[known] }
        // Through an array: a C string would end the text at its first NUL.
        let copy = String(decoding: Array(text.utf8), as: UTF8.self)
        kept.insert(copy)
        return copy
    }

    mutating func read(_ document: YAMLNode) {
        // An empty document (`---` with nothing after it) would contribute nothing: a
        // file cut short mid-write must not pass for a smaller, valid set.
        if document.isNull {
            diagnostics.append(PolicyMessages.emptyDocument(at: document.span))
            return
        }
        guard var fields = YAMLMappingDecoder(document, describedAs: PolicyMessages.policyDocument, diagnostics: &diagnostics),
            let kindNode = fields.entry("kind")?.value
        else {
            if document.mapping != nil { diagnostics.append(PolicyMessages.missingKind(at: document.span)) }
            return
        }
        guard let kind = kindNode.string(diagnostics: &diagnostics) else { return }
        // A second document of a kind the set has once: report it and read nothing more
        // of it (its keys are not "unknown").
        if let first = firstDocument(ofKind: kind) {
            diagnostics.append(PolicyMessages.duplicateDocument(kind, at: fields.node.span, first: first))
            return
        }
        switch kind {
        case "policy_set": readPolicySet(&fields)
        case "schema": readSchema(&fields)
        case "calendar": readCalendar(&fields)
        case "rules": readRules(&fields)
        case "thresholds": readThresholds(&fields)
        case "refunds": readRefunds(&fields)
        default:
            diagnostics.append(PolicyMessages.unknownKind(kind, at: kindNode.span))
            return
        }
        fields.finish(diagnostics: &diagnostics)
    }

    /// Where the document of a kind the policy set may have only once was read, if it was.
    private func firstDocument(ofKind kind: String) -> SourceSpan? {
        switch kind {
        case "policy_set": model.header?.span
        case "schema": model.schema?.span
        case "refunds": model.refunds?.span
        default: nil
        }
    }

    // MARK: - Documents

    private mutating func readPolicySet(_ fields: inout YAMLMappingDecoder) {
        let name = locatedString(&fields, "name", required: true) ?? Located("", at: fields.node.span)
        let version = locatedString(&fields, "version", required: true) ?? Located("", at: fields.node.span)
        var effect = Located(Effect.deny, at: fields.node.span)
        var reason: LocalizedText?
        if let node = fields.entry("default")?.value,
            var defaults = YAMLMappingDecoder(node, describedAs: PolicyMessages.keyed("default"), diagnostics: &diagnostics)
        {
            if let e = readEffect(&defaults, required: false) { effect = e }
            reason = readLocalized(defaults.entry("reason")?.value)
            defaults.finish(diagnostics: &diagnostics)
        }
        let locales = fields.optional("locales", as: [String].self, diagnostics: &diagnostics) ?? ["en", "zh-CN"]
        let files = fields.entry("files").map { locatedStrings($0.value) }
        let onError = fields.entry("on_error").flatMap { readProblemEffect($0.value, key: "on_error") }
        let history = fields.entry("history").flatMap { readHistory($0.value) }
        let onHistoryUnavailable = fields.entry("on_history_unavailable").flatMap {
            readProblemEffect($0.value, key: "on_history_unavailable")
        }
        model.header = PolicySetHeader(
            name: name, version: version, defaultEffect: effect, defaultReason: reason, locales: locales,
            files: files, onError: onError, history: history, onHistoryUnavailable: onHistoryUnavailable,
            span: fields.node.span)
    }

    /// `history:`: `list` and `buyer` (CEL), and `request_lists`.
    private mutating func readHistory(_ node: YAMLNode) -> HistoryModel? {
        guard var fields = YAMLMappingDecoder(node, describedAs: PolicyMessages.keyed("history"), diagnostics: &diagnostics) else {
            return nil
        }
        defer { fields.finish(diagnostics: &diagnostics) }
        let list = requiredExpression(&fields, "list")
        let buyer = requiredExpression(&fields, "buyer")
        var requestLists: Located<String>?
        if let entry = fields.entry("request_lists"), let text = locatedString(entry.value) {
            if HistoryModel.requestListChoices.contains(text.value) {
                requestLists = text
            } else {
                diagnostics.append(PolicyMessages.invalid(
                    PolicyMessages.requestListsWord, text.value, expected: PolicyMessages.requestListsChoices, at: text.span,
                    help: Suggestions.didYouMean(text.value, in: HistoryModel.requestListChoices)))
            }
        }
        guard let list, let buyer else { return nil }
        return HistoryModel(
            list: list, buyer: buyer, requestLists: requestLists, span: node.span)
    }

    /// A required key holding a CEL expression.
    private mutating func requiredExpression(_ fields: inout YAMLMappingDecoder, _ key: String) -> ExpressionText? {
        guard let entry = fields.entry(key) else {
            // Reported as any missing key is.
            _ = fields.required(key, as: String.self, diagnostics: &diagnostics)
            return nil
        }
        return expressionText(entry.value)
    }

    private mutating func readSchema(_ fields: inout YAMLMappingDecoder) {
        var schema = SchemaModel(enums: [], types: [], request: [], span: fields.node.span)
        if let enums = fields.entry("enums")?.value.mapping(diagnostics: &diagnostics) {
            for entry in enums {
                guard let name = locatedString(entry.key) else { continue }
                let values = (entry.value.sequence(diagnostics: &diagnostics) ?? []).compactMap { locatedString($0) }
                schema.enums.append((name, values))
            }
        }
        if let types = fields.entry("types")?.value.mapping(diagnostics: &diagnostics) {
            for entry in types {
                guard let name = locatedString(entry.key) else { continue }
                schema.types.append((name, readFields(entry.value)))
            }
        }
        if let request = fields.entry("request")?.value {
            schema.request = readFields(request)
        } else {
            diagnostics.append(PolicyMessages.schemaWithoutRequest(at: fields.node.span))
        }
        model.schema = schema
    }

    private mutating func readFields(_ node: YAMLNode) -> [FieldModel] {
        guard let mapping = node.mapping(diagnostics: &diagnostics) else { return [] }
        var result: [FieldModel] = []
        for entry in mapping {
            guard let name = locatedString(entry.key) else { continue }
            if let field = readField(name: name, entry.value) { result.append(field) }
        }
        return result
    }

    private mutating func readField(name: Located<String>, _ node: YAMLNode) -> FieldModel? {
        if let text = node.scalar?.text, node.scalar?.value != .null {
            return FieldModel(name: name, type: .named(Located(text, at: node.span)), optional: false)
        }
        guard let mapping = node.mapping else {
            node.reportMismatch(expected: PolicyMessages.typeNameOrFields, diagnostics: &diagnostics)
            return nil
        }
        // A mapping with a scalar `type` describes one field; any other mapping is an
        // inline object whose keys are field names.
        guard let typeNode = mapping["type"], typeNode.scalar != nil else {
            return FieldModel(name: name, type: .object(readFields(node)), optional: false)
        }
        guard var fields = YAMLMappingDecoder(node, describedAs: PolicyMessages.field(name.value), diagnostics: &diagnostics)
        else { return nil }
        let typeName = locatedString(&fields, "type", required: true) ?? Located("string", at: node.span)
        var optional = fields.optional("optional", as: Bool.self, diagnostics: &diagnostics) ?? false
        var defaultValue: YAMLDefault?
        if let value = fields.entry("default")?.value {
            optional = true
            defaultValue = YAMLDefault(
                text: value.scalar?.text ?? "", isMapping: value.mapping != nil, span: value.span)
        }
        let description = fields.optional("description", as: String.self, diagnostics: &diagnostics)
        let minimum = readBound(&fields, "minimum")
        let maximum = readBound(&fields, "maximum")
        var type = FieldModel.TypeSpec.named(typeName)
        if typeName.value == "object" {
            type = .object(fields.entry("fields").map { readFields($0.value) } ?? [])
        }
        fields.finish(diagnostics: &diagnostics)
        return FieldModel(
            name: name, type: type, optional: optional, defaultValue: defaultValue, description: description,
            minimum: minimum, maximum: maximum)
    }

    /// A field's `minimum` or `maximum`: any scalar, kept as its text (the schema
    /// compiler parses it once the field's type is known).
    private mutating func readBound(_ fields: inout YAMLMappingDecoder, _ key: String) -> YAMLBound? {
        guard let value = fields.entry(key)?.value, !value.isNull else { return nil }
        guard let scalar = value.scalar else {
            value.reportMismatch(expected: PolicyMessages.numberOrTimestamp, diagnostics: &diagnostics)
            return nil
        }
        return YAMLBound(key: key, text: scalar.text, span: value.span)
    }

    private mutating func readCalendar(_ fields: inout YAMLMappingDecoder) {
        let name = locatedString(&fields, "name", required: true) ?? Located("", at: fields.node.span)
        let zone = locatedString(&fields, "time_zone", required: true) ?? Located("UTC", at: fields.node.span)
        let weekend = fields.entry("weekend").map { locatedStrings($0.value) }
            ?? [Located("saturday", at: fields.node.span), Located("sunday", at: fields.node.span)]
        let holidays = fields.entry("holidays").map { locatedStrings($0.value) } ?? []
        let workdays = fields.entry("workdays").map { locatedStrings($0.value) } ?? []
        let years = locatedString(&fields, "years", required: false)
        _ = fields.optional("description", as: String.self, diagnostics: &diagnostics)
        model.calendars.append(CalendarModel(
            name: name, timeZone: zone, weekend: weekend, holidays: holidays, workdays: workdays, years: years,
            span: fields.node.span))
    }

    private mutating func readRules(_ fields: inout YAMLMappingDecoder) {
        guard let list = fields.entry("rules")?.value.sequence(diagnostics: &diagnostics) else {
            _ = fields.required("rules", as: YAMLNode.self, diagnostics: &diagnostics)
            return
        }
        for node in list {
            guard var rule = YAMLMappingDecoder(node, describedAs: PolicyMessages.ruleWord, diagnostics: &diagnostics) else { continue }
            let id = locatedString(&rule, "id", required: true) ?? Located("", at: node.span)
            let description = readDescription(&rule)
            let when = rule.entry("when").flatMap { readCondition($0.value) }
            if rule.entry("when") == nil {
                _ = rule.required("when", as: YAMLNode.self, diagnostics: &diagnostics)
            }
            let effect = readEffect(&rule, required: true) ?? Located(.deny, at: node.span)
            let reason = readLocalized(rule.entry("reason")?.value)
            let obligations = readObligations(rule.entry("obligations")?.value)
            let suspends = rule.entry("suspends").map { locatedStrings($0.value) } ?? []
            rule.finish(diagnostics: &diagnostics)
            model.rules.append(RuleModel(
                id: id, description: description, when: when, effect: effect, reason: reason,
                obligations: obligations, suspends: suspends, span: node.span))
        }
    }

    private mutating func readThresholds(_ fields: inout YAMLMappingDecoder) {
        guard let list = fields.entry("thresholds")?.value.sequence(diagnostics: &diagnostics) else { return }
        for node in list {
            guard var threshold = YAMLMappingDecoder(node, describedAs: PolicyMessages.thresholdWord, diagnostics: &diagnostics)
            else { continue }
            let id = locatedString(&threshold, "id", required: true) ?? Located("", at: node.span)
            let description = readDescription(&threshold)
            let applies = threshold.entry("applies_when").flatMap { readCondition($0.value) }
            let count = expression(&threshold, "count", required: true)
            let filter = expression(&threshold, "where", required: false)
            let timestamp = expression(&threshold, "timestamp", required: true)
            let window = locatedString(&threshold, "window", required: true) ?? Located("0s", at: node.span)
            var tiers: [TierModel] = []
            for tierNode in threshold.entry("tiers")?.value.sequence(diagnostics: &diagnostics) ?? [] {
                guard var tier = YAMLMappingDecoder(tierNode, describedAs: PolicyMessages.tierWord, diagnostics: &diagnostics)
                else { continue }
                let tierID = locatedString(&tier, "id", required: true) ?? Located("", at: tierNode.span)
                let tierDescription = readDescription(&tier)
                let atLeast: Located<Int>
                if let entry = tier.entry("at_least"), let value = entry.value.int(diagnostics: &diagnostics) {
                    atLeast = Located(value, at: entry.value.span)
                } else {
                    if tier.entry("at_least") == nil {
                        _ = tier.required("at_least", as: Int.self, diagnostics: &diagnostics)
                    }
                    atLeast = Located(0, at: tierNode.span)
                }
                let effect = readEffect(&tier, required: true) ?? Located(.deny, at: tierNode.span)
                let reason = readLocalized(tier.entry("reason")?.value)
                let obligations = readObligations(tier.entry("obligations")?.value)
                tier.finish(diagnostics: &diagnostics)
                tiers.append(TierModel(
                    id: tierID, description: tierDescription, atLeast: atLeast, effect: effect, reason: reason,
                    obligations: obligations, span: tierNode.span))
            }
            let onMissing = threshold.entry("on_missing").flatMap { readProblemEffect($0.value, key: "on_missing") }
            threshold.finish(diagnostics: &diagnostics)
            guard let count, let timestamp else { continue }
            model.thresholds.append(ThresholdModel(
                id: id, description: description, appliesWhen: applies, count: count, filter: filter,
                timestamp: timestamp, window: window, tiers: tiers, onMissing: onMissing, span: node.span))
        }
    }

    private mutating func readRefunds(_ fields: inout YAMLMappingDecoder) {
        let calendar = locatedString(&fields, "calendar", required: true) ?? Located("", at: fields.node.span)
        let applies = fields.entry("applies_when").flatMap { readCondition($0.value) }
        let currency = expression(&fields, "currency", required: false)
            ?? syntheticExpression("order.currency", at: fields.node.span)
        var fees: [RefundCase<ExpressionText>] = []
        for node in fields.entry("fee")?.value.sequence(diagnostics: &diagnostics) ?? [] {
            guard var entry = YAMLMappingDecoder(node, describedAs: PolicyMessages.feeCase, diagnostics: &diagnostics) else { continue }
            let when = entry.entry("when").flatMap { readCondition($0.value) }
            if let amount = expression(&entry, "amount", required: true) {
                fees.append(RefundCase(when: when, value: amount, span: node.span))
            }
            entry.finish(diagnostics: &diagnostics)
        }
        let amount = expression(&fields, "amount", required: true) ?? syntheticExpression("order.total", at: fields.node.span)
        let initiateSpan = fields.entry("initiate_within")?.key.span
        let expectSpan = fields.entry("expect_within")?.key.span
        let initiate = readDayCases(&fields, "initiate_within")
        let expect = readDayCases(&fields, "expect_within")
        model.refunds = RefundModel(
            calendar: calendar, appliesWhen: applies, currency: currency, fee: fees, amount: amount,
            initiateWithin: initiate, expectWithin: expect, span: fields.node.span,
            initiateWithinSpan: initiateSpan, expectWithinSpan: expectSpan)
    }

    private mutating func readDayCases(_ fields: inout YAMLMappingDecoder, _ key: String) -> [RefundCase<Located<Int>>] {
        guard let entry = fields.entry(key) else {
            _ = fields.required(key, as: YAMLNode.self, diagnostics: &diagnostics)
            return []
        }
        var cases: [RefundCase<Located<Int>>] = []
        for node in entry.value.sequence(diagnostics: &diagnostics) ?? [] {
            guard var item = YAMLMappingDecoder(node, describedAs: PolicyMessages.keyedCase(key), diagnostics: &diagnostics)
            else { continue }
            let when = item.entry("when").flatMap { readCondition($0.value) }
            if let daysEntry = item.entry("days"), let days = daysEntry.value.int(diagnostics: &diagnostics) {
                cases.append(RefundCase(when: when, value: Located(days, at: daysEntry.value.span), span: node.span))
            } else if item.entry("days") == nil {
                _ = item.required("days", as: Int.self, diagnostics: &diagnostics)
            }
            item.finish(diagnostics: &diagnostics)
        }
        return cases
    }

    // MARK: - Pieces

    mutating func readCondition(_ node: YAMLNode) -> ConditionModel? {
        if node.scalar != nil {
            return expressionText(node).map(ConditionModel.expression)
        }
        guard let mapping = node.mapping(diagnostics: &diagnostics) else { return nil }
        guard mapping.count == 1, case .string(let key)? = mapping[0].key.scalar?.value,
            ["all", "any", "not"].contains(key)
        else {
            diagnostics.append(PolicyMessages.notACondition(at: node.span))
            return nil
        }
        let value = mapping[0].value
        switch key {
        case "not":
            return readCondition(value).map { .not($0, node.span) }
        default:
            let items = (value.sequence(diagnostics: &diagnostics) ?? []).compactMap { readCondition($0) }
            return key == "all" ? .all(items, node.span) : .any(items, node.span)
        }
    }

    private mutating func readEffect(_ fields: inout YAMLMappingDecoder, required: Bool) -> Located<Effect>? {
        guard let text = locatedString(&fields, "effect", required: required) else { return nil }
        guard let effect = Effect(rawValue: text.value) else {
            diagnostics.append(PolicyMessages.invalid(
                PolicyMessages.effectWord, text.value, expected: PolicyMessages.effectChoices, at: text.span,
                help: Suggestions.didYouMean(text.value, in: Effect.allCases.map(\.rawValue))))
            return nil
        }
        return Located(effect, at: text.span)
    }

    /// `on_error` / `on_missing`: an effect alone, or a mapping of `effect` and `reason`.
    private mutating func readProblemEffect(_ node: YAMLNode, key: String) -> ProblemEffectModel? {
        if node.scalar != nil {
            guard let text = locatedString(node) else { return nil }
            guard let effect = Effect(rawValue: text.value) else {
                diagnostics.append(PolicyMessages.invalid(
                    PolicyMessages.effectWord, text.value, expected: PolicyMessages.effectChoices, at: text.span,
                    help: Suggestions.didYouMean(text.value, in: Effect.allCases.map(\.rawValue))))
                return nil
            }
            return ProblemEffectModel(effect: Located(effect, at: text.span), reason: nil, span: node.span)
        }
        guard var fields = YAMLMappingDecoder(node, describedAs: PolicyMessages.keyed(key), diagnostics: &diagnostics) else {
            return nil
        }
        let effect = readEffect(&fields, required: true)
        let reason = fields.entry("reason").flatMap { readLocalized($0.value) }
        fields.finish(diagnostics: &diagnostics)
        return effect.map { ProblemEffectModel(effect: $0, reason: reason, span: node.span) }
    }

    mutating func readLocalized(_ node: YAMLNode?) -> LocalizedText? {
        guard let node, let mapping = node.mapping(diagnostics: &diagnostics) else { return nil }
        var texts: [(String, ExpressionText)] = []
        var keySpans: [String: SourceSpan] = [:]
        for entry in mapping {
            guard case .string(let locale)? = entry.key.scalar?.value, let text = expressionText(entry.value) else {
                continue
            }
            texts.append((locale, text))
            keySpans[locale] = entry.key.span
        }
        return LocalizedText(byLocale: texts, span: node.span, keySpans: keySpans)
    }

    /// `description`: a string for every locale, or a mapping of locale to text (checked
    /// against the policy locales when compiled, as a reason is).
    private mutating func readDescription(_ fields: inout YAMLMappingDecoder) -> DescriptionModel {
        guard let node = fields.entry("description")?.value, !node.isNull else { return .shared("") }
        guard let mapping = node.mapping else {
            guard let scalar = node.scalar else {
                node.reportMismatch(expected: PolicyMessages.textOrTextPerLocale, diagnostics: &diagnostics)
                return .shared("")
            }
            return .shared(keep(scalar.text))
        }
        var texts: [(String, ExpressionText)] = []
        var keySpans: [String: SourceSpan] = [:]
        for entry in mapping {
            guard case .string(let locale)? = entry.key.scalar?.value else {
                entry.key.reportMismatch(expected: PolicyMessages.aLocale, diagnostics: &diagnostics)
                continue
            }
            guard let scalar = entry.value.scalar, scalar.value != .null else {
                // `en:` with nothing after it is an empty text, reported as one.
                if entry.value.isNull {
                    texts.append((locale, ExpressionText(source: "", span: entry.value.span, origin: ExpressionOrigin(lineStarts: [entry.value.span.start]))))
                    keySpans[locale] = entry.key.span
                } else {
                    entry.value.reportMismatch(expected: PolicyMessages.aString, diagnostics: &diagnostics)
                }
                continue
            }
            texts.append((locale, ExpressionText(
                source: keep(scalar.text), span: entry.value.span, origin: origin(of: entry.value, scalar))))
            keySpans[locale] = entry.key.span
        }
        return .byLocale(LocalizedText(byLocale: texts, span: node.span, keySpans: keySpans))
    }

    private mutating func readObligations(_ node: YAMLNode?) -> [ObligationModel] {
        guard let node else { return [] }
        var result: [ObligationModel] = []
        for item in node.sequence(diagnostics: &diagnostics) ?? [] {
            guard let mapping = item.mapping(diagnostics: &diagnostics) else { continue }
            guard let typeEntry = mapping.entry(forKey: "type"), let type = locatedString(typeEntry.value) else {
                diagnostics.append(PolicyMessages.obligationWithoutType(at: item.span))
                continue
            }
            var fields: [(Located<String>, Located<String>)] = []
            var origins: [String: ExpressionOrigin] = [:]
            for entry in mapping where entry.key.scalar?.text != "type" {
                guard let key = locatedString(entry.key), let scalar = entry.value.scalar else {
                    entry.value.reportMismatch(expected: PolicyMessages.aValue, diagnostics: &diagnostics)
                    continue
                }
                fields.append((key, Located(scalar.text, at: entry.value.span)))
                origins[key.value] = origin(of: entry.value, scalar)
            }
            result.append(ObligationModel(type: type, fields: fields, span: item.span, origins: origins))
        }
        return result
    }

    // MARK: - Scalars

    private mutating func locatedString(_ fields: inout YAMLMappingDecoder, _ key: String, required: Bool) -> Located<String>? {
        guard let entry = fields.entry(key), !entry.value.isNull else {
            if required { _ = fields.required(key, as: String.self, diagnostics: &diagnostics) }
            return nil
        }
        return locatedString(entry.value)
    }

    /// Any scalar's text (a version `2026.11` written unquoted is still its text).
    private mutating func locatedString(_ node: YAMLNode) -> Located<String>? {
        guard let scalar = node.scalar, scalar.value != .null else {
            node.reportMismatch(expected: PolicyMessages.aString, diagnostics: &diagnostics)
            return nil
        }
        return Located(scalar.text, at: node.span)
    }

    private mutating func locatedStrings(_ node: YAMLNode) -> [Located<String>] {
        (node.sequence(diagnostics: &diagnostics) ?? []).compactMap { locatedString($0) }
    }

    private mutating func expression(_ fields: inout YAMLMappingDecoder, _ key: String, required: Bool) -> ExpressionText? {
        guard let entry = fields.entry(key), !entry.value.isNull else {
            if required { _ = fields.required(key, as: String.self, diagnostics: &diagnostics) }
            return nil
        }
        return expressionText(entry.value)
    }

    /// A scalar's text as CEL, with where each of its lines starts in the file.
    mutating func expressionText(_ node: YAMLNode) -> ExpressionText? {
        // `- !actor.verified` is a YAML tag followed by an empty (or shortened) scalar.
        if let tag = node.tag, tag.hasPrefix("!"), !tag.hasPrefix("!!"), tag != "!" {
            diagnostics.append(PolicyMessages.tagInExpression(tag, at: node.span))
            return nil
        }
        guard let scalar = node.scalar, scalar.value != .null else {
            node.reportMismatch(expected: PolicyMessages.aCELExpression, diagnostics: &diagnostics)
            return nil
        }
        return ExpressionText(source: keep(scalar.text), span: node.span, origin: origin(of: node, scalar))
    }

    private func origin(of node: YAMLNode, _ scalar: YAMLScalar) -> ExpressionOrigin {
        let start = node.span.start
        switch scalar.style {
        case .literal, .folded:
            // Content starts on the line after the indicator. Every line is indented by the
            // block's indentation, that of its first non-blank line; spaces beyond it on a
            // more-indented line are part of the text.
            let lineCount = scalar.text.split(separator: "\n", omittingEmptySubsequences: false).count
            let lines = (0..<lineCount).map { source?.line(start.line + 1 + $0) }
            let indent = lines.lazy.compactMap { $0 }.first { !$0.allSatisfy { $0 == " " } }?
                .prefix { $0 == " " }.count ?? 0
            // A `>` block folds lines into spaces, so its lines are not the file's.
            return ExpressionOrigin(
                lineStarts: (0..<lineCount).map { index in
                    SourceLocation(line: start.line + 1 + index, column: indent + 1)
                },
                positions: scalar.style == .folded ? positions(of: node, scalar, quoted: false) : nil)
        case .singleQuoted, .doubleQuoted:
            return ExpressionOrigin(
                lineStarts: [SourceLocation(line: start.line, column: start.column + 1)],
                positions: positions(of: node, scalar, quoted: true))
        default:
            return ExpressionOrigin(lineStarts: [start], positions: positions(of: node, scalar, quoted: false))
        }
    }

    /// Where each Unicode scalar of a scalar's text is written, when the text is not a
    /// plain copy of the file's characters: escapes and doubled quotes in quoted
    /// scalars, and line breaks that YAML folds into spaces (plain or quoted scalars over
    /// several lines, `>` blocks). Found by walking the file alongside the text: each
    /// character of the text is the next matching character of the file, a folded space
    /// matches a line break, and anything else in the file (quotes, backslashes,
    /// indentation) is skipped. Nil when the text is the file's characters verbatim.
    private func positions(of node: YAMLNode, _ scalar: YAMLScalar, quoted: Bool) -> [SourceLocation]? {
        guard let source else { return nil }
        let span = node.span
        let utf8 = source.text.utf8
        guard span.start.offset >= 0, span.start.offset < span.end.offset, span.end.offset <= utf8.count else {
            return nil
        }
        let bytes = utf8.dropFirst(span.start.offset).prefix(span.end.offset - span.start.offset)
        // Most expressions are written as they read (no escapes, no folded lines): the
        // same bytes inside the quotes, and no table is needed. Checked on bytes first,
        // which is the scalar comparison below without decoding (a quote is one byte).
        let quote = quoted ? 1 : 0
        var text = scalar.text
        if bytes.count >= 2 * quote,
            text.withUTF8({ bytes.dropFirst(quote).dropLast(quote).elementsEqual($0) })
        {
            return nil
        }
        var raw: [(scalar: Unicode.Scalar, location: SourceLocation)] = []
        var line = span.start.line
        var column = span.start.column
        for character in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            raw.append((character, SourceLocation(line: line, column: column)))
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        let written = raw.dropFirst(quoted ? 1 : 0).dropLast(quoted ? 1 : 0).map(\.scalar)
        if written.elementsEqual(scalar.text.unicodeScalars) { return nil }
        var result: [SourceLocation] = []
        var index = quoted ? 1 : 0
        for character in scalar.text.unicodeScalars {
            var next = index
            while next < raw.count, raw[next].scalar != character, !(character == " " && raw[next].scalar == "\n") {
                next += 1
            }
            if next < raw.count {
                result.append(raw[next].location)
                index = next + 1
            } else {
                // Not written as itself (an escape such as `\t`): just after the previous one.
                let previous = result.last ?? span.start
                result.append(SourceLocation(line: previous.line, column: previous.column + 1))
            }
        }
        return result
    }

    private func syntheticExpression(_ text: String, at span: SourceSpan) -> ExpressionText {
        ExpressionText(source: text, span: span, origin: ExpressionOrigin(lineStarts: [span.start]))
    }
}

extension Diagnostic {
    /// The same diagnostic pointing at `span`.
    func located(_ span: SourceSpan) -> Diagnostic {
        var copy = self
        copy.span = span
        return copy
    }
}
