import CEL
import CELRuntime
import Foundation
import Testing

/// `matches`: RE2 semantics on Foundation's backtracking ICU engine, with the engine's
/// work charged to the evaluation cost.
@Suite struct Regex {
    private func eval(_ source: String, _ bindings: [String: Value] = [:], costLimit: Int? = nil) -> Value {
        var environment = CELEnvironment()
        if let costLimit { environment.limits.costLimit = costLimit }
        guard let program = environment.compileUnchecked(source).program else {
            Issue.record("compile failed: \(source)")
            return .null
        }
        return program.evaluate(bindings).value
    }

    // Found while fuzzing (by probing; reproduced with `RescindFuzz cel`): an ICU
    // pattern that backtracks exponentially ran for hours on a 40-character text. RE2
    // would answer in linear time; here the work is metered and the evaluation stops
    // at the cost limit.
    @Test func catastrophicBacktrackingStopsAtTheCostLimit() {
        let text = String(repeating: "a", count: 40) + "!"
        let clock = ContinuousClock()
        let start = clock.now
        // Constant pattern (compiled at plan time) and a pattern only known at run time.
        let constant = eval("'\(text)'.matches('(a+)+$')")
        let dynamic = eval("['(a+)+$'].exists(p, t.matches(p))", ["t": .string(text)])
        let absorbed = eval("t.matches('(a|aa)*b') || true", ["t": .string(String(repeating: "a", count: 60))])
        #expect(constant.error?.code == .costLimitExceeded)
        #expect(dynamic.error?.code == .costLimitExceeded)
        // Like every limit, it is not absorbed by `||`.
        #expect(absorbed.error?.code == .costLimitExceeded)
        #expect(clock.now - start < .seconds(5))
    }

    @Test func repeatedMatchesShareOneBudget() {
        // One match costs about a quarter of the limit; ten of them do not fit.
        let text = String(repeating: "a", count: 16) + "!"
        let one = eval("t.matches('(a+)+$')", ["t": .string(text)], costLimit: 1_000_000)
        #expect(one == .false)
        let many = eval(
            "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(i, !t.matches('(a+)+$'))", ["t": .string(text)],
            costLimit: 1_000_000)
        #expect(many.error?.code == .costLimitExceeded)
    }

    @Test(arguments: [
        ("'xxabcxx'.matches('abc')", true),
        ("'xxabxx'.matches('abc')", false),
        ("'abc'.matches('^abc')", true),
        ("'xabc'.matches('^abc')", false),
        ("'x\\nabc'.matches('(?m)^abc')", true),
        ("'xabc'.matches('abc$')", true),
        ("'abcx'.matches('abc$')", false),
        ("'x abc y'.matches('\\\\babc\\\\b')", true),
        ("'xabcy'.matches('\\\\babc\\\\b')", false),
        ("'yyy'.matches('x*')", true),
        ("'x'.matches('')", true),
        ("'xABC'.matches('(?i)abc')", true),
        ("'\\n'.matches('.')", false),
        ("'\\n'.matches('(?s).')", true),
        ("'café'.matches('é$')", true),
        ("'a😀'.matches('😀')", true),
        ("'a.b'.matches('\\\\Qa.b')", true),
        ("'axb'.matches('\\\\Qa.b')", false),
        ("'a(b'.matches('\\\\Qa(b\\\\E')", true),
        ("'a.bbb'.matches('\\\\Qa.b\\\\E+$')", true),
        ("'ab'.matches('(?i-x)AB')", true),
    ])
    func partialMatchSemantics(source: String, expected: Bool) {
        #expect(eval(source) == .bool(expected), "\(source)")
    }

    @Test(arguments: [
        "'ab'.matches('(?x) a b')",
        "'ab'.matches('(?ix:a b)')",
        "'aa'.matches('(a)\\\\1')",
        "'ab'.matches('a(?=b)')",
        "'ab'.matches('(?<=a)b')",
        "'ab'.matches('a)(b')",
        "'ab'.matches('(')",
    ])
    func unsupportedOrInvalidPatternsAreErrors(source: String) {
        #expect(eval(source).error?.code == .invalidArgument, "\(source)")
    }
}
