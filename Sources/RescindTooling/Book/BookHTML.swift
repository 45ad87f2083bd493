/// Writes a `BookDocument` as HTML: one self-contained page (inline CSS with a print
/// stylesheet, no scripts, nothing fetched), or the fragment inside it for a page that
/// embeds the book (the workbench). Every rule, threshold, tier and refund case has an
/// `id` and a `data-source="file:line"` attribute, so a page can link it to its source.
package enum BookHTML {
    /// The whole page.
    package static func page(_ document: BookDocument) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(escape(document.language))">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(document.title))</title>
        <style>
        \(stylesheet)</style>
        </head>
        <body>
        \(fragment(document))</body>
        </html>

        """
    }

    /// The book without `html`, `head` or `body`: one `<article class="rescind-book">`,
    /// styled by `stylesheet`.
    package static func fragment(_ document: BookDocument) -> String {
        var out = "<article class=\"rescind-book\" lang=\"\(escape(document.language))\">\n"
        for block in document.blocks { write(block, into: &out) }
        out += "</article>\n"
        return out
    }

    /// The book's CSS, every selector under `.rescind-book` so a page embedding the
    /// fragment keeps its own styles; `@media print` lays it out for paper.
    package static let stylesheet = """
        .rescind-book { font-family: -apple-system, "Segoe UI", "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif; line-height: 1.55; color: #1b1f23; max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
        .rescind-book h1 { font-size: 1.8rem; border-bottom: 2px solid #1b1f23; padding-bottom: .3rem; }
        .rescind-book h2 { font-size: 1.4rem; margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
        .rescind-book h3 { font-size: 1.15rem; margin-top: 1.6rem; }
        .rescind-book h4 { font-size: 1rem; margin-top: 1.2rem; }
        .rescind-book code { font-family: "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: .9em; background: #f3f4f6; padding: .05em .3em; border-radius: 3px; word-break: break-word; }
        .rescind-book section.item { border-left: 3px solid #d0d7de; padding: .1rem 0 .1rem 1rem; margin: 1.2rem 0; }
        .rescind-book blockquote { margin: .5rem 0; padding: .4rem .8rem; border-left: 3px solid #8c959f; background: #f6f8fa; }
        .rescind-book table { border-collapse: collapse; margin: .6rem 0 1rem; width: 100%; }
        .rescind-book th, .rescind-book td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
        .rescind-book th { background: #f6f8fa; }
        .rescind-book dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; margin: .5rem 0; }
        .rescind-book dt { font-weight: 600; }
        .rescind-book dd { margin: 0; }
        .rescind-book ul { margin: .3rem 0 .6rem; padding-left: 1.4rem; }
        .rescind-book a { color: #0969da; }
        @media print {
          @page { margin: 18mm 16mm; }
          .rescind-book { max-width: none; padding: 0; font-size: 10.5pt; }
          .rescind-book a { color: inherit; text-decoration: none; }
          .rescind-book code, .rescind-book blockquote, .rescind-book th { background: none; }
          .rescind-book h2 { break-before: page; }
          .rescind-book h2:first-of-type { break-before: auto; }
          .rescind-book h2, .rescind-book h3, .rescind-book h4 { break-after: avoid; }
          .rescind-book section.item, .rescind-book tr, .rescind-book blockquote { break-inside: avoid; }
        }

        """

    private static func write(_ block: BookBlock, into out: inout String) {
        switch block {
        case .heading(let level, let content, let anchor):
            let n = max(1, min(level, 6))
            out += "<h\(n)\(anchor.map { " id=\"\(escape($0))\"" } ?? "")>" + inlines(content) + "</h\(n)>\n"
        case .paragraph(let content):
            out += "<p>" + inlines(content) + "</p>\n"
        case .fields(let fields):
            out += "<dl>\n"
            for field in fields { out += "<dt>\(escape(field.label))</dt><dd>\(inlines(field.value))</dd>\n" }
            out += "</dl>\n"
        case .list(let items):
            writeList(items, into: &out)
        case .quote(let content):
            out += "<blockquote>" + inlines(content) + "</blockquote>\n"
        case .table(let table):
            out += "<table>\n<thead><tr>" + table.header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
            for row in table.rows {
                out += "<tr" + attributes(anchor: row.anchor, source: row.source) + ">"
                out += row.cells.map { "<td>\(inlines($0))</td>" }.joined() + "</tr>\n"
            }
            out += "</tbody>\n</table>\n"
        case .item(let anchor, let source, let blocks):
            out += "<section class=\"item\"" + attributes(anchor: anchor, source: source) + ">\n"
            for block in blocks { write(block, into: &out) }
            out += "</section>\n"
        }
    }

    private static func attributes(anchor: String?, source: String?) -> String {
        (anchor.map { " id=\"\(escape($0))\"" } ?? "") + (source.map { " data-source=\"\(escape($0))\"" } ?? "")
    }

    private static func writeList(_ items: [BookListItem], into out: inout String) {
        out += "<ul>\n"
        for item in items {
            out += "<li>" + inlines(item.content)
            if !item.children.isEmpty {
                out += "\n"
                writeList(item.children, into: &out)
            }
            out += "</li>\n"
        }
        out += "</ul>\n"
    }

    package static func inlines(_ content: [BookInline]) -> String {
        content.map { item in
            switch item {
            case .text(let text): escape(text)
            case .code(let code): "<code>" + escape(code) + "</code>"
            case .strong(let text): "<strong>" + escape(text) + "</strong>"
            case .link(let text, let anchor): "<a href=\"#\(escape(anchor))\">" + escape(text) + "</a>"
            }
        }.joined()
    }

    /// Text and attribute values with `& < > " '` as character references.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
