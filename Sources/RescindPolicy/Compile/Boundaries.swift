import CEL
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
        var pending = [root]
        while let expr = pending.popLast() {
            switch expr.kind {
            case .call(let target, let function, let args):
                if target == nil, args.count == 2, let comparison = Self.comparisons[function],
                    args.contains(where: readsRequest)
                {
                    let span = locate(expr.range, in: text)
                    let utf8 = Array(text.source.utf8)
                    let start = min(max(Int(expr.range.start), 0), utf8.count)
                    let end = min(max(Int(expr.range.end), start), utf8.count)
                    found.append(Boundary(
                        id: expr.id, left: args[0].id, right: args[1].id, comparison: comparison,
                        source: String(decoding: utf8[start..<end], as: UTF8.self),
                        location: SourceReference(file: span.file, line: span.start.line, column: span.start.column)))
                }
                if let target { pending.append(target) }
                pending.append(contentsOf: args)
            case .select(let operand, _, _): pending.append(operand)
            case .list(let elements): pending.append(contentsOf: elements)
            case .map(let entries): pending.append(contentsOf: entries.flatMap { [$0.key, $0.value] })
            case .structure(_, let fields): pending.append(contentsOf: fields.map(\.value))
            case .comprehension(let comprehension): pending.append(comprehension.iterRange)
            case .constant, .ident: break
            }
        }
        // Depth-first from the end: put them back in the order written.
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
        case .constant: return false
        case .select(let operand, _, _): return readsRequest(operand)
        case .call(let target, _, let args): return (target.map(readsRequest) ?? false) || args.contains(where: readsRequest)
        case .list(let elements): return elements.contains(where: readsRequest)
        case .map(let entries): return entries.contains { readsRequest($0.key) || readsRequest($0.value) }
        case .structure(_, let fields): return fields.contains { readsRequest($0.value) }
        case .comprehension(let comprehension): return readsRequest(comprehension.iterRange)
        }
    }
}
