import ArgumentParser

/// `rescind cel`: type-check and evaluate one CEL expression.
struct CELCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cel", abstract: "Type-check and evaluate one CEL expression.")
    @Argument(help: "The expression.") var expression: String
    func run() throws {}
}
