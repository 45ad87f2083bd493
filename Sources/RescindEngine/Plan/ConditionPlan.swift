import CELRuntime
import RescindUnsafe
import RescindCELLibrary

/// The tests a condition starts with, so a decision can settle most conditions with a
/// few bit tests and integer comparisons over flat arrays — no tree walk, no reference
/// counting.
///
/// Settling early never changes a decision: the tests are the condition's first
/// conjuncts, so when one fails the condition is false before anything that could
/// report an error was evaluated; when a value is absent or unexpected, the full
/// condition is evaluated as written. Enum tests come first and bound tests after them
/// (a leading enum test written after a bound test ends the prefix), so the candidate
/// set, which settles every enum test at once, never skips a bound test that the
/// written order would have evaluated, and reported, first.
struct ConditionPlan: Sendable {
    // Stored as 32-bit numbers: conditions are read from tables and passed by value on
    // every decision, and at 20 bytes a copy is a few moves, not a `memcpy`.
    private let testStart: Int32
    private let boundStart: Int32
    private let testEnd: Int32
    private let number: Int32
    /// Whether the tests are the whole condition (it holds when they all pass).
    let complete: Bool

    init(tests: Range<Int>, bounds: Range<Int>, complete: Bool, id: Int) {
        testStart = Int32(tests.lowerBound)
        boundStart = Int32(bounds.lowerBound)
        testEnd = Int32(tests.upperBound)
        number = Int32(id)
        self.complete = complete
    }

    /// The tests, as indexes into `DecisionPlan.tests`: enum tests, then `bounds`.
    @inline(__always) var tests: Range<Int> { Int(testStart)..<Int(testEnd) }
    /// The bound tests, the end of `tests`: the candidate set does not settle them.
    @inline(__always) var bounds: Range<Int> { Int(boundStart)..<Int(testEnd) }
    /// Whether there are bound tests.
    @inline(__always) var hasBounds: Bool { boundStart != testEnd }
    /// The condition's bit in a decision's candidate set (see `DecisionPlan.passing`),
    /// and its number in `ConditionSites.roots`.
    @inline(__always) var id: Int { Int(number) }
}

/// One leading test, flattened: an enum test (the field's slot in the ordinal cache and
/// the ordinals that pass) or a bound test (the field's slot in the number cache, and
/// the constant's key to compare the value's key with; see `DecisionPlan.key`).
struct FlatTest: Sendable {
    enum Kind: UInt8, Sendable {
        case oneOf, less, lessEquals, greater, greaterEquals
    }

    // In this order, 16 bytes a test, as before bound tests were added.
    let accepted: UInt64
    private let slot: Int32
    let kind: Kind

    /// The ordinal cache slot (`oneOf`) or the number cache slot (the others).
    @inline(__always) var field: Int { Int(slot) }

    init(field: Int, accepted: UInt64) {
        self.kind = .oneOf
        self.slot = Int32(field)
        self.accepted = accepted
    }

    init(kind: Kind, field: Int, accepted: UInt64) {
        self.kind = kind
        self.slot = Int32(field)
        self.accepted = accepted
    }

    init(bound relation: BoundTest.Relation, field: Int, key: UInt64) {
        self.kind = switch relation {
        case .less: .less
        case .lessEquals: .lessEquals
        case .greater: .greater
        case .greaterEquals: .greaterEquals
        }
        self.slot = Int32(field)
        self.accepted = key
    }

    /// A bound test's outcome for a value's key: the keys order as the values do.
    @inline(__always)
    func holds(key: UInt64) -> Bool {
        switch kind {
        case .less: key < accepted
        case .lessEquals: key <= accepted
        case .greater: key > accepted
        case .greaterEquals: key >= accepted
        case .oneOf: false
        }
    }
}

/// What deciding reads of a rule first, in one 16-byte entry: a candidate of a large
/// set is then one fetch from memory, where reading its condition, its bound test, its
/// effect and what it suspends from their own tables was four (measured: those loads
/// were most of a decision's time with 10,000 rules).
struct RuleSummary: Sendable {
    /// The rule's one bound test (`kind` is `.oneOf` when it has none).
    let bound: FlatTest
    let effect: Effect
    private let flags: UInt8

