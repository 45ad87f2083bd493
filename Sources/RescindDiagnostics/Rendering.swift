import RescindJSON

/// Looks up the text of files named in spans so renderers can quote source lines.
package struct SourceMap: Sendable {
    private var files: [String: SourceFile] = [:]

    package init(_ files: [SourceFile] = []) {
        for file in files { self.files[file.path] = file }
    }

    package mutating func add(_ file: SourceFile) { files[file.path] = file }
    package func file(_ path: String) -> SourceFile? { files[path] }
}

/// The output formats every command that reports diagnostics supports.
public enum DiagnosticFormat: String, Sendable, CaseIterable {
    case human
    case json
    case github
}

/// Renders diagnostics for people: the `path:line:col: severity[code]: message` line,
/// the quoted source line with a caret under the span, then notes and `help:`.
///
/// In `locale` the message, notes and help are in that language and so are the
/// `note`/`help` labels; the first line's `path:line:col: error[code]:` stays as it is in
/// every locale, so tools and people searching for a code find it the same way.
package struct HumanRenderer: Sendable {
    package var sources: SourceMap
    package var color: Bool
    package var locale: Diagnostic.Locale

    package init(sources: SourceMap, color: Bool = false, locale: Diagnostic.Locale = .en) {
        self.sources = sources
        self.color = color
        self.locale = locale
    }

    package func render(_ diagnostics: some Sequence<Diagnostic>) -> String {
        diagnostics.map(render).joined()
    }

    package func render(_ diagnostic: Diagnostic) -> String {
        var out = ""
        if let span = diagnostic.span { out += paint("\(span): ", .bold) }
        out += paint(diagnostic.severity.rawValue, severityStyle(diagnostic.severity))
        out += paint("[\(diagnostic.code)]", severityStyle(diagnostic.severity))
        out += paint(": \(diagnostic.message(in: locale))", .bold) + "\n"
        if let span = diagnostic.span { out += excerpt(span, style: severityStyle(diagnostic.severity)) }
        let words = DiagnosticWords(locale)
        for note in diagnostic.notes {
            if let span = note.span {
                out += paint("\(span): ", .bold) + paint(words.note, .cyan) + words.colon + note.message(in: locale) + "\n"
                out += excerpt(span, style: .cyan)
            } else {
                out += "  = " + paint(words.note, .cyan) + words.colon + note.message(in: locale) + "\n"
            }
        }
        if let help = diagnostic.help(in: locale) {
            out += "  = " + paint(words.help, .cyan) + words.colon + help + "\n"
        }
        return out
    }

    /// The quoted source line and an underline (`^~~~`) for the span's first line.
    private func excerpt(_ span: SourceSpan, style: Style) -> String {
        guard let file = sources.file(span.file), let line = file.line(span.start.line) else { return "" }
        let number = String(span.start.line)
        let gutter = String(repeating: " ", count: number.count)
        let lineText = line.replacingOccurrences(of: "\t", with: " ")
        let lineLength = lineText.unicodeScalars.count
        let startColumn = min(span.start.column, lineLength + 1)
        let endColumn = span.end.line == span.start.line ? max(span.end.column, startColumn + 1) : lineLength + 1
        let width = max(1, min(endColumn, lineLength + 1) - startColumn)
        let marker = "^" + String(repeating: "~", count: width - 1)
        return "\(gutter) |\n\(number) | \(lineText)\n\(gutter) | "
            + String(repeating: " ", count: startColumn - 1) + paint(marker, style) + "\n"
    }

    private enum Style: String {
        case bold = "1"
        case red = "1;31"
        case yellow = "1;33"
        case cyan = "1;36"
    }

    private func severityStyle(_ severity: Severity) -> Style {
        switch severity {
        case .error: .red
        case .warning: .yellow
        case .note: .cyan
        }
    }

    private func paint(_ text: String, _ style: Style) -> String {
        color ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }
}

