import Foundation
import Rescind
import CELRuntime
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// One side of a diff: a policy set as read (before checking), and how to name it.
package struct DiffSide: Sendable {
    /// How the side was named (`Policies`, `git:origin/main`).
    package var label: String
    package var model: PolicyModel
    /// The compiled set's digest (hex), when it compiled.
    package var digest: String?
    /// The commit a `git:REV` side was read at.
    package var commit: String?
    /// What every file path starts with (`Policies/`): without it, a path is the file's
    /// name inside the policy folder, which is what "moved to another file" compares.
    package var filePrefix: String

    package init(label: String, model: PolicyModel, digest: String? = nil, commit: String? = nil, filePrefix: String = "") {
        self.label = label
        self.model = model
        self.digest = digest
        self.commit = commit
        self.filePrefix = filePrefix
    }

    /// A loaded policy set (`LoadedPolicies`), e.g. the workbench's saved and edited sets.
    package init(label: String, loaded: LoadedPolicies, commit: String? = nil, filePrefix: String = "") {
        self.init(label: label, model: loaded.model, digest: loaded.policySet?.digest, commit: commit, filePrefix: filePrefix)
    }

    /// A policy folder's files loaded from disk or from memory with their paths inside
    /// `folder` (`LoadedPolicies.load(paths: [folder])`, or `load(folder:files:)` with
    /// paths `folder/name`, as the workbench's edited set): files are named inside it.
    package init(label: String, loaded: LoadedPolicies, folder: String) {
        self.init(label: label, loaded: loaded, filePrefix: PolicySource.filePrefix(folder: folder))
    }

    /// A side read from the command line (`PolicySource.load`).
    package init(_ loaded: LoadedPolicySource) {
        self.init(
            label: loaded.source.spec, loaded: loaded.policies, commit: loaded.commit, filePrefix: loaded.filePrefix)
    }

    /// The name of the file `path` inside the policy folder.
    func fileName(_ path: String) -> String {
        !filePrefix.isEmpty && path.hasPrefix(filePrefix) ? String(path.dropFirst(filePrefix.count)) : path
    }
}

/// What changed between two policy sets, compared by meaning: items are matched by id
/// (rules, thresholds, tiers, calendars, enums, fields) or, for refund cases, by
/// condition; an order that decides nothing (rules, enum values, weekend days) is not
/// a change, an order that does (refund cases, first match; tiers) is.
package struct PolicyDiff: Sendable {
    package var before: DiffSide
    package var after: DiffSide
    /// The changes, by file kind, then kind, then id; a stable order.
    package var changes: [PolicyChange]

    /// Compares two policy sets as read. Both should have loaded without errors; a part
    /// missing on one side is reported as added or removed.
    package static func compare(_ before: DiffSide, _ after: DiffSide) -> PolicyDiff {
        var comparison = DiffComparison(a: before, b: after)
        comparison.policySet()
        comparison.schema()
        comparison.calendars()
        comparison.rules()
        comparison.thresholds()
        comparison.refunds()
        let ordered = comparison.changes.enumerated().sorted { lhs, rhs in
            let (l, r) = (lhs.element, rhs.element)
            if l.kind != r.kind { return l.kind < r.kind }
            if l.sortKey != r.sortKey { return l.sortKey < r.sortKey }
            return lhs.offset < rhs.offset
        }.map(\.element)
        return PolicyDiff(before: before, after: after, changes: ordered)
    }

    /// How many changes of each kind of change.
    package func count(_ change: PolicyChange.Change) -> Int { changes.filter { $0.change == change }.count }
}

/// The comparison at work: the two sides and the changes found so far.
struct DiffComparison {
    let a: DiffSide
    let b: DiffSide
    var changes: [PolicyChange] = []

    mutating func add(
        _ kind: PolicyChange.Kind, _ id: String, _ change: PolicyChange.Change, field: String? = nil,
        before: String? = nil, after: String? = nil, spans: (SourceSpan?, SourceSpan?), _ words: DiffWords,
        showsValues: Bool = false, sortKey: String? = nil
    ) {
        changes.append(PolicyChange(
            kind: kind, id: id, change: change, field: field, before: before, after: after, words: words,
            beforeSpan: spans.0, afterSpan: spans.1, showsValues: showsValues, sortKey: sortKey ?? id))
    }

    // MARK: Shared comparisons