    private static let settledByTests: UInt8 = 1
    private static let suspendsThresholds: UInt8 = 2

    init(condition: ConditionPlan, tests: [FlatTest], effect: Effect, suspends: Bool) {
        let bounds = condition.bounds
        bound = bounds.count == 1 ? tests[bounds.lowerBound] : FlatTest(field: 0, accepted: 0)
        self.effect = effect
        flags = (condition.complete && bounds.count <= 1 ? Self.settledByTests : 0)
            | (suspends ? Self.suspendsThresholds : 0)
    }

    /// Whether the condition is its enum tests and at most one bound test: once the
    /// enum tests passed (the rule is a candidate), `bound` alone settles it.
    @inline(__always) var isSettledByTests: Bool { flags & Self.settledByTests != 0 }
    /// Whether the rule suspends thresholds (`DecisionPlan.suspends`).
    @inline(__always) var suspends: Bool { flags & Self.suspendsThresholds != 0 }
}

/// The interval index of one number field's bound tests: its keys (`DecisionPlan.key`)
/// cut into `buckets` runs of about equal length, and for each run a row of the
/// candidate bit set — the conditions whose first bound test on the field can pass for
/// some key in the run. A decision that knows the field's key intersects that row into
/// its candidates, so of rules such as `order.total > X` over 10,000 values of `X` it
/// visits only those whose test can hold, not every one whose enum tests pass.
///
/// Only a condition's first bound test prunes: when it fails the condition is false
/// whatever comes after, while a later test failing does not make it so (an earlier
/// one on an absent value sends the condition to CEL, which reports that).
struct BoundBuckets: Sendable {
    /// The first row's index in `DecisionPlan.boundPassing`, in rows of `wordCount` words.
    let firstRow: Int32
    /// The field's keys, `2 × constants + 1`.
    let keyCount: Int32
    /// Rows; zero when the field is not indexed.
    let buckets: Int32

    /// The row for `key` (below `keyCount`).
    @inline(__always)
    func row(of key: UInt64) -> Int { Int(firstRow) &+ Int(key) &* Int(buckets) / Int(keyCount) }

    /// The keys bucket `bucket` covers.
    func keys(of bucket: Int) -> ClosedRange<UInt64> {
        // Key k is in bucket k · buckets / keyCount: the first key of bucket b is the
        // least k with k · buckets ≥ b · keyCount.
        func first(_ bucket: Int) -> Int { (bucket * Int(keyCount) + Int(buckets) - 1) / Int(buckets) }
        return UInt64(first(bucket))...UInt64(first(bucket + 1) - 1)
    }
}

/// The rules of a large set listed by the values of the enum fields they test: for
/// each combination of those fields' values, the rules whose enum tests all pass with
/// it, in policy order. A decision looks its combination up and visits that list (the
/// rules its candidate set holds, before bound tests), where walking the candidate
/// set's words would scan one bit per rule. Built only when the lists stay small (see
/// `DecisionPlan.ruleLists`).
struct RuleLists: Sendable {
    /// For each tested slot (`DecisionPlan.testedSlots`, in order), what its ordinal is
    /// multiplied by in a combination's number.
    let strides: ArenaTable<Int>
    /// Combination `c`'s rules are `rules[starts[c] ..< starts[c + 1]]`.
    let starts: ArenaTable<Int32>
    let rules: ArenaTable<Int32>

    /// The most combinations indexed, and entries per rule or per combination, whichever
    /// is more (a rule without a test on a field is in every combination of its values).
    static let maxCombinations = 1 << 16
    static let maxEntries = 32
}

