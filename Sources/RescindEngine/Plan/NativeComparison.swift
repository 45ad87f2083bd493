import CELRuntime
import RescindUnsafe

/// An ordering comparison (`<`, `<=`, `>`, `>=`) computed natively: between ints computed
/// from request fields and constants with `+`, `-` and `*`, or between durations — a
/// difference of two request timestamps, or a constant (`at - order.placed_at >=
/// duration("30m")`, `seller_stats.orders_30d > 0`).
///
/// The compiler builds one only from calls the checker resolved to those overloads
/// (`less_int64`, `subtract_timestamp_timestamp`, …), and each step computes what the CEL
/// function does. Where CEL would fail — a field absent or of another type, an overflow,
/// a duration out of range — `evaluate` returns nil and the evaluator runs the CEL
/// program, which reports the error as written.
package final class NativeComparison: Sendable {
    package enum Relation: Sendable {
        case less, lessEquals, greater, greaterEquals
    }

    /// One step of an int operand in postfix order; fields by index into `fields`.
    package enum IntStep: Sendable {
        case field(Int)
        case constant(Int64)
        case add, subtract, multiply
    }

    /// A side of the comparison.
    package enum Operand: Sendable {
        /// An int formula (`IntStep`s in postfix order).
        case int([IntStep])
        /// A constant duration.
        case duration(CELDuration)
        /// `fields[minuend] - fields[subtrahend]`, two timestamps.
        case timestampDifference(minuend: Int, subtrahend: Int)
    }

    package let relation: Relation
    package let lhs: Operand
    package let rhs: Operand
    let fields: [FieldPath]
    private let fieldRefs: ArenaTable<UnownedRef<FieldPath>>
    /// Owns `fieldRefs`' memory.
    private let arena: PlanArena

    /// Nil when the operands are not both ints or both durations, or an int formula is
    /// not well formed over `fields`.
    package init?(relation: Relation, lhs: Operand, rhs: Operand, fields: [FieldPath], in arena: PlanArena) {
        func kind(_ operand: Operand) -> Int? {
            switch operand {
            case .int(let steps):
                var height = 0
                for step in steps {
                    switch step {
                    case .field(let index):
                        guard fields.indices.contains(index) else { return nil }
                        height += 1
                    case .constant: height += 1
                    case .add, .subtract, .multiply:
                        guard height >= 2 else { return nil }
                        height -= 1
                    }
                }
                return height == 1 && steps.count <= Self.maxSteps ? 0 : nil
            case .duration: return 1
            case .timestampDifference(let minuend, let subtrahend):
                return fields.indices.contains(minuend) && fields.indices.contains(subtrahend) ? 1 : nil
            }
        }
        guard let left = kind(lhs), let right = kind(rhs), left == right else { return nil }
        self.relation = relation
        self.lhs = lhs
        self.rhs = rhs
        self.fields = fields
        self.fieldRefs = arena.table(fields.map(UnownedRef.init))
        self.arena = arena
    }

    /// The longest int formula: its values fit a small stack on the call's frame.
    package static let maxSteps = 16

    /// Whether the comparison holds, or nil when CEL must decide.
    func evaluate(_ request: ObjectValue) -> Bool? {
        switch (lhs, rhs) {
        case (.int(let left), .int(let right)):
            guard let a = int(left, request), let b = int(right, request) else { return nil }
            return holds(a, b)
        default:
            guard let a = duration(lhs, request), let b = duration(rhs, request) else { return nil }
            return holds(a, b)
        }
    }

    @inline(__always)
    private func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch relation {
        case .less: a < b
        case .lessEquals: a <= b
        case .greater: a > b
        case .greaterEquals: a >= b
        }
    }

    private func read(_ index: Int, _ request: ObjectValue) -> Value? {
        fieldRefs[index].withObject { $0.read(from: request) }
    }

    private func int(_ steps: [IntStep], _ request: ObjectValue) -> Int64? {
        // A constant or a field alone, the usual sides, without a stack.
        if steps.count == 1 {
            switch steps[0] {
            case .constant(let value): return value
            case .field(let index):
                guard case .int(let value)? = read(index, request) else { return nil }
                return value
            default: return nil
            }
        }
        // The operand stack is a fixed array on the call's frame: no allocation, no pointers.
        var stack = InlineArray<16, Int64>(repeating: 0)
        do {
            var height = 0
            for step in steps {
                switch step {
                case .constant(let value):
                    stack[height] = value
                    height += 1
                case .field(let index):
                    guard case .int(let value)? = read(index, request) else { return nil }
                    stack[height] = value
                    height += 1
                case .add, .subtract, .multiply:
                    let a = stack[height - 2]
                    let b = stack[height - 1]
                    // Overflow is an error in CEL: leave it to CEL to report.
                    let (result, overflow) =
                        switch step {
                        case .add: a.addingReportingOverflow(b)
                        case .subtract: a.subtractingReportingOverflow(b)
                        default: a.multipliedReportingOverflow(by: b)
                        }
                    guard !overflow else { return nil }
                    stack[height - 2] = result
                    height -= 1
                }
            }
            return stack[0]
        }
    }

    private func duration(_ operand: Operand, _ request: ObjectValue) -> CELDuration? {
        switch operand {
        case .duration(let value):
            return value
        case .timestampDifference(let minuend, let subtrahend):
            guard case .timestamp(let a)? = read(minuend, request), case .timestamp(let b)? = read(subtrahend, request)
            else { return nil }
            return a.subtracting(b)
        case .int:
            return nil
        }
    }
}
