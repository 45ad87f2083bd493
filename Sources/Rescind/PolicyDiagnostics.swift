import RescindDiagnostics

/// What checking a policy folder found: errors (the set does not load) and warnings,
/// each at the place in a file to change, with the files' text to quote it.
public struct PolicyDiagnostics: Error, Sendable, CustomStringConvertible {
    /// Every error and warning, in file order.
    public let items: [Diagnostic]
    private let sources: SourceMap

    package init(_ loaded: LoadedPolicies) {
        items = loaded.diagnostics.items
        sources = loaded.sources
    }

    package init() {
        items = []
        sources = SourceMap()
    }

    /// Whether the set failed to load.
    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    /// The errors, in file order.
    public var errors: [Diagnostic] { items.filter { $0.severity == .error } }
    /// The warnings, in file order (`rescind check --strict` fails on them).
    public var warnings: [Diagnostic] { items.filter { $0.severity == .warning } }
    /// Whether nothing was found.
    public var isEmpty: Bool { items.isEmpty }

    /// Every diagnostic rendered as `rescind check` prints it.
    ///
    /// - Parameters:
    ///   - format: `.human`: `path:line:col: error[code]: message`, the source line with a
    ///     caret under the problem and a `help:` line; `.json`: one array of objects;
    ///     `.github`: GitHub Actions annotations.
    ///   - color: ANSI colours in the human format (for a terminal).
    ///   - locale: the language of the messages, notes and help (`.zhCN` as
    ///     `rescind check --locale zh-CN` prints them). The codes, locations and JSON keys
    ///     are the same in every language; only the words change.
    public func rendered(
        format: DiagnosticFormat = .human, color: Bool = false, locale: Diagnostic.Locale = .en
    ) -> String {
        switch format {
        case .human: HumanRenderer(sources: sources, color: color, locale: locale).render(items)
        case .json: JSONDiagnosticRenderer(locale: locale).render(items)
        case .github: GitHubRenderer(locale: locale).render(items)
        }
    }

    /// The human rendering without colour.
    public var description: String { rendered() }
}
