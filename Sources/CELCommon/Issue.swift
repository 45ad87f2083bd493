import RescindDiagnostics

/// A problem found in one CEL expression, located by byte offsets into the
/// expression's text. The caller that knows where the expression came from (a
/// command-line argument, a YAML scalar) turns it into a located `Diagnostic`.
package struct CELIssue: Sendable, Hashable, CustomStringConvertible {
    /// Which stage found it.
    package enum Stage: String, Sendable, Hashable {
        case parse
        case check
        case plan
    }

    package var stage: Stage
    package var severity: Severity
    package var code: DiagnosticCode
    package var message: String
    package var range: TextRange
    package var help: String?
    package var notes: [String]

    package init(
        _ stage: Stage, _ code: DiagnosticCode, _ message: String, at range: TextRange,
        severity: Severity = .error, help: String? = nil, notes: [String] = []
    ) {
        self.stage = stage
        self.severity = severity
        self.code = code
        self.message = message
        self.range = range
        self.help = help
        self.notes = notes
    }

    package var description: String { "\(range.start): \(severity.rawValue)[\(code)]: \(message)" }

    /// A diagnostic located by `locate`, which maps expression offsets to a file span.
    package func diagnostic(locate: (TextRange) -> SourceSpan?) -> Diagnostic {
        Diagnostic(severity, code, message, at: locate(range), notes: notes.map { DiagnosticNote($0) }, help: help)
    }

    /// A diagnostic for an expression that is the whole of `file` (e.g. a command-line
    /// argument shown as `<expr>`).
    package func diagnostic(in file: SourceFile) -> Diagnostic {
        diagnostic { file.span(from: Int($0.start), to: Int($0.end)) }
    }
}
