import CEL
import CELRuntime
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// A test file as written: `kind: tests` (cases, with the fixtures they share) or
/// `kind: fixtures` (only fixtures, generators and defaults, for other files to include).
struct TestDocument {
    enum Kind { case tests, fixtures }

    let file: String
    var kind: Kind = .tests
    var includes: [Located<String>] = []
    /// The request a case starts from when it names none (`defaults: request:`).
    var defaultRequest: YAMLNode?
    /// The locale decisions are made in (`defaults: locale:`).
    var defaultLocale: Located<String>?
    var fixtures: [(name: Located<String>, spec: YAMLNode)] = []
    var generators: [(name: Located<String>, generator: RequestGenerator)] = []
    var cases: [CaseModel] = []
}

/// A generator: a name a request's `set:` or a table column can use to fill a list
/// with N items, each some time before the request's `at`.
struct RequestGenerator {
    /// The list's path in the request (`buyer_history.cancellations`).
    let list: Located<String>
    /// Each item; `{n}` in its strings becomes the item's number (1, 2, …).
    let item: YAMLNode
    /// The item field set to the item's time.
    let timestamp: Located<String>
    /// Item n is `n × spacing` before the request's `at`.
    let spacing: CELDuration
}

/// A case as written, before its request is built.
struct CaseModel {
    let name: Located<String>
    let span: SourceSpan
    let request: YAMLNode?
    /// The locale the case's decision is made in, over `defaults: locale:`.
    let locale: Located<String>?
    let expect: Expectations
    let table: TableModel?
}

/// `table:` — one case per row; a column sets a request path or a generator, or states
/// an expectation.
struct TableModel {
    let columns: [Located<String>]
    let rows: [YAMLNode]
    let span: SourceSpan
}

/// What the policy set offers for expectations to name, so a typo in a test file is a
/// located error with a did-you-mean, not a case that can never pass.
struct PolicyVocabulary {
    let name: String
    /// Rule ids, then tier ids, in policy order.
    let outcomes: [String]
    let tiers: [String]
    /// The fields each obligation type can carry, as the decision JSON names them.
    let obligationFields: [(type: String, fields: [String])]
    let locales: [String]

    init(_ policySet: PolicySet) {
        name = policySet.name
        tiers = policySet.thresholds.flatMap { $0.tiers.map(\.id) }
        outcomes = policySet.rules.map(\.id) + tiers
        obligationFields = policySet.obligationFieldNames.map { ($0.type, ["source"] + $0.fields) }
        locales = policySet.locales
    }
}

// MARK: - Reading documents

extension TestPlanLoader {
    /// The one document of a test file, read; nil when it is not a mapping with a known kind.
    mutating func readDocument(_ node: YAMLNode, file: String) -> TestDocument? {
        guard var fields = YAMLMappingDecoder(node, describedAs: .en("test file", zh: "测试文件"), diagnostics: &diagnostics) else {
            return nil
        }
        var document = TestDocument(file: file)
        guard let kind = fields.required("kind", as: String.self, diagnostics: &diagnostics) else { return nil }
        switch kind {
        case "tests": document.kind = .tests
        case "fixtures": document.kind = .fixtures
        default:
            diagnostics.append(TestMessages.unknownKind(kind, at: fields.entry("kind")!.value.span))
            return nil
        }
        _ = fields.optional("description", as: String.self, diagnostics: &diagnostics)
        if let entry = fields.entry("include") {
            document.includes = located(strings: entry.value)
        }
        if let node = fields.entry("defaults")?.value,
            var defaults = YAMLMappingDecoder(node, describedAs: .en("`defaults`", zh: "`defaults`"), diagnostics: &diagnostics)
        {
            document.defaultRequest = defaults.entry("request")?.value
            if let locale = defaults.entry("locale")?.value, let text = locale.string(diagnostics: &diagnostics) {
                checkLocale(Located(text, at: locale.span))
                document.defaultLocale = Located(text, at: locale.span)
            }
            defaults.finish(diagnostics: &diagnostics)
        }
        if let mapping = fields.entry("fixtures")?.value.mapping(diagnostics: &diagnostics) {
            for entry in mapping {
                guard let name = entry.key.string(diagnostics: &diagnostics) else { continue }
                let located = Located(name, at: entry.key.span)
                if let first = document.fixtures.first(where: { $0.name.value == name }) {
                    diagnostics.append(TestMessages.duplicate(.fixture, name, at: entry.key.span, first: first.name.span))
                    continue
                }
                document.fixtures.append((located, entry.value))
            }
        }
        if let mapping = fields.entry("generators")?.value.mapping(diagnostics: &diagnostics) {
            for entry in mapping {
                guard let name = entry.key.string(diagnostics: &diagnostics),
                    let generator = readGenerator(entry.value, name: name)
                else { continue }
                document.generators.append((Located(name, at: entry.key.span), generator))
            }
        }
        if document.kind == .tests {
            if let list = fields.required("cases", as: [YAMLNode].self, diagnostics: &diagnostics) {
                for node in list {
                    guard let model = readCase(node) else { continue }
                    if let first = document.cases.first(where: { $0.name.value == model.name.value }) {
                        diagnostics.append(TestMessages.duplicate(
                            .testCase, model.name.value, at: model.name.span, first: first.name.span))
                        continue
                    }
                    document.cases.append(model)
                }
            }
        }
        fields.finish(diagnostics: &diagnostics)
        return document
    }

