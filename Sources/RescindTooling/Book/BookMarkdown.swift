/// Writes a `BookDocument` as GitHub-flavoured Markdown. Every piece of policy text is
/// escaped, so a reason or an id with `*`, `|` or `<` shows as written and cannot start
/// markup; items carry `<a id>` anchors with the same ids as the HTML.
package enum BookMarkdown {
    package static func render(_ document: BookDocument) -> String {
        var out = ""
        let colon = document.language.hasPrefix("zh") ? "：" : ": "
        for block in document.blocks { write(block, colon: colon, into: &out) }
        // One newline at the end, whatever the last block left.
        while out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }

    private static func write(_ block: BookBlock, colon: String, into out: inout String) {
        switch block {
        case .heading(let level, let content, let anchor):
            if let anchor { out += "<a id=\"\(anchor)\"></a>\n\n" }
            out += String(repeating: "#", count: max(1, min(level, 6))) + " " + line(content) + "\n\n"
        case .paragraph(let content):
            out += line(content) + "\n\n"
        case .fields(let fields):
            for field in fields { out += "- **\(inline(.text(field.label)))**\(colon)" + inlines(field.value) + "\n" }
            out += "\n"
        case .list(let items):
            writeList(items, depth: 0, into: &out)
            out += "\n"
        case .quote(let content):
            out += "> " + line(content) + "\n\n"
        case .table(let table):
            out += "| " + table.header.map { cell([.text($0)]) }.joined(separator: " | ") + " |\n"
            out += "|" + String(repeating: " --- |", count: table.header.count) + "\n"
            for row in table.rows {
                var cells = row.cells.map(cell)
                if let anchor = row.anchor, !cells.isEmpty { cells[0] = "<a id=\"\(anchor)\"></a>" + cells[0] }
                out += "| " + cells.joined(separator: " | ") + " |\n"
            }
            out += "\n"
        case .item(let anchor, _, let blocks):
            out += "<a id=\"\(anchor)\"></a>\n\n"
            for block in blocks { write(block, colon: colon, into: &out) }
        }
    }

    private static func writeList(_ items: [BookListItem], depth: Int, into out: inout String) {
        for item in items {
            out += String(repeating: "  ", count: depth) + "- " + inlines(item.content) + "\n"
            writeList(item.children, depth: depth + 1, into: &out)
        }
    }

    /// Inline content that starts a line: a leading `-`, `+`, `=` or `1.` would start
    /// a list or a heading underline, so it is escaped.
    private static func line(_ content: [BookInline]) -> String {
        let text = inlines(content)
        guard let first = text.first else { return text }
        if "-+=".contains(first) { return "\\" + text }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, let next = text.dropFirst(digits.count).first, next == "." || next == ")" {
            return digits + "\\" + text.dropFirst(digits.count)
        }
        return text
    }

    /// A table cell: no line breaks, and every `|` escaped (inside code spans too, as
    /// GitHub's tables require).
    private static func cell(_ content: [BookInline]) -> String {
        inlines(content).replacingOccurrences(of: "|", with: "\\|")
    }

    package static func inlines(_ content: [BookInline]) -> String { content.map(inline).joined() }

    static func inline(_ item: BookInline) -> String {
        switch item {
        case .text(let text): escape(text)
        case .code(let code): codeSpan(code)
        case .strong(let text): "**" + escape(text) + "**"
        case .link(let text, let anchor): "[" + escape(text) + "](#" + anchor + ")"
        }
    }

    /// Text with Markdown's punctuation escaped and line breaks turned into spaces.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "&", "~", "#":
                out.append("\\")
                out.append(character)
            case "\n", "\r", "\r\n", "\t": out.append(" ")
            default: out.append(character)
            }
        }
        return out
    }

    /// A code span that holds any text: fenced by one more backtick than the longest
    /// run inside, padded when the text starts or ends with a backtick.
    package static func codeSpan(_ code: String) -> String {
        let flat = code.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
        var longest = 0, run = 0
        for character in flat {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") || flat.isEmpty ? " " : ""
        return fence + pad + flat + pad + fence
    }
}
