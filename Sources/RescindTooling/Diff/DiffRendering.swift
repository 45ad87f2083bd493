import RescindDiagnostics
import RescindJSON
import RescindPolicy

// The three forms of a diff: text for a terminal, Markdown for a pull request comment,
// JSON for programs (a contract: docs/diff.md).
extension PolicyDiff {
    // MARK: Text

    /// For a terminal: the two sides, a count, then each change under its file kind,
    /// with the code or text before (`-`) and after (`+`) when the words leave it out,
    /// and where it is written in A and B.
    package func text(locale: Diagnostic.Locale = .en) -> String {
        var out = "A: \(Self.describe(before, locale))\nB: \(Self.describe(after, locale))\n"
        out += summary(locale) + "\n"
        for (section, changes) in sections {
            out += "\n\(section.title(locale))\n"
            for change in changes {
                out += "  \(change.words(locale))\n"
                if change.showsValues {
                    if let value = change.before { out += "    - \(value)\n" }
                    if let value = change.after { out += "    + \(value)\n" }
                }
                var places: [String] = []
                if let span = change.beforeSpan { places.append("A \(Self.place(span))") }
                if let span = change.afterSpan { places.append("B \(Self.place(span))") }
                if !places.isEmpty { out += "    \(places.joined(separator: "  "))\n" }
            }
        }
        return out
    }

    // MARK: Markdown

    /// For a pull request comment: a heading, a summary line, then a table per file kind
    /// (change, before, after, where).
    package func markdown(locale: Diagnostic.Locale = .en) -> String {
        let en = locale == .en
        var out = en ? "### Policy changes\n\n" : "### 策略变更\n\n"
        let a = "**A** \(Self.markdownSide(before, locale))", b = "**B** \(Self.markdownSide(after, locale))"
        if changes.isEmpty {
            out += "\(summary(locale)): \(a) → \(b)\n"
            return out
        }
        out += "**\(summary(locale))**\(en ? ": " : "：")\(a) → \(b)\n"
        for (section, changes) in sections {
            let title = section.title(locale)
            out += "\n#### \(title.prefix(1).uppercased() + title.dropFirst())\n\n"
            out += en ? "| Change | Before | After | Where |\n" : "| 变化 | 修改前 | 修改后 | 位置 |\n"
            out += "| --- | --- | --- | --- |\n"
            for change in changes {
                var places: [String] = []
                if let span = change.beforeSpan { places.append("A \(Self.code(Self.place(span)))") }
                if let span = change.afterSpan { places.append("B \(Self.code(Self.place(span)))") }
                let cells = [
                    Self.cell(change.words(locale)), change.before.map { Self.cell(Self.code($0)) } ?? "",
                    change.after.map { Self.cell(Self.code($0)) } ?? "", places.joined(separator: "<br>"),
                ]
                out += "| " + cells.joined(separator: " | ") + " |\n"
            }
        }
        return out
    }

    // MARK: JSON

    /// One line of JSON, keys in this order: `a` and `b` (source, commit, name, version,
    /// digest), `locale`, `summary` (changes, added, removed, changed) and `changes`, each
    /// with kind, id, change, field, before, after, words and spans (before and after:
    /// file, line, column, or null).
    package func json(locale: Diagnostic.Locale = .en) -> String {
        JSONWriter.text(capacity: 1024) { out in
            out.beginObject()
            out.member("a", object: { Self.write(before, into: &$0) })
            out.member("b", object: { Self.write(after, into: &$0) })
            out.member("locale", string: locale.rawValue)
            out.member("summary", object: { out in
                out.member("changes", integer: changes.count)
                out.member("added", integer: count(.added))
                out.member("removed", integer: count(.removed))
                out.member("changed", integer: count(.changed))
            })
            out.key("changes")
            out.array { out in
                for change in changes {
                    out.element()
                    out.object { out in
                        out.member("kind", string: change.kind.rawValue)
                        out.member("id", string: change.id)
                        out.member("change", string: change.change.rawValue)
                        out.member("field", string: change.field)
                        out.member("before", string: change.before)
                        out.member("after", string: change.after)
                        out.member("words", string: change.words(locale))
                        out.member("spans", object: { out in
                            Self.write(change.beforeSpan, named: "before", into: &out)
                            Self.write(change.afterSpan, named: "after", into: &out)
                        })
                    }
                }
            }
            out.endObject()
        } + "\n"
    }

