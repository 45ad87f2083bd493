import CELChecker
import CELCommon
import Testing

@Suite struct CostEstimatorTests {
    private func estimate(_ source: String, _ assumptions: CostAssumptions = CostAssumptions()) -> CostEstimate? {
        guard let (checked, issues) = check(source) else { return nil }
        #expect(issues.isEmpty)
        return CostEstimator(assumptions: assumptions).estimate(checked)
    }

    @Test func constantsAndSimpleOperationsAreCheap() {
        #expect(estimate("1") == CostEstimate(min: 0, max: 0))
        #expect(estimate("1 + 2") == CostEstimate(min: 1, max: 1))
        #expect(estimate("order.total > 10.0") == CostEstimate(min: 3, max: 3))
    }

    @Test func logicalOperatorsShortCircuit() {
        let cost = estimate("order.total > 1.0 && order.total < 2.0")
        #expect(cost?.min == 3)
        #expect(cost?.max == 6)
    }

    @Test func comprehensionsScaleWithTheAssumedListSize() {
        let small = estimate("order.items.all(i, i.quantity > 0)", CostAssumptions(listSize: 10))
        let large = estimate("order.items.all(i, i.quantity > 0)", CostAssumptions(listSize: 1000))
        guard let small, let large else { return }
        #expect(small.min < small.max)
        #expect(large.max > small.max * 50)
    }

    @Test func perPathSizesTightenTheEstimate() {
        let tight = CostAssumptions(sizes: ["order.items": 5])
        guard let bounded = estimate("order.items.all(i, i.quantity > 0)", tight),
              let unbounded = estimate("order.items.all(i, i.quantity > 0)")
        else { return }
        #expect(bounded.max < unbounded.max)
    }

    @Test func nestedComprehensionsMultiply() {
        let assumptions = CostAssumptions(listSize: 100)
        guard let single = estimate("order.tags.exists(t, t == 'x')", assumptions),
              let nested = estimate("order.tags.exists(t, order.tags.exists(u, t == u))", assumptions)
        else { return }
        #expect(nested.max >= single.max * 50)
    }

    @Test func literalListsHaveKnownSizes() {
        let source = "[1, 2, 3].map(x, x * 2)"
        guard let small = estimate(source, CostAssumptions(listSize: 1)),
              let large = estimate(source, CostAssumptions(listSize: 1_000_000))
        else { return }
        #expect(small == large)
        #expect(small.min >= 3 * 2)  // every element is visited: no short-circuit in `map`
    }

    @Test func costLimitIsEnforcedByTheChecker() throws {
        guard let parsed = parse("order.tags.exists(t, order.tags.exists(u, t == u))") else { return }
        let limited = Checker(environment: Fixtures.environment, costLimit: CostLimit(maxCost: 10_000))
        let (_, issues) = limited.check(parsed)
        #expect(issues.map(\.code.rawValue) == ["cel-cost-limit"])
        let message = try #require(issues.first?.message)
        #expect(message.hasPrefix("estimated evaluation cost of "))
        #expect(message.hasSuffix(" exceeds the limit of 10000"))

        let relaxed = Checker(environment: Fixtures.environment,
                              costLimit: CostLimit(maxCost: 10_000, assumptions: CostAssumptions(listSize: 10, stringSize: 10)))
        #expect(relaxed.check(parsed).1.isEmpty)
    }
}
