import RescindCELLibrary
import RescindEngine
import RescindPolicy

/// The top of each schema: the document's keys, as the loaders read them
/// (RescindPolicy's `DocumentReader`, RescindTooling's `TestPlanLoader`).
enum Root {
    static func document(_ kind: PolicyFileKind) -> SchemaJSON {
        let (title, description, properties, required, examples) = content(kind)
        let all: [(String, SchemaJSON)] = [
            ("kind", .object([
                ("description", .string("The document's kind: `\(kind.documentKind)` for this schema.")),
                ("const", .string(kind.documentKind)),
            ])),
        ] + properties
        return .object([
            ("$schema", .string(PolicyJSONSchema.dialect)),
            ("$id", .string(PolicyJSONSchema.idPrefix + kind.fileName)),
            ("title", .string(title)),
            ("description", .string(description)),
            ("type", "object"),
            ("properties", .members(all.map { .init($0.0, $0.1) })),
            ("required", .strings(["kind"] + required)),
            ("additionalProperties", false),
            ("examples", .array(examples)),
        ] + conditions(kind))
    }

    /// Rules between keys, beyond each key's own schema.
    private static func conditions(_ kind: PolicyFileKind) -> [(String, SchemaJSON?)] {
        guard kind == .policySet else { return [] }
        // `on_history_unavailable` says what happens when the history store does not
        // answer: without `history:` there is none, and the loader refuses it.
        return [
            ("if", .object([("required", .strings(["on_history_unavailable"]))])),
            ("then", .object([("required", .strings(["history"]))])),
        ]
    }

    private typealias Content = (
        title: String, description: String, properties: [(String, SchemaJSON)], required: [String],
        examples: [SchemaJSON]
    )

    private static func content(_ kind: PolicyFileKind) -> Content {
        switch kind {
        case .policySet: policySet
        case .requestSchema: requestSchema
        case .calendar: calendar
        case .rules: rules
        case .thresholds: thresholds
        case .refunds: refunds
        case .tests: tests(fixturesOnly: false)
        case .fixtures: tests(fixturesOnly: true)
        }
    }

    private static let closing =
        " Checked by the schema: keys, required keys, enums and the shapes of values. Checked only by `rescind "
        + "check`: CEL (syntax, types, field names), ids referenced across files and everything that needs the "
        + "whole policy set."

    // MARK: - policy_set

