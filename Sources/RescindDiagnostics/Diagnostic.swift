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
    public var message: String
    public var span: SourceSpan?

    public init(_ message: String, span: SourceSpan? = nil) {
        self.message = message
        self.span = span
    }
}

/// One problem found by any stage of the pipeline: a kind (code), a severity, a
/// lowercase message with user input in backticks, where it is, and how to fix it.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public var severity: Severity
    public var code: DiagnosticCode
    public var message: String
    public var span: SourceSpan?
    public var notes: [DiagnosticNote]
    public var help: String?

    public init(
        _ severity: Severity, _ code: DiagnosticCode, _ message: String,
        at span: SourceSpan?, notes: [DiagnosticNote] = [], help: String? = nil
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.span = span
        self.notes = notes
        self.help = help
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

    /// The one-line form: `path:line:col: error[code]: message`.
    public var description: String {
        let location = span.map { "\($0): " } ?? ""
        return "\(location)\(severity.rawValue)[\(code)]: \(message)"
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
