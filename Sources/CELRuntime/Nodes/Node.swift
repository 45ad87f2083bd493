import CELCommon
import RescindUnsafe

/// The mutable state of one evaluation, passed `inout` down the node tree. It lives on
/// the stack: variables and comprehension locals are raw pointers into buffers the
/// program sets up per evaluation, so reading a variable costs one load.
struct Frame {
    /// Activation values by slot.
    let globals: UnsafePointer<Value>
    /// Comprehension variables by local slot.
    let locals: UnsafeMutablePointer<Value>
    /// Work done so far by loops and size-proportional operations.
    var cost: Int = 0
    let costLimit: Int
    let maxListSize: Int
    /// Set when a limit is exceeded: evaluation unwinds and the program reports this
    /// error no matter what the enclosing `&&`/`||` would make of it.
    var abort: EvalError?
    /// The trace being recorded, if any (only traced plans touch it). Unowned so that
    /// setting up a frame costs no reference counting; the program keeps it alive.
    let trace: UnownedRef<TraceRecorder>?

    /// Adds `amount` to the cost; trips the limit once exceeded.
    @inline(__always)
    mutating func charge(_ amount: Int) -> Bool {
        cost &+= amount
        if cost > costLimit {
            if abort == nil {
                abort = EvalError(.costLimitExceeded, "evaluation cost exceeded the limit of \(costLimit)")
            }
            return false
        }
        return true
    }

    /// Records a list-size violation; returns the error value to yield.
    mutating func listTooLarge() -> Value {
        let error = EvalError(.limitExceeded, "list size exceeded the limit of \(maxListSize) elements")
        if abort == nil { abort = error }
        return .error(error)
    }
}

/// A node of a planned program. Subclasses are final and immutable after planning, so
/// a program can be shared across threads; `eval` is the only dynamic dispatch per node.
class Node: @unchecked Sendable {
    /// The id of the expression node this evaluates (for errors and traces).
    let id: Int32

    init(id: Int32) { self.id = id }

    func eval(_ frame: inout Frame) -> Value { fatalError("abstract") }

    /// The nodes this one evaluates (for constant folding). Nodes that read variables
    /// or loop state report a non-constant child or are never folded.
    var children: [Node] { [] }

    /// The value when the node is a constant (the planner folds through these).
    var constantValue: Value? { nil }

    /// An error value attributed to this node.
    @inline(__always)
    final func fail(_ error: EvalError) -> Value { .error(error.located(at: id)) }

    /// Attributes an error result of a library function to this node.
    @inline(__always)
    final func locate(_ value: Value) -> Value {
        if case .error(let e) = value, e.exprID < 0 { return .error(e.located(at: id)) }
        return value
    }
}

/// A literal or a folded constant subexpression.
final class ConstNode: Node, @unchecked Sendable {
    let value: Value

    init(id: Int32, _ value: Value) {
        if case .error(let e) = value {
            self.value = .error(e.located(at: id))
        } else {
            self.value = value
        }
        super.init(id: id)
    }

    override func eval(_ frame: inout Frame) -> Value { value }
    override var constantValue: Value? { value }
}

/// Records every value a node produces (trace mode only; planned as a wrapper so that
/// untraced programs pay nothing).
final class TraceNode: Node, @unchecked Sendable {
    let inner: Node

    init(_ inner: Node) {
        self.inner = inner
        super.init(id: inner.id)
    }

    override func eval(_ frame: inout Frame) -> Value {
        let value = inner.eval(&frame)
        frame.trace?.withObject { $0.record(id, value) }
        return value
    }
}

/// Collects the value of every evaluated sub-expression, by expression id. Inside a
/// comprehension a sub-expression is evaluated once per iteration; the last value is kept.
package final class TraceRecorder {
    package private(set) var values: [Int32: Value] = [:]

    package init() {}

    func record(_ id: Int32, _ value: Value) { values[id] = value }
}