    private static var policySet: Content {
        (
            "Rescind policy set (kind: policy_set)",
            "The policy set itself (policy-set.yaml): its name and version, what happens when no rule matches "
                + "(`default`) and when a decision cannot be made in full (`on_error`), the locales every reason is "
                + "written in, the files the set is made of, and the buyer history Rescind supplies." + closing,
            [
                ("name", Fragment.string(
                    "The policy set's name; every decision records it.", minLength: 1,
                    examples: ["marketplace-cancellations"])),
                ("version", Fragment.string(
                    "The version, quoted (`\"2026.12\"`: unquoted, YAML may read it as a number); every decision "
                        + "records it. Bump it whenever any policy file changes.",
                    minLength: 1, examples: ["2026.12"])),
                ("default", Fragment.object(
                    "What a request no rule or tier matches gets.",
                    [
                        ("effect", Fragment.ref("effect", "The effect when nothing matches (`deny` when not given).")),
                        ("reason", Fragment.ref("reason", "The reason given when nothing matches, in every locale.")),
                    ],
                    required: ["reason"])),
                ("on_error", Fragment.ref(
                    "errorEffect",
                    "What a decision is at least when part of it cannot be worked out (a condition fails to evaluate, no "
                        + "refund case fits, a deadline falls outside the calendar's years); `review` when not given.")),
                ("locales", Fragment.array(
                    "The locales every reason and per-locale description is written in (default `[en, zh-CN]`).",
                    of: Fragment.ref("locale"), minItems: 1, unique: true, examples: [.strings(["en", "zh-CN"])])),
                ("files", Fragment.array(
                    "Every policy file of the set, by its name inside the folder: a file missing or not listed is "
                        + "an error, so a deployment cannot lose or gain one unnoticed.",
                    of: Fragment.string("A policy file's name.", pattern: Patterns.policyFile), unique: true,
                    examples: [.strings(["policy-set.yaml", "schema.yaml", "who-may-cancel.yaml"])])),
                ("history", Fragment.object(
                    "The request list Rescind's history store supplies (`rescind serve --history`), and for whom.",
                    [
                        ("list", Fragment.cel(
                            "The list, as a request path to a list of objects a threshold counts.",
                            examples: ["buyer_history.cancellations"])),
                        ("buyer", Fragment.cel(
                            "Whose history: a CEL expression of type `string` over the request.",
                            examples: ["actor.role == \"buyer\" ? actor.id : order.buyer_id"])),
                        ("request_lists", Fragment.enumeration(
                            "A request that carries its own list: `accept` (it is decided on it, and the explanation "
                                + "says so) or `refuse`.",
                            PolicyKeywords.requestListChoices)),
                    ],
                    required: ["list", "buyer"])),
                ("on_history_unavailable", Fragment.ref(
                    "problemEffect",
                    "What a decision is at least when the history store does not answer (`review` when not given; "
                        + "`allow` lets repeat cancellers through uncounted and is warned about). Needs `history`.")),
            ],
            ["name", "version", "default"],
            [Fragment.example([
                ("kind", "policy_set"), ("name", "marketplace-cancellations"), ("version", "2026.12"),
                ("default", Fragment.example([
                    ("effect", "deny"),
                    ("reason", Fragment.example([
                        ("en", "This cancellation is not permitted."), ("zh-CN", "该订单暂不支持取消。"),
                    ])),
                ])),
                ("on_error", "review"), ("locales", .strings(["en", "zh-CN"])),
            ])]
        )
    }

    // MARK: - schema

    private static var requestSchema: Content {
        (
            "Rescind request schema (kind: schema)",
            "The shape of a cancellation request (schema.yaml): enums, named object types and the request's "
                + "fields. Conditions are type-checked against it when the policies load, and requests are decoded "
                + "by it." + closing,
            [
                ("enums", Fragment.map(
                    "Enums by name: the values a field of that type may take.",
                    keys: .object([("pattern", .string(Patterns.identifier))]),
                    values: Fragment.array(
                        "The enum's values.", of: Fragment.string("A value.", minLength: 1), unique: true),
                    examples: [Fragment.example([("role", .strings(["buyer", "seller", "support", "system"]))])])),
                ("types", Fragment.map(
                    "Object types by name, for fields and lists (`list(cancellation)`); a type may use enums and the "
                        + "types declared before it.",
                    keys: .object([("pattern", .string(Patterns.identifier))]), values: Fragment.ref("fields"))),
                ("request", Fragment.ref("fields", "The request's fields.")),
            ],
            ["request"],
            [Fragment.example([
                ("kind", "schema"), ("enums", Fragment.example([("order_status", .strings(["paid", "shipped"]))])),
                ("request", Fragment.example([
                    ("id", "string"), ("at", "timestamp"),
                    ("order", Fragment.example([
                        ("status", "order_status"),
                        ("total", Fragment.example([("type", "decimal"), ("minimum", "0.00")])),
                    ])),
                ])),
            ])]
        )
    }

    // MARK: - calendar

