import Foundation
import Testing

@testable import rescind

/// The policy-load and request limits as settings (docs/limits.md): every command that
/// loads policies takes `--max-file-size` and the rest, each also a `RESCIND_*`
/// variable; the flag wins, then the variable, then the hostile-input default.
@Suite struct PolicyLimitsTests {
    /// A copy of Policies/ (tests too) whose `refunds.yaml` is padded with comment lines
    /// to about 1.5 MiB: past the default 1 MiB, within 4 MiB. It sits beside a link to
    /// Examples/, which the policy tests' request files are in. The caller removes
    /// `folder`'s parent.
    static func oversizedSet() throws -> (folder: URL, file: String, size: Int) {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-limits-\(UUID().uuidString)")
        let folder = parent.appendingPathComponent("Policies")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.packageRoot.appendingPathComponent("Policies"), to: folder)
        try FileManager.default.createSymbolicLink(
            at: parent.appendingPathComponent("Examples"), withDestinationURL: CLI.packageRoot.appendingPathComponent("Examples"))
        let file = folder.appendingPathComponent("refunds.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        let line = "# " + String(repeating: "padding ", count: 9) + "\n"
        text += String(repeating: line, count: (3 << 19) / line.utf8.count)
        try Data(text.utf8).write(to: file)
        return (folder, file.path, text.utf8.count)
    }

