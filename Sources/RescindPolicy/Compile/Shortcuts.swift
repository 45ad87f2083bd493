import CEL
import CELCommon
import CELRuntime
import RescindEngine
import RescindUnsafe

/// A field path written in CEL: the variable it starts from and the fields selected.
struct WrittenPath: Hashable {
    let root: String
    let names: [String]

    /// `order.status` → ("order", ["status"]); nil for anything but a chain of field
    /// selections (`has()` tests excluded) on a variable.
    init?(_ expr: Expr) {
        var names: [String] = []
        var current = expr
        while true {
            switch current.kind {
            case .ident(let name):
                self.root = name
                self.names = names.reversed()
                return
            case .select(let operand, let field, false):
                names.append(field)
                current = operand
            default:
                return nil
            }
        }
    }

    var text: String { ([root] + names).joined(separator: ".") }
}

/// Recognizes tests of enum-valued fields in CEL: `path == "v"`, `path != "v"`,
/// `path in ["v", …]`, and `!` of those, as the set of the enum's values that pass.
/// Shared by the static checks (contradictions, shadowing) and by the shortcuts the
/// evaluator takes.
struct EnumTestRecognizer {
    /// The enum type of a written path, or nil when it is not an enum field.
    let enumType: (WrittenPath) -> StringEnum?

    struct Test {
        let path: WrittenPath
        let enumeration: StringEnum
        /// The enum's values that pass, in no particular order.
        let passing: Set<String>
    }

    func test(_ expr: Expr) -> Test? {
        guard case .call(nil, let function, let args) = expr.kind else { return nil }
        switch function {
        case Operator.equals, Operator.notEquals:
            guard args.count == 2, let path = WrittenPath(args[0]), let enumeration = enumType(path),
                case .constant(.string(let value)) = args[1].kind
            else { return nil }
            let values = Set(enumeration.values)
            let passing = function == Operator.equals ? values.intersection([value]) : values.subtracting([value])
            return Test(path: path, enumeration: enumeration, passing: passing)
        case Operator.in:
            guard args.count == 2, let path = WrittenPath(args[0]), let enumeration = enumType(path),
                case .list(let elements) = args[1].kind
            else { return nil }
            var listed: Set<String> = []
            for element in elements {
                guard case .constant(.string(let value)) = element.kind else { return nil }
                listed.insert(value)
            }
            return Test(path: path, enumeration: enumeration, passing: listed.intersection(enumeration.values))
        case Operator.logicalNot:
            guard args.count == 1, let inner = test(args[0]) else { return nil }
            return Test(
                path: inner.path, enumeration: inner.enumeration,
                passing: Set(inner.enumeration.values).subtracting(inner.passing))
        default:
            return nil
        }
    }

    /// The operands of a chain of `&&`.
    static func conjuncts(_ expr: Expr) -> [Expr] {
        if case .call(nil, Operator.logicalAnd, let args) = expr.kind { return args.flatMap(conjuncts) }
        return [expr]
    }
}

/// Finds, for each compiled expression, a way to decide it without running CEL
/// (`Shortcut`), and assigns every enum field such shortcuts test a slot in the
/// per-decision ordinal cache. One instance per policy set: expressions that test the
/// same field share its slot, so a decision reads `actor.role` once.
final class ShortcutFinder {
    private let schema: RequestSchema
    /// When false, no expression gets a shortcut (paths still resolve, for the static checks).
    private let enabled: Bool
    private var fields: [String: EnumField] = [:]
    private var numberFields: [String: NumberField] = [:]
    /// Where every table of the set's plan goes: one arena per policy set.
    let arena = PlanArena()

    init(schema: RequestSchema, enabled: Bool = true) {
        self.schema = schema
        self.enabled = enabled
    }

    /// How many enum fields have a slot.
    var enumFieldCount: Int { fields.count }
    /// How many number fields have a slot.
    var numberFieldCount: Int { numberFields.count }

    /// The shortcut for a whole expression over request variables.
    func shortcut(for checked: CheckedExpr) -> Shortcut {
        guard enabled else { return .none }
        let expr = checked.expr
        if let path = WrittenPath(expr), let field = requestField(path) { return .field(field) }
        if checked.resultType == .decimal {
            var builder = DecimalFormulaBuilder(checked: checked, finder: self)
            if let formula = builder.build() { return .decimal(formula) }
        }
        if checked.resultType == .bool, let test = boundTest(checked) { return .bound(test) }
        if checked.resultType == .bool {
            var builder = ComparisonBuilder(checked: checked, finder: self)
            if let comparison = builder.build() { return .comparison(comparison) }
        }
        let recognizer = EnumTestRecognizer(enumType: requestEnumType)
        var tests: [EnumTest] = []
        for conjunct in EnumTestRecognizer.conjuncts(expr) {
            guard let test = recognizer.test(conjunct), let enumTest = cachedTest(test) else { return .none }
            tests.append(enumTest)
        }
        return tests.isEmpty ? .none : .enumTests(tests)
    }