    /// The locales' texts of a reason (or message), one change per locale that differs.
    mutating func texts(
        _ x: LocalizedText?, _ y: LocalizedText?, kind: PolicyChange.Kind, id: String, field: String,
        subject: DiffWords, fallback: (SourceSpan?, SourceSpan?), sortKey: String? = nil
    ) {
        let before = Dictionary(x?.byLocale.map { ($0.locale, $0.text) } ?? [], uniquingKeysWith: { first, _ in first })
        let after = Dictionary(y?.byLocale.map { ($0.locale, $0.text) } ?? [], uniquingKeysWith: { first, _ in first })
        for locale in Set(before.keys).union(after.keys).sorted() {
            let old = before[locale], new = after[locale]
            if old?.source == new?.source { continue }
            let spans = (old?.span ?? x?.span ?? fallback.0, new?.span ?? y?.span ?? fallback.1)
            let change: PolicyChange.Change = old == nil ? .added : new == nil ? .removed : .changed
            let verb = change == .added ? DiffWords("added", "新增") : change == .removed ? DiffWords("removed", "删除") : DiffWords("changed", "已修改")
            let words = change == .changed
                ? DiffWords("\(subject.en) (\(locale)) changed", "\(subject.zhCN)（\(locale)）已修改")
                : DiffWords("\(subject.en) (\(locale)) \(verb.en)", "\(verb.zhCN)\(subject.zhCN)（\(locale)）")
            add(kind, id, change, field: "\(field).\(locale)", before: old.map { DiffCode.line($0.source) },
                after: new.map { DiffCode.line($0.source) }, spans: (old == nil ? nil : spans.0, new == nil ? nil : spans.1),
                words, showsValues: true, sortKey: sortKey)
        }
    }

    /// A description (one text, or one per locale).
    mutating func descriptions(
        _ x: DescriptionModel, _ y: DescriptionModel, kind: PolicyChange.Kind, id: String, subject: DiffWords,
        spans: (SourceSpan?, SourceSpan?), sortKey: String? = nil
    ) {
        switch (x, y) {
        case (.shared(let old), .shared(let new)):
            guard old != new else { return }
            add(kind, id, .changed, field: "description", before: old, after: new, spans: spans,
                DiffWords("description of \(subject.en) changed", "\(subject.zhCN)的描述已修改"), showsValues: true, sortKey: sortKey)
        case (.byLocale(let old), .byLocale(let new)):
            texts(old, new, kind: kind, id: id, field: "description",
                  subject: DiffWords("description of \(subject.en)", "\(subject.zhCN)的描述"), fallback: spans, sortKey: sortKey)
        default:
            // One text for every locale against one per locale: compared locale by locale.
            let locales = Set(Self.descriptionTexts(x, []).keys).union(Self.descriptionTexts(y, []).keys).subtracting([""])
            let old = Self.descriptionTexts(x, locales), new = Self.descriptionTexts(y, locales)
            for locale in locales.sorted() where old[locale] != new[locale] {
                add(kind, id, old[locale] == nil ? .added : new[locale] == nil ? .removed : .changed,
                    field: "description.\(locale)", before: old[locale], after: new[locale], spans: spans,
                    DiffWords("description of \(subject.en) (\(locale)) changed", "\(subject.zhCN)的描述（\(locale)）已修改"),
                    showsValues: true, sortKey: sortKey)
            }
        }
    }

