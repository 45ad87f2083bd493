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
    let tests: ContiguousArray<FlatTest>
    /// The enum fields the tests read, by cache slot (nil where none reads it).
    let fields: [EnumField?]
    /// The cache slots of the fields some test reads, in slot order: a decision reads
    /// them all first, then settles every condition at once (`candidates(ordinals:into:)`).
    let testedSlots: [Int]
    /// For each tested field and each of its values, the conditions whose tests on that
    /// field pass with that value, as a bit set of `wordCount` words; a condition without
    /// tests on the field passes. Row of field slot `s`, ordinal `o`: `rowStart[s] + o`.
    let passing: [UInt64]
    let rowStart: [Int]
    /// Words in a candidate set: one bit per planned condition.
    let wordCount: Int
    let rules: [ConditionPlan]
    /// For each rule, the indexes of the thresholds it suspends.
    let suspends: [[Int]]
    /// For each outcome (rules, then tiers), whether an obligation of it has a computed field.
    let computesObligations: [Bool]
    let thresholds: [ConditionPlan?]
    let refundApplies: ConditionPlan?
    let fees: [ConditionPlan?]
    let initiate: [ConditionPlan?]
    let expect: [ConditionPlan?]

    init(
        rules: [Rule], thresholds: [Threshold], refunds: RefundPolicy?, enumFieldCount: Int,
        computesObligations: [Bool]
    ) {
        var builder = Builder(fields: Array(repeating: nil, count: enumFieldCount))
        self.rules = rules.map { builder.plan($0.condition) }
        self.suspends = rules.map { rule in
            rule.suspends.compactMap { id in thresholds.firstIndex { $0.id == id } }
        }
        self.computesObligations = computesObligations
        self.thresholds = thresholds.map { $0.appliesWhen.map { builder.plan($0) } }
        refundApplies = refunds?.appliesWhen.map { builder.plan($0) }
        fees = refunds?.fee.map { $0.when.map { builder.plan($0) } } ?? []
        initiate = refunds?.initiateWithin.map { $0.when.map { builder.plan($0) } } ?? []
        expect = refunds?.expectWithin.map { $0.when.map { builder.plan($0) } } ?? []
        self.tests = builder.tests
        self.fields = builder.fields
        let wordCount = max(1, (builder.conditions.count + 63) / 64)
        self.wordCount = wordCount
        let slots = builder.fields.indices.filter { builder.fields[$0] != nil }
        self.testedSlots = slots
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
        self.passing = passing
        self.rowStart = rowStart
    }

    /// Every planned condition whose tests all pass, as a bit set written to `words`,
    /// from the ordinals of the tested fields; false (nothing written) when one of them
    /// is absent or unexpected, and conditions must be settled test by test.
    func candidates(ordinals: UnsafeMutableBufferPointer<Int8>, into words: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        for index in 0..<wordCount { words[index] = .max }
        for slot in testedSlots {
            let ordinal = ordinals[slot]
            guard ordinal >= 0 else { return false }
            let row = (rowStart[slot] + Int(ordinal)) * wordCount
            for index in 0..<wordCount { words[index] &= passing[row + index] }
        }
        return true
    }

    private struct Builder {
        var tests: ContiguousArray<FlatTest> = []
        var fields: [EnumField?]
        var conditions: [ConditionPlan] = []

        init(fields: [EnumField?]) { self.fields = fields }

        mutating func plan(_ condition: Condition) -> ConditionPlan {
            let start = tests.count
            let (prefix, complete) = DecisionPlan.leadingTests(condition)
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
