import CELRuntime
import RescindCELLibrary

/// The enum tests a condition starts with, so a decision can settle most conditions
/// with a few bit tests over flat arrays — no tree walk, no reference counting.
///
/// Settling early never changes a decision: the tests are the condition's first
/// conjuncts, so when one fails the condition is false before anything that could
/// report an error was evaluated; when a value is absent or unexpected, the full
/// condition is evaluated as written.
struct ConditionPlan: Sendable {
    /// The tests, as indexes into `DecisionPlan.tests`.
    let tests: Range<Int>
    /// Whether the tests are the whole condition (it holds when they all pass).
    let complete: Bool
    /// The condition's bit in a decision's candidate set (see `DecisionPlan.passing`).
    let id: Int
}

/// One enum test, flattened: the field's slot in the ordinal cache and the ordinals that pass.
struct FlatTest: Sendable {
    let field: Int
    let accepted: UInt64
}

/// What every condition of a policy set starts with, built once when the set is made.
/// A class, so a decision reaches it through one reference.
final class DecisionPlan: Sendable {
    // The tables a decision reads are `FixedTable`s, freed in `deinit`: reading them
    // adjusts no reference counts.
    let tests: FixedTable<FlatTest>
    /// The enum fields the tests read, by cache slot (nil where none reads it).
    let fields: [EnumField?]
    /// `fields`, unretained (the array keeps them alive).
    let enumFields: FixedTable<Unmanaged<EnumField>?>
    /// The cache slots of the fields some test reads, in slot order: a decision reads
    /// them all first, then settles every condition at once (`candidates(ordinals:into:)`).
    let testedSlots: FixedTable<Int>
    /// For each tested field and each of its values, the conditions whose tests on that
    /// field pass with that value, as a bit set of `wordCount` words; a condition without
    /// tests on the field passes. Row of field slot `s`, ordinal `o`: `rowStart[s] + o`.
    let passing: FixedTable<UInt64>
    let rowStart: FixedTable<Int>
    /// Words in a candidate set: one bit per planned condition.
    let wordCount: Int
    let rules: FixedTable<ConditionPlan>
    /// For each rule, the range of `suspended` holding the thresholds it suspends.
    let suspends: FixedTable<Range<Int>>
    let suspended: FixedTable<Int>
    /// For each outcome (rules, then tiers), its effect, and whether an obligation of it
    /// has a computed field.
    let effects: FixedTable<Effect>
    let computesObligations: FixedTable<Bool>
    /// The index in the outcomes of each threshold's first tier.
    let tierBase: FixedTable<Int>
    let thresholds: FixedTable<ConditionPlan>
    /// Each threshold's native count, unretained (the threshold keeps it alive).
    let windowCounts: FixedTable<Unmanaged<WindowCount>?>
    /// Each threshold's list that a request may leave out, unretained (see `Threshold.missingList`).
    let missingLists: FixedTable<Unmanaged<MissingListPath>?>
    /// Every tier's `at_least`, thresholds one after another, and each threshold's range.
    let tierFloors: FixedTable<Int64>
    let tierRanges: FixedTable<Range<Int>>
    /// The rules' conditions flattened, for explained decisions.
    let sites: ConditionSites
    let refundApplies: ConditionPlan?
    let fees: FixedTable<ConditionPlan>
    let initiate: FixedTable<ConditionPlan>
    let expect: FixedTable<ConditionPlan>
    /// The refund's formulas, currency field and deadline tables, when it has them.
    let refund: RefundPlan?
    /// The business days of each `initiate_within` and `expect_within` case.
    let initiateDays: FixedTable<Int>
    let expectDays: FixedTable<Int>