    @Test func anOversizedFileIsRejectedByDefaultWithTheWayToRaiseTheLimit() throws {
        let set = try Self.oversizedSet()
        defer { try? FileManager.default.removeItem(at: set.folder.deletingLastPathComponent()) }
        #expect(set.size > 1 << 20 && set.size < 2 << 20)
        let run = try CLI.run(["check", set.folder.path])
        #expect(run.status == 3)
        #expect(run.stdout.contains(
            "\(set.file):1:1: error[yaml-size-limit]: file is \(set.size) bytes, more than the limit of 1048576 bytes"))
        #expect(run.stdout.contains("help: split the policy into smaller files, or raise the limit with `--max-file-size` "
            + "(or `RESCIND_MAX_FILE_SIZE`), e.g. `--max-file-size 4MiB`; the limit protects against hostile input"))
        // `eval` fails the same way, with the diagnostics on standard error.
        let eval = try CLI.run(["eval", "--policies", set.folder.path, "Examples/requests/buyer-paid-card.json"])
        #expect(eval.status == 3)
        #expect(eval.stderr.contains("\(set.file):1:1: error[yaml-size-limit]"))
    }

    @Test func theFlagAndTheVariableRaiseTheLimit() throws {
        let set = try Self.oversizedSet()
        defer { try? FileManager.default.removeItem(at: set.folder.deletingLastPathComponent()) }
        let flag = try CLI.run(["check", set.folder.path, "--max-file-size", "4MiB"])
        #expect(flag.status == 0, "\(flag.stdout)\(flag.stderr)")
        #expect(flag.stderr.contains("ok: "), "\(flag.stderr)")
        let variable = try CLI.run(["check", set.folder.path], environment: ["RESCIND_MAX_FILE_SIZE": "4MiB"])
        #expect(variable.status == 0, "\(variable.stdout)\(variable.stderr)")
        // The flag wins over the variable, both ways.
        let flagLower = try CLI.run(
            ["check", set.folder.path, "--max-file-size", "1MiB"], environment: ["RESCIND_MAX_FILE_SIZE": "4MiB"])
        #expect(flagLower.status == 3)
        let flagHigher = try CLI.run(
            ["check", set.folder.path, "--max-file-size", "4194304"], environment: ["RESCIND_MAX_FILE_SIZE": "1KiB"])
        #expect(flagHigher.status == 0, "\(flagHigher.stdout)\(flagHigher.stderr)")
    }

    /// Every command that loads policies takes the limits and loads the oversized set
    /// with them (exit codes by what each does, never 3 or 64).
    @Test func everyPolicyLoadingCommandTakesTheLimits() throws {
        let set = try Self.oversizedSet()
        defer { try? FileManager.default.removeItem(at: set.folder.deletingLastPathComponent()) }
        let dir = set.folder.path
        let runs: [(arguments: [String], status: Int32)] = [
            (["test", dir], 0),
            (["eval", "--policies", dir, "Examples/requests/buyer-paid-card.json"], 0),
            (["explain", "--policies", dir, "Examples/requests/buyer-paid-card.json"], 0),
            (["replay", "--baseline", dir, "--candidate", dir, "--requests", "Examples/ci/sample-requests.jsonl"], 0),
            (["diff", dir, dir], 0),
            (["book", "--policies", dir], 0),
        ]
        for run in runs {
            let limited = try CLI.run(run.arguments)
            #expect(limited.status == 3, "\(run.arguments) loads the oversized set by default")
            let raised = try CLI.run(run.arguments + ["--max-file-size", "4MiB"])
            #expect(raised.status == run.status, "\(run.arguments): \(raised.stderr)")
            let fromEnvironment = try CLI.run(run.arguments, environment: ["RESCIND_MAX_FILE_SIZE": "4MiB"])
            #expect(fromEnvironment.status == run.status, "\(run.arguments): \(fromEnvironment.stderr)")
        }
    }

    @Test func badValuesAreUsageErrorsNamingTheFlagOrTheVariable() throws {
        for (arguments, mention) in [
            (["--max-file-size", "0"], "--max-file-size `0`"),
            (["--max-file-size=-5"], "--max-file-size `-5`"),
            (["--max-file-size", "lots"], "--max-file-size `lots`"),
            (["--max-file-size", "4XB"], "--max-file-size `4XB`"),
            (["--max-file-size", "99999999999999999999"], "--max-file-size `99999999999999999999`"),
            (["--max-file-size", "9999999999999GiB"], "--max-file-size `9999999999999GiB`"),
            (["--max-yaml-depth", "5000"], "--max-yaml-depth `5000`: must be at most 1000"),
            (["--max-yaml-depth", "4KiB"], "--max-yaml-depth `4KiB`"),
            (["--max-alias-expansion", "0"], "--max-alias-expansion `0`"),
            (["--max-errors", "none"], "--max-errors `none`"),
            (["--max-expression-length", "0"], "--max-expression-length `0`"),
            (["--max-expression-depth", "1001"], "--max-expression-depth `1001`"),
        ] {
            let run = try CLI.run(["check", "Policies"] + arguments)
            #expect(run.status == 64, "\(arguments)")
            #expect(run.stderr.contains(mention), "\(arguments): \(run.stderr)")
        }
        for (variable, value) in [
            ("RESCIND_MAX_FILE_SIZE", "abc"), ("RESCIND_MAX_YAML_DEPTH", "0"), ("RESCIND_MAX_ERRORS", "-1"),
            ("RESCIND_MAX_EXPRESSION_LENGTH", "1.5"),
        ] {
            for command in [["check", "Policies"], ["eval", "Examples/requests/buyer-paid-card.json"]] {
                let run = try CLI.run(command, environment: [variable: value])
                #expect(run.status == 64, "\(variable)=\(value) \(command)")
                #expect(run.stderr.contains("\(variable) `\(value)`"), "\(run.stderr)")
            }
        }
        // A bad variable is not read when the flag is given.
        let overridden = try CLI.run(["check", "Policies", "--max-file-size", "1MiB"], environment: ["RESCIND_MAX_FILE_SIZE": "abc"])
        #expect(overridden.status == 0)
    }

    @Test func theConditionLimitsApplyToLoading() throws {
        let short = try CLI.run(["check", "Policies", "--max-expression-length", "12"])
        #expect(short.status == 3)
        #expect(short.stdout.contains("error[cel-too-long]"))
        let shallow = try CLI.run(["check", "Policies"], environment: ["RESCIND_MAX_EXPRESSION_DEPTH": "2"])
        #expect(shallow.status == 3)
        #expect(shallow.stdout.contains("error[cel-depth-limit]"), "\(shallow.stdout)")
        let shallowYAML = try CLI.run(["check", "Policies", "--max-yaml-depth", "2"])
        #expect(shallowYAML.status == 3)
        #expect(shallowYAML.stdout.contains("error[yaml-depth-limit]"))
        #expect(shallowYAML.stdout.contains("`--max-yaml-depth` or `RESCIND_MAX_YAML_DEPTH` raises it"))
    }

    /// The alias and error limits reach the YAML reader: a file of aliases and of
    /// duplicate keys trips them only once they are lowered.
    @Test func theAliasAndErrorLimitsApplyToLoading() throws {
        let set = try Self.oversizedSet()
        defer { try? FileManager.default.removeItem(at: set.folder.deletingLastPathComponent()) }
        try Data(Self.original.utf8).write(to: URL(fileURLWithPath: set.file))
        let extra = set.folder.appendingPathComponent("extra.yaml")
        try Data("a: &a [1, 2, 3]\nb: [*a, *a, *a, *a]\nc: 1\nc: 2\nc: 3\n".utf8).write(to: extra)
        let plain = try CLI.run(["check", set.folder.path])
        #expect(plain.status == 3)
        #expect(!plain.stdout.contains("error[yaml-alias-limit]"))
        #expect(!plain.stdout.contains("error[yaml-too-many-errors]"))
        let aliases = try CLI.run(["check", set.folder.path, "--max-alias-expansion", "5"])
        #expect(aliases.stdout.contains("\(extra.path):2:"))
        #expect(aliases.stdout.contains("error[yaml-alias-limit]"), "\(aliases.stdout)")
        let errors = try CLI.run(["check", set.folder.path], environment: ["RESCIND_MAX_ERRORS": "1"])
        #expect(errors.stdout.contains("error[yaml-too-many-errors]"), "\(errors.stdout)")
        #expect(errors.stdout.contains("`--max-errors` or `RESCIND_MAX_ERRORS` reports more"))
    }

    /// The shipped `refunds.yaml`.
    static var original: String {
        (try? String(contentsOf: CLI.packageRoot.appendingPathComponent("Policies/refunds.yaml"), encoding: .utf8)) ?? ""
    }

    @Test func requestLimitsAreSettingsToo() throws {
        let request = "Examples/requests/buyer-paid-card.json"
        let normal = try CLI.run(["eval", request])
        #expect(normal.status == 0)
        let tiny = try CLI.run(["eval", request, "--max-request-bytes", "64"])
        #expect(tiny.status == 3)
        #expect(tiny.stderr.contains("64"), "\(tiny.stderr)")
        let fromEnvironment = try CLI.run(["eval", request], environment: ["RESCIND_MAX_REQUEST_BYTES": "64"])
        #expect(fromEnvironment.status == 3)
        let flagWins = try CLI.run(
            ["eval", request, "--max-request-bytes", "1MiB"], environment: ["RESCIND_MAX_REQUEST_BYTES": "64"])
        #expect(flagWins.status == 0)
        let shallow = try CLI.run(["explain", request, "--max-request-depth", "1"])
        #expect(shallow.status == 3)
        let bad = try CLI.run(["eval", request, "--max-request-list-length", "0"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--max-request-list-length `0`"))
        let badVariable = try CLI.run(["replay", "--baseline", "Policies", "--candidate", "Policies",
                                       "--requests", "Examples/ci/sample-requests.jsonl"],
                                      environment: ["RESCIND_MAX_REQUEST_ERRORS": "many"])
        #expect(badVariable.status == 64)
        #expect(badVariable.stderr.contains("RESCIND_MAX_REQUEST_ERRORS `many`"))
    }

    @Test func sizesReadWithUnits() throws {
        func size(_ text: String) throws -> Int {
            try PolicyLimitOptions.number(text, as: .bytes, ceiling: nil, name: "--max-file-size")
        }
        #expect(try size("1048576") == 1 << 20)
        #expect(try size("512KiB") == 512 << 10)
        #expect(try size("4MiB") == 4 << 20)
        #expect(try size("4 mib") == 4 << 20)
        #expect(try size("2M") == 2 << 20)
        #expect(try size("1GiB") == 1 << 30)
        #expect(try size("3MB") == 3_000_000)
        #expect(try size("100B") == 100)
        #expect(throws: (any Error).self) { try PolicyLimitOptions.number("4MiB", as: .count, ceiling: nil, name: "--max-errors") }
    }

    @Test func serveAndWorkbenchReadTheSameLimits() throws {
        let defaults = try ServeCommand.parse([]).serverConfiguration(environment: [:])
        #expect(defaults.policyLimits.yaml.maxFileSize == 1 << 20)
        #expect(defaults.policyLimits.yaml.maxDepth == 64)
        #expect(defaults.policyLimits.yaml.maxAliasExpansion == 10_000)
        #expect(defaults.policyLimits.yaml.maxErrors == 100)
        #expect(defaults.policyLimits.maxExpressionLength == 100_000)
        #expect(defaults.policyLimits.maxExpressionDepth == 200)
        let fromEnvironment = try ServeCommand.parse([]).serverConfiguration(
            environment: ["RESCIND_MAX_FILE_SIZE": "4MiB", "RESCIND_MAX_ALIAS_EXPANSION": "50"])
        #expect(fromEnvironment.policyLimits.yaml.maxFileSize == 4 << 20)
        #expect(fromEnvironment.policyLimits.yaml.maxAliasExpansion == 50)
        let flagWins = try ServeCommand.parse(["--max-file-size", "2MiB"]).serverConfiguration(
            environment: ["RESCIND_MAX_FILE_SIZE": "4MiB"])
        #expect(flagWins.policyLimits.yaml.maxFileSize == 2 << 20)
        // The request shape limits: flag, variable, default; the size stays --max-body-bytes.
        let shape = try ServeCommand.parse(["--max-request-depth", "8", "--max-body-bytes", "4096"]).serverConfiguration(
            environment: ["RESCIND_MAX_REQUEST_DEPTH": "9", "RESCIND_MAX_REQUEST_LIST_LENGTH": "50"])
        #expect(shape.requestLimits.maxDepth == 8)
        #expect(shape.requestLimits.maxListLength == 50)
        #expect(shape.requestLimits.maxErrors == 20)
        #expect(shape.requestLimits.maxBytes == 4096)
        #expect(throws: (any Error).self) {
            try ServeCommand.parse([]).serverConfiguration(environment: ["RESCIND_MAX_REQUEST_ERRORS": "0"])
        }
        // serve keeps its request-size contract: --max-body-bytes, RESCIND_MAX_BODY_BYTES.
        #expect(try ServeCommand.parse([]).serverConfiguration(environment: ["RESCIND_MAX_BODY_BYTES": "2048"]).maxBodyBytes
            == 2048)
        #expect(throws: (any Error).self) {
            try ServeCommand.parse([]).serverConfiguration(environment: ["RESCIND_MAX_FILE_SIZE": "0"])
        }

        let workbench = try WorkbenchCommand.parse(["--policies", CLI.packageRoot.appendingPathComponent("Policies").path])
        #expect(try workbench.workbenchConfiguration(environment: [:]).policyLimits == .default)
        let raised = try workbench.workbenchConfiguration(environment: ["RESCIND_MAX_EXPRESSION_DEPTH": "300"])
        #expect(raised.policyLimits.maxExpressionDepth == 300)
        let flagged = try WorkbenchCommand.parse([
            "--policies", CLI.packageRoot.appendingPathComponent("Policies").path, "--max-file-size", "3MiB",
        ])
        #expect(try flagged.workbenchConfiguration(environment: ["RESCIND_MAX_FILE_SIZE": "5MiB"]).policyLimits.yaml.maxFileSize
            == 3 << 20)
    }

    /// `serve` refuses to start on the oversized set by default (exit 3, the located
    /// error naming the flag).
    @Test func serveRefusesTheOversizedSetByDefault() throws {
        let set = try Self.oversizedSet()
        defer { try? FileManager.default.removeItem(at: set.folder.deletingLastPathComponent()) }
        let refused = try CLI.run(["serve", "--policies", set.folder.path, "--port", "0", "--watch-interval", "0"])
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("\(set.file):1:1: error[yaml-size-limit]"))
        #expect(refused.stderr.contains("--max-file-size"))
    }

    /// A reload (SIGHUP) loads within the limits the server started with: a file of
    /// 1.5 MiB loads under `--max-file-size 2MiB` (the default would refuse it), one of
    /// 3 MiB is refused with the size error and the set served stays.
    @Test func serveReloadsWithTheConfiguredLimits() throws {
        let set = try Self.oversizedSet()
        defer { try? FileManager.default.removeItem(at: set.folder.deletingLastPathComponent()) }
        let file = URL(fileURLWithPath: set.file)
        let padded = try Data(contentsOf: file)
        try Data(contentsOf: CLI.packageRoot.appendingPathComponent("Policies/refunds.yaml")).write(to: file)
        let server = try ServeProcess(
            ["--policies", set.folder.path, "--watch-interval", "0", "--max-file-size", "2MiB"], folder: set.folder)
        defer { server.kill() }
        try server.waitForLog("policies loaded")

        // Reading 1.5 MiB (3 MiB below) in a debug build while the other suites run can
        // take more than the default 10 s on two busy cores (it did in CI).
        try padded.write(to: file)
        server.signal(SIGHUP)
        try server.waitForLog("policies loaded", count: 2, seconds: 60)
        #expect(server.logCount("policy load failed; keeping the current set") == 0)

        try (padded + padded).write(to: file)
        server.signal(SIGHUP)
        try server.waitForLog("policy load failed; keeping the current set", seconds: 60)
        let failure = server.logObjects().first { $0["message"] as? String == "policy load failed; keeping the current set" }
        #expect((failure?["first"] as? String)?.hasPrefix("yaml-size-limit: ") == true, "\(String(describing: failure))")
        #expect(try server.http("POST", "/v1/decisions", body: ServeLifecycleTests.request).status == 200)
    }
}
