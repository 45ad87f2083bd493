import RescindEngine
import RescindPolicy

/// The pieces of `kind: tests` and `kind: fixtures` files, as `TestPlanLoader` reads them.
enum TestSchemaDefinitions {
    static var all: [(String, SchemaJSON)] {
        [
            ("request", request), ("recipe", recipe), ("expectations", expectations), ("outcomeIDs", outcomeIDs),
            ("expectedObligation", expectedObligation), ("expectedReason", expectedReason), ("case", testCase),
            ("table", table), ("generator", generator), ("testDefaults", defaults), ("include", include),
            ("fixtures", fixtures), ("generators", generators),
        ]
    }

    static let request: SchemaJSON = .object([
        ("description", .string(
            "The request a case decides: a fixture's name (`buyer`); a recipe, `base: FIXTURE` or `file: PATH` "
                + "(JSON or YAML, relative to this file) with `set:` values over it (a recipe with neither starts "
                + "from `defaults: request`); or the request's fields written out.")),
        ("if", .object([
            ("type", "object"),
            ("anyOf", .array(TestPlanLoader.recipeKeys.map { key -> SchemaJSON in .object([("required", .strings([key]))]) })),
        ])),
        ("then", Fragment.ref("recipe")),
        ("else", .object([("type", .strings(["string", "object"]))])),
        ("examples", .array([
            "buyer",
            Fragment.example([("base", "seller"), ("set", Fragment.example([("order.status", "shipped")]))]),
            Fragment.example([("file", "../Examples/requests/abuse-warn.json")]),
        ])),
    ])

    static let recipe: SchemaJSON = Fragment.object(
        "A request recipe: where it starts (`base:` or `file:`, not both) and the values `set:` over it.",
        [
            ("base", Fragment.string("The fixture it starts from.", examples: ["buyer"])),
            ("file", Fragment.string(
                "A request file it starts from (JSON or YAML), relative to this file.",
                examples: ["../Examples/requests/abuse-warn.json"])),
            ("set", Fragment.map(
                "Values set over it, by dotted request path (`order.status: shipped`); a mapping merges into an "
                    + "object, anything else replaces. A generator's name (`buyer_cancellations_in_window: 5`) fills "
                    + "its list with that many items.",
                keys: .object([("pattern", .string(Patterns.requestPath))]), values: true,
                examples: [Fragment.example([("order.status", "shipped"), ("actor.verified", false)])])),
        ],
        extra: [("not", .object([("required", .strings(["base", "file"]))]))])

    static let outcomeIDs = Fragment.oneOrList(
        "Rule or tier ids: one, or a list.", Fragment.string("A rule or tier id.", pattern: Patterns.id))

    static let expectations: SchemaJSON = Fragment.object(
        "What the decision must be; each key is optional, and only what is given is checked.",
        [
            ("effect", Fragment.ref("effect", "The decision's effect.")),
            ("deciding", Fragment.ref(
                "outcomeIDs", "Exactly the rules and tiers that decide (in any order); `[]`: the default decides.")),
            ("matched", Fragment.ref("outcomeIDs", "Rules and tiers that must hold (among others).")),
            ("not_matched", Fragment.ref("outcomeIDs", "Rules and tiers that must not hold.")),
            ("tier", Fragment.string("The threshold tier reached, or `none`.", examples: ["none", "abuse-warn"])),
            ("obligations", Fragment.array(
                "The decision's obligations, one to one in order, each checked on its type and the fields given "
                    + "(`[]`: none).",
                of: Fragment.ref("expectedObligation"))),
            ("reason", .object([
                ("description", .string("The reason's text: one expectation, or a list (one per locale, say).")),
                ("anyOf", .array([
                    Fragment.ref("expectedReason"),
                    .object([("type", "array"), ("items", Fragment.ref("expectedReason"))]),
                ])),
            ])),
            ("problems", Fragment.oneOrList(
                "The decision's problems, by kind: each must occur; `none` (or leaving it out): no problem.",
                Fragment.enumeration(
                    "A problem kind.", EvaluationProblem.Kind.allCases.map(\.rawValue) + ["none"]))),
        ],
        examples: [Fragment.example([("effect", "allow"), ("deciding", .strings(["buyer-before-shipment"]))])])

