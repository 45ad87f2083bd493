import ArgumentParser
import CEL
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindTooling

/// `rescind cel`: type-check and evaluate one CEL expression, the way staff try a
/// condition before putting it in a policy.
struct CELCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cel",
        abstract: "Type-check and evaluate one CEL expression.",
        discussion: """
            Prints `VALUE : TYPE`, or the located error. Variables come from --bindings \
            (a JSON object) and --var (one JSON value each, overriding --bindings); they are \
            typed `dyn`. JSON integers stay ints. Rescind's extensions (decimal, business \
            calendars) are available. Exit 0 with a value, 3 when the expression fails to \
            parse, check or evaluate, 64 on a usage error.

            Examples:
              rescind cel '[1, 2, 3].map(x, x * 2)'
              rescind cel 'order.status in ["paid", "processing"]' \\
                  --var 'order={"status": "paid"}'
              rescind cel 'decimal(order.total) > decimal("100")' \\
                  --bindings Examples/requests/buyer-paid-card.json
              rescind cel '(decimal("129.99") * decimal("0.05")).round(2)' --json
            """)

    // No completion: an expression is typed, and file names would only get in the way.
    @Argument(help: "The CEL expression.", completion: .list([]))
    var expression: String

    @Option(
        name: .long, help: ArgumentHelp("A JSON object of variable bindings.", valueName: "FILE.json"),
        completion: .file(extensions: ["json"]))
    var bindings: String?

    @Option(
        name: .customLong("var"), help: ArgumentHelp("A variable binding; repeatable.", valueName: "name=JSON"),
        completion: .list([]))
    var variables: [String] = []

    @Flag(name: .long, help: "Print {\"value\", \"type\"} or {\"error\": {\"kind\", \"message\"}} as JSON.")
    var json = false

    func run() throws {
        let values = try loadBindings()
        let outcome = ExpressionTrial(source: expression, bindings: values).run()
        let output = json ? outcome.json : outcome.human(color: isTerminal(fileDescriptor: STDOUT_FILENO))
        FileHandle.standardOutput.write(Data(output.utf8))
        if case .failure = outcome.result { throw RescindExit.invalidInput }
    }

    private func loadBindings() throws -> [String: Value] {
        var values: [String: Value] = [:]
        if let path = bindings {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read bindings file `\(path)`: \(error.localizedDescription)")
            }
            let document: Value
            do {
                document = try Value(jsonText: text, numbers: .preserveIntegers)
            } catch {
                throw ValidationError("bindings file `\(path)`: \(error)")
            }
            guard case .map(let map) = document else {
                throw ValidationError("bindings file `\(path)` must hold a JSON object of name → value")
            }
            for (key, value) in zip(map.keys, map.values) {
                guard case .string(let name) = key else { continue }
                values[name] = value
            }
        }
        for binding in variables {
            guard let equals = binding.firstIndex(of: "="), equals != binding.startIndex else {
                throw ValidationError("--var `\(binding)`: expected name=JSON, e.g. --var 'total=12' or --var 'status=\"paid\"'")
            }
            let name = String(binding[..<equals])
            let text = String(binding[binding.index(after: equals)...])
            do {
                values[name] = try Value(jsonText: text, numbers: .preserveIntegers)
            } catch {
                throw ValidationError(
                    "--var `\(name)`: the value is not JSON (\(error)); quote strings: --var '\(name)=\"\(text)\"'")
            }
        }
        return values
    }
}
