import RescindPolicy

/// The fields of `kind: schema` (`types:` and `request:`), as `DocumentReader.readField`
/// reads them: a type name, a field spec (a mapping with a string `type`), or an inline
/// object (any other mapping: its keys are field names).
enum RequestSchemaDefinitions {
    static let typeName = Fragment.string(
        "A type: \(PolicyKeywords.scalarTypes.map { "`\($0)`" }.joined(separator: ", ")), an enum or a type declared "
            + "above (`types:`), `list(T)` or `map(string, T)`. Unknown names are reported by `rescind check`.",
        pattern: Patterns.typeName,
        examples: PolicyKeywords.scalarTypes + ["list(cancellation)", "map(string, int)"])

    static let fields = Fragment.map(
        "Fields by name (names CEL can read: letters, digits and `_`). A field is a type name (`string`, "
            + "`order_status`, `list(cancellation)`), a field spec `{type: …, default: …, minimum: …}`, or an inline "
            + "object (a mapping of fields).",
        keys: .object([("pattern", .string(Patterns.identifier))]),
        values: Fragment.ref("field"),
        examples: [Fragment.example([
            ("id", "string"), ("status", "order_status"),
            ("total", Fragment.example([("type", "decimal"), ("minimum", "0.00")])),
        ])])

    static let field: SchemaJSON = .object([
        ("description", .string(
            "A field: a type name, a field spec (a mapping with `type`), or an inline object (a mapping of fields).")),
        ("if", .object([
            ("type", "object"), ("required", .strings(["type"])),
            ("properties", .members([.init("type", .object([("type", "string")]))])),
        ])),
        ("then", Fragment.ref("fieldSpec")),
        ("else", .object([
            ("anyOf", .array([Fragment.ref("typeName"), Fragment.ref("fields", "An inline object: its fields by name.")])),
        ])),
    ])

    static let fieldSpec: SchemaJSON = Fragment.object(
        "A field spec: its `type` and how it may be sent.",
        [
            ("type", Fragment.ref("typeName", "The field's type; `object` with `fields:` for a nested object.")),
            ("optional", Fragment.boolean(
                "The request may leave the field out (`false` by default; a field with a `default` is optional). An "
                    + "optional object that is absent is zero-filled.")),
            ("default", .object([
                ("description", .string(
                    "The value a request without the field gets; makes the field optional. Only for string, enum, "
                        + "int, bool and decimal fields (write decimals quoted: `\"0.00\"`).")),
                ("type", .strings(["string", "number", "boolean"])),
            ])),
            ("description", Fragment.string("What the field holds, for people.")),
            ("minimum", bound("The smallest value a request may send (inclusive).")),
            ("maximum", bound("The largest value a request may send (inclusive).")),
            ("fields", Fragment.ref("fields", "With `type: object`: the object's fields.")),
        ],
        required: ["type"],
        extra: [
            // `fields` belongs to `type: object` only; the loader reads it for no other type.
            ("if", .object([("properties", .members([.init("type", .object([("const", "object")]))]))])),
            ("else", .object([("properties", .members([.init("fields", false)]))])),
        ],
        examples: [
            Fragment.example([("type", "timestamp"), ("minimum", "2000-01-01T00:00:00Z"), ("maximum", "2100-01-01T00:00:00Z")]),
            Fragment.example([("type", "string"), ("default", "en")]),
            Fragment.example([("type", "object"), ("optional", true), ("fields", Fragment.example([("orders_30d", "int")]))]),
        ])

    /// `minimum` / `maximum`: a number, or a string (decimals quoted, timestamps).
    private static func bound(_ text: String) -> SchemaJSON {
        .object([
            ("description", .string(
                text + " For int, decimal and timestamp fields: an integer, a decimal written quoted (`\"10000000.00\"`) "
                    + "or an RFC 3339 timestamp with an offset (`\"2000-01-01T00:00:00Z\"`).")),
            ("type", .strings(["number", "string"])),
        ])
    }
}