    static var expectedObligation: SchemaJSON {
        let types = Obligations.decisionFields
        return .object([
            ("description", .string(
                "An expected obligation: its `type` and the fields that matter, as the decision writes them "
                    + "(`amount: \"12.34\"`, `initiate_by: 2026-12-02T23:59:59+08:00`).")),
            ("type", "object"),
            ("properties", .members([.init("type", Fragment.enumeration("The obligation's type.", types.map(\.type)))])),
            ("required", .strings(["type"])),
            ("allOf", .array(types.map { type, fields -> SchemaJSON in
                .object([
                    ("if", .object([
                        ("properties", .members([.init("type", .object([("const", .string(type))]))])),
                        ("required", .strings(["type"])),
                    ])),
                    ("then", Fragment.object(
                        Obligations.typeSummaries[type] ?? "A `\(type)` obligation.",
                        [("type", .object([("const", .string(type))]))] + fields.map { field -> (String, SchemaJSON) in
                            (field, .object([
                                ("description", .string(Obligations.decisionFieldSummary(type: type, field: field))),
                                ("type", .strings(["string", "number", "boolean"])),
                            ]))
                        })),
                ])
            })),
            ("examples", .array([Fragment.example([("type", "refund"), ("amount", "129.99"), ("fee", "0.00")])])),
        ])
    }

    static let expectedReason: SchemaJSON = Fragment.object(
        "An expected reason: its text `equals` or `contains` (exactly one of them), in a `locale`, from a `rule`.",
        [
            ("locale", Fragment.ref("locale", "The locale of the text (default: the case's).")),
            ("rule", Fragment.string(
                "The rule or tier that gives it, or `default`, `on-error`, `on-missing`, `on-history-unavailable`.")),
            ("equals", .object([("description", "The whole text."), ("type", .strings(["string", "number", "boolean"]))])),
            ("contains", .object([("description", "A part of the text."), ("type", .strings(["string", "number", "boolean"]))])),
        ],
        extra: [("oneOf", .array([.object([("required", .strings(["equals"]))]), .object([("required", .strings(["contains"]))])]))],
        examples: [Fragment.example([("locale", "zh-CN"), ("contains", "已发货")])])

    static let table: SchemaJSON = Fragment.object(
        "One case per row: a column sets a request path or a generator, or states an expectation (a column named "
            + "like an `expect:` key, or `expect.KEY`).",
        [
            ("columns", Fragment.oneOrList(
                "The columns: request paths, generator names or expectations.",
                Fragment.string("A column.", minLength: 1))),
            ("rows", Fragment.array(
                "The rows: one value per column.", of: .object([("type", "array")]),
                examples: [.array(["paid", "allow"])])),
        ],
        required: ["columns", "rows"],
        examples: [Fragment.example([
            ("columns", .strings(["order.status", "effect"])), ("rows", .array([.array(["paid", "allow"]), .array(["shipped", "deny"])])),
        ])])

    static let testCase: SchemaJSON = Fragment.object(
        "A case: a request and what its decision must be (`expect:`), or a `table:` of them. A case expecting "
            + "nothing could never fail.",
        [
            ("name", Fragment.string("The case's name, unique in the file; failures are reported by it.", minLength: 1)),
            ("description", Fragment.string("More about the case, for people.")),
            ("request", Fragment.ref("request", "The request (default: `defaults: request`).")),
            ("locale", Fragment.ref("locale", "The locale the decision is made in (default: `defaults: locale`).")),
            ("expect", Fragment.ref("expectations")),
            ("table", Fragment.ref("table")),
        ],
        required: ["name"],
        extra: [("anyOf", .array([.object([("required", .strings(["expect"]))]), .object([("required", .strings(["table"]))])]))],
        examples: [Fragment.example([
            ("name", "a buyer may cancel a paid order"), ("request", "buyer"),
            ("expect", Fragment.example([("effect", "allow")])),
        ])])

    static let generator: SchemaJSON = Fragment.object(
        "A generator: `NAME: N` in a `set:` or a table column fills `list` with N items, item n being `n × spacing` "
            + "before the request's `at`.",
        [
            ("description", Fragment.string("What it generates, for people.")),
            ("list", Fragment.string(
                "The list's request path.", pattern: Patterns.requestPath, examples: ["buyer_history.cancellations"])),
            ("item", .object([
                ("description", .string("Each item's fields; `{n}` in a string becomes the item's number (1, 2, …).")),
                ("type", "object"),
            ])),
            ("timestamp", Fragment.string("The item field set to the item's time.", minLength: 1, examples: ["at"])),
            ("spacing", Fragment.ref("duration", "The time between items, more than zero (default `1h`).")),
        ],
        required: ["list", "item", "timestamp"])

    static let defaults: SchemaJSON = Fragment.object(
        "What cases get when they say nothing.",
        [
            ("request", Fragment.ref("request", "The request a case without `request:` decides.")),
            ("locale", Fragment.ref("locale", "The locale decisions are made in.")),
        ])

    static let include = Fragment.oneOrList(
        "`kind: fixtures` files whose fixtures, generators and defaults this file uses, relative to it.",
        Fragment.string("A fixtures file.", examples: ["fixtures.tests.yaml"]))

    static let fixtures = Fragment.map(
        "Requests by name, for cases (and other fixtures) to start from.", values: Fragment.ref("request"))

    static let generators = Fragment.map(
        "Generators by name: a name usable in `set:` and table columns.", values: Fragment.ref("generator"))
}
