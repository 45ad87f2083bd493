import CELCommon
import CELRuntime
import RescindUnsafe

/// An enum-valued request field that conditions test. A decision reads it once and
/// caches the value's ordinal in the slot `index`, so every later test of it is a bit test.
package final class EnumField: Sendable {
    package let path: FieldPath
    /// The enum's values; a value's ordinal is its index here.
    package let values: [String]
    /// This field's slot in the per-decision ordinal cache (unique within a policy set).
    package let index: Int

    /// Enums with more values than this are tested by CEL, not by bit masks.
    package static let maxValues = 64

    /// `values` and `path` where reading them adjusts no reference counts.
    private let valueTable: ArenaTable<String>
    private let pathRef: UnownedRef<FieldPath>
    /// Owns `valueTable`'s memory.
    private let arena: PlanArena

    package init(path: FieldPath, values: [String], index: Int, in arena: PlanArena) {
        precondition(values.count <= Self.maxValues)
        self.path = path
        self.values = values
        self.index = index
        self.valueTable = arena.table(values)
        self.arena = arena
        self.pathRef = UnownedRef(path)
    }

    /// The ordinal of the field's value in `object`, or nil when it is absent or not
    /// one of the enum's values (only a request built without the decoder can be so).
    @inline(__always)
    func ordinal(in object: ObjectValue) -> Int? {
        guard case .string(let value)? = pathRef.withObject({ $0.read(from: object) }) else { return nil }
        return ordinal(of: value)
    }

    /// The ordinal of `value`, or nil when it is not one of the enum's values.
    @inline(__always)
    func ordinal(of value: String) -> Int? {
        // Enum values are short, so this is a few word comparisons: cheaper than hashing.
        let values = valueTable
        for index in values.indices where values[index] == value { return index }
        return nil
    }
}

/// `field == "v"`, `field != "v"`, `field in [...]` or their negation, as the set of
/// the enum's values that pass.
package struct EnumTest: Sendable {
    package let field: EnumField
    /// Bit `i` is set when the enum's `i`-th value passes.
    package let accepted: UInt64

    package init(field: EnumField, accepted: UInt64) {
        self.field = field
        self.accepted = accepted
    }

    @inline(__always)
    func accepts(ordinal: Int) -> Bool { accepted & (1 << UInt64(ordinal)) != 0 }
}

/// How an expression can be decided without running its CEL program. The compiler
/// proves the equivalence; the evaluator still runs CEL whenever a field it would read
/// is absent or unexpected, so errors are reported exactly as CEL reports them.
package enum Shortcut: Sendable {
    /// Run the CEL program.
    case none
    /// True exactly when every test passes (the expression is their conjunction).
    case enumTests([EnumTest])
    /// The expression is a request field; read it.
    case field(FieldPath)
    /// The expression is decimal arithmetic the formula computes.
    case decimal(DecimalFormula)
    /// The expression is an ordering of ints or durations computed natively.
    case comparison(NativeComparison)
    /// The expression orders a number field against a constant (`order.total >
    /// decimal("50.00")`): a leading test like an enum test, read from the decision's
    /// number cache, so many such rules cost one binary search per field.
    case bound(BoundTest)
}

/// A decimal- or int-valued request field that bound tests compare with constants. A
/// decision reads it once and caches the value's rank among every constant the set
/// compares the field with (`DecisionPlan.key(of:slot:)`), so each test is an integer
/// comparison.
package final class NumberField: Sendable {
    package let path: FieldPath
    /// This field's slot in the per-decision number cache (unique within a policy set).
    package let index: Int
    private let pathRef: UnownedRef<FieldPath>

    package init(path: FieldPath, index: Int) {
        self.path = path
        self.index = index
        self.pathRef = UnownedRef(path)
    }

    /// The field's value in `object` as a decimal (ints exactly), or nil when it is
    /// absent or of another type (CEL then decides, and reports).
    @inline(__always)
    func number(in object: ObjectValue) -> CELDecimal? {
        switch pathRef.withObject({ $0.read(from: object) }) {
        case .decimal(let value)?: value
        case .int(let value)?: CELDecimal(value)
        default: nil
        }
    }
}

/// `field < c`, `field <= c`, `field > c` or `field >= c` for a number field and a
/// constant, as the checker resolved it to one of the int or decimal overloads (which
/// compare exactly as `CELDecimal` does; an int constant or field is converted exactly).
package struct BoundTest: Sendable {
    package enum Relation: UInt8, Sendable {
        case less, lessEquals, greater, greaterEquals
    }

    package let field: NumberField
    package let relation: Relation
    package let constant: CELDecimal

    package init(field: NumberField, relation: Relation, constant: CELDecimal) {
        self.field = field
        self.relation = relation
        self.constant = constant
    }

    /// Whether `value` passes.
    @inline(__always)
    func holds(_ value: CELDecimal) -> Bool {
        switch relation {
        case .less: value < constant
        case .lessEquals: value <= constant
        case .greater: value > constant
        case .greaterEquals: value >= constant
        }
    }
}