/// What every condition of a policy set starts with, built once when the set is made.
/// A class, so a decision reaches it through one reference.
final class DecisionPlan: Sendable {
    // The tables a decision reads are `ArenaTable`s in `arena`: reading them adjusts
    // no reference counts.
    /// Owns every table of the plan (and of its sites).
    let arena: PlanArena
    /// Every enum test: conditions' leading tests, then the sites' (`ConditionSites.enumTests`).
    let tests: ArenaTable<FlatTest>
    /// The enum fields the tests read, by cache slot (nil where none reads it).
    let fields: [EnumField?]
    /// `fields`, unretained (the array keeps them alive).
    let enumFields: ArenaTable<UnownedRef<EnumField>?>
    /// The cache slots of the fields some test reads, in slot order: a decision reads
    /// them all first, then settles every condition at once (`candidates(ordinals:into:)`).
    let testedSlots: ArenaTable<Int>
    /// For each tested field and each of its values, the conditions whose tests on that
    /// field pass with that value, as a bit set of `wordCount` words; a condition without
    /// tests on the field passes. Row of field slot `s`, ordinal `o`: `rowStart[s] + o`.
    let passing: ArenaTable<UInt64>
    let rowStart: ArenaTable<Int>
    /// Words in a candidate set: one bit per planned condition.
    let wordCount: Int
    let rules: ArenaTable<ConditionPlan>
    /// Each rule's `RuleSummary`.
    let ruleSummaries: ArenaTable<RuleSummary>
    /// For each rule, the range of `suspended` holding the thresholds it suspends.
    let suspends: ArenaTable<Range<Int>>
    let suspended: ArenaTable<Int>
    /// For each outcome (rules, then tiers), its effect, and whether an obligation of it
    /// has a computed field.
    let effects: ArenaTable<Effect>
    let computesObligations: ArenaTable<Bool>
    /// Whether any outcome does: when none does, a decision skips looking.
    let anyComputesObligations: Bool
    /// The index in the outcomes of each threshold's first tier.
    let tierBase: ArenaTable<Int>
    let thresholds: ArenaTable<ConditionPlan>
    /// Each threshold's native count, unretained (the threshold keeps it alive).
    let windowCounts: ArenaTable<UnownedRef<WindowCount>?>
    /// Each threshold's list that a request may leave out, unretained (see `Threshold.missingList`).
    let missingLists: ArenaTable<UnownedRef<MissingListPath>?>
    /// Every tier's `at_least`, thresholds one after another, and each threshold's range.
    let tierFloors: ArenaTable<Int64>
    let tierRanges: ArenaTable<Range<Int>>
    /// Every condition flattened: what the evaluator walks when tests cannot settle it.
    let sites: ConditionSites
    /// The number fields bound tests read, by number cache slot (nil where none reads it).
    let numberFields: [NumberField?]
    /// `numberFields`, unretained (the array keeps them alive).
    let numberFieldRefs: ArenaTable<UnownedRef<NumberField>?>
    /// For each number cache slot, the distinct constants its bound tests compare with,
    /// ascending, as a range of `boundConstants`: what a value's key is found among.
    let boundConstants: ArenaTable<CELDecimal>
    let boundRanges: ArenaTable<Range<Int>>
    /// The rules by the combination of their enum fields' values; nil when the set has
    /// one word of candidates or the lists would be too long.
    let ruleLists: RuleLists?
    /// The interval index: each number cache slot's buckets (`buckets` zero where the
    /// slot is not indexed), their rows of `wordCount` words, and the indexed slots.
    let boundBuckets: ArenaTable<BoundBuckets>
    let boundPassing: ArenaTable<UInt64>
    let bucketedSlots: ArenaTable<Int>
    /// The most rows a number field is cut into.
    static let maxBuckets = 64
    /// Slots in the number cache.
    var numberFieldCount: Int { numberFields.count }
    /// The outcomes that follow the decided effect (the refund), in the order they are computed.
    let followUps: ArenaTable<FollowUpPlan>
    /// What the follow-ups compute (their `kind`'s objects), kept alive with the plan.
    let followUpObjects: [any AnyObject & Sendable]
    /// The effects some follow-up follows, one bit per `Effect.precedence`.
    private let followedEffects: UInt8