    private static var calendar: Content {
        let weekday = Fragment.string(
            "A weekday: \(PolicyKeywords.weekdays.map { "`\($0)`" }.joined(separator: ", ")) (any case).",
            pattern: "^(" + PolicyKeywords.weekdays.map(caseInsensitive).joined(separator: "|") + ")$",
            examples: PolicyKeywords.weekdays)
        return (
            "Rescind business-day calendar (kind: calendar)",
            "A business-day calendar for refund deadlines: the weekend, the holidays and the make-up "
                + "workdays (weekend days worked instead), in a time zone, for the years it lists in full." + closing,
            [
                ("name", Fragment.string(
                    "The calendar's name, which refunds.yaml's `calendar` and CEL's business-day functions use.",
                    pattern: Patterns.id, examples: ["cn-mainland"])),
                ("description", Fragment.string("What the calendar is for, for people.")),
                ("time_zone", Fragment.string(
                    "The IANA time zone days are counted in.", minLength: 1, examples: ["Asia/Shanghai", "UTC"])),
                ("years", .object([
                    ("description", .string(
                        "The years whose holidays and workdays are listed in full: `2026` or `2025..2026`. A deadline "
                            + "needing a day outside them is not guessed (`on_error` decides), and `rescind check` "
                            + "warns 60 days before the last year ends. Every listed date must be inside them.")),
                    ("anyOf", .array([
                        Fragment.string("A year or a range of years.", pattern: Patterns.years),
                        Fragment.integer("One year.", minimum: 1000, maximum: 9999),
                    ])),
                    ("examples", .array(["2025..2026", 2026])),
                ])),
                ("weekend", Fragment.array(
                    "The days that are not worked each week (default `[saturday, sunday]`).", of: weekday, unique: true,
                    examples: [.strings(["saturday", "sunday"])])),
                ("holidays", Fragment.array(
                    "Public holidays: dates and ranges of dates that are not business days.",
                    of: Fragment.ref("dateOrRange"), examples: [.strings(["2026-01-01..2026-01-03", "2026-05-01"])])),
                ("workdays", Fragment.array(
                    "Make-up workdays: weekend dates that are business days (worked in exchange for a holiday).",
                    of: Fragment.ref("dateOrRange"), examples: [.strings(["2026-01-04", "2026-02-14"])])),
            ],
            ["name", "time_zone"],
            [Fragment.example([
                ("kind", "calendar"), ("name", "cn-mainland"), ("time_zone", "Asia/Shanghai"), ("years", "2026"),
                ("weekend", .strings(["saturday", "sunday"])), ("holidays", .strings(["2026-01-01..2026-01-03"])),
                ("workdays", .strings(["2026-01-04"])),
            ])]
        )
    }

    /// `saturday` as a pattern that matches it in any case: `[Ss][Aa]…`.
    private static func caseInsensitive(_ word: String) -> String {
        word.map { "[\($0.uppercased())\($0.lowercased())]" }.joined()
    }

    // MARK: - rules

    private static var rules: Content {
        let rule = Fragment.object(
            "A rule: when it holds (`when`), what it decides (`effect`) and why (`reason`), and what must happen "
                + "(`obligations`).",
            [
                ("id", Fragment.ref("id", "The rule's id.")),
                ("description", Fragment.ref("description")),
                ("when", Fragment.ref("condition", "When the rule holds.")),
                ("effect", Fragment.ref("effect", "What the rule decides when it holds.")),
                ("reason", Fragment.ref("reason", "Why, written to the person who asked, in every locale.")),
                ("obligations", Fragment.ref("obligations")),
                ("suspends", Fragment.array(
                    "Thresholds switched off for a request this rule holds for (their tiers do not count).",
                    of: Fragment.ref("id", "A threshold's id."), unique: true, examples: [.strings(["repeat-canceller"])])),
            ],
            required: ["id", "when", "effect", "reason"],
            examples: [Fragment.example([
                ("id", "already-cancelled"), ("when", "order.status == \"cancelled\""), ("effect", "deny"),
                ("reason", Fragment.example([("en", "Order {order.id} has already been cancelled."), ("zh-CN", "订单 {order.id} 已取消。")])),
            ])])
        return (
            "Rescind rules (kind: rules)",
            "Rules: each decides allow, deny or review when its condition holds. Every rule whose `when` holds "
                + "takes part; deny beats review beats allow; when none holds, the policy set's `default` decides."
                + closing,
            [("rules", Fragment.array("The rules, in any order.", of: rule))],
            ["rules"],
            [Fragment.example([
                ("kind", "rules"),
                ("rules", .array([Fragment.example([
                    ("id", "already-cancelled"), ("when", "order.status == \"cancelled\""), ("effect", "deny"),
                    ("reason", Fragment.example([("en", "Order {order.id} has already been cancelled."), ("zh-CN", "订单 {order.id} 已取消。")])),
                ])])),
            ])]
        )
    }

