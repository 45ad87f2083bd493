import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `rescind test`, through the real binary.
@Suite("rescind test")
struct TestCommandTests {
    /// A fresh copy of `Policies/` and `Examples/` (the reference tests read example
    /// requests through `../Examples`), for tests that break them.
    static func copyOfPack() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for folder in ["Policies", "Examples"] {
            try FileManager.default.copyItem(
                at: CLI.packageRoot.appendingPathComponent(folder), to: copy.appendingPathComponent(folder))
        }
        return copy
    }

    /// The copy with abuse-review's threshold moved from 5 to 6 cancellations: the
    /// policy still checks clean, but the tests that pin 5 → review fail.
    static func mutatedPack() throws -> URL {
        let copy = try copyOfPack()
        try PolicyCLI.edit(
            copy.appendingPathComponent("Policies/abuse-thresholds.yaml"), replacing: "at_least: 5", with: "at_least: 6")
        return copy
    }

    /// The 1-based line of the first line of `file` containing `text`.
    static func line(of text: String, in file: URL) throws -> Int {
        let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        return try #require(lines.firstIndex { $0.contains(text) }) + 1
    }

    @Test("the reference pack's tests pass with 100% coverage: exit 0")
    func referencePackPasses() throws {
        let run = try CLI.run(["test", "Policies", "--coverage-min", "100"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr == "")
        #expect(run.stdout.hasPrefix("Policies/abuse-thresholds.tests.yaml\n  ✔ the tier follows the number of cancellations"))
        #expect(!run.stdout.contains("✘"))
        #expect(run.stdout.contains(" passed, 0 failed ("))
        #expect(run.stdout.contains(
            "coverage: 100.0% (55 of 55): rules 12/12, tiers 3/3, obligations 7/7, refund cases 9/9, boundary sides 24/24\n"))
        #expect(!run.stdout.contains("not covered"))
        // The policy folder defaults to the tests' folder, and the tests' folder to Policies.
        let bare = try CLI.run(["test"])
        #expect(bare.status == 0)
        #expect(bare.stdout == run.stdout)
    }

    @Test("a mutated threshold fails the command with exit 4, while check still passes (exit 0)")
    func failingPolicyTestFails() throws {
        let copy = try Self.mutatedPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        let policies = copy.appendingPathComponent("Policies").path
        #expect(try CLI.run(["check", policies]).status == 0)

        let run = try CLI.run(["test", policies])
        #expect(run.status == 4)
        let tests = copy.appendingPathComponent("Policies/abuse-thresholds.tests.yaml")
        let row = try Self.line(of: "- [5, review, abuse-review]", in: tests)
        #expect(run.stdout.contains("""
              ✘ the tier follows the number of cancellations in 30 days [buyer_cancellations_in_window: 5]
                \(tests.path):\(row):15: error[test-failed]: effect: expected effect `review`, got `allow`
            """))
        #expect(run.stdout.contains("tier: expected tier `abuse-review`, got `abuse-warn`"))
        // The explanation of the actual decision follows the failure.
        #expect(run.stdout.contains("""
                the decision:
                  effect: allow (buyer-before-shipment, abuse-warn)
            """))
        #expect(run.stdout.contains("threshold repeat-canceller: 5 counted in"))
        #expect(run.stdout.contains(" passed, 2 failed ("))
        // Coverage sees the moved boundary: nobody tests exactly 6 any more.
        #expect(run.stdout.contains(
            "  - boundary `count >= 6` of tier `abuse-review` of `repeat-canceller`: no case where both sides are equal"))
    }

    @Test("an invalid test file exits 3, like an invalid policy, with the located error")
    func invalidTestFileExits3() throws {
        let copy = try Self.copyOfPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        let tests = copy.appendingPathComponent("Policies/who-may-cancel.tests.yaml")
        try PolicyCLI.edit(tests, replacing: "deciding: [buyer-before-shipment]", with: "deciding: [buyer-befor-shipment]")
        let run = try CLI.run(["test", copy.appendingPathComponent("Policies").path])
        #expect(run.status == 3)
        let line = try Self.line(of: "buyer-befor-shipment", in: tests)
        #expect(run.stdout.hasPrefix("""
            \(tests.path):\(line):18: error[test-unknown-name]: `buyer-befor-shipment` is not a rule or tier of `marketplace-cancellations`
            """))
        #expect(run.stdout.contains("  = help: did you mean `buyer-before-shipment`?\n"))
        #expect(run.stderr == "failed: 1 error in the test files\n")
    }

    @Test("coverage below --coverage-min exits 4 and says by how much; at or above it exits 0")
    func coverageMinimum() throws {
        let copy = try Self.copyOfPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        try PolicyCLI.edit(
            copy.appendingPathComponent("Policies/who-may-cancel.tests.yaml"),
            replacing: "        - [2026-11-27T09:59:59+08:00, deny, []]\n", with: "")
        let policies = copy.appendingPathComponent("Policies").path

        let plain = try CLI.run(["test", policies])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("coverage: 98.1% (54 of 55)"))
        #expect(plain.stdout.contains("""
            not covered:
              - boundary `at - order.placed_at >= duration("30m")` of rule `system-payment-timeout`: no case where it fails  [\(policies)/who-may-cancel.yaml:100]
            """))

        let strict = try CLI.run(["test", policies, "--coverage-min", "100"])
        #expect(strict.status == 4)
        #expect(strict.stderr == "failed: coverage 98.1% is below --coverage-min 100\n")
        #expect(try CLI.run(["test", policies, "--coverage-min", "98"]).status == 0)
        #expect(try CLI.run(["test", policies, "--coverage-min", "101"]).status == 64)
    }

    @Test("--format junit is JUnit XML: testsuites / testsuite / testcase / failure with consistent counts")
    func junit() throws {
        let copy = try Self.mutatedPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        let run = try CLI.run(["test", copy.appendingPathComponent("Policies").path, "--format", "junit"])
        #expect(run.status == 4)
        #expect(run.stderr.contains(" passed, 2 failed ("))

        #if canImport(FoundationXML) || canImport(Darwin)
        let document = try XMLDocument(data: Data(run.stdout.utf8))
        let root = try #require(document.rootElement())
        #expect(root.name == "testsuites")
        func count(_ element: XMLElement, _ name: String) throws -> Int {
            let text = try #require(element.attribute(forName: name)?.stringValue, "no `\(name)`")
            return try #require(Int(text), "`\(name)` is `\(text)`")
        }
        let suites = root.elements(forName: "testsuite")
        #expect(suites.count == 4)
        var tests = 0, failures = 0
        for suite in suites {
            #expect(suite.attribute(forName: "name")?.stringValue?.hasSuffix(".tests.yaml") == true)
            let cases = suite.elements(forName: "testcase")
            let failed = cases.filter { !$0.elements(forName: "failure").isEmpty }
            #expect(try count(suite, "tests") == cases.count)
            #expect(try count(suite, "failures") == failed.count)
            #expect(try count(suite, "errors") == 0)
            for testcase in cases {
                #expect(testcase.attribute(forName: "name")?.stringValue?.isEmpty == false)
                #expect(testcase.attribute(forName: "classname")?.stringValue == suite.attribute(forName: "name")?.stringValue)
                #expect(testcase.attribute(forName: "time") == nil)  // deterministic output
                for failure in testcase.elements(forName: "failure") {
                    #expect(failure.attribute(forName: "message")?.stringValue?.isEmpty == false)
                    #expect(failure.stringValue?.contains("the decision:\neffect: ") == true)
                }
            }
            tests += cases.count
            failures += failed.count
        }
        #expect(try count(root, "tests") == tests)
        #expect(try count(root, "failures") == failures)
        #expect(failures == 2)
        let failedNames = suites.flatMap { $0.elements(forName: "testcase") }
            .filter { !$0.elements(forName: "failure").isEmpty }.compactMap { $0.attribute(forName: "name")?.stringValue }
        #expect(failedNames == [
            "the tier follows the number of cancellations in 30 days [buyer_cancellations_in_window: 5]",
            "a cancellation one second inside the window counts",
        ])
        #endif
    }

    @Test("--format github annotates each failed case on its line in the test file")
    func github() throws {
        let copy = try Self.mutatedPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        let policies = copy.appendingPathComponent("Policies")
        let run = try CLI.run(["test", policies.path, "--format", "github", "--coverage-min", "100"])
        #expect(run.status == 4)
        let tests = policies.appendingPathComponent("abuse-thresholds.tests.yaml")
        let escaped = tests.path.replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
        let row = try Self.line(of: "- [5, review, abuse-review]", in: tests)
        let named = try Self.line(of: "- name: a cancellation one second inside the window counts", in: tests)
        let errors = run.stdout.split(separator: "\n").filter { $0.hasPrefix("::error ") }
        #expect(errors.count == 2)
        #expect(errors.first?.hasPrefix(
            "::error file=\(escaped),line=\(row),col=11,endLine=\(row),endColumn=11,title=test-failed::"
                + "case `the tier follows the number of cancellations in 30 days [buyer_cancellations_in_window: 5]`: "
                + "effect: expected effect `review`, got `allow`%0Atier: expected tier `abuse-review`, got `abuse-warn`") == true)
        #expect(errors.last?.hasPrefix("::error file=\(escaped),line=\(named),col=5,") == true)
        // Below --coverage-min, what is not covered is annotated on the policy line.
        let policy = policies.appendingPathComponent("abuse-thresholds.yaml").path
            .replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
        let tier = try Self.line(of: "- id: abuse-review", in: policies.appendingPathComponent("abuse-thresholds.yaml"))
        #expect(run.stdout.contains(
            "::warning file=\(policy),line=\(tier),col=13,endLine=\(tier),endColumn=13,title=test-not-covered::"
                + "not covered by any test: boundary `count >= 6` of tier `abuse-review` of `repeat-canceller`"))
    }

    @Test("--format json has the summary, each case, failures with the decision, and coverage; --coverage-json writes coverage")
    func json() throws {
        let copy = try Self.mutatedPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        let coverageFile = copy.appendingPathComponent("coverage.json")
        let run = try CLI.run([
            "test", copy.appendingPathComponent("Policies").path, "--format", "json", "--coverage-json", coverageFile.path,
        ])
        #expect(run.status == 4)
        let object = try PolicyCLI.object(run.stdout)
        #expect(PolicyCLI.topLevelKeys(run.stdout) == ["summary", "cases", "coverage"])
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary["failed"] == 2)
        #expect(summary["files"] == 4)
        let cases = try #require(object["cases"] as? [[String: Any]])
        #expect(cases.count == summary["cases"])
        let failed = cases.filter { $0["status"] as? String == "failed" }
        #expect(failed.count == 2)
        let failures = try #require(failed.first?["failures"] as? [[String: String]])
        #expect(failures.map { $0["expectation"] } == ["effect", "tier"])
        let decision = try #require(failed.first?["decision"] as? [String: Any])
        #expect(decision["effect"] as? String == "allow")
        #expect(decision["explanation"] is [String: Any])

        let coverage = try PolicyCLI.object(try String(contentsOf: coverageFile, encoding: .utf8))
        #expect(coverage["total"] as? Int == 55)
        #expect(coverage["covered"] as? Int == 54)
        #expect((coverage["percent"] as? NSNumber)?.doubleValue == 98.1)
        let kinds = try #require(coverage["kinds"] as? [String: [String: Int]])
        #expect(kinds["boundary_sides"] == ["covered": 23, "total": 24])
        #expect((object["coverage"] as? [String: Any])?["total"] as? Int == 55)
    }

    @Test("--filter runs only the matching cases; tests in different folders need --policies")
    func filterAndFolders() throws {
        let run = try CLI.run(["test", "Policies", "--filter", "stock-out"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("  ✔ a stock-out is refunded, notified, compensated and penalised\n"))
        #expect(!run.stdout.contains("tier follows"))
        #expect(try CLI.run(["test", "Policies", "--filter", "no such case"]).status == 64)

        let mixed = try CLI.run(["test", "Policies/who-may-cancel.tests.yaml", "Examples"])
        #expect(mixed.status == 64)
        #expect(mixed.stderr.contains("name the policies they test with --policies DIR"))
        let single = try CLI.run(["test", "Policies/who-may-cancel.tests.yaml"])
        #expect(single.status == 0)
        #expect(single.stdout.hasPrefix("Policies/who-may-cancel.tests.yaml\n"))
    }
}