    private mutating func readGenerator(_ node: YAMLNode, name: String) -> RequestGenerator? {
        guard var fields = YAMLMappingDecoder(node, describedAs: .en("generator `\(name)`", zh: "生成器 `\(name)`"), diagnostics: &diagnostics)
        else { return nil }
        _ = fields.optional("description", as: String.self, diagnostics: &diagnostics)
        let list = locatedString(&fields, "list")
        let timestamp = locatedString(&fields, "timestamp")
        var item: YAMLNode?
        if let entry = fields.entry("item") {
            if entry.value.mapping(diagnostics: &diagnostics) != nil { item = entry.value }
        } else {
            _ = fields.required("item", as: YAMLNode.self, diagnostics: &diagnostics)
        }
        var spacing = CELDuration(seconds: 3600)!
        if let entry = fields.entry("spacing"), let text = entry.value.scalarText(diagnostics: &diagnostics) {
            if let parsed = PolicyDuration.parse(text), parsed.seconds > 0 {
                spacing = parsed
            } else {
                diagnostics.append(TestMessages.invalidSpacing(text, at: entry.value.span))
            }
        }
        fields.finish(diagnostics: &diagnostics)
        guard let list, let timestamp, let item else { return nil }
        return RequestGenerator(list: list, item: item, timestamp: timestamp, spacing: spacing)
    }

    private mutating func readCase(_ node: YAMLNode) -> CaseModel? {
        guard var fields = YAMLMappingDecoder(node, describedAs: TestMessages.Definition.testCase.text, diagnostics: &diagnostics) else { return nil }
        let name = locatedString(&fields, "name")
        _ = fields.optional("description", as: String.self, diagnostics: &diagnostics)
        let request = fields.entry("request")?.value
        var locale: Located<String>?
        if let node = fields.entry("locale")?.value, let text = node.string(diagnostics: &diagnostics) {
            locale = Located(text, at: node.span)
            checkLocale(locale!)
        }
        var expect = Expectations()
        if let node = fields.entry("expect")?.value { expect = readExpectations(node) }
        var table: TableModel?
        if let node = fields.entry("table")?.value { table = readTable(node) }
        fields.finish(diagnostics: &diagnostics)
        guard let name else { return nil }
        return CaseModel(name: name, span: node.span, request: request, locale: locale, expect: expect, table: table)
    }

    private mutating func readTable(_ node: YAMLNode) -> TableModel? {
        guard var fields = YAMLMappingDecoder(node, describedAs: .en("`table`", zh: "`table`"), diagnostics: &diagnostics) else { return nil }
        var columns: [Located<String>] = []
        if let entry = fields.entry("columns") {
            columns = located(strings: entry.value)
        } else {
            _ = fields.required("columns", as: YAMLNode.self, diagnostics: &diagnostics)
        }
        let rows = fields.required("rows", as: [YAMLNode].self, diagnostics: &diagnostics) ?? []
        fields.finish(diagnostics: &diagnostics)
        var valid: [YAMLNode] = []
        for row in rows {
            guard let cells = row.sequence(diagnostics: &diagnostics) else { continue }
            guard cells.count == columns.count else {
                diagnostics.append(TestMessages.tableShape(cells: cells.count, columns: columns.map(\.value), at: row.span))
                continue
            }
            valid.append(row)
        }
        return TableModel(columns: columns, rows: valid, span: node.span)
    }

