import CELRuntime
import RescindUnsafe

/// Decimal arithmetic over request fields, constants and the refund's `fee`, computed
/// natively: refund amounts, fees and voucher caps without building a CEL activation.
///
/// The compiler builds a formula only from calls the checker resolved to the decimal
/// overloads (`+ - *`, `min`, `max`, `round`, `decimal(…)`), and each step calls the same
/// `CELDecimal` operation the CEL function calls, so the value is the one CEL computes.
/// When a step cannot be taken — a field absent or not a number, an overflow, a scale out
/// of range — `evaluate` returns nil and the evaluator runs the CEL program, which
/// reports the error exactly as written.
package final class DecimalFormula: Sendable {
    /// One step of the formula in postfix order: operands push a value, operators pop
    /// theirs. Payloads are indexes, so stepping through costs no reference counting.
    package enum Step: Sendable {
        /// A request field (decimal or int), by index into `fields`.
        case field(Int)
        /// A constant, by index into `constants`.
        case constant(Int)
        /// The refund's fee, as computed for this decision.
        case fee
        case add, subtract, multiply, minimum, maximum
        /// `round(places)` of the value on top.
        case round(Int)
    }

    /// Owns the paths `fieldTable` reads unretained.
    let fields: [FieldPath]
    // Read while evaluating without adjusting reference counts.
    private let stepTable: ArenaTable<Step>
    private let fieldTable: ArenaTable<UnownedRef<FieldPath>>
    private let constantTable: ArenaTable<CELDecimal>
    /// Owns the tables' memory.
    private let arena: PlanArena
    /// The deepest formula computed natively, the size of `evaluate`'s stack (deeper
    /// ones run as CEL); refund amounts, fees and caps need two or three.
    static let maxDepth = 6

    /// Nil when `steps` is not a well-formed postfix formula over the given fields and constants.
    package init?(steps: [Step], fields: [FieldPath], constants: [CELDecimal], in arena: PlanArena) {
        var height = 0
        var depth = 0
        for step in steps {
            switch step {
            case .field(let index):
                guard fields.indices.contains(index) else { return nil }
                height += 1
            case .constant(let index):
                guard constants.indices.contains(index) else { return nil }
                height += 1
            case .fee:
                height += 1
            case .add, .subtract, .multiply, .minimum, .maximum:
                guard height >= 2 else { return nil }
                height -= 1
            case .round:
                guard height >= 1 else { return nil }
            }
            depth = max(depth, height)
        }
        guard height == 1, depth <= Self.maxDepth else { return nil }
        self.fields = fields
        stepTable = arena.table(steps)
        fieldTable = arena.table(fields.map(UnownedRef.init))
        constantTable = arena.table(constants)
        self.arena = arena
    }

    /// The steps and constants, for an explanation to show the formula with its values.
    var stepList: [Step] { Array(stepTable) }
    var constantList: [CELDecimal] { Array(constantTable) }


    /// The formula's value, or nil when CEL must compute it (see the type's summary).
    func evaluate(_ request: ObjectValue, fee: CELDecimal?) -> CELDecimal? {
        // The operand stack is a fixed array on the call's frame: no allocation, no pointers.
        var stack = InlineArray<6, CELDecimal>(repeating: CELDecimal(Int64(0)))
        do {
            var height = 0
            for step in stepTable {
                let value: CELDecimal
                switch step {
                case .field(let index):
                    switch fieldTable[index].withObject({ $0.read(from: request) }) {
                    case .decimal(let decimal)?: value = decimal
                    case .int(let int)?: value = CELDecimal(int)
                    default: return nil
                    }
                case .constant(let index):
                    value = constantTable[index]
                case .fee:
                    guard let fee else { return nil }
                    value = fee
                case .round(let places):
                    guard let rounded = try? stack[height - 1].rounded(scale: places) else { return nil }
                    stack[height - 1] = rounded
                    continue
                case .add, .subtract, .multiply, .minimum, .maximum:
                    let rhs = stack[height - 1]
                    let lhs = stack[height - 2]
                    height -= 2
                    switch step {
                    case .add: guard let sum = try? lhs.adding(rhs) else { return nil }; value = sum
                    case .subtract: guard let difference = try? lhs.subtracting(rhs) else { return nil }; value = difference
                    case .multiply: guard let product = try? lhs.multiplying(by: rhs) else { return nil }; value = product
                    case .minimum: value = min(lhs, rhs)
                    default: value = max(lhs, rhs)
                    }
                }
                stack[height] = value
                height += 1
            }
            return stack[0]
        }
    }
}
