import CEL
import CELCommon
import CELRuntime
import Rescind
import RescindCELLibrary
import RescindDiagnostics
import RescindEngine
import RescindJSON
import RescindPolicy
import RescindYAML

/// One try of a CEL expression against `dyn` bindings, as `rescind cel` runs it:
/// parse, check, plan and evaluate, keeping whichever stage failed and where.
package struct ExpressionTrial: Sendable {
    /// The name the expression's text goes by in diagnostics.
    package static let sourceName = "<expr>"

    package let source: String
    package let bindings: [String: Value]
    package var calendars: CalendarRegistry

    package init(source: String, bindings: [String: Value], calendars: CalendarRegistry = CalendarRegistry()) {
        self.source = source
        self.bindings = bindings
        self.calendars = calendars
    }

    /// A value with its type, or a failure from one stage.
    package struct Outcome: Sendable {
        package enum Failure: Sendable, Error {
            case compile(CELIssue.Stage, [CELIssue])
            case evaluation(EvalError)
        }

        package let source: SourceFile
        package let result: Result<(value: Value, type: String), Failure>
        /// The compiled expression, to locate evaluation errors.
        let ranges: [Int32: TextRange]

        /// `{"value": …, "type": …}` or `{"error": {"kind": "parse|check|eval", "message": …}}`.
        package var json: String {
            switch result {
            // Spaced as `rescind cel --json` has always printed it (one space after each
            // colon and comma), so its structure is written as literals.
            case .success(let (value, type)):
                return JSONWriter.text { out in
                    out.literal(#"{"value": "#)
                    out.string(value.celLiteral)
                    out.literal(#", "type": "#)
                    out.string(type)
                    out.literal("}\n")
                }
            case .failure(let failure):
                let message = switch failure {
                case .compile(_, let issues): issues.filter { $0.severity == .error }.map(\.message).joined(separator: "; ")
                case .evaluation(let error): error.message
                }
                return JSONWriter.text { out in
                    out.literal(#"{"error": {"kind": "#)
                    out.string(kind(of: failure))
                    out.literal(#", "message": "#)
                    out.string(message)
                    out.literal("}}\n")
                }
            }
        }

        /// `VALUE : TYPE`, or the rendered diagnostics.
        package func human(color: Bool = false) -> String {
            switch result {
            case .success(let (value, type)):
                return "\(value.celLiteral) : \(type)\n"
            case .failure(let failure):
                return HumanRenderer(sources: SourceMap([source]), color: color).render(diagnostics(failure))
            }
        }

        /// The failure as located diagnostics.
        package func diagnostics(_ failure: Failure) -> [Diagnostic] {
            switch failure {
            case .compile(_, let issues):
                return issues.map { $0.diagnostic(in: source) }
            case .evaluation(let error):
                let span = ranges[error.exprID].map { source.span(from: Int($0.start), to: Int($0.end)) }
                return [.error(DiagnosticCode("cel-eval-\(error.code.rawValue)"), error.message, at: span)]
            }
        }

        private func kind(of failure: Failure) -> String {
            switch failure {
            case .compile(let stage, _): stage == .parse ? "parse" : "check"
            case .evaluation: "eval"
            }
        }
    }

    /// Runs the expression. Every binding is declared `dyn`.
    package func run() -> Outcome {
        let file = SourceFile(path: Self.sourceName, text: source)
        let environment = CELEnvironment(
            variables: bindings.mapValues { _ in .dyn }, libraries: [.rescind(calendars: calendars)])
        let compiled = environment.compile(source)
        guard let program = compiled.program else {
            let stage = compiled.failedStage ?? .check
            return Outcome(source: file, result: .failure(.compile(stage, compiled.issues)), ranges: [:])
        }
        let ranges = Self.ranges(of: program.parsed.expr)
        switch program.evaluate(bindings) {
        case .success(let value):
            let staticType = program.resultType
            let type = staticType.isConcrete ? staticType.description : value.celTypeName
            return Outcome(source: file, result: .success((value, type)), ranges: ranges)
        case .failure(let error):
            return Outcome(source: file, result: .failure(.evaluation(error)), ranges: ranges)
        }
    }

    /// Every node's source range by id, to point evaluation errors at the sub-expression.
    static func ranges(of root: Expr) -> [Int32: TextRange] {
        var ranges: [Int32: TextRange] = [:]
        root.walk { expr in
            ranges[expr.id] = expr.range
            return true
        }
        return ranges
    }
}

extension CELType {
    /// Whether the type says exactly what values are: no `dyn`, type parameter or error
    /// anywhere inside it.
    package var isConcrete: Bool {
        switch self {
        case .dyn, .typeParam, .error: false
        case .list(let element): element.isConcrete
        case .map(let key, let value): key.isConcrete && value.isConcrete
        case .type(let inner): inner?.isConcrete ?? true
        case .opaque(_, let params): params.allSatisfy(\.isConcrete)
        default: true
        }
    }
}