    // MARK: - Expectations

    /// The keys `expect:` takes; a table column with one of these names is an expectation.
    static let expectationKeys = [
        "effect", "deciding", "matched", "not_matched", "tier", "obligations", "reason", "problems",
    ]

    mutating func readExpectations(_ node: YAMLNode) -> Expectations {
        var expectations = Expectations()
        guard var fields = YAMLMappingDecoder(node, describedAs: .en("`expect`", zh: "`expect`"), diagnostics: &diagnostics) else {
            return expectations
        }
        for key in Self.expectationKeys {
            guard let entry = fields.entry(key) else { continue }
            readExpectation(key, entry.value, into: &expectations)
        }
        fields.finish(diagnostics: &diagnostics)
        return expectations
    }

    /// One expectation, from `expect:` or from a table cell.
    mutating func readExpectation(_ key: String, _ node: YAMLNode, into expectations: inout Expectations) {
        switch key {
        case "effect":
            guard let text = node.string(diagnostics: &diagnostics) else { return }
            guard let effect = Effect(rawValue: text) else {
                diagnostics.append(TestMessages.invalidEffect(text, at: node.span))
                return
            }
            expectations.effect = Located(effect, at: node.span)
        case "deciding":
            let ids = outcomeIDs(node)
            expectations.deciding = Located(ids.map(\.value), at: node.span)
        case "matched": expectations.matched = outcomeIDs(node)
        case "not_matched": expectations.notMatched = outcomeIDs(node)
        case "tier":
            guard let text = node.string(diagnostics: &diagnostics) else { return }
            if text == "none" {
                expectations.tier = Located(nil, at: node.span)
            } else if vocabulary.tiers.contains(text) {
                expectations.tier = Located(text, at: node.span)
            } else {
                diagnostics.append(TestMessages.unknown(
                    .tier, text, at: node.span, known: vocabulary.tiers + ["none"],
                    in: TestMessages.policySet(vocabulary.name)))
            }
        case "obligations":
            guard let items = node.sequence(diagnostics: &diagnostics) else { return }
            expectations.obligations = Located(items.compactMap { readObligation($0) }, at: node.span)
        case "reason":
            let items = node.sequence ?? [node]
            expectations.reasons = items.compactMap { readReason($0) }
        case "problems":
            // `problems: [missing-list]`, one kind, or `none` (the default made explicit).
            let items = node.sequence ?? [node]
            let known = EvaluationProblem.Kind.allCases.map(\.rawValue)
            var kinds: [String] = []
            for item in items {
                guard let kind = item.string(diagnostics: &diagnostics) else { continue }
                if kind == "none" && items.count == 1 { break }
                guard known.contains(kind) else {
                    diagnostics.append(TestMessages.unknownProblemKind(kind, at: item.span, known: known + ["none"]))
                    continue
                }
                kinds.append(kind)
            }
            expectations.problems = Located(kinds, at: node.span)
        default:
            break
        }
    }

    /// Rule and tier ids: a list, or one id; each must exist.
    private mutating func outcomeIDs(_ node: YAMLNode) -> [Located<String>] {
        let items = node.sequence ?? [node]
        var ids: [Located<String>] = []
        for item in items {
            guard let id = item.string(diagnostics: &diagnostics) else { continue }
            guard vocabulary.outcomes.contains(id) else {
                diagnostics.append(TestMessages.unknown(
                    .ruleOrTier, id, at: item.span, known: vocabulary.outcomes, in: TestMessages.policySet(vocabulary.name)))
                continue
            }
            ids.append(Located(id, at: item.span))
        }
        return ids
    }

