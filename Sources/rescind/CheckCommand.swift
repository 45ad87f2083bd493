import ArgumentParser
import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy

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
              rescind check Policies --locale zh-CN     # the diagnostics in Chinese
              rescind check Policies --max-file-size 4MiB   # docs/limits.md
            """)

    @Argument(help: "Policy files or folders (searched recursively).", completion: .file(extensions: ["yaml", "yml"]))
    var paths: [String] = ["Policies"]

    @Option(help: "Output format: human, json or github.")
    var format: DiagnosticFormat = .human

    @Flag(help: "Treat warnings as errors: exit 3 when there is any warning.")
    var strict = false

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    @Option(
        help: ArgumentHelp(
            "The language of the diagnostics (also RESCIND_LOCALE; default en). Codes, locations and JSON keys "
                + "are the same in every language.",
            valueName: "en|zh-CN"),
        completion: .list(DiagnosticLanguage.tags))
    var locale: String?

    /// The day calendars' coverage is measured against, for tests (also `RESCIND_TODAY`).
    @Option(help: .hidden)
    var today: String?

    func run() throws {
        // The one place the wall clock is read: a calendar whose years end within
        // `PolicyCompiler.calendarWarningDays` of today is a warning.
        let day = try Self.today(option: today, environment: ProcessInfo.processInfo.environment["RESCIND_TODAY"])
        let language = try DiagnosticLanguage.required(locale)
        let loaded = LoadedPolicies.load(
            paths: paths, limits: try limitOptions.limits(), options: PolicyCompiler.Options(today: day))
        keepUntilExit(loaded)
        let output = render(loaded.diagnostics, sources: loaded.sources, format: format, locale: language)
        FileHandle.standardOutput.write(Data(output.utf8))
        let warnings = loaded.diagnostics.warnings.count
        // A warning under --strict fails like an error: the set is not fit to deploy.
        let passed = loaded.policySet != nil && !(strict && warnings > 0)
        if format == .human {
            let summary = loaded.summary(strict: strict, in: language)
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
        if !passed { throw RescindExit.invalidInput }
    }

    /// `--today`, else `RESCIND_TODAY`, else the wall clock's date in UTC.
    static func today(option: String?, environment: String?) throws -> CivilDate {
        if let text = option ?? environment {
            guard let date = CivilDate(iso: text) else {
                throw ValidationError("today `\(text)` is not a date `YYYY-MM-DD`")
            }
            return date
        }
        let seconds = Int(Date().timeIntervalSince1970)
        return CivilDate(daysSinceEpoch: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }
}

extension DiagnosticFormat: ExpressibleByArgument {}

/// Diagnostics in the chosen format and language; colour only on a terminal.
func render(
    _ diagnostics: Diagnostics, sources: SourceMap, format: DiagnosticFormat, locale: Diagnostic.Locale = .en
) -> String {
    switch format {
    case .human:
        HumanRenderer(sources: sources, color: isTerminal(fileDescriptor: STDOUT_FILENO), locale: locale)
            .render(diagnostics)
    case .json: JSONDiagnosticRenderer(locale: locale).render(diagnostics)
    case .github: GitHubRenderer(locale: locale).render(diagnostics)
    }
}
