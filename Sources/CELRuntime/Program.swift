import CELCommon
import RescindUnsafe

/// Bounds that keep evaluation of hostile or accidental expressions finite.
package struct EvaluationLimits: Sendable, Hashable {
    /// The most work one evaluation may do. Work is counted as loop-body nodes per
    /// comprehension iteration plus size-proportional charges for list/string
    /// concatenation, `in` over lists and regex matching (1 per 16 elements or bytes),
    /// and 1 per backtracking step of the regex engine (counted in blocks of 10,000).
    /// Other expressions without comprehensions cost nothing beyond their size.
    package var costLimit: Int
    /// The largest list a concatenation or comprehension may build.
    package var maxListSize: Int
    /// How deeply comprehensions (macros) may nest; checked when planning.
    package var maxComprehensionNesting: Int

    package init(costLimit: Int = 1_000_000, maxListSize: Int = 100_000, maxComprehensionNesting: Int = 8) {
        self.costLimit = costLimit
        self.maxListSize = maxListSize
        self.maxComprehensionNesting = maxComprehensionNesting
    }
}

/// An executable, immutable CEL program. Thread-safe and reusable: build an
/// `Activation` once per set of inputs and evaluate as often as needed.
package final class Program: Sendable {
    /// The variables the program reads, by slot.
    package let layout: ActivationLayout
    package let limits: EvaluationLimits
    /// The planned tree; constant subexpressions folded.
    let root: Node
    /// The same program with every node wrapped to record its value (no folding, so
    /// that every sub-expression appears in the trace).
    let tracedRoot: Node
    let localCount: Int

    init(layout: ActivationLayout, limits: EvaluationLimits, root: Node, tracedRoot: Node, localCount: Int) {
        self.layout = layout
        self.limits = limits
        self.root = root
        self.tracedRoot = tracedRoot
        self.localCount = localCount
    }

    /// An activation for this program from variable values by name (qualified names
    /// such as `"a.b"` included). Names the program never reads are ignored.
    package func makeActivation(_ bindings: [String: Value] = [:]) -> Activation {
        Activation(layout: layout, bindings: bindings)
    }

    /// Evaluates the program. An evaluation error (including a tripped limit) is a failure.
    package func evaluate(_ activation: Activation) -> Result<Value, EvalError> {
        var budget = limits.costLimit
        return run(root, activation, trace: nil, budget: &budget)
    }

    /// Evaluates with at most `budget` cost (or the program's own limit, if smaller) and
    /// subtracts the cost spent, so a caller can share one budget among many programs.
    package func evaluate(_ activation: Activation, budget: inout Int) -> Result<Value, EvalError> {
        run(root, activation, trace: nil, budget: &budget)
    }

    /// Evaluates with variables given by name (builds a fresh activation each call).
    package func evaluate(_ bindings: [String: Value] = [:]) -> Result<Value, EvalError> {
        evaluate(makeActivation(bindings))
    }

    /// Evaluates while recording the value of every sub-expression by expression id.
    package func evaluateWithTrace(_ activation: Activation) -> (result: Result<Value, EvalError>, trace: [Int32: Value]) {
        var budget = limits.costLimit
        return evaluateWithTrace(activation, budget: &budget)
    }

    /// `evaluateWithTrace(_:)` within a shared budget, as `evaluate(_:budget:)`.
    package func evaluateWithTrace(_ activation: Activation, budget: inout Int)
        -> (result: Result<Value, EvalError>, trace: [Int32: Value])
    {
        let recorder = TraceRecorder()
        let result = run(tracedRoot, activation, trace: recorder, budget: &budget)
        return (result, recorder.values)
    }

    private func run(_ root: Node, _ activation: Activation, trace: TraceRecorder?, budget: inout Int)
        -> Result<Value, EvalError>
    {
        precondition(activation.values.count == layout.count, "activation was built for a different program")
        let recorder = trace.map { UnownedRef($0) }
        let costLimit = max(0, min(budget, limits.costLimit))
        let value: Value
        let abort: EvalError?
        let cost: Int
        (value, abort, cost) = activation.values.withUnsafeBufferPointer { globals in
            let globals = globals.baseAddress ?? UnsafePointer(noLocals)
            guard localCount > 0 else {
                // No comprehensions: no local storage to set up.
                var frame = Frame(
                    globals: globals, locals: noLocals, costLimit: costLimit,
                    maxListSize: limits.maxListSize, trace: recorder)
                return (root.eval(&frame), frame.abort, frame.cost)
            }
            return withUnsafeTemporaryAllocation(of: Value.self, capacity: localCount) { locals in
                let base = locals.baseAddress!
                base.initialize(repeating: .null, count: localCount)
                defer { base.deinitialize(count: localCount) }
                var frame = Frame(
                    globals: globals, locals: base, costLimit: costLimit,
                    maxListSize: limits.maxListSize, trace: recorder)
                return (root.eval(&frame), frame.abort, frame.cost)
            }
        }
        budget -= min(cost, budget)
        withExtendedLifetime(trace) {}
        if let abort { return .failure(abort) }
        if case .error(let error) = value { return .failure(error) }
        return .success(value)
    }
}

/// A valid pointer for programs without variables or comprehensions (never read through).
nonisolated(unsafe) private let noLocals: UnsafeMutablePointer<Value> = {
    let pointer = UnsafeMutablePointer<Value>.allocate(capacity: 1)
    pointer.initialize(to: .null)
    return pointer
}()

extension Result where Success == Value, Failure == EvalError {
    /// The value, or the error as an `.error` value.
    package var value: Value {
        switch self {
        case .success(let value): value
        case .failure(let error): .error(error)
        }
    }
}