    private mutating func readObligation(_ node: YAMLNode) -> ExpectedObligation? {
        guard let mapping = node.mapping(diagnostics: &diagnostics) else { return nil }
        guard let typeNode = mapping["type"] else {
            diagnostics.append(TestMessages.obligationWithoutType(at: node.span, types: vocabulary.obligationFields.map(\.type)))
            return nil
        }
        guard let type = typeNode.string(diagnostics: &diagnostics) else { return nil }
        guard let known = vocabulary.obligationFields.first(where: { $0.type == type }) else {
            diagnostics.append(TestMessages.unknown(
                .obligationType, type, at: typeNode.span, known: vocabulary.obligationFields.map(\.type),
                in: TestMessages.policySet(vocabulary.name)))
            return nil
        }
        var fields: [(name: Located<String>, value: Located<String>)] = []
        for entry in mapping where entry.key.scalar?.text != "type" {
            guard let name = entry.key.string(diagnostics: &diagnostics) else { continue }
            guard known.fields.contains(name) else {
                diagnostics.append(TestMessages.unknown(
                    .field, name, at: entry.key.span, known: known.fields, in: TestMessages.obligation(type)))
                continue
            }
            guard let value = entry.value.scalarText(diagnostics: &diagnostics) else { continue }
            fields.append((Located(name, at: entry.key.span), Located(value, at: entry.value.span)))
        }
        return ExpectedObligation(type: Located(type, at: typeNode.span), fields: fields, span: node.span)
    }

    private mutating func readReason(_ node: YAMLNode) -> ExpectedReason? {
        guard var fields = YAMLMappingDecoder(node, describedAs: .en("`reason`", zh: "`reason`"), diagnostics: &diagnostics) else {
            return nil
        }
        var locale: Located<String>?
        if let entry = fields.entry("locale"), let text = entry.value.string(diagnostics: &diagnostics) {
            locale = Located(text, at: entry.value.span)
            checkLocale(locale!)
        }
        var rule: Located<String>?
        if let entry = fields.entry("rule"), let text = entry.value.string(diagnostics: &diagnostics) {
            // Besides rules and tiers, the pseudo rules reasons are given under.
            let pseudo = ["default", ProblemEffect.onErrorRule, ProblemEffect.onMissingRule, ProblemEffect.onHistoryUnavailableRule]
            if vocabulary.outcomes.contains(text) || pseudo.contains(text) {
                rule = Located(text, at: entry.value.span)
            } else {
                diagnostics.append(TestMessages.unknown(
                    .ruleOrTier, text, at: entry.value.span, known: vocabulary.outcomes + pseudo,
                    in: TestMessages.policySet(vocabulary.name)))
            }
        }
        let equals = fields.entry("equals")?.value
        let contains = fields.entry("contains")?.value
        fields.finish(diagnostics: &diagnostics)
        let match: ExpectedReason.Match
        switch (equals, contains) {
        case (let node?, nil):
            guard let text = node.scalarText(diagnostics: &diagnostics) else { return nil }
            match = .equals(text)
        case (nil, let node?):
            guard let text = node.scalarText(diagnostics: &diagnostics) else { return nil }
            match = .contains(text)
        default:
            diagnostics.append(TestMessages.reasonMatch(at: node.span))
            return nil
        }
        return ExpectedReason(locale: locale, rule: rule, match: match, span: node.span)
    }

    private mutating func checkLocale(_ locale: Located<String>) {
        guard !vocabulary.locales.isEmpty, !vocabulary.locales.contains(locale.value) else { return }
        diagnostics.append(TestMessages.unknown(
            .locale, locale.value, at: locale.span, known: vocabulary.locales, in: TestMessages.policySet(vocabulary.name)))
    }

    // MARK: - Scalars

    private mutating func locatedString(_ fields: inout YAMLMappingDecoder, _ key: String) -> Located<String>? {
        guard let entry = fields.entry(key) else {
            _ = fields.required(key, as: String.self, diagnostics: &diagnostics)
            return nil
        }
        return entry.value.string(diagnostics: &diagnostics).map { Located($0, at: entry.value.span) }
    }

    /// A list of strings, or one string.
    private mutating func located(strings node: YAMLNode) -> [Located<String>] {
        (node.sequence ?? [node]).compactMap { item in
            item.string(diagnostics: &diagnostics).map { Located($0, at: item.span) }
        }
    }
}
