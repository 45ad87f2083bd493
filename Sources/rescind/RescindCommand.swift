import ArgumentParser
import Foundation

/// The `rescind` command: policy engine for order cancellations.
@main
struct RescindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescind",
        abstract: "A policy engine for order cancellations: YAML policies, CEL conditions, explained decisions.",
        discussion: """
            Exit codes:
              0   success (a value, an allowed decision, checks passed)
              1   the decision is deny
              2   the decision is review
              3   invalid input: a policy, expression, request or test file has errors
              4   a policy test failed, or coverage is below --coverage-min
              5   replay: a --fail-on threshold was exceeded
              6   the history store cannot be opened or did not answer
              7   history import: some events conflict with recorded ones
              8   diff --exit-code: the two policy sets differ
              64  usage error (bad flags or arguments)
              70  internal error

            Examples:
              rescind check Policies
              rescind test Policies --coverage-min 100
              rescind eval --policies Policies Examples/requests/buyer-paid-card.json
              rescind explain --policies Policies --locale en \\
                  Examples/requests/abuse-review.json
              rescind cel '[1, 2, 3].map(x, x * 2)'
              rescind replay --requests Examples/ci/sample-requests.jsonl \\
                  --baseline Policies --candidate Policies
              rescind help explain

            Shell completions for bash (docs/cli.md has zsh and fish):
              mkdir -p ~/.bash_completions
              rescind --generate-completion-script bash > ~/.bash_completions/rescind.bash
              echo 'source ~/.bash_completions/rescind.bash' >> ~/.bashrc
            """,
        version: "0.1.0",
        subcommands: [
            CheckCommand.self, TestCommand.self, EvalCommand.self, ExplainCommand.self, ReplayCommand.self,
            DiffCommand.self, CELCommand.self, ServeCommand.self, HistoryCommand.self, BookCommand.self,
            SchemaCommand.self, WorkbenchCommand.self,
        ]
    )

    /// ArgumentParser's `main`, except that a usage error found while running (an
    /// unreadable request, an unknown `--rule`) shows the subcommand's usage: left to
    /// ArgumentParser it would show the root's, which does not say what was wrong.
    /// Asynchronous since `eval --history` and `history` talk to the store; synchronous
    /// commands run as before.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as ValidationError {
            let name = commandPath(to: type(of: command))?.joined(separator: " ") ?? ""
            let usage = usageString(for: type(of: command))
            FileHandle.standardError.write(Data("""
                Error: \(error.message)
                Usage: \(usage)
                  See 'rescind \(name) --help' for more information.

                """.utf8))
            exit(withError: ExitCode.validationFailure)
        } catch {
            exit(withError: error)
        }
    }

    /// The names from the root down to `command` (`history import`); nil when it is not
    /// below `root`.
    static func commandPath(to command: any ParsableCommand.Type, from root: any ParsableCommand.Type = RescindCommand.self)
        -> [String]?
    {
        for subcommand in root.configuration.subcommands {
            let name = subcommand.configuration.commandName ?? ""
            if ObjectIdentifier(subcommand) == ObjectIdentifier(command) { return [name] }
            if let rest = commandPath(to: command, from: subcommand) { return [name] + rest }
        }
        return nil
    }
}
