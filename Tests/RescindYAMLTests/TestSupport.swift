import RescindDiagnostics
import RescindYAML
import Testing

/// Loads `text` as `test.yaml` with the given limits.
func load(
    _ text: String, limits: YAMLLimits = .default, sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> YAMLLoadResult {
    let result = YAMLLoader(limits: limits).load(text: text, path: "test.yaml")
    expectTranslated(result.diagnostics, sourceLocation: sourceLocation)
    return result
}

/// Every diagnostic a test makes is written in zh-CN too, keeping the English's
/// backticked parts (see `Diagnostic.translationProblems`).
func expectTranslated(
    _ diagnostics: some Sequence<Diagnostic>, sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let problems = diagnostics.flatMap(\.translationProblems)
    #expect(problems.isEmpty, "untranslated:\n\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
}

/// The single document of a text that must load cleanly.
func document(_ text: String) -> YAMLNode? {
    let result = load(text)
    guard result.diagnostics.isEmpty, result.documents.count == 1 else { return nil }
    return result.documents[0]
}

/// The diagnostics rendered for people, without color: what golden tests compare.
func rendered(_ result: YAMLLoadResult) -> String {
    HumanRenderer(sources: SourceMap([result.source]), color: false).render(result.diagnostics)
}

/// The diagnostics of a decoding step rendered against the loaded source.
func rendered(
    _ diagnostics: Diagnostics, source: SourceFile, sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> String {
    expectTranslated(diagnostics, sourceLocation: sourceLocation)
    return HumanRenderer(sources: SourceMap([source]), color: false).render(diagnostics)
}

/// A span as `line:col-line:col`, compact for assertions.
func position(_ span: SourceSpan) -> String {
    "\(span.start.line):\(span.start.column)-\(span.end.line):\(span.end.column)"
}

/// The diagnostic codes in order.
func codes(_ diagnostics: Diagnostics) -> [String] {
    diagnostics.map(\.code.rawValue)
}
