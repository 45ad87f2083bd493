import ArgumentParser
import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// `rescind explain`: why a request was decided as it was, for the person asking
/// (support, compliance, a reviewer), as text, JSON or Markdown.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain the decision on one request: every rule, the values it saw, the refund, what would change it.",
        discussion: """
            The human format is the text of `rescind eval --explain`; json is the bytes of \
            `rescind eval --json --explain`; markdown is for a pull request comment or a ticket. \
            --rule keeps only the named rules and thresholds in the explanation (a tier's id \
            names its threshold); the effect, reasons, obligations, the refund's derivation and \
            what would change the outcome are always shown whole. The explanation is worded in the \
            decision's locale (--locale, else the request's): --locale zh-CN gives it in Chinese. \
            Advice is checked by deciding the changed request before it is offered. Without a \
            request argument, the request is read from standard input when it is not a terminal.

            Exit codes: 0 allow, 1 deny, 2 review, 3 invalid policies or request, 64 usage error \
            (an unknown --rule id among them).

            Examples:
              rescind explain --policies Policies \\
                  Examples/requests/buyer-after-shipment.json
              rescind explain --policies Policies --locale en \\
                  --rule input-error-grace --rule abuse-review \\
                  Examples/requests/abuse-review.json
              rescind explain --policies Policies --format markdown \\
                  Examples/requests/abuse-review.json > decision.md
              rescind explain --policies Policies --format json - \\
                  < Examples/requests/buyer-paid-card.json
            """)

    @OptionGroup var options: PolicyOptions

    @Argument(
        help: "The request JSON file, or - for standard input (the default when it is not a terminal).",
        completion: .file(extensions: ["json"]))
    var request: String?

    @Option(help: "Output format: human, json or markdown.")
    var format: ExplainFormat = .human

    @Option(
        name: .customLong("rule"),
        help: ArgumentHelp("Show only this rule, threshold or tier in the explanation; repeatable.", valueName: "ID"),
        completion: .custom(ExplainCommand.completeRuleIDs))
    var rules: [String] = []

    func validate() throws {
        if format == .json && !rules.isEmpty {
            throw ValidationError(
                "--rule filters the human and markdown formats; --format json prints the whole decision, "
                    + "as `rescind eval --json --explain` does")
        }
        if request == nil && isatty(STDIN_FILENO) != 0 {
            throw ValidationError("give a request file, or - for standard input")
        }
    }

    func run() throws {
        let policySet = try options.loadPolicySet()
        // Checked before the request is read, so a typo never waits on standard input.
        _ = try options.matchedLocale(in: policySet)
        let selection = try selection(in: policySet)
        let output: DecisionOutput = switch format {
        case .human: .text(selection)
        case .json: .json
        case .markdown: .markdown(selection)
        }
        try options.decide(request ?? "-", with: policySet, explain: true, output: output)
    }

    private func selection(in policySet: PolicySet) throws -> ExplanationSelection {
        guard !rules.isEmpty else { return .all }
        switch ExplanationSelection.only(rules, in: policySet) {
        case .success(let selection): return selection
        case .failure(let unknown):
            let lines = unknown.names.map { name in
                "--rule `\(name.name)`: no rule, threshold or tier of `\(policySet.name)` has this id"
                    + (name.help.map { "; \($0)" } ?? "")
            }
            throw ValidationError(lines.joined(separator: "\n"))
        }
    }

    /// `--rule` completes to the ids of the policies named by `--policies` on the
    /// command line (or `Policies`), loaded as the command itself would load them.
    @Sendable static func completeRuleIDs(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        var folder = "Policies"
        for (position, word) in words.enumerated() {
            if word == "--policies", position + 1 < words.count {
                folder = words[position + 1]
            } else if word.hasPrefix("--policies=") {
                folder = String(word.dropFirst("--policies=".count))
            }
        }
        // The shell passes words verbatim: undo the simplest quoting and `~`.
        if folder.count >= 2, let quote = folder.first, quote == "'" || quote == "\"", folder.last == quote {
            folder = String(folder.dropFirst().dropLast())
        }
        folder = NSString(string: folder).expandingTildeInPath
        guard let policySet = LoadedPolicies.load(paths: [folder], limits: PolicyLimitOptions.fromEnvironment()).policySet else { return [] }
        return ExplanationSelection.names(in: policySet).filter { $0.hasPrefix(prefix) }
    }
}

/// `rescind explain --format`.
enum ExplainFormat: String, CaseIterable, ExpressibleByArgument {
    case human, json, markdown
}
