import CELCommon
import RescindCELLibrary
import RescindEngine
import RescindPolicy

/// The definitions the schemas share (`$defs`); each schema carries those it refers to.
enum Definitions {
    static let all: [String: SchemaJSON] = {
        var defs: [String: SchemaJSON] = [:]
        defs["effect"] = Fragment.enumeration(
            "What a decision does: `allow` lets the cancellation go ahead, `deny` refuses it, `review` sends it to a "
                + "person first. When several rules and tiers hold, deny beats review beats allow.",
            Effect.allCases.map(\.rawValue))
        defs["locale"] = Fragment.string(
            "A language tag (BCP 47) such as `en` or `zh-CN`: a hyphen, never an underscore. Reasons and descriptions "
                + "must be written in each of the policy set's `locales`, and in no other.",
            pattern: Patterns.locale, examples: ["en", "zh-CN"])
        defs["id"] = Fragment.string(
            "An id: letters, digits, `-`, `_` and `.`, starting with a letter or digit. Decisions, explanations, "
                + "tests and `suspends` refer to it, so keep it stable; rule, threshold and tier ids share one "
                + "namespace across the policy set.",
            pattern: Patterns.id, examples: ["buyer-before-shipment"])
        defs["duration"] = Fragment.string(
            "A duration: a number and a unit, `h` (hours), `m` (minutes), `s`, `ms`, `us`, `ns`, combined as in "
                + "`1h30m`, or whole days `14d`. No spaces.",
            pattern: Patterns.duration, examples: ["24h", "30m", "720h", "14d"])
        defs["reason"] = .object([
            ("description", .string(
                "A text per locale, one for each of the policy set's `locales` (`{en: …, zh-CN: …}`); written to the "
                    + "person who asked. `{…}` inserts the value of a CEL expression, such as `{order.id}` (in a "
                    + "tier's reason, `{count}` is the number counted).")),
            ("type", "object"),
            ("propertyNames", Fragment.ref("locale")),
            ("additionalProperties", Fragment.string(
                "The text in this locale; `{expr}` inserts the value of a CEL expression.", pattern: "\\S")),
            ("minProperties", 1),
            ("examples", .array([Fragment.example([
                ("en", "Order {order.id} has not shipped yet, so you can cancel it."),
                ("zh-CN", "订单 {order.id} 尚未发货，您可以取消该订单。"),
            ])])),
        ])
        defs["description"] = .object([
            ("description", .string(
                "What this is for, in plain words: one text for every locale, or a text per locale "
                    + "(`{en: …, zh-CN: …}`, one for each of the policy set's `locales`). Plain text: `{…}` is not a value.")),
            ("anyOf", .array([
                .object([("type", "string")]),
                Fragment.map("A text per locale.", keys: Fragment.ref("locale"), values: .object([("type", "string")])),
            ])),
            ("examples", .array([Fragment.example([
                ("en", "Buyers may cancel their order until it ships."), ("zh-CN", "订单发货前，买家可以取消订单。"),
            ])])),
        ])
        defs["condition"] = .object([
            ("description", .string(
                "A condition: a CEL expression of type `bool` over the request, or `all:` (every condition in the "
                    + "list holds), `any:` (at least one holds) or `not:` (the condition does not hold), nested as "
                    + "needed. CEL types and field names are checked by `rescind check`, not by this schema.")),
            ("anyOf", .array([
                .object([
                    ("description", "A CEL expression of type `bool`."), ("type", .strings(["string", "boolean"])),
                    ("minLength", 1),
                ]),
                Fragment.object(
                    "Every condition in the list holds.",
                    [("all", Fragment.array("Conditions that must all hold.", of: Fragment.ref("condition")))],
                    required: ["all"]),
                Fragment.object(
                    "At least one condition in the list holds.",
                    [("any", Fragment.array("Conditions of which one must hold.", of: Fragment.ref("condition")))],
                    required: ["any"]),
                Fragment.object(
                    "The condition does not hold.",
                    [("not", Fragment.ref("condition", "The condition that must not hold."))], required: ["not"]),
            ])),
            ("examples", .array([
                "order.status == \"cancelled\"",
                Fragment.example([("all", .strings(["actor.role == \"buyer\"", "order.status in [\"paid\", \"processing\"]"]))]),
            ])),
        ])
        defs["obligation"] = Obligations.policyObligation
        defs["obligations"] = Fragment.array(
            "What must happen when the decision's effect is this rule's or tier's effect: notices, vouchers, "
                + "penalty points, account warnings and restrictions. A decision carries only the obligations of "
                + "the rules and tiers whose effect is its final effect.",
            of: Fragment.ref("obligation"))
        defs["problemEffect"] = problemEffect(effects: Effect.allCases.map(\.rawValue))
        defs["errorEffect"] = problemEffect(
            effects: Effect.allCases.map(\.rawValue).filter { $0 != Effect.allow.rawValue })
        defs["field"] = RequestSchemaDefinitions.field
        defs["fields"] = RequestSchemaDefinitions.fields
        defs["fieldSpec"] = RequestSchemaDefinitions.fieldSpec
        defs["typeName"] = RequestSchemaDefinitions.typeName
        defs["dateOrRange"] = Fragment.string(
            "A date `YYYY-MM-DD`, or an inclusive range of dates `YYYY-MM-DD..YYYY-MM-DD` (shorter than a year). "
                + "Quote it: `\"2026-10-01..2026-10-07\"`.",
            pattern: Patterns.dateOrRange, examples: ["2026-01-01", "2026-10-01..2026-10-07"])
        for (name, schema) in TestSchemaDefinitions.all { defs[name] = schema }
        return defs
    }()

