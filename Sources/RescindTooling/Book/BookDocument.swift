/// The policy book as a document, before it is written out: headings, paragraphs,
/// lists and tables of inline text. Built once per locale by `BookBuilder`; the
/// Markdown and HTML writers read the same document, so both say the same things.
package struct BookDocument: Sendable {
    /// The title (the first heading).
    package var title: String
    /// The document's language, as HTML's `lang` (`en`, `zh-CN`).
    package var language: String
    package var blocks: [BookBlock]
}

/// A run of text: plain, code (ids, field paths, CEL shown as written) or emphasized.
package enum BookInline: Sendable, Equatable {
    case text(String)
    case code(String)
    case strong(String)
    /// A link to an anchor of the same document.
    case link(String, anchor: String)
}

/// One list item: its text and the items nested under it.
package struct BookListItem: Sendable {
    package var content: [BookInline]
    package var children: [BookListItem]

    package init(_ content: [BookInline], children: [BookListItem] = []) {
        self.content = content
        self.children = children
    }
}

/// A table: a header row and rows, each row optionally an addressable item.
package struct BookTable: Sendable {
    package struct Row: Sendable {
        package var cells: [[BookInline]]
        /// The HTML `id` of the row, when the row is an item of its own (a tier).
        package var anchor: String?
        /// `file:line` of what the row shows.
        package var source: String?

        package init(_ cells: [[BookInline]], anchor: String? = nil, source: String? = nil) {
            self.cells = cells
            self.anchor = anchor
            self.source = source
        }
    }

    package var header: [String]
    package var rows: [Row]
}

/// A block of the document.
package indirect enum BookBlock: Sendable {
    case heading(level: Int, [BookInline], anchor: String?)
    case paragraph([BookInline])
    /// "Label: value" lines (a definition list in HTML).
    case fields([(label: String, value: [BookInline])])
    case list([BookListItem])
    /// Text people receive (a reason), quoted.
    case quote([BookInline])
    case table(BookTable)
    /// An addressable item (a rule, a threshold, a refund case): its blocks under an
    /// `id` and the `file:line` it was written at (HTML `data-source`).
    case item(anchor: String, source: String?, [BookBlock])
}

extension BookDocument {
    /// A fragment id made of the characters every writer and browser keeps as they are.
    static func anchor(_ parts: String...) -> String {
        let joined = parts.joined(separator: "-")
        var result = ""
        for scalar in joined.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": result.unicodeScalars.append(scalar)
            default: result += "-"
            }
        }
        return result
    }
}
