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
    /// The message in every locale (`message` is its English).
    package var text: DiagnosticText
    package var range: TextRange
    package var helpText: DiagnosticText?
    package var noteTexts: [DiagnosticText]

    /// The message in English.
    package var message: String { text.en }
    /// The help in English.
    package var help: String? { helpText?.en }
    /// The notes in English.
    package var notes: [String] { noteTexts.map(\.en) }

    package init(
        _ stage: Stage, _ code: DiagnosticCode, _ text: DiagnosticText, at range: TextRange,
        severity: Severity = .error, help: DiagnosticText? = nil, notes: [DiagnosticText] = []
    ) {
        self.stage = stage
        self.severity = severity
        self.code = code
        self.text = text
        self.range = range
        self.helpText = help
        self.noteTexts = notes
    }

    package var description: String { "\(range.start): \(severity.rawValue)[\(code)]: \(message)" }

    /// A diagnostic located by `locate`, which maps expression offsets to a file span.
    package func diagnostic(locate: (TextRange) -> SourceSpan?) -> Diagnostic {
        Diagnostic(severity, code, text, at: locate(range), notes: noteTexts.map { DiagnosticNote($0) }, help: helpText)
    }

    /// A diagnostic for an expression that is the whole of `file` (e.g. a command-line
    /// argument shown as `<expr>`).
    package func diagnostic(in file: SourceFile) -> Diagnostic {
        diagnostic { file.span(from: Int($0.start), to: Int($0.end)) }
    }
}
