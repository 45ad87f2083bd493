import CELCommon

/// `a == b` / `a != b` by CEL equality; errors propagate (left first).
final class EqualsNode: Node, @unchecked Sendable {
    let lhs: Node
    let rhs: Node
    let negated: Bool

    init(id: Int32, _ lhs: Node, _ rhs: Node, negated: Bool) {
        self.lhs = lhs
        self.rhs = rhs
        self.negated = negated
        super.init(id: id)
    }

    override var children: [Node] { [lhs, rhs] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = lhs.eval(&frame)
        if case .error = a { return a }
        let b = rhs.eval(&frame)
        if case .error = b { return b }
        return .bool(celEquals(a, b) != negated)
    }
}

/// The ordering operators.
enum ComparisonOperator: Sendable {
    case less, lessEquals, greater, greaterEquals

    var function: String {
        switch self {
        case .less: Operator.less
        case .lessEquals: Operator.lessEquals
        case .greater: Operator.greater
        case .greaterEquals: Operator.greaterEquals
        }
    }

    @inline(__always)
    func holds(_ ordering: CELOrdering) -> Bool {
        switch (self, ordering) {
        case (_, .unordered): false
        case (.less, .less), (.lessEquals, .less), (.lessEquals, .equal): true
        case (.greater, .greater), (.greaterEquals, .greater), (.greaterEquals, .equal): true
        default: false
        }
    }
}

/// `a < b` and friends, across numeric kinds and within ordered kinds; extension
/// overloads of the operator (e.g. for new types) are tried for other kinds.
final class CompareNode: Node, @unchecked Sendable {
    let lhs: Node
    let rhs: Node
    let op: ComparisonOperator
    let extensions: [FunctionOverload]

    init(id: Int32, _ lhs: Node, _ rhs: Node, op: ComparisonOperator, extensions: [FunctionOverload]) {
        self.lhs = lhs
        self.rhs = rhs
        self.op = op
        self.extensions = extensions
        super.init(id: id)
    }

    override var children: [Node] { [lhs, rhs] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = lhs.eval(&frame)
        if case .error = a { return a }
        let b = rhs.eval(&frame)
        if case .error = b { return b }
        if let ordering = celCompare(a, b) { return .bool(op.holds(ordering)) }
        return locate(callExtension(extensions, op.function, a, b))
    }
}

/// The binary arithmetic operators.
enum ArithmeticOperator: Sendable {
    case add, subtract, multiply, divide, modulo

    var function: String {
        switch self {
        case .add: Operator.add
        case .subtract: Operator.subtract
        case .multiply: Operator.multiply
        case .divide: Operator.divide
        case .modulo: Operator.modulo
        }
    }
}

/// `a + b`, `a - b`, `a * b`, `a / b`, `a % b`.
final class ArithmeticNode: Node, @unchecked Sendable {
    let lhs: Node
    let rhs: Node
    let op: ArithmeticOperator
    let extensions: [FunctionOverload]

    init(id: Int32, _ lhs: Node, _ rhs: Node, op: ArithmeticOperator, extensions: [FunctionOverload]) {
        self.lhs = lhs
        self.rhs = rhs
        self.op = op
        self.extensions = extensions
        super.init(id: id)
    }

    override var children: [Node] { [lhs, rhs] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = lhs.eval(&frame)
        if case .error = a { return a }
        let b = rhs.eval(&frame)
        if case .error = b { return b }
        let result: Value?
        switch op {
        case .add:
            result = Arithmetic.add(a, b)
            // Concatenation does work proportional to the result's size.
            switch result {
            case .string(let s)?:
                if !frame.charge(s.utf8.count / 16) { return .error(frame.abort!) }
            case .list(let l)?:
                if l.count > frame.maxListSize { return frame.listTooLarge() }
                if !frame.charge(l.count / 16) { return .error(frame.abort!) }
            case .bytes(let b)?:
                if !frame.charge(b.count / 16) { return .error(frame.abort!) }
            default: break
            }
        case .subtract: result = Arithmetic.subtract(a, b)
        case .multiply: result = Arithmetic.multiply(a, b)
        case .divide: result = Arithmetic.divide(a, b)
        case .modulo: result = Arithmetic.modulo(a, b)
        }
        if let result { return locate(result) }
        return locate(callExtension(extensions, op.function, a, b))
    }
}

/// `-a`.
final class NegateNode: Node, @unchecked Sendable {
    let operand: Node
    let extensions: [FunctionOverload]

    init(id: Int32, _ operand: Node, extensions: [FunctionOverload]) {
        self.operand = operand
        self.extensions = extensions
        super.init(id: id)
    }

    override var children: [Node] { [operand] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = operand.eval(&frame)
        if case .error = a { return a }
        if let result = Arithmetic.negate(a) { return locate(result) }
        return locate(callExtension(extensions, Operator.negate, [a]))
    }
}

/// `a in b` for lists (by CEL equality) and maps (by key).
final class InNode: Node, @unchecked Sendable {
    let element: Node
    let container: Node

    init(id: Int32, _ element: Node, _ container: Node) {
        self.element = element
        self.container = container
        super.init(id: id)
    }

    override var children: [Node] { [element, container] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = element.eval(&frame)
        if case .error = a { return a }
        let b = container.eval(&frame)
        return locate(InNode.contains(a, b, frame: &frame))
    }

    static func contains(_ a: Value, _ b: Value, frame: inout Frame) -> Value {
        switch b {
        case .list(let list):
            if !frame.charge(list.count / 16) { return .error(frame.abort!) }
            for element in list where celEquals(a, element) { return .bool(true) }
            return .bool(false)
        case .map(let map): return .bool(map.contains(a))
        case .error: return b
        default: return .error(.noMatchingOverload(Operator.in, a, b))
        }
    }
}

/// `x in ["a", "b", …]` with a constant list of strings: a direct comparison for a few
/// candidates, a hash-set probe for more. Non-string operands get generic semantics.
final class InConstantStringsNode: Node, @unchecked Sendable {
    let element: Node
    let strings: [String]
    let set: Set<String>
    let list: Value

    init(id: Int32, _ element: Node, strings: [String]) {
        self.element = element
        self.strings = strings
        self.set = Set(strings)
        self.list = .list(strings.map(Value.string))
        super.init(id: id)
    }

    override var children: [Node] { [element] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = element.eval(&frame)
        guard case .string(let s) = a else {
            if case .error = a { return a }
            return locate(InNode.contains(a, list, frame: &frame))
        }
        if strings.count <= 8 {
            for candidate in strings where stringsEqual(candidate, s) { return .bool(true) }
            return .bool(false)
        }
        // Set membership uses canonical equivalence; confirm code-point equality.
        guard let index = set.firstIndex(of: s) else { return .bool(false) }
        return .bool(stringsEqual(set[index], s))
    }
}

/// Dispatches a binary operator to the first extension overload that accepts its
/// operands, without building an argument array (operators on decimals are hot).
func callExtension(_ overloads: [FunctionOverload], _ function: String, _ a: Value, _ b: Value) -> Value {
    for overload in overloads {
        if case .binary(let body) = overload.body {
            if overload.accepts(a, b) { return body(a, b) }
        } else if overload.accepts([a, b]) {
            return overload.body.call([a, b])
        }
    }
    return .error(.noMatchingOverload(function, a, b))
}

/// Dispatches to the first extension overload that accepts the arguments.
func callExtension(_ overloads: [FunctionOverload], _ function: String, _ args: [Value]) -> Value {
    for overload in overloads where overload.accepts(args) { return overload.body.call(args) }
    return .error(.noMatchingOverload(function, args))
}
