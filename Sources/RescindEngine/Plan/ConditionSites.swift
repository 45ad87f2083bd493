import RescindUnsafe
/// Every condition of the policy set flattened — the rules', then each threshold's
/// `applies_when`, the refunds' `applies_when` and their cases' `when`, numbered as
/// `ConditionPlan.id` numbers them: the CEL expressions ("sites") in that order, and
/// each condition tree as nodes in pre-order. The evaluator has one walker, over these
/// nodes, for every condition it cannot settle from its leading enum tests.
///
/// Walking indexes into tables costs no reference counting; walking the `Condition`
/// enum itself would retain and release each node's payload at every step, and records
/// of values and texts would allocate. Explaining evaluates every rule in full and
/// records each site's outcome by number; what a site read is looked up again, from the
/// same immutable request, only when the explanation is read.
final class ConditionSites: Sendable {
    enum Kind: UInt8, Sendable {
        case leaf, all, any, not
    }

    /// A condition node; its subtree is the nodes from the next one up to `end`.
    struct Node: Sendable {
        let kind: Kind
        /// The index just past this node's subtree.
        let end: Int32
        /// A leaf's site number.
        let site: Int32
    }

    let nodes: ArenaTable<Node>
    /// The expression of each site; owns what `expressionRefs` points at.
    let expressions: [CompiledExpression]
    let expressionRefs: ArenaTable<UnownedRef<CompiledExpression>>
    /// Whether a site is written directly under a `not:`: it is shown as `!(…)`, with
    /// the outcome of the negation, so it reads the way the rule does.
    let negated: ArenaTable<Bool>
    /// Whether a site reads a value only reachable while evaluating (inside a list, say):
    /// its values are then traced when it is evaluated.
    let traced: ArenaTable<Bool>
    /// The paths each site reads, flattened: a site's range, then each path's text and
    /// its field (nil when only evaluation reaches it; the site is then traced).
    let observedRanges: ArenaTable<Range<Int>>
    let observedNames: ArenaTable<String>
    let observedFields: ArenaTable<UnownedRef<FieldPath>?>
    /// For a site that is a conjunction of enum tests (`Shortcut.enumTests`) or a bound
    /// test (`Shortcut.bound`), its tests as a range of `DecisionPlan.tests`; an empty
    /// range otherwise.
    let enumTests: ArenaTable<Range<Int>>
    /// Each condition's root node (-1 for a condition not written, which holds), by
    /// `ConditionPlan.id`; rules first.
    let roots: ArenaTable<Int>
    /// Each rule's range of sites.
    let ruleSites: ArenaTable<Range<Int>>
    /// Owns the tables' memory (the plan's arena).
    let arena: PlanArena

    /// `conditions` in `ConditionPlan.id` order, the first `ruleCount` of them the rules';
    /// the sites' tests are appended to `tests`, the plan's test table being built, a
    /// bound test as `flatten` flattens it.
    init(
        conditions: [Condition?], ruleCount: Int, enumFieldCount: Int, tests: inout [FlatTest],
        flatten: (BoundTest) -> FlatTest?, in arena: PlanArena
    ) {
        self.arena = arena
        var nodes: [Node] = []
        var expressions: [CompiledExpression] = []
        var negated: [Bool] = []
        var roots: [Int] = []
        var ruleSites: [Range<Int>] = []

        func add(_ condition: Condition, underNot: Bool) {
            let index = nodes.count
            let kind: Kind
            switch condition {
            case .expression(let expression):
                nodes.append(Node(kind: .leaf, end: Int32(index + 1), site: Int32(expressions.count)))
                expressions.append(expression)
                negated.append(underNot)
                return
            case .all(let items):
                kind = .all
                nodes.append(Node(kind: kind, end: 0, site: -1))
                for item in items { add(item, underNot: false) }
            case .any(let items):
                kind = .any
                nodes.append(Node(kind: kind, end: 0, site: -1))
                for item in items { add(item, underNot: false) }
            case .not(let inner):
                kind = .not
                nodes.append(Node(kind: kind, end: 0, site: -1))
                add(inner, underNot: true)
            }
            nodes[index] = Node(kind: kind, end: Int32(nodes.count), site: -1)
        }

        for (id, condition) in conditions.enumerated() {
            let first = expressions.count
            guard let condition else {
                roots.append(-1)
                continue
            }
            roots.append(nodes.count)
            add(condition, underNot: false)
            if id < ruleCount { ruleSites.append(first..<expressions.count) }
        }
        self.nodes = arena.table(nodes)
        self.expressions = expressions
        self.expressionRefs = arena.table(expressions.map(UnownedRef.init))
        self.negated = arena.table(negated)
        self.traced = arena.table(expressions.map { $0.observed.contains { $0.field == nil } })
        var testRanges: [Range<Int>] = []
        for expression in expressions {
            let start = tests.count
            switch expression.shortcut {
            case .enumTests(let siteTests) where siteTests.allSatisfy({ (0..<enumFieldCount).contains($0.field.index) }):
                tests += siteTests.map { FlatTest(field: $0.field.index, accepted: $0.accepted) }
            case .bound(let test):
                if let flat = flatten(test) { tests.append(flat) }
            default:
                break
            }
            testRanges.append(start..<tests.count)
        }
        enumTests = arena.table(testRanges)
        var ranges: [Range<Int>] = []
        var paths: [ObservedPath] = []
        for expression in expressions {
            ranges.append(paths.count..<paths.count + expression.observed.count)
            paths += expression.observed
        }
        observedRanges = arena.table(ranges)
        observedNames = arena.table(paths.map(\.path))
        // The expressions keep the fields alive.
        observedFields = arena.table(paths.map { $0.field.map(UnownedRef.init) })
        self.roots = arena.table(roots)
        self.ruleSites = arena.table(ruleSites)
    }

    var count: Int { expressions.count }

}
