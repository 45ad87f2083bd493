import RescindCELLibrary
import RescindEngine
import RescindPolicy

/// The JSON Schemas (draft 2020-12) of policy and test files, one per `PolicyFileKind`,
/// for editors: the YAML language server (VS Code, JetBrains) validates and completes
/// keys with them as staff type. docs/schema/*.json are these, printed by
/// `rescind schema --output-dir docs/schema` (Scripts/render-schemas.sh); a test keeps
/// them current and checks that what they reject the loader rejects too.
///
/// Only keywords draft-07 tools also understand are used (`$defs` with local `$ref`,
/// `if`/`then`/`else`, `anyOf`/`oneOf`, `propertyNames`, boolean schemas): the YAML
/// language server implements draft-07 semantics. No `prefixItems`,
/// `unevaluatedProperties`, `$dynamicRef` or `dependentRequired`.
package enum PolicyJSONSchema {
    /// The prefix of every schema's `$id`: names, not download addresses (editors read
    /// the files from docs/schema/ through the modeline).
    package static let idPrefix = "https://rescind.example/schema/"

    /// The dialect every schema declares.
    package static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// The schema of `kind`, with the definitions it refers to under `$defs`.
    package static func schema(for kind: PolicyFileKind) -> SchemaJSON {
        let root = Root.document(kind)
        guard case .members(var members) = root else { return root }
        let used = Definitions.closure(of: root)
        if !used.isEmpty {
            members.append(.init("$defs", .members(used.map { .init($0, Definitions.all[$0]!) })))
        }
        return .members(members)
    }

    /// `schema(for:)` as the text docs/schema/ holds: two-space indented, a newline at the end.
    package static func text(for kind: PolicyFileKind) -> String { schema(for: kind).prettyText }
}

// MARK: - Building blocks

/// Small constructors for schema objects, members in the order people read them.
enum Fragment {
    /// `{"$ref": "#/$defs/NAME"}`, with a description of this use of it.
    /// (Not checked against `Definitions.all` here: the definitions are built with it. The
    /// tests check every `$ref` resolves.)
    static func ref(_ name: String, _ description: String? = nil) -> SchemaJSON {
        .object([("$ref", .string("#/$defs/\(name)")), ("description", description.map(SchemaJSON.string))])
    }

    static func string(
        _ description: String, pattern: String? = nil, minLength: Int? = nil, examples: [String] = []
    ) -> SchemaJSON {
        .object([
            ("description", .string(description)), ("type", "string"), ("minLength", minLength.map(SchemaJSON.integer)),
            ("pattern", pattern.map(SchemaJSON.string)), ("examples", examples.isEmpty ? nil : .strings(examples)),
        ])
    }

    static func enumeration(_ description: String, _ values: [String]) -> SchemaJSON {
        .object([("description", .string(description)), ("type", "string"), ("enum", .strings(values))])
    }

    static func integer(_ description: String, minimum: Int? = nil, maximum: Int? = nil, examples: [Int] = [])
        -> SchemaJSON
    {
        .object([
            ("description", .string(description)), ("type", "integer"), ("minimum", minimum.map(SchemaJSON.integer)),
            ("maximum", maximum.map(SchemaJSON.integer)),
            ("examples", examples.isEmpty ? nil : .array(examples.map(SchemaJSON.integer))),
        ])
    }

    static func boolean(_ description: String) -> SchemaJSON {
        .object([("description", .string(description)), ("type", "boolean")])
    }

    /// A CEL expression (a YAML string). A `decimal` one may be a YAML integer too: `5` is
    /// CEL's int 5, which the checker takes as a decimal (`5.5`, a double, it refuses).
    static func cel(_ description: String, examples: [String] = [], decimal: Bool = false) -> SchemaJSON {
        .object([
            ("description", .string(description)), ("type", decimal ? .strings(["string", "integer"]) : "string"),
            ("minLength", 1), ("examples", examples.isEmpty ? nil : .strings(examples)),
        ])
    }

    static func array(
        _ description: String, of items: SchemaJSON, minItems: Int? = nil, unique: Bool = false,
        examples: [SchemaJSON] = []
    ) -> SchemaJSON {
        .object([
            ("description", .string(description)), ("type", "array"), ("items", items),
            ("minItems", minItems.map(SchemaJSON.integer)), ("uniqueItems", unique ? true : nil),
            ("examples", examples.isEmpty ? nil : .array(examples)),
        ])
    }

    /// An object of exactly these keys: any other key is flagged (`additionalProperties: false`).
    static func object(
        _ description: String, _ properties: [(String, SchemaJSON)], required: [String] = [],
        extra: [(String, SchemaJSON?)] = [], examples: [SchemaJSON] = []
    ) -> SchemaJSON {
        .object([
            ("description", .string(description)), ("type", "object"),
            ("properties", .members(properties.map { .init($0.0, $0.1) })),
            ("required", required.isEmpty ? nil : .strings(required)), ("additionalProperties", false),
        ] + extra + [("examples", examples.isEmpty ? nil : .array(examples))])
    }

    /// A map whose keys are names the policy chooses (fixtures, enums, fields).
    static func map(_ description: String, keys: SchemaJSON? = nil, values: SchemaJSON, examples: [SchemaJSON] = [])
        -> SchemaJSON
    {
        .object([
            ("description", .string(description)), ("type", "object"), ("propertyNames", keys),
            ("additionalProperties", values), ("examples", examples.isEmpty ? nil : .array(examples)),
        ])
    }

    /// One value, or a list of such values.
    static func oneOrList(_ description: String, _ item: SchemaJSON) -> SchemaJSON {
        .object([
            ("description", .string(description)),
            ("anyOf", .array([item, .object([("type", "array"), ("items", item)])])),
        ])
    }

    /// `{a: 1}` written as a value: a YAML mapping in an example.
    static func example(_ members: [(String, SchemaJSON)]) -> SchemaJSON { .members(members.map { .init($0.0, $0.1) }) }
}

/// Patterns the loader's parsers accept, as regular expressions both ECMA 262 (editors)
/// and Python (the validation test) read the same way: ASCII classes only.
enum Patterns {
    /// Rule, threshold and tier ids, by the pack's convention (the loader takes any text).
    static let id = "^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    /// Names CEL can read: enum, type and field names.
    static let identifier = "^[A-Za-z_][A-Za-z0-9_]*$"
    /// A BCP 47 language tag: `en`, `zh-CN`, `pt-BR`.
    static let locale = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
    /// `PolicyDuration`: CEL's durations (`24h`, `1h30m`, `1.5h`, `90s`) or whole days (`14d`).
    static let duration = "^([0-9]+d|0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(h|m|s|ms|us|µs|μs|ns))+)$"
    private static let date = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    /// A date or an inclusive range of dates, as `compileCalendars` reads them.
    static let dateOrRange = "^ *\(date) *(\\.\\. *\(date) *)?$"
    /// `years: 2026` or `years: 2025..2026`.
    static let years = "^ *[0-9]{4} *(\\.\\. *[0-9]{4} *)?$"
    /// A request schema type: a scalar, an enum or type name, `list(T)`, `map(string, T)`.
    static let typeName = "^ *([A-Za-z_][A-Za-z0-9_]*|list\\(.+\\)|map\\( *string *,.+\\)) *$"
    /// A policy file's name inside the folder.
    static let policyFile = "^[^/]+(/[^/]+)*\\.ya?ml$"
    /// A dotted request path (`order.status`).
    static let requestPath = "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$"
}
