import CELCommon

/// Builds expression trees by hand with fresh ids, for tests that must not depend on the
/// parser (and for shapes the parser produces, such as macro expansions).
final class ASTBuilder {
    private var nextID: Int32 = 1

    private func make(_ kind: ExprKind, _ range: TextRange = .none) -> Expr {
        defer { nextID += 1 }
        return Expr(id: nextID, kind, range: range)
    }

    func int(_ value: Int64) -> Expr { make(.constant(.int(value))) }
    func uint(_ value: UInt64) -> Expr { make(.constant(.uint(value))) }
    func double(_ value: Double) -> Expr { make(.constant(.double(value))) }
    func string(_ value: String, at range: TextRange = .none) -> Expr { make(.constant(.string(value)), range) }
    func bool(_ value: Bool) -> Expr { make(.constant(.bool(value))) }
    func null() -> Expr { make(.constant(.null)) }
    func ident(_ name: String, at range: TextRange = .none) -> Expr { make(.ident(name), range) }

    func select(_ operand: Expr, _ field: String, at range: TextRange = .none) -> Expr {
        make(.select(operand: operand, field: field, testOnly: false), range)
    }

    func has(_ operand: Expr, _ field: String) -> Expr {
        make(.select(operand: operand, field: field, testOnly: true))
    }

    func call(_ function: String, _ args: Expr..., at range: TextRange = .none) -> Expr {
        make(.call(target: nil, function: function, args: args), range)
    }

    func member(_ target: Expr, _ function: String, _ args: Expr..., at range: TextRange = .none) -> Expr {
        make(.call(target: target, function: function, args: args), range)
    }

    func list(_ elements: Expr...) -> Expr { make(.list(elements: elements)) }

    func map(_ entries: (Expr, Expr)...) -> Expr {
        let built = entries.map { MapEntry(id: { defer { nextID += 1 }; return nextID }(), key: $0.0, value: $0.1) }
        return make(.map(entries: built))
    }

    /// `range.all(variable, predicate)` expanded as the parser does.
    func all(_ range: Expr, _ variable: String, _ predicate: (ASTBuilder) -> Expr) -> Expr {
        let condition = call(Operator.notStrictlyFalse, ident("__result__"))
        let step = call(Operator.logicalAnd, ident("__result__"), predicate(self))
        return make(.comprehension(Comprehension(
            iterVar: variable, iterRange: range, accuVar: "__result__", accuInit: bool(true),
            loopCondition: condition, loopStep: step, result: ident("__result__"), macro: "all")))
    }

    /// `range.map(variable, transform)` expanded as the parser does.
    func mapMacro(_ range: Expr, _ variable: String, _ transform: (ASTBuilder) -> Expr) -> Expr {
        let step = call(Operator.add, ident("__result__"), list(transform(self)))
        return make(.comprehension(Comprehension(
            iterVar: variable, iterRange: range, accuVar: "__result__", accuInit: list(),
            loopCondition: bool(true), loopStep: step, result: ident("__result__"), macro: "map")))
    }

    func parsed(_ expr: Expr, source: String = "") -> ParsedExpr {
        ParsedExpr(expr: expr, source: source, nextID: nextID)
    }
}