    private static func descriptionTexts(_ description: DescriptionModel, _ locales: Set<String>) -> [String: String] {
        switch description {
        case .shared(let text):
            return locales.isEmpty ? ["": text] : Dictionary(uniqueKeysWithValues: locales.map { ($0, text) })
        case .byLocale(let texts):
            return Dictionary(texts.byLocale.map { ($0.locale, DiffCode.line($0.text.source)) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// A condition (`when`, `applies_when`, `where`), compared as CEL code without layout.
    mutating func condition(
        _ x: ConditionModel?, _ y: ConditionModel?, kind: PolicyChange.Kind, id: String, field: String,
        subject: DiffWords, spans: (SourceSpan?, SourceSpan?), sortKey: String? = nil
    ) {
        let old = DiffCode.cel(x), new = DiffCode.cel(y)
        guard DiffCode.key(old) != DiffCode.key(new) else { return }
        add(kind, id, .changed, field: field, before: old, after: new,
            spans: (x.map(DiffCode.span) ?? spans.0, y.map(DiffCode.span) ?? spans.1),
            DiffWords("\(subject.en) changed", "\(subject.zhCN)已修改"), showsValues: true, sortKey: sortKey)
    }

    /// `on_error`, `on_missing`, `on_history_unavailable`: the effect and its reason.
    mutating func problemEffect(
        _ x: ProblemEffectModel?, _ y: ProblemEffectModel?, kind: PolicyChange.Kind, id: String, field: String,
        subject: DiffWords, spans: (SourceSpan?, SourceSpan?), defaultEffect: Effect = .review
    ) {
        let old = x?.effect.value ?? defaultEffect, new = y?.effect.value ?? defaultEffect
        if old != new {
            add(kind, id, .changed, field: field, before: old.rawValue, after: new.rawValue,
                spans: (x?.effect.span ?? spans.0, y?.effect.span ?? spans.1),
                DiffWords("\(subject.en) is now at least \(DiffText.effect(new).en) (was \(DiffText.effect(old).en))",
                          "\(subject.zhCN)改为至少「\(DiffText.effect(new).zhCN)」（原为「\(DiffText.effect(old).zhCN)」）"))
        }
        texts(x?.reason, y?.reason, kind: kind, id: id, field: "\(field).reason",
              subject: DiffWords("reason of \(subject.en)", "\(subject.zhCN)的理由"), fallback: (x?.span ?? spans.0, y?.span ?? spans.1))
    }

    /// Obligations, matched by type (the second `notify` with the second), then field by field.
    mutating func obligations(
        _ x: [ObligationModel], _ y: [ObligationModel], kind: PolicyChange.Kind, id: String, owner: DiffWords,
        spans: (SourceSpan?, SourceSpan?), sortKey: String? = nil
    ) {
        let old = Self.keyed(x), new = Self.keyed(y)
        let keys = new.map(\.key) + old.map(\.key).filter { key in !new.contains { $0.key == key } }
        for key in keys {
            let before = old.first { $0.key == key }?.obligation, after = new.first { $0.key == key }?.obligation
            switch (before, after) {
            case (nil, let added?):
                add(kind, id, .added, field: "obligations.\(key)", after: DiffText.obligation(added), spans: (nil, added.span),
                    DiffWords("\(owner.en) now has obligation `\(added.type.value)` (\(DiffText.obligationFields(added)))",
                              "\(owner.zhCN)新增义务 `\(added.type.value)`（\(DiffText.obligationFields(added))）"), sortKey: sortKey)
            case (let removed?, nil):
                add(kind, id, .removed, field: "obligations.\(key)", before: DiffText.obligation(removed), spans: (removed.span, nil),
                    DiffWords("obligation `\(removed.type.value)` removed from \(owner.en)",
                              "\(owner.zhCN)删除义务 `\(removed.type.value)`"), sortKey: sortKey)
            case (let before?, let after?):
                let oldFields = Dictionary(before.fields.map { ($0.key.value, $0.value) }, uniquingKeysWith: { first, _ in first })
                let newFields = Dictionary(after.fields.map { ($0.key.value, $0.value) }, uniquingKeysWith: { first, _ in first })
                let names = after.fields.map(\.key.value) + before.fields.map(\.key.value).filter { newFields[$0] == nil }
                for name in names {
                    let o = oldFields[name], n = newFields[name]
                    if let o, let n, DiffCode.key(o.value) == DiffCode.key(n.value) { continue }
                    let type = after.type.value
                    let was = o.map { " (was `\(DiffCode.line($0.value))`)" } ?? " (was not set)"
                    let wasZh = o.map { "（原为 `\(DiffCode.line($0.value))`）" } ?? "（原未设置）"
                    let words = n.map {
                        DiffWords("obligation `\(type)` of \(owner.en): `\(name)` now `\(DiffCode.line($0.value))`\(was)",
                                  "\(owner.zhCN)的义务 `\(type)`：`\(name)` 改为 `\(DiffCode.line($0.value))`\(wasZh)")
                    } ?? DiffWords("obligation `\(type)` of \(owner.en): `\(name)` no longer set\(was)",
                                   "\(owner.zhCN)的义务 `\(type)`：不再设置 `\(name)`\(wasZh)")
                    add(kind, id, o == nil ? .added : n == nil ? .removed : .changed, field: "obligations.\(key).\(name)",
                        before: o.map { DiffCode.line($0.value) }, after: n.map { DiffCode.line($0.value) },
                        spans: (o?.span ?? before.span, n?.span ?? after.span), words, sortKey: sortKey)
                }
            case (nil, nil): break
            }
        }
    }

    /// Obligations keyed `type`, then `type#2`, `type#3` for repeats.
    private static func keyed(_ obligations: [ObligationModel]) -> [(key: String, obligation: ObligationModel)] {
        var seen: [String: Int] = [:]
        return obligations.map { obligation in
            let type = obligation.type.value
            seen[type, default: 0] += 1
            let n = seen[type]!
            return (n == 1 ? type : "\(type)#\(n)", obligation)
        }
    }

    /// The file an item moved to, by its name inside the policy folder.
    mutating func file(_ x: SourceSpan, _ y: SourceSpan, kind: PolicyChange.Kind, id: String, subject: DiffWords) {
        let old = a.fileName(x.file), new = b.fileName(y.file)
        guard old != new else { return }
        add(kind, id, .changed, field: "file", before: old, after: new, spans: (x, y),
            DiffWords("\(subject.en) moved from `\(old)` to `\(new)`", "\(subject.zhCN)从 `\(old)` 移至 `\(new)`"))
    }

    /// A list whose order decides nothing, compared as a set of values.
    mutating func set(
        _ x: [Located<String>], _ y: [Located<String>], kind: PolicyChange.Kind, id: String, field: String,
        idOf: (String) -> String = { _ in "" }, words: (PolicyChange.Change, String) -> DiffWords
    ) {
        let old = Set(x.map(\.value)), new = Set(y.map(\.value))
        for value in y.map(\.value) where !old.contains(value) {
            let itemID = idOf(value)
            add(kind, itemID.isEmpty ? id : itemID, .added, field: field, after: value,
                spans: (nil, y.first { $0.value == value }?.span), words(.added, value))
        }
        for value in x.map(\.value) where !new.contains(value) {
            let itemID = idOf(value)
            add(kind, itemID.isEmpty ? id : itemID, .removed, field: field, before: value,
                spans: (x.first { $0.value == value }?.span, nil), words(.removed, value))
        }
    }

    /// A value written once, as text.
    mutating func value(
        _ x: String?, _ y: String?, kind: PolicyChange.Kind, id: String, field: String, spans: (SourceSpan?, SourceSpan?),
        code: Bool = true, words: (_ new: String, _ old: String) -> DiffWords, sortKey: String? = nil
    ) {
        let old = x ?? "", new = y ?? ""
        guard code ? DiffCode.key(old) != DiffCode.key(new) : old != new else { return }
        add(kind, id, x == nil ? .added : y == nil ? .removed : .changed, field: field, before: x.map(DiffCode.line),
            after: y.map(DiffCode.line), spans: spans,
            words(y.map(DiffCode.line) ?? "-", x.map(DiffCode.line) ?? "-"), sortKey: sortKey)
    }
}

/// Words shared by the comparisons.
enum DiffText {
    static func effect(_ effect: Effect) -> DiffWords {
        switch effect {
        case .allow: DiffWords("allow", "允许")
        case .deny: DiffWords("deny", "拒绝")
        case .review: DiffWords("review", "人工审核")
        }
    }

    /// `1 business day`, `4 business days`.
    static func businessDays(_ count: String) -> String { count == "1" ? "1 business day" : "\(count) business days" }

    /// `notify {to: buyer, within: 24h}`.
    static func obligation(_ obligation: ObligationModel) -> String {
        "\(obligation.type.value) {\(obligationFields(obligation))}"
    }

    static func obligationFields(_ obligation: ObligationModel) -> String {
        obligation.fields.map { "\($0.key.value): \(DiffCode.line($0.value.value))" }.joined(separator: ", ")
    }

    /// `{count}` cancellations: the counted list's last name (`cancellations`), singular for one.
    static func counted(_ count: ExpressionText, _ n: Int) -> DiffWords {
        let path = DiffCode.line(count.source)
        let isPath = !path.isEmpty && path.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        var noun = isPath ? String(path.split(separator: ".").last ?? "items").replacingOccurrences(of: "_", with: " ") : "items"
        if n == 1, noun.hasSuffix("s") { noun.removeLast() }
        return DiffWords("\(n) \(noun)", "\(n) 次")
    }
}

/// CEL code as the diff shows and compares it.
enum DiffCode {
    /// The code on one line: runs of white space outside string literals become one space.
    static func line(_ source: String) -> String {
        var out = ""
        var quote: Character?
        var escaped = false
        var space = false
        for character in source {
            if let open = quote {
                out.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == open { quote = nil }
                continue
            }
            if character.isWhitespace {
                space = true
                continue
            }
            if space, !out.isEmpty { out.append(" ") }
            space = false
            if character == "\"" || character == "'" { quote = character }
            out.append(character)
        }
        return out
    }

    /// What two pieces of code are compared by: the code without layout (white space
    /// is kept only between two word characters, where it separates tokens).
    static func key(_ source: String) -> String {
        let line = line(source)
        var out = ""
        var quote: Character?
        var escaped = false
        var previous: Character?
        var pendingSpace = false
        for character in line {
            if let open = quote {
                out.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == open { quote = nil }
                previous = character
                continue
            }
            if character == " " {
                pendingSpace = true
                continue
            }
            if pendingSpace, let previous, isWord(previous), isWord(character) { out.append(" ") }
            pendingSpace = false
            if character == "\"" || character == "'" { quote = character }
            out.append(character)
            previous = character
        }
        return out
    }

    private static func isWord(_ character: Character) -> Bool { character.isLetter || character.isNumber || character == "_" }

    /// A condition as one CEL expression: `all` joined with `&&`, `any` with `||`,
    /// `not` as `!`; no condition is `true`.
    static func cel(_ condition: ConditionModel?) -> String {
        guard let condition else { return "true" }
        switch condition {
        case .expression(let text): return line(text.source)
        case .all(let items, _): return items.map { part($0, inside: "&&") }.joined(separator: " && ")
        case .any(let items, _): return items.map { part($0, inside: "||") }.joined(separator: " || ")
        case .not(let inner, _):
            let text = cel(inner)
            return text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) ? "!\(text)" : "!(\(text))"
        }
    }

    private static func part(_ condition: ConditionModel, inside joiner: String) -> String {
        let text = cel(condition)
        switch condition {
        case .expression:
            // `&&` binds tighter than `||`: only a ternary, or `||` inside `&&`, needs parentheses.
            let needs = text.contains("?") || (joiner == "&&" && text.contains("||"))
            return needs ? "(\(text))" : text
        case .all, .any: return "(\(text))"
        case .not: return text
        }
    }

    static func span(_ condition: ConditionModel) -> SourceSpan {
        switch condition {
        case .expression(let text): text.span
        case .all(_, let span), .any(_, let span), .not(_, let span): span
        }
    }

    /// A short name for a refund case from its condition: the values it tests
    /// (`bank_transfer`; `seller & stock_out`), else its code; `otherwise` without one.
    static func label(_ condition: ConditionModel?) -> String {
        guard let condition else { return "otherwise" }
        var parts: [String] = []
        for conjunct in conjuncts(condition) {
            guard let value = testedValue(conjunct) else { return cel(condition) }
            parts.append(value)
        }
        return parts.isEmpty ? cel(condition) : parts.joined(separator: " & ")
    }

    private static func conjuncts(_ condition: ConditionModel) -> [String] {
        switch condition {
        case .all(let items, _): return items.flatMap(conjuncts)
        case .expression(let text): return splitAnd(line(text.source))
        case .any, .not: return [cel(condition)]
        }
    }

    /// `a && b && c` split at its top-level `&&`s.
    private static func splitAnd(_ code: String) -> [String] {
        var parts: [String] = [], current = ""
        var depth = 0
        var quote: Character?
        var escaped = false
        let characters = Array(code)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if let open = quote {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if "([{".contains(character) {
                depth += 1
            } else if ")]}".contains(character) {
                depth -= 1
            } else if character == "&", depth == 0, index + 1 < characters.count, characters[index + 1] == "&" {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                index += 2
                continue
            }
            current.append(character)
            index += 1
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    /// The value a `path == "value"` (or `path in ["a", "b"]`) tests; nil for other code.
    private static func testedValue(_ code: String) -> String? {
        let pathCharacters = { (c: Character) in c.isLetter || c.isNumber || c == "_" || c == "." }
        if let range = code.range(of: " == ") {
            let left = code[..<range.lowerBound], right = code[range.upperBound...]
            guard !left.isEmpty, left.allSatisfy(pathCharacters) else { return nil }
            return stringLiteral(right)
        }
        if let range = code.range(of: " in [") , code.hasSuffix("]") {
            let left = code[..<range.lowerBound]
            guard !left.isEmpty, left.allSatisfy(pathCharacters) else { return nil }
            let items = code[range.upperBound..<code.index(before: code.endIndex)].split(separator: ",")
            let values = items.compactMap { stringLiteral($0.trimmingCharacters(in: .whitespaces)[...]) }
            return values.count == items.count && !values.isEmpty ? values.joined(separator: "|") : nil
        }
        return nil
    }

    private static func stringLiteral(_ text: Substring) -> String? {
        guard text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first else { return nil }
        let inner = text.dropFirst().dropLast()
        return inner.contains(first) || inner.contains("\\") ? nil : String(inner)
    }
}
