/// A range of an expression's source text as UTF-8 byte offsets (half-open). Callers
/// that embed an expression in a larger file (a YAML scalar) map offsets to their own
/// file positions.
package struct TextRange: Hashable, Sendable {
    package var start: Int32
    package var end: Int32

    package init(_ start: Int, _ end: Int) {
        self.start = Int32(truncatingIfNeeded: start)
        self.end = Int32(truncatingIfNeeded: end)
    }

    package static let none = TextRange(0, 0)
}

/// A literal constant in an expression.
package enum Constant: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
}

/// An expression node. `id` is unique within one parsed expression and keys the
/// checker's type and reference maps. The range is metadata: it is not part of `==`.
package struct Expr: Sendable, Hashable {
    package var id: Int32
    package var kind: ExprKind
    package var range: TextRange

    package init(id: Int32, _ kind: ExprKind, range: TextRange = .none) {
        self.id = id
        self.kind = kind
        self.range = range
    }

    package static func == (lhs: Expr, rhs: Expr) -> Bool { lhs.id == rhs.id && lhs.kind == rhs.kind }
    package func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(kind)
    }
}

/// The shape of an expression node, following CEL's canonical AST (cel.expr.Expr).
/// Operators are calls with the spec's function names (see `Operator`).
package indirect enum ExprKind: Sendable, Hashable {
    case constant(Constant)
    /// A (possibly dotted, after resolution) identifier.
    case ident(String)
    /// `operand.field`; with `testOnly` it is the `has(operand.field)` macro.
    case select(operand: Expr, field: String, testOnly: Bool)
    /// A global call `f(args)` (target nil) or a receiver call `target.f(args)`.
    case call(target: Expr?, function: String, args: [Expr])
    case list(elements: [Expr])
    case map(entries: [MapEntry])
    /// `Name{field: value, …}` message construction.
    case structure(typeName: String, fields: [FieldInitializer])
    /// The expansion of the macros `all`, `exists`, `exists_one`, `map` and `filter`.
    case comprehension(Comprehension)
}

/// A key/value pair of a map literal.
package struct MapEntry: Sendable, Hashable {
    package var id: Int32
    package var key: Expr
    package var value: Expr

    package init(id: Int32, key: Expr, value: Expr) {
        self.id = id
        self.key = key
        self.value = value
    }
}

/// A `field: value` pair of a message construction.
package struct FieldInitializer: Sendable, Hashable {
    package var id: Int32
    package var field: String
    package var value: Expr

    package init(id: Int32, field: String, value: Expr) {
        self.id = id
        self.field = field
        self.value = value
    }
}

/// A fold over a list or map, as CEL macros expand to (cel.expr.Expr.Comprehension):
///
///     accu = accuInit
///     for iterVar in iterRange:
///         if !loopCondition(accu): break
///         accu = loopStep
///     return result
package struct Comprehension: Sendable, Hashable {
    package var iterVar: String
    package var iterRange: Expr
    package var accuVar: String
    package var accuInit: Expr
    package var loopCondition: Expr
    package var loopStep: Expr
    package var result: Expr
    /// Which macro produced this fold, for explanations and unparsing.
    package var macro: String

    package init(
        iterVar: String, iterRange: Expr, accuVar: String, accuInit: Expr,
        loopCondition: Expr, loopStep: Expr, result: Expr, macro: String
    ) {
        self.iterVar = iterVar
        self.iterRange = iterRange
        self.accuVar = accuVar
        self.accuInit = accuInit
        self.loopCondition = loopCondition
        self.loopStep = loopStep
        self.result = result
        self.macro = macro
    }
}

/// The function names CEL gives its operators.
package enum Operator {
    package static let conditional = "_?_:_"
    package static let logicalAnd = "_&&_"
    package static let logicalOr = "_||_"
    package static let logicalNot = "!_"
    package static let equals = "_==_"
    package static let notEquals = "_!=_"
    package static let less = "_<_"
    package static let lessEquals = "_<=_"
    package static let greater = "_>_"
    package static let greaterEquals = "_>=_"
    package static let add = "_+_"
    package static let subtract = "_-_"
    package static let multiply = "_*_"
    package static let divide = "_/_"
    package static let modulo = "_%_"
    package static let negate = "-_"
    package static let index = "_[_]"
    package static let `in` = "@in"
    /// Internal: the loop condition of `all`/`exists` that stops once the result is known.
    package static let notStrictlyFalse = "@not_strictly_false"

    /// The infix spelling of a binary operator, for unparsing and messages.
    package static func display(_ function: String) -> String? {
        switch function {
        case logicalAnd: "&&"
        case logicalOr: "||"
        case equals: "=="
        case notEquals: "!="
        case less: "<"
        case lessEquals: "<="
        case greater: ">"
        case greaterEquals: ">="
        case add: "+"
        case subtract: "-"
        case multiply: "*"
        case divide: "/"
        case modulo: "%"
        case `in`: "in"
        case logicalNot: "!"
        case negate: "-"
        case index: "[]"
        case conditional: "?:"
        default: nil
        }
    }
}

/// A parsed expression with its source text, the input to the checker and planner.
package struct ParsedExpr: Sendable {
    package var expr: Expr
    package var source: String
    /// One past the largest node id, so later stages can mint fresh ids.
    package var nextID: Int32

    package init(expr: Expr, source: String, nextID: Int32) {
        self.expr = expr
        self.source = source
        self.nextID = nextID
    }
}

extension Expr {
    /// The node's direct sub-expressions in source order; a comprehension's are its
    /// range, accumulator start, loop condition, step and result.
    package var children: [Expr] {
        switch kind {
        case .constant, .ident: []
        case .select(let operand, _, _): [operand]
        case .call(let target, _, let args): (target.map { [$0] } ?? []) + args
        case .list(let elements): elements
        case .map(let entries): entries.flatMap { [$0.key, $0.value] }
        case .structure(_, let fields): fields.map(\.value)
        case .comprehension(let c): [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]
        }
    }

    /// Visits this node and its descendants, each before its children; `visit` returns
    /// whether to go on into the node's children. Iterative, so a deep tree (the parser
    /// allows deep nesting) cannot overflow the stack.
    package func walk(_ visit: (Expr) -> Bool) {
        var pending = [self]
        while let expr = pending.popLast() {
            guard visit(expr) else { continue }
            pending.append(contentsOf: expr.children.reversed())
        }
    }
}