    // MARK: - thresholds

    private static var thresholds: Content {
        let tier = Fragment.object(
            "A tier: reached when the count is at least `at_least`; only the highest tier reached applies, and "
                + "it takes part like a rule.",
            [
                ("id", Fragment.ref("id", "The tier's id.")),
                ("description", Fragment.ref("description")),
                ("at_least", Fragment.integer(
                    "The count from which the tier applies; tiers go by strictly increasing `at_least`.", examples: [3])),
                ("effect", Fragment.ref("effect", "What the tier decides.")),
                ("reason", Fragment.ref("reason", "Why, in every locale; `{count}` is the number counted.")),
                ("obligations", Fragment.ref("obligations")),
            ],
            required: ["id", "at_least", "effect", "reason"])
        let threshold = Fragment.object(
            "A threshold: counts the items of a request list inside a time window before the request, and applies "
                + "the highest tier the count reaches.",
            [
                ("id", Fragment.ref("id", "The threshold's id (rules' `suspends` name it).")),
                ("description", Fragment.ref("description")),
                ("applies_when", Fragment.ref("condition", "Which requests the threshold counts for (all when not given).")),
                ("count", Fragment.cel("The list counted: a CEL expression of a list type.", examples: ["buyer_history.cancellations"])),
                ("where", Fragment.cel(
                    "Which items count: a CEL condition over `item`.", examples: ["item.initiator == \"buyer\""])),
                ("timestamp", Fragment.cel("Each item's time: a CEL timestamp over `item`.", examples: ["item.at"])),
                ("window", Fragment.ref(
                    "duration",
                    "How far back items count: an item counts when its time is after the request's time minus this, "
                        + "and not after the request's time (`720h`: the 30 days before).")),
                ("on_missing", Fragment.ref(
                    "problemEffect",
                    "What a request that does not send the counted list gets (a missing list is never read as empty).")),
                ("tiers", Fragment.array("The tiers, by increasing `at_least`.", of: tier)),
            ],
            required: ["id", "count", "timestamp", "window"])
        return (
            "Rescind thresholds (kind: thresholds)",
            "Thresholds: a count of past events in a time window (a buyer's cancellations in the last 30 days) "
                + "with tiers that warn, review or deny as the count grows." + closing,
            [("thresholds", Fragment.array("The thresholds.", of: threshold))],
            [],
            [Fragment.example([
                ("kind", "thresholds"),
                ("thresholds", .array([Fragment.example([
                    ("id", "repeat-canceller"), ("count", "buyer_history.cancellations"), ("where", "item.initiator == \"buyer\""),
                    ("timestamp", "item.at"), ("window", "720h"), ("on_missing", "review"),
                    ("tiers", .array([Fragment.example([
                        ("id", "abuse-review"), ("at_least", 5), ("effect", "review"),
                        ("reason", Fragment.example([("en", "You have cancelled {count} orders in 30 days."), ("zh-CN", "您近 30 天内已取消 {count} 笔订单。")])),
                    ])])),
                ])])),
            ])]
        )
    }

    // MARK: - refunds

