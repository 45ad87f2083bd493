import CEL
import CELRuntime
import RescindDiagnostics
import RescindEngine

/// The `ObligationField.ConstantRule` checks (the obligation types are declared in
/// RescindEngine's `ObligationType`): a field whose expression reads nothing from the
/// request has one value for every decision, so it is checked once, at load.
enum ObligationConstants {
    static func check(
        _ program: CELProgram, _ rule: ObligationField.ConstantRule, key: String, at span: SourceSpan
    ) -> Diagnostic? {
        var readsRequest = false
        program.parsed.expr.walk { expr in
            switch expr.kind {
            case .ident, .select, .comprehension: readsRequest = true
            default: break
            }
            return !readsRequest
        }
        guard !readsRequest, case .success(let value) = program.evaluate([:]) else { return nil }
        switch (rule, value) {
        case (.nonNegative, .decimal(let amount)) where amount < CELDecimal(Int64(0)):
            return PolicyMessages.negativeAmount(amount.description, key: key, at: span)
        case (.nonNegative, .int(let amount)) where amount < 0:
            return PolicyMessages.negativeAmount(String(amount), key: key, at: span)
        case (.currencyCode, .string(let code))
        where code.count != 3 || !code.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) }):
            return PolicyMessages.invalidCurrencyCode(code, at: span)
        default:
            return nil
        }
    }
}