    /// Whether some follow-up follows `effect`.
    @inline(__always)
    func hasFollowUps(of effect: Effect) -> Bool { followedEffects & (1 << UInt8(effect.precedence)) != 0 }

    init(
        rules: [Rule], thresholds: [Threshold], refunds: RefundPolicy?, enumFieldCount: Int,
        numberFieldCount: Int = 0, effects: [Effect], tierBase: [Int], computesObligations: [Bool],
        in arena: PlanArena
    ) {
        self.arena = arena
        var builder = Builder(
            fields: Array(repeating: nil, count: enumFieldCount),
            numberFields: Array(repeating: nil, count: numberFieldCount))
        // Rules first: rule `i` is condition `i`, so a candidate set's low bits are the rules.
        let rulePlans = rules.map { builder.plan($0.condition) }
        self.rules = arena.table(rulePlans)
        let suspended = rules.map { rule in
            rule.suspends.compactMap { id in thresholds.firstIndex { $0.id == id } }
        }
        var ranges: [Range<Int>] = []
        var start = 0
        for list in suspended {
            ranges.append(start..<start + list.count)
            start += list.count
        }
        self.suspends = arena.table(ranges)
        self.suspended = arena.table(suspended.joined())
        self.effects = arena.table(effects)
        self.computesObligations = arena.table(computesObligations)
        self.anyComputesObligations = computesObligations.contains(true)
        self.tierBase = arena.table(tierBase)
        // A missing condition always holds: it is planned as one with no tests, so
        // settling it never reaches for the (absent) condition.
        self.thresholds = arena.table(thresholds.map { builder.plan($0.appliesWhen) })
        self.windowCounts = arena.table(thresholds.map { $0.windowCount.map(UnownedRef.init) })
        self.missingLists = arena.table(thresholds.map { $0.missingList.map(UnownedRef.init) })
        self.tierFloors = arena.table(thresholds.flatMap { $0.tiers.map(\.atLeast) })
        var tierRanges: [Range<Int>] = []
        for threshold in thresholds {
            let first = tierRanges.last?.upperBound ?? 0
            tierRanges.append(first..<first + threshold.tiers.count)
        }
        self.tierRanges = arena.table(tierRanges)
        // Follow-ups are planned with the rules' builder, so their conditions and cases
        // are settled by the candidate set and walked like any rule's.
        var followUps: [FollowUpPlan] = []
        var followUpObjects: [any AnyObject & Sendable] = []
        if let refunds {
            let applies = builder.plan(refunds.appliesWhen)
            let refundPlan = RefundPlan(refunds, plan: { builder.plan($0) }, in: arena)
            followUps.append(FollowUpPlan(follows: .allow, applies: applies, kind: .refund(UnownedRef(refundPlan))))
            followUpObjects.append(refundPlan)
        }
        self.followUps = arena.table(followUps)
        self.followedEffects = followUps.reduce(0) { $0 | 1 << UInt8($1.follows.precedence) }
        self.followUpObjects = followUpObjects
        var tests = builder.tests
        self.sites = ConditionSites(
            conditions: builder.written, ruleCount: rules.count, enumFieldCount: enumFieldCount,
            tests: &tests, flatten: { builder.flatten($0) }, in: arena)
        builder.tests = tests
        let (keyed, constants, boundRanges) = builder.keyedTests()
        self.tests = arena.table(keyed)
        self.ruleSummaries = arena.table(rules.indices.map { index in
            RuleSummary(
                condition: rulePlans[index], tests: keyed, effect: effects[index],
                suspends: !suspended[index].isEmpty)
        })
        self.numberFields = builder.numberFields
        self.numberFieldRefs = arena.table(builder.numberFields.map { $0.map(UnownedRef.init) })
        self.boundConstants = arena.table(constants)
        self.boundRanges = arena.table(boundRanges)
        self.fields = builder.fields
        self.enumFields = arena.table(builder.fields.map { $0.map(UnownedRef.init) })
        let wordCount = max(1, (builder.conditions.count + 63) / 64)
        self.wordCount = wordCount
        let slots = builder.fields.indices.filter { builder.fields[$0] != nil }
        self.testedSlots = arena.table(slots)
        var rowStart = Array(repeating: 0, count: builder.fields.count)
        var rows = 0
        for slot in slots {
            rowStart[slot] = rows
            rows += builder.fields[slot]!.values.count
        }
        var passing = Array(repeating: UInt64.max, count: rows * wordCount)
        for condition in builder.conditions {
            for test in builder.tests[condition.tests] where test.kind == .oneOf {
                for ordinal in builder.fields[test.field]!.values.indices where test.accepted & (1 << UInt64(ordinal)) == 0 {
                    passing[(rowStart[test.field] + ordinal) * wordCount + condition.id / 64] &= ~(1 << UInt64(condition.id % 64))
                }
            }
        }
        self.passing = arena.table(passing)
        self.rowStart = arena.table(rowStart)
        let (buckets, boundPassing) = Self.bucketBounds(
            conditions: builder.conditions, tests: keyed, constantRanges: boundRanges, wordCount: wordCount)
        self.boundBuckets = arena.table(buckets)
        self.boundPassing = arena.table(boundPassing)
        self.bucketedSlots = arena.table(buckets.indices.filter { buckets[$0].buckets > 0 })
        self.ruleLists = Self.listRules(
            rulePlans, tests: keyed, fields: builder.fields, slots: slots, wordCount: wordCount, in: arena)
    }