    /// A decimal expression's formula, built whether or not shortcuts are enabled:
    /// explanations show a refund's fee and amount step by step from it, and must show
    /// the same with shortcuts off.
    func formula(for checked: CheckedExpr, shortcut: Shortcut) -> DecimalFormula? {
        if case .decimal(let formula) = shortcut { return formula }
        guard checked.resultType == .decimal else { return nil }
        var builder = DecimalFormulaBuilder(checked: checked, finder: self)
        return builder.build()
    }

    /// A request path resolved against the schema. `request.order.status` and
    /// `order.status` are one field, described as the latter.
    func requestField(_ path: WrittenPath) -> FieldPath? {
        let names = path.root == PolicySet.requestVariable ? path.names : [path.root] + path.names
        return FieldPath(names, from: schema.root, in: arena)
    }

    func requestEnumType(_ path: WrittenPath) -> StringEnum? {
        guard let field = requestField(path), case .enumString(let enumeration) = field.type else { return nil }
        return enumeration
    }

    /// The overloads a bound test computes — the int and decimal orderings, each of which
    /// compares as `CELDecimal` does once an int side is converted — by the id the
    /// checker resolved: the relation as written, and with the sides swapped.
    private static let boundRelations: [String: (BoundTest.Relation, swapped: BoundTest.Relation)] = {
        var table: [String: (BoundTest.Relation, swapped: BoundTest.Relation)] = [:]
        for (prefix, relation, swapped) in [
            ("less", BoundTest.Relation.less, BoundTest.Relation.greater), ("less_equals", .lessEquals, .greaterEquals),
            ("greater", .greater, .less), ("greater_equals", .greaterEquals, .lessEquals),
        ] {
            for shape in ["int64", "decimal", "decimal_int64", "int64_decimal"] {
                table["\(prefix)_\(shape)"] = (relation, swapped)
            }
        }
        return table
    }()

    /// `field op constant` or `constant op field`, ordering a request's int or decimal
    /// field against a constant, as a bound test.
    private func boundTest(_ checked: CheckedExpr) -> BoundTest? {
        guard case .call(nil, _, let args) = checked.expr.kind, args.count == 2,
            case .function(let overloads)? = checked.references[checked.expr.id], overloads.count == 1,
            let (relation, swapped) = Self.boundRelations[overloads[0]]
        else { return nil }
        if let field = numberField(args[0]), let constant = numberConstant(args[1], in: checked) {
            return BoundTest(field: field, relation: relation, constant: constant)
        }
        if let constant = numberConstant(args[0], in: checked), let field = numberField(args[1]) {
            return BoundTest(field: field, relation: swapped, constant: constant)
        }
        return nil
    }

    /// A request field of type int or decimal, with its number cache slot.
    private func numberField(_ expr: Expr) -> NumberField? {
        guard let written = WrittenPath(expr), let path = requestField(written), path.type == .int || path.type == .decimal
        else { return nil }
        if let field = numberFields[path.description] { return field }
        let field = NumberField(path: path, index: numberFields.count)
        numberFields[path.description] = field
        return field
    }

    /// An int literal, or `decimal("…")` / `decimal(n)` of a literal, as a decimal.
    private func numberConstant(_ expr: Expr, in checked: CheckedExpr) -> CELDecimal? {
        switch expr.kind {
        case .constant(.int(let value)):
            return CELDecimal(value)
        case .call(nil, _, let args) where args.count == 1:
            guard case .function(let overloads)? = checked.references[expr.id], overloads.count == 1 else { return nil }
            switch (overloads[0], args[0].kind) {
            case ("string_to_decimal", .constant(.string(let text))): return CELDecimal(parsing: text)
            case ("int64_to_decimal", .constant(.int(let value))): return CELDecimal(value)
            default: return nil
            }
        default:
            return nil
        }
    }

    private func cachedTest(_ test: EnumTestRecognizer.Test) -> EnumTest? {
        guard test.enumeration.values.count <= EnumField.maxValues, let path = requestField(test.path) else {
            return nil
        }
        let field = fields[path.description] ?? {
            let field = EnumField(path: path, values: test.enumeration.values, index: fields.count, in: arena)
            fields[path.description] = field
            return field
        }()
        return EnumTest(field: field, accepted: Self.mask(test.passing, of: test.enumeration))
    }

