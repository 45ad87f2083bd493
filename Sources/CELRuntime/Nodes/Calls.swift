/// A call bound at plan time to one unary implementation.
final class UnaryCallNode: Node, @unchecked Sendable {
    let arg: Node
    let body: @Sendable (Value) -> Value

    init(id: Int32, _ arg: Node, _ body: @escaping @Sendable (Value) -> Value) {
        self.arg = arg
        self.body = body
        super.init(id: id)
    }

    override var children: [Node] { [arg] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = arg.eval(&frame)
        if case .error = a { return a }
        return locate(body(a))
    }
}

/// A call bound at plan time to one binary implementation.
final class BinaryCallNode: Node, @unchecked Sendable {
    let lhs: Node
    let rhs: Node
    let body: @Sendable (Value, Value) -> Value

    init(id: Int32, _ lhs: Node, _ rhs: Node, _ body: @escaping @Sendable (Value, Value) -> Value) {
        self.lhs = lhs
        self.rhs = rhs
        self.body = body
        super.init(id: id)
    }

    override var children: [Node] { [lhs, rhs] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = lhs.eval(&frame)
        if case .error = a { return a }
        let b = rhs.eval(&frame)
        if case .error = b { return b }
        return locate(body(a, b))
    }
}

/// A call with any number of arguments, bound to one implementation.
final class CallNode: Node, @unchecked Sendable {
    let args: [Node]
    let body: FunctionBody

    init(id: Int32, _ args: [Node], _ body: FunctionBody) {
        self.args = args
        self.body = body
        super.init(id: id)
    }

    override var children: [Node] { args }

    override func eval(_ frame: inout Frame) -> Value {
        var values: [Value] = []
        values.reserveCapacity(args.count)
        for arg in args {
            let v = arg.eval(&frame)
            if case .error = v { return v }
            values.append(v)
        }
        return locate(body.call(values))
    }
}

/// A call resolved at run time: the first candidate overload whose argument kinds
/// match the evaluated arguments runs.
final class DynamicCallNode: Node, @unchecked Sendable {
    let function: String
    let args: [Node]
    let candidates: [FunctionOverload]

    init(id: Int32, function: String, _ args: [Node], candidates: [FunctionOverload]) {
        self.function = function
        self.args = args
        self.candidates = candidates
        super.init(id: id)
    }

    override var children: [Node] { args }

    override func eval(_ frame: inout Frame) -> Value {
        var values: [Value] = []
        values.reserveCapacity(args.count)
        for arg in args {
            let v = arg.eval(&frame)
            if case .error = v { return v }
            values.append(v)
        }
        return locate(callExtension(candidates, function, values))
    }
}

/// `s.matches(pattern)`. The matcher's work is charged to the evaluation cost (see
/// `CompiledRegex`), so a pattern that backtracks exponentially stops at the cost limit.
/// A constant pattern is compiled once, at plan time; any other is compiled per call.
final class MatchesNode: Node, @unchecked Sendable {
    let text: Node
    let pattern: Node
    let compiled: CompiledRegex?

    init(id: Int32, _ text: Node, pattern: Node, compiled: CompiledRegex? = nil) {
        self.text = text
        self.pattern = pattern
        self.compiled = compiled
        super.init(id: id)
    }

    override var children: [Node] { [text, pattern] }

    override func eval(_ frame: inout Frame) -> Value {
        let a = text.eval(&frame)
        if case .error = a { return a }
        let b = pattern.eval(&frame)
        if case .error = b { return b }
        guard case .string(let s) = a else { return fail(.noMatchingOverload("matches", a, b)) }
        let regex: CompiledRegex
        if let compiled {
            regex = compiled
        } else {
            guard case .string(let p) = b else { return fail(.noMatchingOverload("matches", a, b)) }
            if !frame.charge(p.utf8.count / 16) { return .error(frame.abort!) }
            switch CompiledRegex.compile(p) {
            case .success(let r): regex = r
            case .failure(let error): return fail(error)
            }
        }
        if !frame.charge(s.utf8.count / 16) { return .error(frame.abort!) }
        let (matched, cost) = regex.matches(s, budget: frame.costLimit - frame.cost)
        if !frame.charge(cost) { return .error(frame.abort!) }
        return .bool(matched ?? false)
    }
}
