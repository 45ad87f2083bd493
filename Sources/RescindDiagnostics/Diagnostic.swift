/// How bad a diagnostic is.
public enum Severity: String, Sendable, Hashable, Codable, Comparable {
    case error
    case warning
    case note

    private var rank: Int {
        switch self {
        case .error: 2
        case .warning: 1
        case .note: 0
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A stable, documented identifier of a kind of diagnostic (e.g. `yaml-duplicate-key`).
/// Tools and tests match on the code, never on the message text.
public struct DiagnosticCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

/// A secondary message attached to a diagnostic, optionally pointing elsewhere
/// (e.g. "first defined here").
public struct DiagnosticNote: Hashable, Sendable {
    /// The note's text in every locale; `message` is its English.
    package var text: DiagnosticText
    public var span: SourceSpan?

    /// The note in English. Setting it replaces the text in every locale (an embedder's
    /// own note has no translation; it is shown in English in every locale).
    public var message: String {
        get { text.en }
        set { text = DiagnosticText(untranslated: newValue) }
    }

    public init(_ message: String, span: SourceSpan? = nil) {
        self.text = DiagnosticText(untranslated: message)
        self.span = span
    }

    /// A note written in every locale (how the pipeline's own notes are made).
    package init(_ text: DiagnosticText, span: SourceSpan? = nil) {
        self.text = text
        self.span = span
    }

    /// The note in `locale`.
    public func message(in locale: Diagnostic.Locale) -> String { text.text(in: locale) }
}

/// One problem found by any stage of the pipeline: a kind (code), a severity, a
/// lowercase message with user input in backticks, where it is, and how to fix it.
///
/// The message, the notes and the help are written in every locale diagnostics are
/// shown in (`Diagnostic.Locale`); `message` and `help` are the English, as they
/// always were, and `message(in:)` and `help(in:)` pick a locale. The code, the
/// severity and the span are the same in every locale.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public var severity: Severity
    public var code: DiagnosticCode
    /// The message in every locale; `message` is its English.
    package var text: DiagnosticText
    public var span: SourceSpan?
    public var notes: [DiagnosticNote]
    /// The help in every locale; `help` is its English.
    package var helpText: DiagnosticText?

    /// The message in English. Setting it replaces the message in every locale (an
    /// embedder's own text has no translation; it is shown in English in every locale).
    public var message: String {
        get { text.en }
        set { text = DiagnosticText(untranslated: newValue) }
    }

    /// How to fix it, in English. Setting it replaces the help in every locale.
    public var help: String? {
        get { helpText?.en }
        set { helpText = newValue.map(DiagnosticText.init(untranslated:)) }
    }

    /// The message in `locale`.
    public func message(in locale: Locale) -> String { text.text(in: locale) }

    /// The help in `locale`, if the diagnostic has one.
    public func help(in locale: Locale) -> String? { helpText?.text(in: locale) }

    public init(
        _ severity: Severity, _ code: DiagnosticCode, _ message: String,
        at span: SourceSpan?, notes: [DiagnosticNote] = [], help: String? = nil
    ) {
        self.init(
            severity, code, DiagnosticText(untranslated: message), at: span, notes: notes,
            help: help.map(DiagnosticText.init(untranslated:)))
    }

    /// A diagnostic written in every locale (how the pipeline's own diagnostics are made,
    /// in each module's `*Messages.swift`).
    package init(
        _ severity: Severity, _ code: DiagnosticCode, _ text: DiagnosticText,
        at span: SourceSpan?, notes: [DiagnosticNote] = [], help: DiagnosticText? = nil
    ) {
        self.severity = severity
        self.code = code
        self.text = text
        self.span = span
        self.notes = notes
        self.helpText = help
    }

    public static func error(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan?,
        notes: [DiagnosticNote] = [], help: String? = nil
    ) -> Diagnostic {
        Diagnostic(.error, code, message, at: span, notes: notes, help: help)
    }

    public static func warning(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan?,
        notes: [DiagnosticNote] = [], help: String? = nil
    ) -> Diagnostic {
        Diagnostic(.warning, code, message, at: span, notes: notes, help: help)
    }

    /// An error written in every locale.
    package static func error(
        _ code: DiagnosticCode, _ text: DiagnosticText, at span: SourceSpan?,
        notes: [DiagnosticNote] = [], help: DiagnosticText? = nil
    ) -> Diagnostic {
        Diagnostic(.error, code, text, at: span, notes: notes, help: help)
    }

    /// A warning written in every locale.
    package static func warning(
        _ code: DiagnosticCode, _ text: DiagnosticText, at span: SourceSpan?,
        notes: [DiagnosticNote] = [], help: DiagnosticText? = nil
    ) -> Diagnostic {
        Diagnostic(.warning, code, text, at: span, notes: notes, help: help)
    }

    /// The one-line form: `path:line:col: error[code]: message`.
    public var description: String {
        let location = span.map { "\($0): " } ?? ""
        return "\(location)\(severity.rawValue)[\(code)]: \(message)"
    }
}

extension Diagnostic {
    /// A language diagnostics are shown in. The raw value is the BCP 47 tag
    /// (`en`, `zh-CN`), as `rescind check --locale` takes it.
    public enum Locale: String, Sendable, Hashable, CaseIterable {
        /// English, the default: what `message` and `help` return.
        case en = "en"
        /// Simplified Chinese as written in mainland China.
        case zhCN = "zh-CN"
    }
}

/// A text of a diagnostic (its message, a note or its help) in every locale.
///
/// The English and the Chinese are written side by side where the diagnostic is made
/// (each module's `*Messages.swift`), from the same arguments, so a translation cannot
/// drift from its English sibling and a new message cannot be added in one language
/// only. The texts are built with the diagnostic, at load or check time; nothing on the
/// decision path makes diagnostics.
package struct DiagnosticText: Hashable, Sendable {
    /// The English text.
    package let en: String
    private let chinese: String?

    /// The text in English and in Chinese (zh-CN). The Chinese gets a space between a
    /// Chinese character and inline code (`` `x` ``) where it has none, as the policy
    /// pack's Chinese texts write it, so texts built from parts read the same way.
    package init(_ en: String, zh: String) {
        self.en = en
        self.chinese = Self.spacingCode(zh)
    }

    /// A text that exists in English only (an embedder's own, or one not written by
    /// Rescind); every locale shows the English.
    package init(untranslated en: String) {
        self.en = en
        self.chinese = nil
    }

    /// Shorthand for `init(_:zh:)`, so messages read `.en("…", zh: "…")`.
    package static func en(_ en: String, zh: String) -> DiagnosticText { DiagnosticText(en, zh: zh) }

    /// The zh-CN text (the English when there is no translation).
    package var zh: String { chinese ?? en }

    /// Whether the text was written in zh-CN too (tests check every message is).
    package var isTranslated: Bool { chinese != nil }

    /// The text in `locale`.
    package func text(in locale: Diagnostic.Locale) -> String {
        switch locale {
        case .en: en
        case .zhCN: zh
        }
    }

    /// Each text changed by its own language's function ("expected X" / "应为 X");
    /// translated only if self was.
    package func map(en toEnglish: (String) -> String, zh toChinese: (String) -> String) -> DiagnosticText {
        chinese.map { DiagnosticText(toEnglish(en), zh: toChinese($0)) } ?? DiagnosticText(untranslated: toEnglish(en))
    }

    /// `text` with a space between a CJK character and what is written in Latin script
    /// next to it, outside inline code: inline code (`` `x` ``), a word (`YAML`), a number
    /// ("规则`a`有3项" → "规则 `a` 有 3 项"), as the policy pack's Chinese texts write
    /// them. Full-width punctuation stays tight.
    static func spacingCode(_ text: String) -> String {
        func isCJK(_ c: Character?) -> Bool {
            guard let scalar = c?.unicodeScalars.first else { return false }
            return (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value)
        }
        func isLatin(_ c: Character?) -> Bool {
            guard let c, c.isASCII else { return false }
            return c.isLetter || c.isNumber
        }
        var out = ""
        var inCode = false
        var previous: Character?
        let characters = Array(text)
        for (index, c) in characters.enumerated() {
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            if c == "`" {
                if !inCode, isCJK(previous) { out.append(" ") }
                out.append(c)
                if inCode, isCJK(next) { out.append(" ") }
                inCode.toggle()
            } else {
                if !inCode, isCJK(c) && isLatin(previous) || isLatin(c) && isCJK(previous) { out.append(" ") }
                out.append(c)
            }
            previous = c
        }
        return out
    }
}

/// An ordered collection of diagnostics that stages append to instead of stopping
/// at the first problem.
package struct Diagnostics: Sendable, Hashable, Sequence, ExpressibleByArrayLiteral {
    package private(set) var items: [Diagnostic]

    package init(_ items: [Diagnostic] = []) { self.items = items }
    package init(arrayLiteral elements: Diagnostic...) { self.items = elements }

    package mutating func append(_ diagnostic: Diagnostic) { items.append(diagnostic) }
    package mutating func append(contentsOf other: some Sequence<Diagnostic>) { items.append(contentsOf: other) }

    package var hasErrors: Bool { items.contains { $0.severity == .error } }
    package var errors: [Diagnostic] { items.filter { $0.severity == .error } }
    package var warnings: [Diagnostic] { items.filter { $0.severity == .warning } }
    package var isEmpty: Bool { items.isEmpty }
    package var count: Int { items.count }

    package func makeIterator() -> IndexingIterator<[Diagnostic]> { items.makeIterator() }

    /// Diagnostics in a stable order: by file, line, column, then as appended.
    package func sorted() -> [Diagnostic] {
        items.enumerated().sorted { a, b in
            let ka = (a.element.span?.file ?? "", a.element.span?.start.line ?? 0, a.element.span?.start.column ?? 0, a.offset)
            let kb = (b.element.span?.file ?? "", b.element.span?.start.line ?? 0, b.element.span?.start.column ?? 0, b.offset)
            return ka < kb
        }.map(\.element)
    }
}

extension Diagnostic {
    /// Where the zh-CN text of this diagnostic falls short, one line per text (message,
    /// notes, help): a text written in English only, a Chinese that is the English, or a
    /// backticked part of the English (user input, a key, a code) the Chinese leaves
    /// out. Empty when every text is translated; the test suites check every diagnostic
    /// they make, so a new message cannot ship in one language.
    package var translationProblems: [String] {
        var texts: [(String, DiagnosticText)] = [("message", text)]
        texts += notes.map { ("note", $0.text) }
        if let helpText { texts.append(("help", helpText)) }
        return texts.compactMap { role, text in
            text.translationProblem.map { "[\(code)] \(role) `\(text.en)`: \($0)" }
        }
    }
}

extension DiagnosticText {
    /// Why the Chinese falls short, or nil (see `Diagnostic.translationProblems`).
    package var translationProblem: String? {
        guard isTranslated else { return "no zh-CN text" }
        let words = Self.removingCode(en).unicodeScalars.contains { ("a"..."z").contains($0) || ("A"..."Z").contains($0) }
        if zh == en, words { return "the zh-CN text is the English" }
        let missing = Self.codeSpans(en).filter { !zh.contains($0) }
        if !missing.isEmpty { return "the zh-CN text leaves out \(missing.joined(separator: ", "))" }
        return nil
    }

    /// The backticked parts of `text`, with their backticks.
    package static func codeSpans(_ text: String) -> [String] {
        var spans: [String] = []
        var current: String?
        for c in text {
            if c == "`" {
                if let open = current {
                    spans.append(open + "`")
                    current = nil
                } else {
                    current = "`"
                }
            } else if current != nil {
                current!.append(c)
            }
        }
        return spans
    }

    /// `text` without its backticked parts.
    package static func removingCode(_ text: String) -> String {
        var out = ""
        var inCode = false
        for c in text {
            if c == "`" { inCode.toggle() } else if !inCode { out.append(c) }
        }
        return out
    }
}
