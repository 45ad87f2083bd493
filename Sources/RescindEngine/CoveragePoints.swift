import CELRuntime

/// An ordering comparison in a condition whose outcome depends on the request, such as
/// `at - order.placed_at >= duration("30m")` or `seller_stats.orders_30d > 0`: a
/// boundary that tests should approach from both sides. Found when the policies
/// compile; only `rescind test`'s coverage reads it, never a decision.
package struct Boundary: Sendable, Hashable {
    /// The comparison operator.
    package enum Comparison: String, Sendable, Hashable {
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="

        /// Whether the comparison holds when both sides are equal: the side the boundary
        /// value itself falls on.
        package var includesEquality: Bool { self == .lessOrEqual || self == .greaterOrEqual }
    }

    /// The id of the comparison node in its expression, as traces record it.
    package let id: Int32
    /// The id of the left operand.
    package let left: Int32
    /// The id of the right operand.
    package let right: Int32
    /// The operator.
    package let comparison: Comparison
    /// The comparison as written (`at - order.placed_at >= duration("30m")`).
    package let source: String
    /// Where the comparison is written.
    package let location: SourceReference

    /// A boundary; the policy compiler finds them.
    package init(
        id: Int32, left: Int32, right: Int32, comparison: Comparison, source: String, location: SourceReference
    ) {
        self.id = id
        self.left = left
        self.right = right
        self.comparison = comparison
        self.source = source
        self.location = location
    }
}

extension PolicySet {
    /// Evaluates `expression` against `request`, recording the value of every
    /// sub-expression by id. For test coverage, which needs the values on both sides of
    /// each `Boundary`; deciding never traces.
    package func trace(_ expression: CompiledExpression, for request: ObjectValue) -> (value: Value, trace: [Int32: Value]) {
        let (result, trace) = expression.program.evaluateWithTrace(activation(for: request))
        return (result.value, trace)
    }
}
