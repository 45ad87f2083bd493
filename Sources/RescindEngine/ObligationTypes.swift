import CELCommon

/// An obligation type a policy may write (`notify`, `voucher`, …), declared once: its
/// fields with what each holds and defaults to, and what a decision adds to it.
///
/// The declaration drives everything obligations do: the compiler checks and compiles
/// an obligation from its type's fields (RescindPolicy), the renderer writes its fields
/// in their declared order and adds the deadlines and the reason the type asks for, and
/// docs/policy-language.md's obligation table is tested against `all`. A new type or
/// field is one entry here and a row in that table.
package struct ObligationType: Sendable, Hashable, CustomStringConvertible {
    /// The name policies and decisions write (`notify`).
    package let name: String
    /// The fields a policy may write, in the order decisions show them.
    package let fields: [ObligationField]
    /// Whether the obligation in a decision carries, as `reason`, the reason of the rule
    /// or tier that gave it, in the decision's locale (a notification says why).
    package let carriesReason: Bool

    package init(name: String, fields: [ObligationField], carriesReason: Bool = false) {
        self.name = name
        self.fields = fields
        self.carriesReason = carriesReason
    }

    package var description: String { name }

    // One name, one type: the declaration is the identity.
    package static func == (lhs: ObligationType, rhs: ObligationType) -> Bool { lhs.name == rhs.name }
    package func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The field named `name`, if the type has one.
    package func field(_ name: String) -> ObligationField? { fields.first { $0.name == name } }

    /// The names of the fields a decision's obligation of this type can have after
    /// `type` and `source`, in order: each written field, a duration's deadline after it,
    /// then `reason` when the type carries it.
    package var decisionFieldNames: [String] {
        var names: [String] = []
        for field in fields {
            names.append(field.name)
            if case .duration(let deadlineKey) = field.kind { names.append(deadlineKey) }
        }
        if carriesReason { names.append(ObligationType.reasonKey) }
        return names
    }

    /// The field a decision adds for `carriesReason`.
    package static let reasonKey = "reason"

    /// Who an obligation can be addressed to.
    package static let recipients = ["buyer", "seller", "support"]

    /// The largest `points` a single seller penalty may give.
    package static let maxPenaltyPoints: Int64 = 100

    /// The decimal places amounts are shown with (`6.50`).
    package static let amountScale = 2

    /// Tell someone within a time: the decision adds `due_by` and the reason.
    package static let notify = ObligationType(
        name: "notify",
        fields: [
            ObligationField("to", .recipient(choices: recipients), .defaultValue("buyer")),
            ObligationField("within", .duration(deadlineKey: "due_by"), .required),
            ObligationField("template", .text, .optional),
        ],
        carriesReason: true)

    /// A voucher of an amount (zero or more) in a currency (an ISO 4217 code).
    package static let voucher = ObligationType(
        name: "voucher",
        fields: [
            ObligationField("to", .recipient(choices: recipients), .defaultValue("buyer")),
            ObligationField("amount", .expression(.decimal, constant: .nonNegative), .defaultValue(#"decimal("0")"#)),
            ObligationField("currency", .expression(.string, constant: .currencyCode), .defaultValue("order.currency")),
        ])

    /// Penalty points against a seller.
    package static let sellerPenalty = ObligationType(
        name: "seller_penalty",
        fields: [
            ObligationField("seller", .expression(.string, constant: nil), .defaultValue("order.seller_id")),
            ObligationField("points", .integer(1...maxPenaltyPoints), .defaultValue("1")),
        ])

    /// A warning on an account.
    package static let warnAccount = ObligationType(
        name: "warn_account",
        fields: [
            ObligationField("account", .expression(.string, constant: nil), .defaultValue("actor.id")),
        ])

    /// An account restricted for a time: the decision adds `until`.
    package static let restrictAccount = ObligationType(
        name: "restrict_account",
        fields: [
            ObligationField("account", .expression(.string, constant: nil), .defaultValue("actor.id")),
            ObligationField("for", .duration(deadlineKey: "until"), .required),
        ])

    /// Every type a policy may write, in the order messages list them.
    package static let all: [ObligationType] = [notify, voucher, sellerPenalty, warnAccount, restrictAccount]

    /// The type named `name`, or nil for an unknown one.
    package static func named(_ name: String) -> ObligationType? { all.first { $0.name == name } }
}

/// One field of an obligation type.
package struct ObligationField: Sendable {
    /// The key policies write and decisions show.
    package let name: String
    package let kind: Kind
    package let presence: Presence

    package init(_ name: String, _ kind: Kind, _ presence: Presence) {
        self.name = name
        self.kind = kind
        self.presence = presence
    }

    /// What a field holds, and so how it is checked at load and shown in a decision.
    package enum Kind: Sendable {
        /// One word of `choices`, copied to the decision as text.
        case recipient(choices: [String])
        /// A CEL expression of `type`, evaluated per decision; `constant` is checked at
        /// load when its value needs no request. Decimals are shown at `amountScale`.
        case expression(CELType, constant: ConstantRule?)
        /// A duration (`24h`, `30m`, `14d`), more than zero. The decision carries the text
        /// as written and, under `deadlineKey`, the request's time plus the duration.
        case duration(deadlineKey: String)
        /// A whole number in the range, written as a YAML integer.
        case integer(ClosedRange<Int64>)
        /// Free text, copied to the decision (a template name, say).
        case text
    }

    /// What the value of an expression field must be, when it is a constant.
    package enum ConstantRule: Sendable {
        /// A decimal of zero or more (amounts).
        case nonNegative
        /// Three capital letters, an ISO 4217 code (`CNY`).
        case currencyCode
    }

    /// Whether a field must be written, or the value it takes when it is not.
    package enum Presence: Sendable {
        case required
        case optional
        /// The value used when the field is left out, as a policy would write it (CEL for
        /// expressions).
        case defaultValue(String)
    }
}