    private static var refunds: Content {
        let days = Fragment.array(
            "Cases tried top to bottom; the first whose `when` holds gives the number of business days. Every "
                + "request the refunds apply to must find a case (`rescind check` proves it for enums).",
            of: Fragment.object(
                "A case: when (always, if not given) and how many business days.",
                [
                    ("when", Fragment.ref("condition", "When the case applies (always when not given).")),
                    ("days", Fragment.integer("Business days.", minimum: 0, maximum: BusinessCalendar.maxBusinessDays, examples: [3])),
                ],
                required: ["days"]),
            minItems: 1)
        return (
            "Rescind refunds (kind: refunds)",
            "Refunds: how much a cancellation that goes ahead pays back, and by when, in business days of a "
                + "calendar." + closing,
            [
                ("calendar", Fragment.string(
                    "The calendar deadlines are counted in (a `kind: calendar` document's `name`).", pattern: Patterns.id,
                    examples: ["cn-mainland"])),
                ("applies_when", Fragment.ref("condition", "Which allowed cancellations are refunded (all when not given).")),
                ("currency", Fragment.cel("The refund's currency: CEL of type `string`.", examples: ["order.currency"])),
                ("fee", Fragment.array(
                    "Fee cases, tried top to bottom; the first whose `when` holds gives the fee (none holds: no fee).",
                    of: Fragment.object(
                        "A fee case.",
                        [
                            ("when", Fragment.ref("condition", "When the fee applies (always when not given).")),
                            ("amount", Fragment.cel(
                                "The fee: CEL of type `decimal`.",
                                examples: ["min(order.total * decimal(\"0.05\"), decimal(\"20.00\")).round(2)"], decimal: true)),
                        ],
                        required: ["amount"]))),
                ("amount", Fragment.cel(
                    "The refunded amount: CEL of type `decimal`; `fee` is the fee worked out.", examples: ["order.total - fee"],
                    decimal: true)),
                ("initiate_within", days.withDescription(
                    "When the refund must be started, in business days counted from the day after the request's "
                        + "local date. Cases tried top to bottom; the first whose `when` holds applies.")),
                ("expect_within", days.withDescription(
                    "When the refund is expected to arrive, in business days counted from the day after the "
                        + "`initiate_within` date (0: the same day). Cases tried top to bottom; the first whose "
                        + "`when` holds applies.")),
            ],
            ["calendar", "amount", "initiate_within", "expect_within"],
            [Fragment.example([
                ("kind", "refunds"), ("calendar", "cn-mainland"), ("amount", "order.total"),
                ("initiate_within", .array([Fragment.example([("days", 3)])])),
                ("expect_within", .array([Fragment.example([("when", "order.payment_method == \"card\""), ("days", 7)]), Fragment.example([("days", 3)])])),
            ])]
        )
    }

    // MARK: - tests and fixtures

    private static func tests(fixturesOnly: Bool) -> Content {
        var properties: [(String, SchemaJSON)] = [
            ("description", Fragment.string("What the file tests, for people.")),
            ("include", Fragment.ref("include")),
            ("defaults", Fragment.ref("testDefaults")),
            ("fixtures", Fragment.ref("fixtures")),
            ("generators", Fragment.ref("generators")),
        ]
        if !fixturesOnly {
            properties.append(("cases", Fragment.array("The cases, each named uniquely.", of: Fragment.ref("case"))))
        }
        let example = fixturesOnly
            ? Fragment.example([
                ("kind", "fixtures"), ("defaults", Fragment.example([("locale", "en")])),
                ("fixtures", Fragment.example([("buyer", Fragment.example([("id", "t-1"), ("reason", "changed_mind")]))])),
            ])
            : Fragment.example([
                ("kind", "tests"), ("include", .strings(["fixtures.tests.yaml"])),
                ("cases", .array([Fragment.example([
                    ("name", "a buyer may cancel a paid order"), ("request", "buyer"),
                    ("expect", Fragment.example([("effect", "allow")])),
                ])])),
            ])
        return (
            fixturesOnly ? "Rescind test fixtures (kind: fixtures)" : "Rescind policy tests (kind: tests)",
            (fixturesOnly
                ? "Fixtures, generators and defaults that `kind: tests` files share through `include:`; no cases."
                : "Policy tests (*.tests.yaml), run by `rescind test`: cases with a request and what its decision "
                    + "must be, tables of cases, and the fixtures they start from.")
                + " Checked only by `rescind test`: that rule, tier, fixture and locale names exist and that requests "
                + "fit the request schema.",
            properties,
            fixturesOnly ? [] : ["cases"],
            [example]
        )
    }
}

extension SchemaJSON {
    /// The same schema object with its description replaced.
    func withDescription(_ text: String) -> SchemaJSON {
        guard case .members(let members) = self else { return self }
        return .members(members.map { $0.key == "description" ? .init("description", .string(text)) : $0 })
    }
}