    init(
        rules: [Rule], thresholds: [Threshold], refunds: RefundPolicy?, enumFieldCount: Int,
        effects: [Effect], tierBase: [Int], computesObligations: [Bool]
    ) {
        var builder = Builder(fields: Array(repeating: nil, count: enumFieldCount))
        // Rules first: rule `i` is condition `i`, so a candidate set's low bits are the rules.
        self.rules = FixedTable(rules.map { builder.plan($0.condition) })
        self.sites = ConditionSites(rules: rules, enumFieldCount: enumFieldCount)
        let suspended = rules.map { rule in
            rule.suspends.compactMap { id in thresholds.firstIndex { $0.id == id } }
        }
        var ranges: [Range<Int>] = []
        var start = 0
        for list in suspended {
            ranges.append(start..<start + list.count)
            start += list.count
        }
        self.suspends = FixedTable(ranges)
        self.suspended = FixedTable(suspended.joined())
        self.effects = FixedTable(effects)
        self.computesObligations = FixedTable(computesObligations)
        self.tierBase = FixedTable(tierBase)
        // A missing condition always holds: it is planned as one with no tests, so
        // settling it never reaches for the (absent) condition.
        self.thresholds = FixedTable(thresholds.map { builder.plan($0.appliesWhen) })
        self.windowCounts = FixedTable(thresholds.map { $0.windowCount.map(Unmanaged.passUnretained) })
        self.missingLists = FixedTable(thresholds.map { $0.missingList.map(Unmanaged.passUnretained) })
        self.tierFloors = FixedTable(thresholds.flatMap { $0.tiers.map(\.atLeast) })
        var tierRanges: [Range<Int>] = []
        for threshold in thresholds {
            let first = tierRanges.last?.upperBound ?? 0
            tierRanges.append(first..<first + threshold.tiers.count)
        }
        self.tierRanges = FixedTable(tierRanges)
        refund = refunds.map(RefundPlan.init)
        initiateDays = FixedTable(refunds?.initiateWithin.map(\.value) ?? [])
        expectDays = FixedTable(refunds?.expectWithin.map(\.value) ?? [])
        refundApplies = refunds.map { builder.plan($0.appliesWhen) }
        fees = FixedTable(refunds?.fee.map { builder.plan($0.when) } ?? [])
        initiate = FixedTable(refunds?.initiateWithin.map { builder.plan($0.when) } ?? [])
        expect = FixedTable(refunds?.expectWithin.map { builder.plan($0.when) } ?? [])
        self.tests = FixedTable(builder.tests)
        self.fields = builder.fields
        self.enumFields = FixedTable(builder.fields.map { $0.map(Unmanaged.passUnretained) })
        let wordCount = max(1, (builder.conditions.count + 63) / 64)
        self.wordCount = wordCount
        let slots = builder.fields.indices.filter { builder.fields[$0] != nil }
        self.testedSlots = FixedTable(slots)
        var rowStart = Array(repeating: 0, count: builder.fields.count)
        var rows = 0
        for slot in slots {
            rowStart[slot] = rows
            rows += builder.fields[slot]!.values.count
        }
        var passing = Array(repeating: UInt64.max, count: rows * wordCount)
        for condition in builder.conditions {
            for test in builder.tests[condition.tests] {
                for ordinal in builder.fields[test.field]!.values.indices where test.accepted & (1 << UInt64(ordinal)) == 0 {
                    passing[(rowStart[test.field] + ordinal) * wordCount + condition.id / 64] &= ~(1 << UInt64(condition.id % 64))
                }
            }
        }
        self.passing = FixedTable(passing)
        self.rowStart = FixedTable(rowStart)
    }

    deinit {
        tests.deallocate()
        enumFields.deallocate()
        testedSlots.deallocate()
        passing.deallocate()
        rowStart.deallocate()
        rules.deallocate()
        suspends.deallocate()
        suspended.deallocate()
        effects.deallocate()
        computesObligations.deallocate()
        tierBase.deallocate()
        thresholds.deallocate()
        windowCounts.deallocate()
        missingLists.deallocate()
        tierFloors.deallocate()
        tierRanges.deallocate()
        initiateDays.deallocate()
        expectDays.deallocate()
        refund?.feeFormulas.deallocate()
        fees.deallocate()
        initiate.deallocate()
        expect.deallocate()
    }

