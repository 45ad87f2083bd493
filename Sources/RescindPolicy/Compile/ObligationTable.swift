import CEL
import RescindDiagnostics

/// Every obligation type a policy may write, with its fields: what each field holds,
/// whether it must be written or what it defaults to, and the range a value must be in.
/// The compiler checks and compiles obligations from this table alone, and the fields
/// of an obligation in a decision come in the table's order; a new obligation type or
/// field is one entry here (and a row in docs/policy-language.md).
enum ObligationTable {
    /// Who an obligation can be addressed to.
    static let recipients = ["buyer", "seller", "support"]

    /// The largest `points` a single seller penalty may give.
    static let maxPenaltyPoints: Int64 = 100

    /// What one field holds.
    enum Kind: Sendable {
        /// One word of `choices`, copied to the decision as text.
        case recipient(choices: [String])
        /// A CEL expression of `type`; `constant` is checked when its value needs no request.
        case expression(CELType, constant: ConstantRule?)
        /// A duration (`24h`, `30m`, `14d`), more than zero. The decision carries the text as
        /// written and, under `deadlineKey`, the request's time plus the duration.
        case duration(deadlineKey: String)
        /// A whole number in `range`, written as a YAML integer.
        case integer(ClosedRange<Int64>)
        /// Free text, copied to the decision (a template name, say).
        case text
    }

    /// What the value of an expression field must be, when it is a constant.
    enum ConstantRule: Sendable {
        /// A decimal of zero or more (amounts).
        case nonNegative
        /// Three capital letters, an ISO 4217 code (`CNY`).
        case currencyCode
    }

    /// Whether a field must be written, or the value it takes when it is not.
    enum Presence: Sendable {
        case required
        case optional
        /// The value written when the field is left out (CEL for expressions).
        case defaultValue(String)
    }

    /// One field of an obligation type.
    struct Field: Sendable {
        var name: String
        var kind: Kind
        var presence: Presence
    }

    /// The obligation types, in the order messages list them.
    static let types: [(type: String, fields: [Field])] = [
        ("notify", [
            Field(name: "to", kind: .recipient(choices: recipients), presence: .defaultValue("buyer")),
            Field(name: "within", kind: .duration(deadlineKey: "due_by"), presence: .required),
            Field(name: "template", kind: .text, presence: .optional),
        ]),
        ("voucher", [
            Field(name: "to", kind: .recipient(choices: recipients), presence: .defaultValue("buyer")),
            Field(name: "amount", kind: .expression(.decimal, constant: .nonNegative), presence: .defaultValue(#"decimal("0")"#)),
            Field(name: "currency", kind: .expression(.string, constant: .currencyCode), presence: .defaultValue("order.currency")),
        ]),
        ("seller_penalty", [
            Field(name: "seller", kind: .expression(.string, constant: nil), presence: .defaultValue("order.seller_id")),
            Field(name: "points", kind: .integer(1...maxPenaltyPoints), presence: .defaultValue("1")),
        ]),
        ("warn_account", [
            Field(name: "account", kind: .expression(.string, constant: nil), presence: .defaultValue("actor.id")),
        ]),
        ("restrict_account", [
            Field(name: "account", kind: .expression(.string, constant: nil), presence: .defaultValue("actor.id")),
            Field(name: "for", kind: .duration(deadlineKey: "until"), presence: .required),
        ]),
    ]

    /// The type names, for messages.
    static var typeNames: [String] { types.map(\.type) }

    /// The fields of `type`, or nil for an unknown type.
    static func fields(of type: String) -> [Field]? {
        types.first { $0.type == type }?.fields
    }
}

/// The `ConstantRule` checks: a field whose expression reads nothing from the request
/// has one value for every decision, so it is checked once, at load.
enum ObligationConstants {
    static func check(
        _ program: CELProgram, _ rule: ObligationTable.ConstantRule, key: String, at span: SourceSpan
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