/// A threshold count done natively: the items of a request list whose timestamp falls in
/// the window `(at - window, at]` and that pass the item tests. Equivalent to the
/// threshold's CEL count expression, which is used whenever a value is missing.
package final class WindowCount: Sendable {
    /// The list, from the request root.
    package let list: FieldPath
    /// The items' object type and the slot of the timestamp that places them in time.
    package let itemType: ObjectType
    package let timestampSlot: Int
    /// Tests on each item's enum fields (paths from the item); their `index` is unused.
    package let itemTests: [EnumTest]
    /// The request time, from the root.
    package let at: FieldPath
    /// The window, negated: the window starts at `at + back` (nil when out of range,
    /// so CEL reports it).
    let back: CELDuration?
    /// `itemTests` flattened, when every one reads a field of the item itself (the usual
    /// `item.initiator == "buyer"`): the slot, the enum's values and the ordinals that
    /// pass, read per item without following paths or touching the tests' objects.
    private let directTests: ArenaTable<DirectTest>?
    /// Owns `directTests`' memory.
    private let arena: PlanArena

    private struct DirectTest {
        let slot: Int
        /// The test's field; `itemTests` keeps it alive.
        let field: UnownedRef<EnumField>
        let accepted: UInt64
    }

    package init(
        list: FieldPath, itemType: ObjectType, timestampSlot: Int, itemTests: [EnumTest], at: FieldPath,
        window: CELDuration, in arena: PlanArena
    ) {
        self.back = CELDuration(seconds: -window.seconds, nanos: -Int64(window.nanos))
        self.list = list
        self.itemType = itemType
        self.timestampSlot = timestampSlot
        self.itemTests = itemTests
        self.at = at
        let direct = itemTests.compactMap { test in
            test.field.path.directSlot(in: itemType).map {
                DirectTest(slot: $0, field: UnownedRef(test.field), accepted: test.accepted)
            }
        }
        self.directTests = direct.count == itemTests.count ? arena.table(direct) : nil
        self.arena = arena
    }

    /// The count, or nil when CEL must decide (a value absent or not as declared).
    /// `at` is the request's time as the caller read it (the value at `self.at`).
    func count(in request: ObjectValue, at: CELTimestamp?) -> Int64? {
        guard case .list(let items)? = list.read(from: request), let at, let back, let start = at.adding(back)
        else { return nil }
        var count: Int64 = 0
        let itemType = ObjectIdentifier(self.itemType)
        if let directTests {
            return directCount(items, itemType, from: start, to: at, directTests)
        }
        // `items` holds every item for the whole loop: read them unretained.
        return items.withBorrowedTable { items -> Int64? in
            for index in items.indices {
                guard case .object(let item) = items[index] else { return nil }
                let passes: Bool? = UnownedRef(item).withObject { object in
                    guard ObjectIdentifier(object.type) == itemType,
                        case .timestamp(let time)? = object.field(timestampSlot)
                    else { return nil }
                    var passes = time > start && time <= at
                    for test in itemTests {
                        guard let ordinal = test.field.ordinal(in: object) else { return nil }
                        passes = passes && test.accepts(ordinal: ordinal)
                    }
                    return passes
                }
                guard let passes else { return nil }
                if passes { count += 1 }
            }
            return count
        }
    }

    /// `count(in:)` with every item test a field of the item: each item is one type
    /// check, one timestamp comparison and, when it falls in the window, a few string
    /// comparisons.
    @inline(__always)
    private func directCount(
        _ items: [Value], _ itemType: ObjectIdentifier, from start: CELTimestamp, to at: CELTimestamp,
        _ table: ArenaTable<DirectTest>
    ) -> Int64? {
        var count: Int64 = 0
        let tests = table
        return items.withBorrowedTable { items -> Int64? in
                for index in items.indices {
                    guard case .object(let item) = items[index] else { return nil }
                    let passes: Bool? = UnownedRef(item).withObject { object in
                        guard ObjectIdentifier(object.type) == itemType else { return nil }
                        return object.withFields { fields -> Bool? in
                            guard case .timestamp(let time)? = fields[timestampSlot] else { return nil }
                            guard time > start && time <= at else { return false }
                            for test in tests {
                                guard case .string(let value)? = fields[test.slot],
                                    let ordinal = test.field.withObject({ $0.ordinal(of: value) })
                                else { return nil }
                                if test.accepted & (1 << UInt64(ordinal)) == 0 { return false }
                            }
                            return true
                        }
                    }
                guard let passes else { return nil }
                if passes { count += 1 }
            }
            return count
        }
    }
}