    /// Every planned condition whose tests all pass, as a bit set written to `words`,
    /// from the ordinals of the tested fields; false (nothing written) when one of them
    /// is absent or unexpected, and conditions must be settled test by test.
    func candidates(ordinals: UnsafeMutableBufferPointer<Int8>, into words: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        for index in 0..<wordCount { words[index] = .max }
        for slot in testedSlots.elements {
            let ordinal = ordinals[slot]
            guard ordinal >= 0 else { return false }
            let row = (rowStart[slot] + Int(ordinal)) * wordCount
            for index in 0..<wordCount { words[index] &= passing[row + index] }
        }
        return true
    }

    /// The smallest member of the bit set `words` greater than `index` and less than
    /// `limit`, else `limit`.
    @inline(__always)
    static func nextMember(_ words: UnsafeMutableBufferPointer<UInt64>, after index: Int, below limit: Int) -> Int {
        var position = index + 1
        while position < limit {
            let word = words[position &>> 6] &>> UInt64(position & 63)
            if word != 0 { return min(position + word.trailingZeroBitCount, limit) }
            position = (position | 63) + 1
        }
        return limit
    }

    private struct Builder {
        var tests: [FlatTest] = []
        var fields: [EnumField?]
        var conditions: [ConditionPlan] = []

        init(fields: [EnumField?]) { self.fields = fields }

        mutating func plan(_ condition: Condition?) -> ConditionPlan {
            let start = tests.count
            let (prefix, complete) = condition.map(DecisionPlan.leadingTests) ?? ([], true)
            for test in prefix {
                // A test without a cache slot ends the prefix; the rest is evaluated in full.
                guard fields.indices.contains(test.field.index) else { break }
                fields[test.field.index] = test.field
                tests.append(FlatTest(field: test.field.index, accepted: test.accepted))
            }
            let planned = tests.count - start
            let plan = ConditionPlan(
                tests: start..<tests.count, complete: complete && planned == prefix.count, id: conditions.count)
            conditions.append(plan)
            return plan
        }
    }

    /// The enum tests a condition is evaluated with first, and whether they are all of it.
    fileprivate static func leadingTests(_ condition: Condition) -> ([EnumTest], Bool) {
        switch condition {
        case .expression(let expression):
            if case .enumTests(let tests) = expression.shortcut { return (tests, true) }
            return ([], false)
        case .all(let items):
            var tests: [EnumTest] = []
            for item in items {
                let (leading, complete) = leadingTests(item)
                tests += leading
                if !complete { return (tests, false) }
            }
            return (tests, true)
        case .any(let items) where items.count == 1:
            return leadingTests(items[0])
        case .not(let inner):
            // The negation of one test is a test; of several, a disjunction, which is not.
            let (leading, complete) = leadingTests(inner)
            guard complete, leading.count == 1, let test = leading.first else { return ([], false) }
            let all: UInt64 = test.field.values.count == 64 ? .max : (1 << UInt64(test.field.values.count)) - 1
            return ([EnumTest(field: test.field, accepted: ~test.accepted & all)], true)
        case .any:
            return ([], false)
        }
    }
}

/// What a refund reads, unretained (the refund policy keeps it all alive): its fee and
/// amount formulas, its currency's field and its deadline tables, each nil when the
/// policy's expression has no such shortcut.
struct RefundPlan: Sendable {
    let feeFormulas: FixedTable<Unmanaged<DecimalFormula>?>
    let amountFormula: Unmanaged<DecimalFormula>?
    let currencyField: Unmanaged<FieldPath>?
    let deadlines: Unmanaged<BusinessDeadlines>?
    /// `RefundPolicy.coveredSeconds`: deadlines must fall within it.
    let coveredSeconds: ClosedRange<Int64>?

    init(_ refunds: RefundPolicy) {
        coveredSeconds = refunds.coveredSeconds
        func formula(_ expression: CompiledExpression) -> Unmanaged<DecimalFormula>? {
            if case .decimal(let formula) = expression.shortcut { return Unmanaged.passUnretained(formula) }
            return nil
        }
        feeFormulas = FixedTable(refunds.fee.map { formula($0.value) })
        amountFormula = formula(refunds.amount)
        if case .field(let path) = refunds.currency.shortcut {
            currencyField = Unmanaged.passUnretained(path)
        } else {
            currencyField = nil
        }
        deadlines = refunds.fastDeadlines.map(Unmanaged.passUnretained)
    }
}