    private static func mask(_ passing: Set<String>, of enumeration: StringEnum) -> UInt64 {
        var mask: UInt64 = 0
        for (ordinal, value) in enumeration.values.enumerated() where passing.contains(value) {
            mask |= 1 << UInt64(ordinal)
        }
        return mask
    }

    /// A threshold's count done natively, when it has the shape `count` = a request list
    /// of objects, `timestamp` = `item.<field>` and `where` absent or a conjunction of
    /// enum tests on the item's fields.
    func windowCount(list: Expr, timestamp: Expr, filter: Expr?, window: CELDuration) -> WindowCount? {
        guard enabled else { return nil }
        guard let listPath = WrittenPath(list), let listField = requestField(listPath),
            case .list(.object(let itemType)) = listField.type,
            let at = requestField(WrittenPath(root: "at")),
            case .timestamp = at.type,
            let stamp = WrittenPath(timestamp), stamp.root == "item", stamp.names.count == 1,
            let timestampSlot = itemType.slot(of: stamp.names[0]),
            case .timestamp = itemType.fields[timestampSlot].type
        else { return nil }
        var itemTests: [EnumTest] = []
        if let filter {
            func itemField(_ path: WrittenPath) -> FieldPath? {
                path.root == "item" ? FieldPath(path.names, from: itemType, in: arena) : nil
            }
            let recognizer = EnumTestRecognizer { path in
                guard let field = itemField(path), case .enumString(let enumeration) = field.type else { return nil }
                return enumeration
            }
            for conjunct in EnumTestRecognizer.conjuncts(filter) {
                guard let test = recognizer.test(conjunct), test.enumeration.values.count <= EnumField.maxValues,
                    let path = itemField(test.path)
                else { return nil }
                // Item fields are read per item, not cached per decision: the index is unused.
                let field = EnumField(path: path, values: test.enumeration.values, index: -1, in: arena)
                itemTests.append(EnumTest(field: field, accepted: Self.mask(test.passing, of: test.enumeration)))
            }
        }
        return WindowCount(
            list: listField, itemType: itemType, timestampSlot: timestampSlot, itemTests: itemTests, at: at,
            window: window, in: arena)
    }
}

extension WrittenPath {
    init(root: String, names: [String] = []) {
        self.root = root
        self.names = names
    }
}

/// Turns a decimal-typed expression into a `DecimalFormula` when every node is a request
/// field, a constant, `fee`, or a call the checker resolved to one of the decimal
/// overloads the formula computes the same way.
private struct DecimalFormulaBuilder {
    let checked: CheckedExpr
    let finder: ShortcutFinder
    var steps: [DecimalFormula.Step] = []
    var fields: [FieldPath] = []
    var constants: [CELDecimal] = []

    init(checked: CheckedExpr, finder: ShortcutFinder) {
        self.checked = checked
        self.finder = finder
    }

    /// The binary overloads, by the id the checker resolved, and the step computing them.
    private static let binary: [String: DecimalFormula.Step] = {
        var table: [String: DecimalFormula.Step] = ["min_decimal": .minimum, "max_decimal": .maximum]
        for (name, step) in [("add", DecimalFormula.Step.add), ("subtract", .subtract), ("multiply", .multiply)] {
            for shape in ["decimal", "decimal_int64", "int64_decimal"] { table["\(name)_\(shape)"] = step }
        }
        return table
    }()

    mutating func build() -> DecimalFormula? {
        guard append(checked.expr) else { return nil }
        return DecimalFormula(steps: steps, fields: fields, constants: constants, in: finder.arena)
    }

    /// Appends the steps computing `expr` (a decimal, or an int operand of a decimal
    /// overload); false when some node has no native equivalent.
    private mutating func append(_ expr: Expr) -> Bool {
        switch expr.kind {
        case .constant(.int(let int)):
            return constant(CELDecimal(int))
        case .ident(PolicySet.feeVariable) where checked.references[expr.id] == .variable(PolicySet.feeVariable):
            steps.append(.fee)
            return true
        case .ident, .select:
            guard let path = WrittenPath(expr), let field = finder.requestField(path) else { return false }
            guard field.type == .decimal || field.type == .int else { return false }
            steps.append(.field(fields.count))
            fields.append(field)
            return true
        case .call(let target, _, let args):
            guard case .function(let overloads)? = checked.references[expr.id], overloads.count == 1 else { return false }
            let overload = overloads[0]
            let operands = (target.map { [$0] } ?? []) + args
            switch overload {
            case "string_to_decimal":
                guard case .constant(.string(let text))? = operands.first.map(\.kind),
                    let value = CELDecimal(parsing: text)
                else { return false }
                return constant(value)
            case "int64_to_decimal", "decimal_to_decimal":
                return operands.count == 1 && append(operands[0])
            case "decimal_round_int64":
                guard operands.count == 2, case .constant(.int(let places)) = operands[1].kind, append(operands[0])
                else { return false }
                steps.append(.round(Int(clamping: places)))
                return true
            default:
                guard let step = Self.binary[overload], operands.count == 2,
                    append(operands[0]), append(operands[1])
                else { return false }
                steps.append(step)
                return true
            }
        default:
            return false
        }
    }

