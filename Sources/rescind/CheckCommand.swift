import ArgumentParser
import Foundation
import Rescind

/// `rescind check`: load and check policies, as CI does on every change.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load and check policy files; report every problem with its location.",
        discussion: """
            Exit 0 when the policies are clean (warnings allowed), 3 when there are errors \
            (or, with --strict, warnings), 64 on a usage error. The summary line goes to \
            standard error.

            Examples:
              rescind check Policies
              rescind check Policies/policy-set.yaml Policies/schema.yaml \\
                  Policies/calendar-cn-mainland.yaml Policies/refunds.yaml
              rescind check Policies --strict           # in CI: a warning fails the check
              rescind check Policies --format json
              rescind check Policies --format github    # annotations in GitHub Actions
            """)

    @Argument(help: "Policy files or folders (searched recursively).", completion: .file(extensions: ["yaml", "yml"]))
    var paths: [String] = ["Policies"]

    @Option(help: "Output format: human, json or github.")
    var format: DiagnosticFormat = .human

    @Flag(help: "Treat warnings as errors: exit 3 when there is any warning.")
    var strict = false

    func run() throws {
        let loaded = LoadedPolicies.load(paths: paths)
        let output = render(loaded.diagnostics, sources: loaded.sources, format: format)
        FileHandle.standardOutput.write(Data(output.utf8))
        let errors = loaded.diagnostics.errors.count, warnings = loaded.diagnostics.warnings.count
        // A warning under --strict fails like an error: the set is not fit to deploy.
        let passed = loaded.policySet != nil && !(strict && warnings > 0)
        if format == .human {
            let plural = { (count: Int, word: String) in "\(count) \(word)\(count == 1 ? "" : "s")" }
            let summary = loaded.policySet.map {
                "\(passed ? "ok" : "failed (--strict)"): \($0.name) \($0.version): \($0.rules.count) rules, "
                    + "\($0.thresholds.count) thresholds, \($0.files.count) files"
                    + (warnings > 0 ? ", \(plural(warnings, "warning"))" : "")
            } ?? "failed: \(plural(errors, "error")), \(plural(warnings, "warning"))"
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
        if !passed { throw RescindExit.invalidInput }
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}

/// Diagnostics in the chosen format; colour only on a terminal.
func render(_ diagnostics: Diagnostics, sources: SourceMap, format: DiagnosticFormat) -> String {
    switch format {
    case .human:
        HumanRenderer(sources: sources, color: isTerminal(fileDescriptor: STDOUT_FILENO)).render(diagnostics)
    case .json: JSONDiagnosticRenderer().render(diagnostics)
    case .github: GitHubRenderer().render(diagnostics)
    }
}
