import CELChecker
import CELCommon
import CELParser
import RescindDiagnostics
import Testing

/// Parses `source`, failing the test on parse errors.
func parse(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> ParsedExpr? {
    let (parsed, issues) = CELParser().parse(source)
    #expect(issues.isEmpty, "parse issues for \(source): \(issues)", sourceLocation: sourceLocation)
    return parsed
}

/// Parses and checks `source`; a nil result means it did not parse.
func check(
    _ source: String, in environment: TypeEnvironment = Fixtures.environment,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> (CheckedExpr, [CELIssue])? {
    guard let parsed = parse(source, sourceLocation: sourceLocation) else { return nil }
    let result = Checker(environment: environment).check(parsed)
    let problems = result.1.flatMap { $0.diagnostic { _ in nil }.translationProblems }
    #expect(problems.isEmpty, "untranslated:\n\(problems.joined(separator: "\n"))", sourceLocation: sourceLocation)
    return result
}

/// The type of `source`, which must check without issues.
func typeOf(
    _ source: String, in environment: TypeEnvironment = Fixtures.environment,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> CELType? {
    guard let (checked, issues) = check(source, in: environment, sourceLocation: sourceLocation) else { return nil }
    #expect(issues.isEmpty, "issues for \(source): \(issues)", sourceLocation: sourceLocation)
    return checked.resultType
}

/// The codes of the issues `source` checks with.
func issueCodes(
    _ source: String, in environment: TypeEnvironment = Fixtures.environment,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> [String] {
    check(source, in: environment, sourceLocation: sourceLocation)?.1.map(\.code.rawValue) ?? ["<parse error>"]
}

/// The issues rendered as a person sees them for a command-line expression `<expr>`.
func rendered(_ issues: [CELIssue], source: String) -> String {
    let file = SourceFile(path: "<expr>", text: source)
    return HumanRenderer(sources: SourceMap([file]), color: false).render(issues.map { $0.diagnostic(in: file) })
}
