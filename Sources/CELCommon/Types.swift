/// A CEL type as the checker reasons about it, and as `type(x)` values name it.
package indirect enum CELType: Sendable, Hashable, CustomStringConvertible {
    case dyn
    case null
    case bool
    case int
    case uint
    case double
    case string
    case bytes
    case timestamp
    case duration
    case list(CELType)
    case map(CELType, CELType)
    /// The type of a type value: `type(int)`; `type(nil)` is the type of `type` itself.
    case type(CELType?)
    /// A schema-declared object (e.g. `order`), with fields known at check time.
    case object(ObjectType)
    /// A string restricted to a fixed set of values (e.g. an order status).
    /// At runtime it is a plain `string`.
    case enumString(StringEnum)
    /// An opaque extension type such as Rescind's `decimal`, or an abstract type with
    /// parameters.
    case opaque(String, [CELType])
    /// A type parameter in a function signature (`A` in `list(A)`).
    case typeParam(String)
    /// The result of an expression that failed to check.
    case error

    /// The CEL spelling: `int`, `list(string)`, `map(string, dyn)`, `type(int)`.
    package var description: String {
        switch self {
        case .dyn: "dyn"
        case .null: "null_type"
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string, .enumString: "string"
        case .bytes: "bytes"
        case .timestamp: "google.protobuf.Timestamp"
        case .duration: "google.protobuf.Duration"
        case .list(let element): "list(\(element))"
        case .map(let key, let value): "map(\(key), \(value))"
        case .type(let inner): inner.map { "type(\($0))" } ?? "type"
        case .object(let object): object.name
        case .opaque(let name, let params):
            params.isEmpty ? name : "\(name)(\(params.map(\.description).joined(separator: ", ")))"
        case .typeParam(let name): name
        case .error: "*error*"
        }
    }

    /// The name of the runtime type of values of this type, as `type(x)` reports it
    /// (`list`, `map`, `int`, …; parameters are dropped).
    package var runtimeTypeName: String {
        switch self {
        case .list: "list"
        case .map: "map"
        case .type: "type"
        case .opaque(let name, _): name
        default: description
        }
    }

    /// The type with enum refinements dropped (an enum string is a `string`).
    package var erased: CELType {
        switch self {
        case .enumString: .string
        case .list(let e): .list(e.erased)
        case .map(let k, let v): .map(k.erased, v.erased)
        default: self
        }
    }

    /// Rescind's decimal type for money.
    package static let decimal = CELType.opaque("decimal", [])
}

/// A declared object type: named fields with types, each with a fixed slot so the
/// runtime reads fields by index instead of by name. Immutable once built.
@usableFromInline package final class ObjectType: Sendable, Hashable, CustomStringConvertible {
    package let name: String
    @usableFromInline package let fields: [Field]
    private let slots: [String: Int]

    /// One declared field of an object type.
    @usableFromInline package struct Field: Sendable, Hashable {
        package var name: String
        package var type: CELType
        /// Whether a request must carry the field (validation), not a CEL notion.
        package var required: Bool

        package init(name: String, type: CELType, required: Bool = true) {
            self.name = name
            self.type = type
            self.required = required
        }
    }

    package init(name: String, fields: [Field]) {
        self.name = name
        self.fields = fields
        var slots: [String: Int] = [:]
        for (index, field) in fields.enumerated() where slots[field.name] == nil { slots[field.name] = index }
        self.slots = slots
    }

    /// The slot of a field, or nil if the type has no such field.
    package func slot(of field: String) -> Int? { slots[field] }
    package func field(_ name: String) -> Field? { slots[name].map { fields[$0] } }
    package var fieldNames: [String] { fields.map(\.name) }
    @usableFromInline package var description: String { name }

    @usableFromInline package static func == (lhs: ObjectType, rhs: ObjectType) -> Bool {
        lhs === rhs || (lhs.name == rhs.name && lhs.fields == rhs.fields)
    }
    @usableFromInline package func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

/// A string type restricted to a fixed, ordered set of values.
package struct StringEnum: Sendable, Hashable {
    package var name: String
    package var values: [String]

    package init(name: String, values: [String]) {
        self.name = name
        self.values = values
    }

    package func contains(_ value: String) -> Bool { values.contains(value) }
}

/// What the checker resolved a node to.
package enum Reference: Sendable, Hashable {
    /// An identifier resolved to a declared variable with this fully qualified name.
    case variable(String)
    /// A call resolved to these overload ids (one when the argument types decide it).
    case function(overloads: [String])
    /// An identifier that names a type, e.g. `int` in `type(1) == int`.
    case typeName(CELType)
}

/// A parsed expression annotated by the checker: a type for every node id, and a
/// reference for identifiers and calls. The planner turns it into a program.
package struct CheckedExpr: Sendable {
    package var parsed: ParsedExpr
    package var types: [Int32: CELType]
    package var references: [Int32: Reference]

    package init(parsed: ParsedExpr, types: [Int32: CELType], references: [Int32: Reference]) {
        self.parsed = parsed
        self.types = types
        self.references = references
    }

    package var expr: Expr { parsed.expr }
    /// The type of the whole expression.
    package var resultType: CELType { types[parsed.expr.id] ?? .dyn }
}
