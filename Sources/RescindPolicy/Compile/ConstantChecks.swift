import CEL
import CELCommon
import CELParser
import CELRuntime
import RescindDiagnostics

/// Evaluates at load every call a policy writes with literal arguments only
/// (`duration("30m")`, `decimal("0.10")`, `timestamp("2026-01-01T00:00:00Z")`, the
/// pattern of `x.matches("…")`, `isBusinessDay(timestamp("…"), "cn-mainland")`), with
/// the real runtime. Such a call gives the same result for every request, so one that
/// fails would fail every decision that reaches it: a load error, never a decision.
struct ConstantChecks {
    /// The policy set's environment (functions and calendars); no variable is read.
    let environment: CELEnvironment

    init(environment: CELEnvironment) {
        var plain = environment
        plain.sharedGlobals = []
        self.environment = plain
    }

    /// A call that fails: the runtime's message, the function and the literal at fault.
    struct Failure {
        var function: String
        /// The call's range, or its single literal argument's for conversions.
        var range: TextRange
        /// The string literal the call converts (`decimal("5,000.00")`), if that is the call.
        var literal: String?
        var call: String
        var message: String
    }

    /// The failing constant calls of `root`, innermost first: a call whose argument
    /// already failed is not reported again.
    func failures(in root: Expr) -> [Failure] {
        var order: [Expr] = []
        root.walk { order.append($0); return true }
        // Children come after their parent in `order`, so reversed, children are settled first.
        var constant: Set<Int32> = []
        var failed: Set<Int32> = []
        var result: [Failure] = []
        for expr in order.reversed() {
            let children = expr.children
            if children.contains(where: { failed.contains($0.id) }) {
                failed.insert(expr.id)
                continue
            }
            switch expr.kind {
            case .constant:
                constant.insert(expr.id)
            case .list, .map:
                if children.allSatisfy({ constant.contains($0.id) }) { constant.insert(expr.id) }
            case .call(let target, let function, let args):
                if children.allSatisfy({ constant.contains($0.id) }) {
                    if let failure = evaluate(expr, function: function, args: args) {
                        failed.insert(expr.id)
                        result.append(failure)
                    } else {
                        constant.insert(expr.id)
                    }
                } else if function == "matches", let pattern = (target == nil ? args.dropFirst() : args[...]).last,
                    constant.contains(pattern.id),
                    let failure = evaluate(pattern: pattern, call: expr)
                {
                    failed.insert(expr.id)
                    result.append(failure)
                }
            default:
                break
            }
        }
        return result
    }

    /// Runs a constant call; nil when it gives a value (or cannot be run on its own).
    private func evaluate(_ call: Expr, function: String, args: [Expr]) -> Failure? {
        if let value = direct(call, function: function, args: args) {
            guard case .error(let error) = value else { return nil }
            return failure(call, function: function, args: args, Unparser.unparse(call), error)
        }
        let text = Unparser.unparse(call)
        guard case .failure(let error) = run(text) else { return nil }
        return failure(call, function: function, args: args, text, error)
    }

    /// A global call of literals that exactly one overload takes (`decimal("4058.97")`,
    /// `duration("30m")`): its body called directly, as the planned program calls it.
    /// A large set writes thousands of such literals, and compiling each as a program of
    /// its own cost more than compiling the rules. Nil when the call is of another shape.
    private func direct(_ call: Expr, function: String, args: [Expr]) -> Value? {
        guard case .call(nil, _, _) = call.kind else { return nil }
        var values: [Value] = []
        for arg in args {
            guard case .constant(let constant) = arg.kind else { return nil }
            values.append(Value(constant))
        }
        let overloads = environment.functions.overloads(named: function).filter { !$0.isMember && $0.accepts(values) }
        guard overloads.count == 1 else { return nil }
        return overloads[0].body.call(values)
    }

    private func failure(_ call: Expr, function: String, args: [Expr], _ text: String, _ error: EvalError) -> Failure {
        var range = call.range
        var literal: String?
        if args.count == 1, case .constant(.string(let value)) = args[0].kind {
            range = args[0].range
            literal = value
        }
        return Failure(function: function, range: range, literal: literal, call: text, message: error.message)
    }

    /// Compiles a literal regex the way `matches` does at decision time.
    private func evaluate(pattern: Expr, call: Expr) -> Failure? {
        guard case .failure(let error) = run("\"\".matches(\(Unparser.unparse(pattern)))") else { return nil }
        var literal: String?
        if case .constant(.string(let value)) = pattern.kind { literal = value }
        return Failure(
            function: "matches", range: pattern.range, literal: literal, call: Unparser.unparse(call),
            message: error.message)
    }

    private func run(_ text: String) -> Result<Value, EvalError> {
        // A sub-expression that does not compile alone (it needs its context's types) is
        // left to decision time, as before.
        guard let program = environment.compile(text).program else { return .success(.null) }
        switch program.evaluate([:]) {
        case .success(.error(let error)): return .failure(error)
        case let other: return other
        }
    }
}
