import ArgumentParser
import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// `rescind test`: run the policy tests written beside the policies, and report what
/// they cover, as CI does on every change.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run policy tests (*.tests.yaml) and report their coverage of rules, tiers and boundaries.",
        discussion: """
            Test files are found in the folders given (recursively), or named directly. The \
            policies they test are --policies, else the folder the paths are in. Every case is \
            decided as `rescind eval` decides it; the clock is the request's `at`. The coverage \
            summary lists what no case exercised: rules, tiers, obligations, refund cases and \
            both sides of every boundary (a comparison in a condition, a tier's at_least, a \
            threshold's window). docs/testing-policies.md describes the test file format.

            Exit codes: 0 every case passed (and coverage is at least --coverage-min), 3 invalid \
            policies or test files, 4 a case failed or coverage is below --coverage-min, 64 \
            usage error.

            Examples:
              rescind test
              rescind test Policies --coverage
              rescind test Policies --coverage-min 100
              rescind test Policies/seller-stockout.tests.yaml --filter 'stock-out'
              rescind test Policies --format junit > test-results.xml
              rescind test Policies --format github --coverage-min 100
              rescind test Policies --locale zh-CN      # problems and failures in Chinese
            """)

    @Argument(
        help: "Test files, or folders searched recursively for *.tests.yaml (default: the policy folder).",
        completion: .file(extensions: ["yaml", "yml"]))
    var paths: [String] = []

    @Option(
        help: ArgumentHelp("The policy folder (default: the folder of the test paths, else Policies).", valueName: "DIR"),
        completion: .directory)
    var policies: String?

    @Option(help: "Output format: human, json, junit or github.")
    var format: TestFormat = .human

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    @Flag(help: "List every rule, tier, obligation, refund case and boundary side with the case that covered it.")
    var coverage = false

    @Option(
        help: ArgumentHelp("Fail (exit 4) when coverage is below this percentage.", valueName: "PERCENT"),
        completion: .list(["100"]))
    var coverageMin: Double?

    @Option(
        help: ArgumentHelp("Write the coverage report as JSON to this file.", valueName: "FILE"),
        completion: .file(extensions: ["json"]))
    var coverageJson: String?

    @Option(help: ArgumentHelp("Run only the cases whose name contains this text.", valueName: "TEXT"), completion: .list([]))
    var filter: String?

    @Option(
        help: ArgumentHelp(
            "The language of the diagnostics and of the failures (also RESCIND_LOCALE; default en). Codes, "
                + "locations and JSON keys are the same in every language.",
            valueName: "en|zh-CN"),
        completion: .list(DiagnosticLanguage.tags))
    var locale: String?

    func validate() throws {
        if let coverageMin, !(0...100).contains(coverageMin) {
            throw ValidationError("--coverage-min takes a percentage from 0 to 100; found `\(coverageMin)`")
        }
        if coverageMin != nil, filter != nil {
            throw ValidationError("--coverage-min measures every case; it cannot be combined with --filter")
        }
    }

    func run() throws {
        let (folder, testPaths) = try locations()
        let language = try DiagnosticLanguage.required(locale)
        // Diagnostics go where the format's output goes, except that JUnit XML stays clean.
        let diagnosticOutput: FileHandle = format == .junit ? .standardError : .standardOutput
        let limits = try limitOptions.limits()
        let policySet = try PolicyOptions.loadPolicySet(
            from: folder, format: format.diagnosticFormat, output: diagnosticOutput, locale: language, limits: limits)
        let plan = PolicyTestPlan.load(paths: testPaths, policySet: policySet, limits: limits.yaml)
        if plan.diagnostics.hasErrors {
            diagnosticOutput.write(Data(render(
                plan.diagnostics, sources: plan.sources, format: format.diagnosticFormat, locale: language).utf8))
            let errors = plan.diagnostics.errors.count
            let summary = switch language {
            case .en: "failed: \(errors) error\(errors == 1 ? "" : "s") in the test files\n"
            case .zhCN: "未通过：测试文件中有 \(errors) 个错误\n"
            }
            FileHandle.standardError.write(Data(summary.utf8))
            throw RescindExit.invalidInput
        }
        if !plan.diagnostics.isEmpty {
            // Warnings only: beside the report for people and GitHub, on standard error for the machine formats.
            let machine = format == .json || format == .junit
            (machine ? FileHandle.standardError : FileHandle.standardOutput).write(Data(render(
                plan.diagnostics, sources: plan.sources, format: machine ? .human : format.diagnosticFormat,
                locale: language).utf8))
        }
        let results = plan.run(filter: filter)
        if results.results.isEmpty, let filter {
            throw ValidationError("no case name contains `\(filter)`")
        }
        let belowMinimum = coverageMin.map { !results.coverage.meets($0) } ?? false
        var output: String
        switch format {
        case .human:
            output = results.human(
                sources: plan.sources, color: isTerminal(fileDescriptor: STDOUT_FILENO), coverageDetail: coverage,
                locale: language)
        case .json: output = results.json(locale: language)
        case .junit: output = results.junit(locale: language)
        case .github: output = results.github(locale: language) + results.coverage.text(detailed: coverage)
        }
        if belowMinimum, format == .github { output = results.coverage.githubWarnings() + output }
        FileHandle.standardOutput.write(Data(output.utf8))
        if format == .json || format == .junit {
            FileHandle.standardError.write(Data((results.summary(in: language) + "\n" + results.coverage.text()).utf8))
        }
        if let coverageJson {
            guard FileManager.default.createFile(atPath: coverageJson, contents: Data((results.coverage.json + "\n").utf8))
            else { throw ValidationError("cannot write `\(coverageJson)`") }
        }
        if let coverageMin, belowMinimum {
            FileHandle.standardError.write(Data(
                "failed: coverage \(results.coverage.percentText)% is below --coverage-min \(Self.format(coverageMin))\n".utf8))
        }
        if !results.failed.isEmpty || belowMinimum { throw RescindExit.testsFailed }
    }

    /// The policy folder and the test paths. Without --policies, tests live beside the
    /// policies: the folder given, or the folder of the files given.
    private func locations() throws -> (policies: String, tests: [String]) {
        if let policies { return (policies, paths.isEmpty ? [policies] : paths) }
        let tests = paths.isEmpty ? ["Policies"] : paths
        let folders = Set(tests.map { path -> String in
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                return (path as NSString).standardizingPath
            }
            let parent = (path as NSString).deletingLastPathComponent
            return parent.isEmpty ? "." : (parent as NSString).standardizingPath
        })
        guard folders.count == 1, let folder = folders.first else {
            throw ValidationError(
                "the test paths are in different folders (\(folders.sorted().map { "`\($0)`" }.joined(separator: ", "))); "
                    + "name the policies they test with --policies DIR")
        }
        return (folder, tests)
    }

    /// `100`, `97.5`: a percentage as typed.
    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// `rescind test --format`.
enum TestFormat: String, CaseIterable, ExpressibleByArgument {
    case human, json, junit, github

    /// How problems in the policies or test files are shown in this format.
    var diagnosticFormat: DiagnosticFormat {
        switch self {
        case .human, .junit: .human
        case .json: .json
        case .github: .github
        }
    }
}
