import Foundation
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy

// What the policy-facing targets share: the reference pack, loaded once per process,
// and the checks every decision must pass.

/// The reference pack (`Policies/`), loaded at the first input. The folder is
/// `$RESCIND_FUZZ_POLICIES`, else `Policies` in the working directory (run from the
/// repository's root).
enum ReferencePack {
    static let folder: String = ProcessInfo.processInfo.environment["RESCIND_FUZZ_POLICIES"] ?? "Policies"

    static let policySet: PolicySet = {
        let loaded = LoadedPolicies.load(paths: [folder])
        guard let policySet = loaded.policySet else {
            fatalError("the reference pack at `\(folder)` does not load (set RESCIND_FUZZ_POLICIES): \(loaded.diagnostics.items.prefix(3))")
        }
        return policySet
    }()

    /// As the service decodes (`PolicySnapshot`), with the default limits.
    static let decoder = RequestDecoder(schema: policySet.schema, limits: .default)

    /// A request the reference pack accepts (`Examples/requests/buyer-paid-card.json`),
    /// for targets that need one fixed, valid request.
    static let fixedRequest = #"{"id":"req-1","at":"2026-11-27T10:00:00+08:00","locale":"zh-CN","actor":{"id":"u-1","role":"buyer","verified":false},"reason":"changed_mind","order":{"id":"o-1","status":"paid","placed_at":"2026-11-27T09:40:00+08:00","total":"129.99","currency":"CNY","payment_method":"card","seller_id":"s-1"},"buyer_history":{"cancellations":[{"order_id":"o-0","at":"2026-11-20T12:00:00Z","initiator":"buyer","reason":"changed_mind"}]},"seller_stats":{"orders_30d":120,"stockout_cancellations_30d":3}}"#
}

/// The options a decision is tried with: the request's own locale, each of the
/// pack's, one it lacks; with and without an explanation.
let decisionOptionVariants: [DecisionOptions] = [
    DecisionOptions(),
    DecisionOptions(locale: "en", explain: true),
    DecisionOptions(locale: "zh-CN"),
    DecisionOptions(locale: "fr", explain: true),
]

/// Decides `request` with `policySet` under every option variant and checks the
/// decision JSON: one JSON object, parseable by Foundation, with a known effect and
/// the request's id; deciding twice writes the same bytes (decisions take their clock
/// from the request, so nothing may vary between runs).
func checkDecisions(_ policySet: PolicySet, _ decoded: DecodedRequest) {
    for options in decisionOptionVariants {
        let decision = policySet.decide(decoded.root, options: options)
        var first: [UInt8] = [0x5B]  // written after existing bytes, as the batch endpoint does
        decision.writeJSON(into: &first)
        precondition(first[0] == 0x5B, "writeJSON changed the bytes before it")
        first.removeFirst()
        var second: [UInt8] = []
        policySet.decide(decoded.root, options: options).writeJSON(into: &second)
        precondition(first == second, "deciding twice wrote different JSON:\n\(text(first))\n\(text(second))")
        precondition(decision.json.utf8.elementsEqual(first), "`json` differs from `writeJSON`")

        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(first))
        } catch {
            preconditionFailure("decision JSON does not parse (\(error)): \(text(first))")
        }
        guard let object = parsed as? [String: Any] else { preconditionFailure("decision JSON is not an object: \(text(first))") }
        precondition(
            (object["effect"] as? String).map { ["allow", "deny", "review"].contains($0) } == true,
            "decision JSON has no valid effect: \(text(first))")
        precondition(object["effect"] as? String == decision.effect.rawValue, "JSON effect differs from the decision's")
        if let id = decoded.id {
            precondition(object["request_id"] as? String == id, "request_id differs from the request's id: \(text(first))")
        } else {
            precondition(object["request_id"] is NSNull, "request_id for a request without id: \(text(first))")
        }
        precondition((object["deciding_rules"] as? [String]) == decision.decidingRules, "deciding_rules differ")
        precondition((object["matched_rules"] as? [String]) == decision.matchedRules, "matched_rules differ")
        precondition(options.explain == (object["explanation"] != nil), "explanation present iff asked for")
    }
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes.prefix(2000), as: UTF8.self) }

/// A rejected request's errors: at least one, at most the limit, each with a JSON path
/// from the root (`$`…), an offset inside the input (the size error points at the
/// limit), and an error object that is valid JSON.
func checkRejection(_ error: RequestError, input: UnsafeRawBufferPointer, limits: RequestLimits) {
    precondition(!error.errors.isEmpty, "a rejection without errors")
    precondition(error.errors.count <= limits.maxErrors, "more errors than the limit: \(error.errors.count)")
    for item in error.errors {
        precondition(item.path.hasPrefix("$"), "error path does not start at the root: \(item)")
        precondition(!item.message.isEmpty, "error without a message: \(item)")
        if item.code != .tooLarge {
            precondition(item.offset >= 0 && item.offset <= input.count, "error offset outside the input (\(input.count) bytes): \(item)")
        }
    }
    let object = error.errorObject(line: 7)
    guard let parsed = try? JSONSerialization.jsonObject(with: Data(object.utf8)) as? [String: Any],
        let inner = parsed["error"] as? [String: Any], inner["path"] as? String == error.path
    else { preconditionFailure("error object is not the expected JSON: \(object)") }
    _ = error.humanDescription
}
