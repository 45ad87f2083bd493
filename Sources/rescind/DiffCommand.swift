import ArgumentParser
import Foundation
import Rescind
import RescindTooling

/// `rescind diff`: what changed between two policy sets, in words.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Say what changed between two policy sets, in words.",
        discussion: """
            A and B are policy folders or git:REV (git:REV:path), the policy folder as it \
            is at a git revision, read as `rescind replay` reads its sides. The folder read \
            at a git:REV without a path is --policies-path when given, else the other \
            side's folder, else Policies.

            The sets are compared by meaning, not by text: rules, thresholds, tiers, \
            calendars, schema fields and enums by id, refund cases by condition. Each \
            change says what it does ("tier `abuse-review` of `repeat-canceller` now \
            starts at 4 cancellations (was 5)"), with the code before and after where \
            words would not do, and where it is written in A and in B. An order that \
            decides nothing (rules, enum values) is not a change; an order that does \
            (refund cases: the first that matches applies; tiers) is. Comments and \
            layout are never a change.

            Exit codes: 0 the diff was made, changes or not; 8 with --exit-code, changes \
            were found (not 1, which is `deny` for eval); 3 a side has errors (its \
            diagnostics are printed, located); 64 usage error.

            With git, the last commit's policies against the working tree's, or a tag's \
            against a branch's:
              rescind diff git:HEAD Policies
              rescind diff git:v2026.11:Policies git:main:Policies --exit-code

            In CI, a pull request's policies against its base branch \
            (Examples/ci/policy-replay.yml):
              rescind diff git:origin/main Policies --format markdown --output diff.md

            Examples:
              rescind diff Policies Policies
              rescind diff Policies Policies --locale zh-CN --format markdown
              rescind diff Policies Policies --format json | jq -c .summary
              rescind diff Policies Policies --exit-code
            """)

    @Argument(help: ArgumentHelp("The policies before: a folder, or git:REV[:path].", valueName: "A"), completion: .directory)
    var a: String

    @Argument(help: ArgumentHelp("The policies after: a folder, or git:REV[:path].", valueName: "B"), completion: .directory)
    var b: String

    @Option(help: "Output format: text, markdown or json.")
    var format: DiffFormat = .text

    @Option(
        help: ArgumentHelp("The language of the words (the JSON keys stay English).", valueName: "en|zh-CN"),
        completion: .list(Diagnostic.Locale.allCases.map(\.rawValue)))
    var locale: String = "en"

    @Option(help: ArgumentHelp("Write the diff to FILE instead of standard output.", valueName: "FILE"), completion: .file())
    var output: String?

    @Option(
        help: ArgumentHelp("The policy folder read at a git:REV side without a path.", valueName: "DIR"),
        completion: .directory)
    var policiesPath: String?

    @Flag(help: "Exit 8 when there are changes (0 when there are none), like `git diff --exit-code`.")
    var exitCode = false

    @OptionGroup(title: "Limits")
    var limitOptions: PolicyLimitOptions

    func validate() throws {
        guard Diagnostic.Locale(tag: locale) != nil else {
            throw ValidationError("--locale `\(locale)`: give `en` or `zh-CN`")
        }
        _ = try sources()
    }

    func run() throws {
        let sources = try sources()
        let limits = try limitOptions.limits()
        var sides: [DiffSide] = []
        var invalid = false
        for (index, source) in sources.enumerated() {
            let other = sources[1 - index]
            let loaded: LoadedPolicySource
            switch source.load(
                defaultFolder: PolicySource.defaultFolder(policiesPath: policiesPath, other: other), limits: limits) {
            case .success(let side): loaded = side
            case .failure(let failure): throw ValidationError("`\(source.spec)`: \(failure.message)")
            }
            guard loaded.policies.policySet != nil else {
                invalid = true
                let name = index == 0 ? "A" : "B"
                FileHandle.standardError.write(Data("error: \(name) `\(source.spec)` has errors:\n".utf8))
                FileHandle.standardError.write(Data(
                    render(loaded.policies.diagnostics, sources: loaded.policies.sources, format: .human).utf8))
                continue
            }
            sides.append(DiffSide(loaded))
        }
        if invalid { throw RescindExit.invalidInput }

        let diff = PolicyDiff.compare(sides[0], sides[1])
        let words = Diagnostic.Locale(tag: locale) ?? .en
        let text = switch format {
        case .text: diff.text(locale: words)
        case .markdown: diff.markdown(locale: words)
        case .json: diff.json(locale: words)
        }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw ValidationError("cannot write `\(output)`: \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        if exitCode, !diff.changes.isEmpty { throw RescindExit.changesFound }
    }

    private func sources() throws -> [PolicySource] {
        try [a, b].map { spec in
            do {
                return try PolicySource(spec)
            } catch let failure as GitPolicyRevision.Failure {
                throw ValidationError(failure.message)
            }
        }
    }
}

/// `rescind diff --format`.
enum DiffFormat: String, CaseIterable, ExpressibleByArgument {
    case text, markdown, json
}