    /// Builds `RuleLists`: nil for a set of up to 64 conditions (a one-word walk is
    /// cheaper than a lookup), or when the combinations or the entries (a rule is in
    /// every combination its tests accept) pass `RuleLists`' limits: at most 4 MiB.
    private static func listRules(
        _ rules: [ConditionPlan], tests: [FlatTest], fields: [EnumField?], slots: [Int], wordCount: Int,
        in arena: PlanArena
    ) -> RuleLists? {
        guard wordCount > 1, !slots.isEmpty else { return nil }
        var strides: [Int] = []
        var combinations = 1
        for slot in slots {
            strides.append(combinations)
            combinations *= fields[slot]!.values.count
            guard combinations <= RuleLists.maxCombinations else { return nil }
        }
        let position = Dictionary(uniqueKeysWithValues: slots.enumerated().map { ($1, $0) })
        // Each rule's accepted ordinals per tested slot (every value where it has no test).
        var accepted: [[UInt64]] = []
        var entries = 0
        for rule in rules {
            var masks = slots.map { slot in
                let count = fields[slot]!.values.count
                return count == 64 ? UInt64.max : (1 << UInt64(count)) - 1
            }
            for test in tests[rule.tests] where test.kind == .oneOf { masks[position[test.field]!] &= test.accepted }
            entries += masks.reduce(1) { $0 * $1.nonzeroBitCount }
            guard entries <= RuleLists.maxEntries * max(rules.count, combinations) else { return nil }
            accepted.append(masks)
        }
        var lists = Array(repeating: [Int32](), count: combinations)
        for (index, masks) in accepted.enumerated() {
            // Every combination of accepted ordinals, slot by slot.
            var numbers = [0]
            for (slot, mask) in masks.enumerated() {
                var next: [Int] = []
                var bits = mask
                while bits != 0 {
                    let ordinal = bits.trailingZeroBitCount
                    bits &= bits - 1
                    next += numbers.map { $0 + ordinal * strides[slot] }
                }
                numbers = next
            }
            for number in numbers { lists[number].append(Int32(index)) }
        }
        var starts: [Int32] = [0]
        for list in lists { starts.append(starts.last! + Int32(list.count)) }
        return RuleLists(
            strides: arena.table(strides), starts: arena.table(starts), rules: arena.table(lists.joined()))
    }

