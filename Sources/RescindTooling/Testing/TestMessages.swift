import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// Diagnostic codes of policy test files (`rescind test`), all in one place.
extension DiagnosticCode {
    /// No `*.tests.yaml` file under the paths given.
    package static let testNoFiles: DiagnosticCode = "test-no-files"
    /// A test file's `kind` is not `tests` or `fixtures`.
    package static let testUnknownKind: DiagnosticCode = "test-unknown-kind"
    /// Two cases, fixtures or generators share a name.
    package static let testDuplicateName: DiagnosticCode = "test-duplicate-name"
    /// A request names a fixture that no file in scope defines, or fixtures build on each other in a circle.
    package static let testUnknownFixture: DiagnosticCode = "test-unknown-fixture"
    /// `include:` names a file that is missing or is not a fixtures file.
    package static let testBadInclude: DiagnosticCode = "test-bad-include"
    /// An expectation names a rule, tier, obligation type or field, or locale the policy set does not have.
    package static let testUnknownName: DiagnosticCode = "test-unknown-name"
    /// A value in a test file is not what its key takes.
    package static let testInvalidValue: DiagnosticCode = "test-invalid-value"
    /// A case's request cannot be put together (no request, a path through a non-object, …).
    package static let testBadRequest: DiagnosticCode = "test-bad-request"
    /// A case expects nothing, so it could never fail.
    package static let testNoExpectations: DiagnosticCode = "test-no-expectations"
    /// A table row does not have one value per column.
    package static let testTableShape: DiagnosticCode = "test-table-shape"
    /// A case's decision did not meet its expectations (GitHub annotations).
    package static let testFailed: DiagnosticCode = "test-failed"
    /// A rule, tier, obligation or boundary that no case exercised (GitHub annotations).
    package static let testNotCovered: DiagnosticCode = "test-not-covered"
}

/// The test layer's messages: lowercase, user input in backticks, a `help:` where it helps.
enum TestMessages {
    static func noFiles(_ paths: [String]) -> Diagnostic {
        .error(
            .testNoFiles, "no test files found in \(paths.map { "`\($0)`" }.joined(separator: ", "))", at: nil,
            help: "test files end in `.tests.yaml` and live beside the policies; see docs/testing-policies.md")
    }

    static func unknownKind(_ kind: String, at span: SourceSpan) -> Diagnostic {
        let kinds = ["tests", "fixtures"]
        return .error(
            .testUnknownKind, "unknown test file kind `\(kind)`", at: span,
            help: Suggestions.didYouMean(kind, in: kinds) ?? "expected `tests` or `fixtures`")
    }

    static func duplicate(_ what: String, _ name: String, at span: SourceSpan, first: SourceSpan) -> Diagnostic {
        .error(
            .testDuplicateName, "duplicate \(what) `\(name)`", at: span,
            notes: [DiagnosticNote("the first one is here", span: first)])
    }

    static func unknownFixture(_ name: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .testUnknownFixture, "no fixture named `\(name)`", at: span,
            help: Suggestions.didYouMean(name, in: known)
                ?? (known.isEmpty
                    ? "define it under `fixtures:` in this file or in a file it includes"
                    : "the fixtures in scope are \(Suggestions.quotedList(known.sorted(), conjunction: "and"))"))
    }

    static func fixtureCycle(_ chain: [String], at span: SourceSpan) -> Diagnostic {
        .error(
            .testUnknownFixture, "fixture `\(chain[0])` builds on itself: \(chain.map { "`\($0)`" }.joined(separator: " → "))",
            at: span)
    }

    static func unknown(_ what: String, _ name: String, at span: SourceSpan, known: [String], in owner: String) -> Diagnostic {
        .error(
            .testUnknownName, "`\(name)` is not \(what) of \(owner)", at: span,
            help: Suggestions.didYouMean(name, in: known)
                ?? (known.isEmpty ? nil : "expected one of \(Suggestions.quotedList(known))"))
    }

    static func invalid(_ message: String, at span: SourceSpan, help: String? = nil) -> Diagnostic {
        .error(.testInvalidValue, message, at: span, help: help)
    }

    static func badRequest(_ message: String, at span: SourceSpan, help: String? = nil) -> Diagnostic {
        .error(.testBadRequest, message, at: span, help: help)
    }
}
