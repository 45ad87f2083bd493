// Embedding Rescind in a service, with nothing but `import Rescind`: load the policy
// folder once, then decide requests, explain them and render them.
//
//     swift run rescind-embedding-example [POLICY-FOLDER] [REQUEST.json …]
//
// Without arguments it loads `Policies` and decides two of `Examples/requests` (run it
// from the package root).
import Rescind

let arguments = CommandLine.arguments.dropFirst()
let folder = arguments.first ?? "Policies"
let requests = arguments.count > 1 ? Array(arguments.dropFirst()) : [
    "Examples/requests/buyer-paid-card.json",
    "Examples/requests/seller-stock-out-card-capped-voucher.json",
]

// Load once, at start: a set with errors does not load, and the errors say where.
let engine: PolicyEngine
do {
    engine = try PolicyEngine(folder: folder)
} catch let diagnostics as PolicyDiagnostics {
    // A service would refuse to start; the diagnostics go with the message to stderr.
    fatalError("the policies in `\(folder)` do not load:\n" + diagnostics.rendered())
} catch {
    fatalError("\(error)")
}
print("loaded \(engine.name) \(engine.version) (sha256:\(engine.digest.prefix(12))), locales \(engine.locales)")
if !engine.warnings.isEmpty { print(engine.warnings.rendered()) }

for path in requests {
    print("\n== \(path)")
    do {
        // The decision for the caller: in the request's own locale, without explanation.
        let decision = try engine.decide(file: path)
        print(decision.text, terminator: "")
        switch decision.effect {
        case .allow:
            let refund = decision.refund.map { " and refunds \($0.amount.formatted(scale: 2)) \($0.currency) by \($0.initiateBy)" }
            print("→ the service cancels the order" + (refund ?? ""))
        case .review: print("→ the service queues it for a person")
        case .deny: print("→ the service refuses")
        }

        // Why, for a support agent reading Chinese: the same request decided again with
        // an explanation, in zh-CN whatever the request's locale.
        let explained = try engine.decide(file: path, locale: "zh-CN", explain: true)
        if let explanation = explained.explanation {
            print("\n-- explanation (\(explanation.locale))")
            print(explanation.text, terminator: "")
        }

        // The JSON services and logs read: one line, fixed keys.
        print("\n-- JSON")
        print(decision.json)
    } catch let error as RequestError {
        // A request that does not match the schema is not decided; every problem is listed.
        print(error.description)
    } catch {
        print("cannot decide `\(path)`: \(error)")
    }
}