    private mutating func constant(_ value: CELDecimal) -> Bool {
        steps.append(.constant(constants.count))
        constants.append(value)
        return true
    }
}

/// Turns an ordering of ints or durations into a `NativeComparison` when the checker
/// resolved the comparison and every call beneath it to an overload the comparison
/// computes the same way, over request fields and constants.
private struct ComparisonBuilder {
    let checked: CheckedExpr
    let finder: ShortcutFinder
    var fields: [FieldPath] = []

    init(checked: CheckedExpr, finder: ShortcutFinder) {
        self.checked = checked
        self.finder = finder
    }

    private static let relations: [String: NativeComparison.Relation] = {
        var table: [String: NativeComparison.Relation] = [:]
        for (prefix, relation) in [
            ("less", NativeComparison.Relation.less), ("less_equals", .lessEquals), ("greater", .greater),
            ("greater_equals", .greaterEquals),
        ] {
            table["\(prefix)_int64"] = relation
            table["\(prefix)_duration"] = relation
        }
        return table
    }()

    private static let intSteps: [String: NativeComparison.IntStep] = [
        "add_int64": .add, "subtract_int64": .subtract, "multiply_int64": .multiply,
    ]

    mutating func build() -> NativeComparison? {
        guard case .call(nil, _, let args) = checked.expr.kind, args.count == 2,
            let overload = singleOverload(checked.expr), let relation = Self.relations[overload]
        else { return nil }
        let isInt = overload.hasSuffix("_int64")
        guard let lhs = isInt ? intOperand(args[0]) : durationOperand(args[0]),
            let rhs = isInt ? intOperand(args[1]) : durationOperand(args[1])
        else { return nil }
        return NativeComparison(relation: relation, lhs: lhs, rhs: rhs, fields: fields, in: finder.arena)
    }

    private func singleOverload(_ expr: Expr) -> String? {
        guard case .function(let overloads)? = checked.references[expr.id], overloads.count == 1 else { return nil }
        return overloads[0]
    }

    private mutating func intOperand(_ expr: Expr) -> NativeComparison.Operand? {
        var steps: [NativeComparison.IntStep] = []
        guard appendInt(expr, to: &steps), steps.count <= NativeComparison.maxSteps else { return nil }
        return .int(steps)
    }

    private mutating func appendInt(_ expr: Expr, to steps: inout [NativeComparison.IntStep]) -> Bool {
        switch expr.kind {
        case .constant(.int(let value)):
            steps.append(.constant(value))
            return true
        case .ident, .select:
            guard let index = field(expr, type: .int) else { return false }
            steps.append(.field(index))
            return true
        case .call(nil, _, let args):
            guard args.count == 2, let overload = singleOverload(expr), let step = Self.intSteps[overload],
                appendInt(args[0], to: &steps), appendInt(args[1], to: &steps)
            else { return false }
            steps.append(step)
            return true
        default:
            return false
        }
    }

    private mutating func durationOperand(_ expr: Expr) -> NativeComparison.Operand? {
        guard case .call(nil, _, let args) = expr.kind, let overload = singleOverload(expr) else { return nil }
        switch overload {
        case "string_to_duration":
            guard args.count == 1, case .constant(.string(let text)) = args[0].kind,
                let duration = CELDuration(parsing: text)
            else { return nil }
            return .duration(duration)
        case "subtract_timestamp_timestamp":
            guard args.count == 2, let minuend = field(args[0], type: .timestamp),
                let subtrahend = field(args[1], type: .timestamp)
            else { return nil }
            return .timestampDifference(minuend: minuend, subtrahend: subtrahend)
        default:
            return nil
        }
    }

    /// The index in `fields` of a request field of the given type.
    private mutating func field(_ expr: Expr, type: CELType) -> Int? {
        guard let path = WrittenPath(expr), let field = finder.requestField(path), field.type == type else { return nil }
        fields.append(field)
        return fields.count - 1
    }
}
