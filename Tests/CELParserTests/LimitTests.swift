import CELCommon
import CELParser
import Testing

@Suite("Limits")
struct LimitTests {
    private func expectDepthError(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let clock = ContinuousClock()
        var result: (ParsedExpr?, [CELIssue]) = (nil, [])
        let elapsed = clock.measure { result = CELParser().parse(source) }
        #expect(result.0 == nil, sourceLocation: sourceLocation)
        #expect(result.1.map(\.code.rawValue) == ["cel-depth-limit"], sourceLocation: sourceLocation)
        #expect(result.1.first?.message == "expression is nested too deeply (more than 200 levels)",
                sourceLocation: sourceLocation)
        #expect(elapsed < .seconds(2), sourceLocation: sourceLocation)
    }

    @Test func deepNestingFailsQuicklyWithoutCrashing() {
        let n = 99_999
        expectDepthError(String(repeating: "(", count: n))
        expectDepthError(String(repeating: "[", count: n))
        expectDepthError(String(repeating: "{1:", count: n / 3))
        expectDepthError(String(repeating: "f(", count: n / 2))
        expectDepthError(String(repeating: "-", count: n) + "x")
        expectDepthError(String(repeating: "!", count: n) + "x")
        expectDepthError(String(repeating: "-", count: n) + "1")
        expectDepthError("x" + String(repeating: ".y", count: n / 2))
        expectDepthError("x" + String(repeating: "[0]", count: n / 3))
        expectDepthError("x" + String(repeating: ".f()", count: n / 4))
        expectDepthError(String(repeating: "1 + ", count: n / 4) + "1")
        expectDepthError(String(repeating: "a ? b : ", count: n / 8) + "c")
        expectDepthError(String(repeating: "(1 + ", count: n / 5) + "1")
        expectDepthError(String(repeating: "x.all(y, ", count: n / 9))
    }

    @Test func depthErrorPointsWhereTheLimitIsCrossed() {
        let issue = parseIssues(String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300))[0]
        #expect(issue.range == TextRange(200, 201))
    }

    @Test func longLogicalChainsParseShallowly() {
        // 20 000 terms: balanced, so only ⌈log₂ 20000⌉ = 15 levels deep.
        let source = Array(repeating: "a", count: 20_000).joined(separator: " || ")
        let (parsed, issues) = CELParser().parse(source)
        #expect(issues.isEmpty)
        #expect(parsed != nil)
    }

    @Test func depthLimitIsConfigurable() {
        let source = String(repeating: "(", count: 20) + "1" + String(repeating: ")", count: 20)
        #expect(parseIssues(source, options: .init(maxDepth: 10)).map(\.code.rawValue) == ["cel-depth-limit"])
        _ = parseOK(source, options: .init(maxDepth: 21))
        let deeper = String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300)
        _ = parseOK(deeper, options: .init(maxDepth: 301))
    }

    @Test func defaultsAcceptTheSpecMinimums() {
        let parens = String(repeating: "(", count: 150) + "1" + String(repeating: ")", count: 150)
        _ = parseOK(parens)
        _ = parseOK(String(repeating: "-", count: 100) + "x")
        _ = parseOK("x" + String(repeating: ".y", count: 100))
        _ = parseOK(Array(repeating: "1", count: 100).joined(separator: " + "))
        _ = parseOK(String(repeating: "true ? 1 : ", count: 60) + "0")
    }

    @Test func lengthLimit() {
        let source = String(repeating: "a + ", count: 30_000) + "a"
        let (parsed, issues) = CELParser().parse(source)
        #expect(parsed == nil)
        #expect(issues.map(\.code.rawValue) == ["cel-too-long"])
        #expect(issues.first?.message == "expression is 120001 bytes long, more than the limit of 100000 bytes")
        #expect(issues.first?.range == TextRange(100_000, 120_001))

        #expect(parseIssues("a + b", options: .init(maxLength: 4)).map(\.code.rawValue) == ["cel-too-long"])
        _ = parseOK("a + b", options: .init(maxLength: 5))
    }

    @Test func pathologicalInputsTerminate() {
        let inputs = [
            String(repeating: ")", count: 50_000),
            String(repeating: ",", count: 50_000),
            String(repeating: "[1 +,", count: 10_000),
            String(repeating: "'", count: 50_001),
            String(repeating: "\\", count: 50_000),
            String(repeating: "é", count: 40_000),
            String(repeating: "f(,", count: 20_000),
            String(repeating: "{:", count: 30_000),
            String(repeating: "a.", count: 40_000),
        ]
        for input in inputs {
            let (_, issues) = CELParser().parse(input)
            #expect(!issues.isEmpty)
            #expect(issues.count <= 50)
        }
    }
}