    /// Builds the interval index (`BoundBuckets`) of every number field some condition's
    /// first bound test compares. A set of up to 64 conditions gets none: its candidates
    /// are one word, and visiting a few more of them costs less than finding a key the
    /// decision might not have needed.
    private static func bucketBounds(
        conditions: [ConditionPlan], tests: [FlatTest], constantRanges: [Range<Int>], wordCount: Int
    ) -> ([BoundBuckets], [UInt64]) {
        var firstBounds = Array(repeating: [(id: Int, test: FlatTest)](), count: constantRanges.count)
        if wordCount > 1 {
            for condition in conditions where condition.hasBounds {
                let test = tests[condition.bounds.lowerBound]
                firstBounds[test.field].append((condition.id, test))
            }
        }
        var buckets: [BoundBuckets] = []
        var rows: [UInt64] = []
        for (slot, bounds) in firstBounds.enumerated() {
            guard !bounds.isEmpty else {
                buckets.append(BoundBuckets(firstRow: 0, keyCount: 1, buckets: 0))
                continue
            }
            let keyCount = 2 * constantRanges[slot].count + 1
            let index = BoundBuckets(
                firstRow: Int32(rows.count / wordCount), keyCount: Int32(keyCount),
                buckets: Int32(min(maxBuckets, keyCount)))
            buckets.append(index)
            let start = rows.count
            rows += repeatElement(UInt64.max, count: Int(index.buckets) * wordCount)
            for bucket in 0..<Int(index.buckets) {
                let keys = index.keys(of: bucket)
                for (id, test) in bounds {
                    // Keys order as values do, so a test holds for some key of the run
                    // exactly when it holds at the run's end nearer its side.
                    let canPass = switch test.kind {
                    case .less, .lessEquals: test.holds(key: keys.lowerBound)
                    case .greater, .greaterEquals: test.holds(key: keys.upperBound)
                    case .oneOf: true
                    }
                    if !canPass { rows[start + bucket * wordCount + id / 64] &= ~(1 << UInt64(id % 64)) }
                }
            }
        }
        return (buckets, rows)
    }


    /// Every planned condition whose tests all pass, as a bit set written to `words`,
    /// from the ordinals of the tested fields; false (nothing written) when one of them
    /// is absent or unexpected, and conditions must be settled test by test.
    func candidates(ordinals: ScratchTable<Int8>, into words: ScratchTable<UInt64>) -> Bool {
        for index in 0..<wordCount { words[index] = .max }
        for slot in testedSlots {
            let ordinal = ordinals[slot]
            guard ordinal >= 0 else { return false }
            let row = (rowStart[slot] &+ Int(ordinal)) &* wordCount
            if wordCount <= 2 {
                // A small set's words: a plain loop costs its decisions less than the
                // vectorized one's set-up (the pack's, measured).
                for index in 0..<wordCount { words[index] &= passing[row &+ index] }
            } else {
                words.formIntersection(with: passing, from: row)
            }
        }
        return true
    }

    /// A number's key among the constants of number cache slot `slot`: twice the count
    /// of constants below it, plus one when it equals one of them; constant `i`'s own
    /// key is `2i + 1`. So `value < c` exactly when `key(value) < key(c)`, and so on for
    /// every relation: a bound test compares two integers, and a decision finds a
    /// field's key once, by binary search, however many rules compare it.
    @inline(__always)
    func key(of value: CELDecimal, slot: Int) -> UInt64 {
        Self.key(of: value, in: boundConstants, boundRanges[slot])
    }

    @inline(__always)
    static func key<Table: RandomAccessCollection<CELDecimal>>(
        of value: CELDecimal, in constants: Table, _ range: Range<Int>
    ) -> UInt64 where Table.Index == Int {
        var low = range.lowerBound
        var high = range.upperBound
        while low < high {
            let middle = (low + high) &>> 1
            if constants[middle] < value { low = middle + 1 } else { high = middle }
        }
        let equal = low < range.upperBound && constants[low] == value
        return UInt64(low - range.lowerBound) &* 2 &+ (equal ? 1 : 0)
    }

    private struct Builder {
        var tests: [FlatTest] = []
        var fields: [EnumField?]
        var numberFields: [NumberField?]
        var conditions: [ConditionPlan] = []
        /// The conditions as written, by id (nil where none is written).
        var written: [Condition?] = []
        /// The constants of the bound tests so far; until `keyedTests()`, a bound test's
        /// `accepted` is its constant's index here.
        var constants: [CELDecimal] = []

