import ArgumentParser

/// The `rescind` command: policy engine for order cancellations.
@main
struct RescindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescind",
        abstract: "A policy engine for order cancellations: YAML policies, CEL conditions, explained decisions.",
        discussion: """
            Exit codes:
              0   success (a value, an allowed decision, checks passed)
              1   the decision is deny
              2   the decision is review
              3   invalid input: a policy, expression or request has errors
              64  usage error (bad flags or arguments)
              70  internal error
            """,
        version: "0.1.0",
        subcommands: [CheckCommand.self, EvalCommand.self, CELCommand.self]
    )
}