    /// `on_error`, `on_missing`, `on_history_unavailable`: an effect alone, or with a reason.
    private static func problemEffect(effects: [String]) -> SchemaJSON {
        let effect = effects.count == Effect.allCases.count
            ? Fragment.ref("effect")
            : Fragment.enumeration(
                "`review` (a person decides) or `deny`; never `allow`: a decision that could not be made in full must "
                    + "not let the cancellation through.", effects)
        return .object([
            ("description", .string(
                "An effect alone (`review`), or an effect with the reason given (`{effect: review, reason: {en: …, "
                    + "zh-CN: …}}`); without a reason, Rescind's standard one is given.")),
            ("anyOf", .array([
                effect,
                Fragment.object(
                    "An effect and its reason.",
                    [("effect", effect), ("reason", Fragment.ref("reason", "The reason given, in every locale."))],
                    required: ["effect"]),
            ])),
        ])
    }

    /// The names of the definitions `schema` refers to, directly or through other
    /// definitions, sorted.
    static func closure(of schema: SchemaJSON) -> [String] {
        var found: Set<String> = []
        var pending = references(in: schema)
        while let name = pending.popLast() {
            guard found.insert(name).inserted, let definition = all[name] else { continue }
            pending += references(in: definition)
        }
        return found.sorted()
    }

    private static func references(in schema: SchemaJSON) -> [String] {
        switch schema {
        case .members(let members):
            return members.flatMap { member -> [String] in
                if member.key == "$ref", case .string(let target) = member.value, target.hasPrefix("#/$defs/") {
                    return [String(target.dropFirst("#/$defs/".count))]
                }
                return references(in: member.value)
            }
        case .array(let items): return items.flatMap(references)
        default: return []
        }
    }
}

/// Obligations, from their declarations (`ObligationType`): a new type or field reaches
/// the schemas without an edit here (a description of it is still worth adding below).
enum Obligations {
    /// What each obligation type is, for its description.
    static let typeSummaries: [String: String] = [
        "notify": "Tell someone, within a time; the decision adds `due_by` and the rule's reason.",
        "voucher": "A voucher of an amount in a currency.",
        "seller_penalty": "Penalty points against the seller.",
        "warn_account": "A warning on an account.",
        "restrict_account": "An account restricted for a time; the decision adds `until`.",
        "refund": "The refund refunds.yaml works out (only in expectations: policies do not write it).",
    ]

    /// What each field holds, by `type.field`.
    static let fieldSummaries: [String: String] = [
        "notify.to": "Who is told.",
        "notify.within": "How soon, a duration such as `24h`; the decision adds `due_by`, the request's time plus it.",
        "notify.template": "The message template the notifying service uses, copied to the decision as written.",
        "voucher.to": "Who gets the voucher.",
        "voucher.amount": "The amount, a CEL expression of type `decimal`, zero or more; money is decimal, never a float: "
            + "`min(order.total * decimal(\"0.10\"), decimal(\"50.00\")).round(2)`.",
        "voucher.currency": "The currency, a CEL expression of type `string` giving an ISO 4217 code.",
        "seller_penalty.seller": "Which seller, a CEL expression of type `string`.",
        "seller_penalty.points": "How many penalty points.",
        "warn_account.account": "Which account, a CEL expression of type `string`.",
        "restrict_account.account": "Which account, a CEL expression of type `string`.",
        "restrict_account.for": "How long, a duration such as `336h` or `14d`; the decision adds `until`, the request's time plus it.",
    ]

