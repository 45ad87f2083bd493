import CEL
import CELCommon
import RescindDiagnostics
import RescindEngine

extension ExpressionCompiler {
    /// The ordering comparisons (`<`, `<=`, `>`, `>=`) of a condition with a side that
    /// reads the request: the thresholds, amounts and times whose both sides tests
    /// should cover. The other side is usually a constant (`duration("30m")`, `0`) but
    /// may read the request too (`stockouts * 100 > orders * 5`).
    ///
    /// Comparisons inside a comprehension (`list.exists(x, x.total > …)`) are left out:
    /// they run once per element, and a trace keeps only the last element's values.
    func boundaries(in root: Expr, _ text: ExpressionText) -> [Boundary] {
        var found: [Boundary] = []
        let utf8 = Array(text.source.utf8)
        func visit(_ expr: Expr) -> Bool {
            switch expr.kind {
            case .call(nil, let function, let args):
                if args.count == 2, let comparison = Self.comparisons[function], args.contains(where: readsRequest) {
                    let span = locate(expr.range, in: text)
                    let start = min(max(Int(expr.range.start), 0), utf8.count)
                    let end = min(max(Int(expr.range.end), start), utf8.count)
                    found.append(Boundary(
                        id: expr.id, left: args[0].id, right: args[1].id, comparison: comparison,
                        source: String(decoding: utf8[start..<end], as: UTF8.self),
                        location: SourceReference(file: span.file, line: span.start.line, column: span.start.column)))
                }
                return true
            case .comprehension(let comprehension):
                // Only the range is evaluated once; the rest runs per element.
                comprehension.iterRange.walk(visit)
                return false
            default:
                return true
            }
        }
        root.walk(visit)
        // In the order written (a walk meets a comparison's operands after it).
        return found.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
    }

    private static let comparisons: [String: Boundary.Comparison] = [
        Operator.less: .less, Operator.lessEquals: .lessOrEqual,
        Operator.greater: .greater, Operator.greaterEquals: .greaterOrEqual,
    ]

    /// Whether an expression reads a request variable outside any comprehension.
    private func readsRequest(_ expr: Expr) -> Bool {
        switch expr.kind {
        case .ident(let name):
            let bare = name.hasPrefix(".") ? name.dropFirst() : Substring(name)
            return requestVariables.contains(String(bare.prefix { $0 != "." }))
        case .comprehension(let comprehension): return readsRequest(comprehension.iterRange)
        default: return expr.children.contains(where: readsRequest)
        }
    }
}