        init(fields: [EnumField?], numberFields: [NumberField?]) {
            self.fields = fields
            self.numberFields = numberFields
        }

        mutating func plan(_ condition: Condition?) -> ConditionPlan {
            let start = tests.count
            let (prefix, complete) = condition.map(DecisionPlan.leadingTests) ?? ([], true)
            var boundStart: Int?
            var planned = 0
            // A test without a cache slot ends the prefix, as does an enum test after a
            // bound test (see `ConditionPlan`); the rest is evaluated in full.
            prefix: for test in prefix {
                switch test {
                case .oneOf(let test):
                    guard boundStart == nil, fields.indices.contains(test.field.index) else { break prefix }
                    fields[test.field.index] = test.field
                    tests.append(FlatTest(field: test.field.index, accepted: test.accepted))
                case .bound(let test):
                    guard let flat = flatten(test) else { break prefix }
                    if boundStart == nil { boundStart = tests.count }
                    tests.append(flat)
                }
                planned += 1
            }
            let end = tests.count
            let plan = ConditionPlan(
                tests: start..<end, bounds: (boundStart ?? end)..<end, complete: complete && planned == prefix.count,
                id: conditions.count)
            conditions.append(plan)
            written.append(condition)
            return plan
        }

        /// A bound test flattened (keyed later, by `keyedTests()`); nil when its field has no slot.
        mutating func flatten(_ test: BoundTest) -> FlatTest? {
            guard numberFields.indices.contains(test.field.index) else { return nil }
            numberFields[test.field.index] = test.field
            constants.append(test.constant)
            return FlatTest(bound: test.relation, field: test.field.index, key: UInt64(constants.count - 1))
        }

        /// The tests with each bound test's constant replaced by its key, and each number
        /// slot's distinct constants in ascending order (flattened, with their ranges).
        func keyedTests() -> ([FlatTest], [CELDecimal], [Range<Int>]) {
            var bySlot = Array(repeating: [CELDecimal](), count: numberFields.count)
            for test in tests where test.kind != .oneOf { bySlot[test.field].append(constants[Int(test.accepted)]) }
            var sorted: [CELDecimal] = []
            var ranges: [Range<Int>] = []
            for values in bySlot {
                let start = sorted.count
                for value in values.sorted() where sorted.count == start || sorted.last! != value {
                    sorted.append(value)
                }
                ranges.append(start..<sorted.count)
            }
            let keyed = tests.map { test in
                guard test.kind != .oneOf else { return test }
                let constant = constants[Int(test.accepted)]
                let key = DecisionPlan.key(of: constant, in: sorted, ranges[test.field])
                return FlatTest(kind: test.kind, field: test.field, accepted: key)
            }
            return (keyed, sorted, ranges)
        }
    }

    /// A leading test of a condition.
    enum LeadingTest {
        case oneOf(EnumTest)
        case bound(BoundTest)
    }

    /// The enum tests a condition is evaluated with first, and whether they are all of it.
    fileprivate static func leadingTests(_ condition: Condition) -> ([LeadingTest], Bool) {
        switch condition {
        case .expression(let expression):
            switch expression.shortcut {
            case .enumTests(let tests): return (tests.map(LeadingTest.oneOf), true)
            case .bound(let test): return ([.bound(test)], true)
            default: return ([], false)
            }
        case .all(let items):
            var tests: [LeadingTest] = []
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
            // A negated bound test is not one: under `not`, an error would hold.
            let (leading, complete) = leadingTests(inner)
            guard complete, leading.count == 1, case .oneOf(let test) = leading[0] else { return ([], false) }
            let all: UInt64 = test.field.values.count == 64 ? .max : (1 << UInt64(test.field.values.count)) - 1
            return ([.oneOf(EnumTest(field: test.field, accepted: ~test.accepted & all))], true)
        case .any:
            return ([], false)
        }
    }
}