    /// One obligation as a policy writes it: `type`, then that type's fields.
    static var policyObligation: SchemaJSON {
        let types = ObligationType.all
        return .object([
            ("description", .string(
                "An obligation: `type` and that type's fields (\(types.map { "`\($0.name)`" }.joined(separator: ", "))).")),
            ("type", "object"),
            ("properties", .members([.init("type", Fragment.enumeration("The obligation's type.", types.map(\.name)))])),
            ("required", .strings(["type"])),
            ("allOf", .array(types.map { type -> SchemaJSON in
                .object([
                    ("if", .object([
                        ("properties", .members([.init("type", .object([("const", .string(type.name))]))])),
                        ("required", .strings(["type"])),
                    ])),
                    ("then", Fragment.object(
                        typeSummaries[type.name] ?? "A `\(type.name)` obligation.",
                        [("type", .object([("const", .string(type.name))]))]
                            + type.fields.map { ($0.name, fieldSchema($0, of: type)) },
                        required: type.fields.filter(isRequired).map(\.name))),
                ])
            })),
            ("examples", .array([
                Fragment.example([("type", "notify"), ("to", "buyer"), ("within", "24h")]),
                Fragment.example([("type", "restrict_account"), ("account", "actor.id"), ("for", "336h")]),
            ])),
        ])
    }

    private static func isRequired(_ field: ObligationField) -> Bool {
        if case .required = field.presence { return true }
        return false
    }

    private static func fieldSchema(_ field: ObligationField, of type: ObligationType) -> SchemaJSON {
        var text = fieldSummaries["\(type.name).\(field.name)"] ?? "The `\(field.name)` of the obligation."
        switch field.presence {
        case .required: text += " Required."
        case .optional: break
        case .defaultValue(let value): text += " Default: `\(value)`."
        }
        switch field.kind {
        case .recipient(let choices):
            return Fragment.enumeration(text, choices)
        case .duration:
            return Fragment.ref("duration", text)
        case .expression(let type, let constant):
            var examples: [String] = []
            if case .defaultValue(let value) = field.presence { examples.append(value) }
            if case .currencyCode? = constant { examples.append("\"CNY\"") }
            return Fragment.cel(text, examples: examples, decimal: type == .decimal)
        case .integer(let range):
            return Fragment.integer(text, minimum: Int(range.lowerBound), maximum: Int(range.upperBound))
        case .text:
            return Fragment.string(text)
        }
    }

    /// The fields an expected obligation may name, by type, as decisions write them.
    static var decisionFields: [(type: String, fields: [String])] {
        [(Refund.type, ["source"] + Refund.fieldNames)]
            + ObligationType.all.map { ($0.name, ["source"] + $0.decisionFieldNames) }
    }

    /// What each field of a decision's obligation holds, for expectations.
    static func decisionFieldSummary(type: String, field: String) -> String {
        switch field {
        case "source": return "The rule or tier that gave it (`refunds` for the refund)."
        case "amount": return type == Refund.type ? "The refunded amount, as the decision writes it (`\"129.99\"`)."
            : "The amount, as the decision writes it (`\"12.34\"`)."
        case "fee": return "The fee kept, as the decision writes it (`\"0.00\"`)."
        case "currency": return "The currency code (`CNY`)."
        case "initiate_by": return "When the refund must be started: an RFC 3339 time with its offset."
        case "expected_by": return "When the refund is expected to arrive: an RFC 3339 time with its offset."
        case "due_by": return "The notice's deadline the decision works out: an RFC 3339 time with its offset."
        case "until": return "When the restriction ends: an RFC 3339 time with its offset."
        case ObligationType.reasonKey: return "The reason, in the case's locale, as the decision carries it."
        default: return fieldSummaries["\(type).\(field)"] ?? "The `\(field)` of the obligation."
        }
    }
}