/// Renders diagnostics as one JSON document: `{"diagnostics": [...]}` with stable keys.
/// In `locale` the `message` and `help` texts are in that language; the keys, codes and
/// spans are the same in every locale.
package struct JSONDiagnosticRenderer: Sendable {
    package var locale: Diagnostic.Locale

    package init(locale: Diagnostic.Locale = .en) { self.locale = locale }

    package func render(_ diagnostics: some Sequence<Diagnostic>) -> String {
        JSONWriter.text(capacity: 1024) { out in
            out.beginObject()
            out.key("diagnostics")
            write(diagnostics, into: &out)
            out.endObject()
            out.byte(UInt8(ascii: "\n"))
        }
    }

    /// One diagnostic as a JSON object (keys in a fixed order so output is byte-stable).
    package func object(_ d: Diagnostic) -> String {
        JSONWriter.text { write(d, into: &$0) }
    }

    /// The diagnostics as a JSON array of `object`s, into a document being written.
    package func write(_ diagnostics: some Sequence<Diagnostic>, into out: inout JSONWriter) {
        out.array { out in
            for diagnostic in diagnostics {
                out.element()
                write(diagnostic, into: &out)
            }
        }
    }

    /// `object(d)`, into a document being written.
    package func write(_ d: Diagnostic, into out: inout JSONWriter) {
        out.beginObject()
        out.member("severity", string: d.severity.rawValue)
        out.member("code", string: d.code.rawValue)
        out.member("message", string: d.message(in: locale))
        if let span = d.span { write(span, as: "span", into: &out) }
        if !d.notes.isEmpty {
            out.key("notes")
            out.array { out in
                for note in d.notes {
                    out.element()
                    out.object { out in
                        out.member("message", string: note.message(in: locale))
                        if let span = note.span { write(span, as: "span", into: &out) }
                    }
                }
            }
        }
        if let help = d.help(in: locale) { out.member("help", string: help) }
        out.endObject()
    }

    private func write(_ span: SourceSpan, as name: StaticString, into out: inout JSONWriter) {
        out.member(name, object: { out in
            out.member("file", string: span.file)
            out.member("start", object: { write(span.start, into: &$0) })
            out.member("end", object: { write(span.end, into: &$0) })
        })
    }

    private func write(_ location: SourceLocation, into out: inout JSONWriter) {
        out.member("line", integer: location.line)
        out.member("column", integer: location.column)
    }
}

/// Renders diagnostics as GitHub Actions workflow commands (`::error file=…::message`),
/// which GitHub shows as annotations on the changed lines. In `locale` the message,
/// notes and help (and their labels) are in that language; the properties are not.
package struct GitHubRenderer: Sendable {
    package var locale: Diagnostic.Locale

    package init(locale: Diagnostic.Locale = .en) { self.locale = locale }

    package func render(_ diagnostics: some Sequence<Diagnostic>) -> String {
        diagnostics.map(render).joined()
    }

    package func render(_ d: Diagnostic) -> String {
        let command = switch d.severity {
        case .error: "error"
        case .warning: "warning"
        case .note: "notice"
        }
        var properties: [String] = []
        if let span = d.span {
            properties.append("file=\(escapeProperty(span.file))")
            properties.append("line=\(span.start.line)")
            properties.append("col=\(span.start.column)")
            if span.end.line >= span.start.line {
                properties.append("endLine=\(span.end.line)")
                if span.end.line == span.start.line { properties.append("endColumn=\(span.end.column)") }
            }
        }
        properties.append("title=\(escapeProperty(d.code.rawValue))")
        let words = DiagnosticWords(locale)
        var message = d.message(in: locale)
        for note in d.notes { message += "\n\(words.note)\(words.colon)\(note.message(in: locale))" }
        if let help = d.help(in: locale) { message += "\n\(words.help)\(words.colon)\(help)" }
        return "::\(command) \(properties.joined(separator: ","))::\(escapeData(message))\n"
    }

    private func escapeData(_ s: String) -> String { escape(s, isProperty: false) }

    private func escapeProperty(_ s: String) -> String { escape(s, isProperty: true) }

    /// Works on Unicode scalars, not Characters: "\r\n" is a single Character, so a
    /// Character-based replacement of "\r" and "\n" would let a raw line break through
    /// and end the workflow command early.
    private func escape(_ s: String, isProperty: Bool) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            case ":" where isProperty: out += "%3A"
            case "," where isProperty: out += "%2C"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// The renderers' own words: the labels of notes and help lines, in a locale.
struct DiagnosticWords {
    let note: String
    let help: String
    /// What follows a label: `: ` in English, a full-width `：` in Chinese.
    let colon: String

    init(_ locale: Diagnostic.Locale) {
        switch locale {
        case .en: (note, help, colon) = ("note", "help", ": ")
        case .zhCN: (note, help, colon) = ("说明", "提示", "：")
        }
    }
}

/// Quotes a string as a JSON string literal (RFC 8259) with `RescindJSON`'s escaper, for
/// a quoted string shown on its own (a YAML scalar's description). JSON documents are
/// written with `JSONWriter`, which applies the same escaper as it writes.
package func jsonString(_ s: String) -> String { JSONEscaping.quoted(s) }

extension Substring {
    fileprivate func replacingOccurrences(of target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