    private static func write(_ side: DiffSide, into out: inout JSONWriter) {
        out.member("source", string: side.label)
        out.member("commit", string: side.commit)
        out.member("name", string: side.model.header?.name.value)
        out.member("version", string: side.model.header?.version.value)
        out.member("digest", string: side.digest)
    }

    private static func write(_ span: SourceSpan?, named name: StaticString, into out: inout JSONWriter) {
        guard let span else {
            out.key(name)
            out.literal("null")
            return
        }
        out.member(name, object: { out in
            out.member("file", string: span.file)
            out.member("line", integer: span.start.line)
            out.member("column", integer: span.start.column)
        })
    }

    // MARK: Shared

    /// The changes grouped by file kind, in the report's order.
    package var sections: [(PolicyChange.Section, [PolicyChange])] {
        PolicyChange.Section.allCases.compactMap { section in
            let changes = changes.filter { $0.kind.section == section }
            return changes.isEmpty ? nil : (section, changes)
        }
    }

    /// `3 changes: 1 added, 1 removed, 1 changed`, or `no changes`.
    package func summary(_ locale: Diagnostic.Locale) -> String {
        let (added, removed, changed) = (count(.added), count(.removed), count(.changed))
        if changes.isEmpty {
            // The same meaning from other bytes: comments, layout, an order that decides nothing.
            let differ = before.digest != nil && after.digest != nil && before.digest != after.digest
            return locale == .en
                ? (differ ? "no changes (the files differ only in comments, layout or an order that decides nothing)" : "no changes")
                : (differ ? "无变化（文件仅在注释、排版或不影响结果的顺序上有差异）" : "无变化")
        }
        return locale == .en
            ? "\(changes.count) change\(changes.count == 1 ? "" : "s"): \(added) added, \(removed) removed, \(changed) changed"
            : "共 \(changes.count) 处变化：新增 \(added)，删除 \(removed)，修改 \(changed)"
    }

    /// `Policies (marketplace-cancellations 2026.12, digest f014fcd1be15)`.
    private static func describe(_ side: DiffSide, _ locale: Diagnostic.Locale) -> String {
        let details = details(side, locale)
        guard !details.isEmpty else { return side.label }
        return locale == .en ? "\(side.label) (\(details.joined(separator: ", ")))" : "\(side.label)（\(details.joined(separator: "，"))）"
    }

    private static func markdownSide(_ side: DiffSide, _ locale: Diagnostic.Locale) -> String {
        let details = details(side, locale, code: true)
        let open = locale == .en ? " (" : "（", close = locale == .en ? ")" : "）"
        return code(side.label) + (details.isEmpty ? "" : open + details.joined(separator: locale == .en ? ", " : "，") + close)
    }

    private static func details(_ side: DiffSide, _ locale: Diagnostic.Locale, code: Bool = false) -> [String] {
        var parts: [String] = []
        let wrap = { (text: String) in code ? Self.code(text) : text }
        if let commit = side.commit { parts.append((locale == .en ? "commit " : "提交 ") + wrap(String(commit.prefix(12)))) }
        if let header = side.model.header { parts.append("\(wrap(header.name.value)) \(header.version.value)") }
        if let digest = side.digest { parts.append((locale == .en ? "digest " : "摘要 ") + wrap(String(digest.prefix(12)))) }
        return parts
    }

    /// `path:line`.
    private static func place(_ span: SourceSpan) -> String { "\(span.file):\(span.start.line)" }

    /// A Markdown code span that holds any text.
    private static func code(_ text: String) -> String {
        text.contains("`") ? "`` \(text) ``" : "`\(text)`"
    }

    /// Text safe inside a table cell.
    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
