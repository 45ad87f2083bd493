import CELCommon

/// `a && b` with CEL's commutative error absorption: `false` wins over errors on either
/// side, then errors (the left one first), then non-bool operands are an error.
final class AndNode: Node, @unchecked Sendable {
    let lhs: Node
    let rhs: Node

    init(id: Int32, _ lhs: Node, _ rhs: Node) {
        self.lhs = lhs
        self.rhs = rhs
        super.init(id: id)
    }

    override var children: [Node] { [lhs, rhs] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = lhs.eval(&frame)
        if case .bool(let x) = a {
            if !x { return a }
            let b = rhs.eval(&frame)
            if case .bool = b { return b }
            if case .error = b { return b }
            return fail(.noMatchingOverload(Operator.logicalAnd, a, b))
        }
        let b = rhs.eval(&frame)
        if case .bool(false) = b { return b }
        if case .error = a { return a }
        if case .error = b { return b }
        return fail(.noMatchingOverload(Operator.logicalAnd, a, b))
    }
}

/// `a || b`: `true` wins over errors on either side, as for `&&`.
final class OrNode: Node, @unchecked Sendable {
    let lhs: Node
    let rhs: Node

    init(id: Int32, _ lhs: Node, _ rhs: Node) {
        self.lhs = lhs
        self.rhs = rhs
        super.init(id: id)
    }

    override var children: [Node] { [lhs, rhs] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = lhs.eval(&frame)
        if case .bool(let x) = a {
            if x { return a }
            let b = rhs.eval(&frame)
            if case .bool = b { return b }
            if case .error = b { return b }
            return fail(.noMatchingOverload(Operator.logicalOr, a, b))
        }
        let b = rhs.eval(&frame)
        if case .bool(true) = b { return b }
        if case .error = a { return a }
        if case .error = b { return b }
        return fail(.noMatchingOverload(Operator.logicalOr, a, b))
    }
}

/// `!a`.
final class NotNode: Node, @unchecked Sendable {
    let operand: Node

    init(id: Int32, _ operand: Node) {
        self.operand = operand
        super.init(id: id)
    }

    override var children: [Node] { [operand] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = operand.eval(&frame)
        switch a {
        case .bool(let x): return .bool(!x)
        case .error: return a
        default: return fail(.noMatchingOverload(Operator.logicalNot, a))
        }
    }
}

/// `c ? a : b`; only the chosen branch is evaluated.
final class ConditionalNode: Node, @unchecked Sendable {
    let condition: Node
    let then: Node
    let otherwise: Node

    init(id: Int32, _ condition: Node, _ then: Node, _ otherwise: Node) {
        self.condition = condition
        self.then = then
        self.otherwise = otherwise
        super.init(id: id)
    }

    override var children: [Node] { [condition, then, otherwise] }

    override func eval(_ frame: inout Frame) -> Value {
        let c = condition.eval(&frame)
        switch c {
        case .bool(let x): return x ? then.eval(&frame) : otherwise.eval(&frame)
        case .error: return c
        default: return fail(.noMatchingOverload(Operator.conditional, c))
        }
    }
}

/// `@not_strictly_false(a)`: true unless `a` is literally `false`, so that errors in an
/// `all`/`exists` predicate do not stop the loop early.
final class NotStrictlyFalseNode: Node, @unchecked Sendable {
    let operand: Node

    init(id: Int32, _ operand: Node) {
        self.operand = operand
        super.init(id: id)
    }

    override var children: [Node] { [operand] }

    override func eval(_ frame: inout Frame) -> Value {
        if case .bool(false) = operand.eval(&frame) { return .bool(false) }
        return .bool(true)
    }
}
