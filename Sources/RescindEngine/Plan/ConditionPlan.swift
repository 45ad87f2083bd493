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
    let rules: [ConditionPlan]
    /// For each rule, the indexes of the thresholds it suspends.
    let suspends: [[Int]]
    let thresholds: [ConditionPlan?]
    let refundApplies: ConditionPlan?
    let fees: [ConditionPlan?]
    let initiate: [ConditionPlan?]
    let expect: [ConditionPlan?]

    init(rules: [Rule], thresholds: [Threshold], refunds: RefundPolicy?, enumFieldCount: Int) {
        var builder = Builder(fields: Array(repeating: nil, count: enumFieldCount))
        self.rules = rules.map { builder.plan($0.condition) }
        self.suspends = rules.map { rule in
            rule.suspends.compactMap { id in thresholds.firstIndex { $0.id == id } }
        }
        self.thresholds = thresholds.map { $0.appliesWhen.map { builder.plan($0) } }
        refundApplies = refunds?.appliesWhen.map { builder.plan($0) }
        fees = refunds?.fee.map { $0.when.map { builder.plan($0) } } ?? []
        initiate = refunds?.initiateWithin.map { $0.when.map { builder.plan($0) } } ?? []
        expect = refunds?.expectWithin.map { $0.when.map { builder.plan($0) } } ?? []
        self.tests = builder.tests
        self.fields = builder.fields
    }

    private struct Builder {
        var tests: ContiguousArray<FlatTest> = []
        var fields: [EnumField?]

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
            return ConditionPlan(tests: start..<tests.count, complete: complete && planned == prefix.count)
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
