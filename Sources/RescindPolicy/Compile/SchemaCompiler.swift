import CEL
import CELCommon
import CELRuntime
import Foundation
import RescindDiagnostics
import RescindEngine

/// Turns the schema model into object types the checker and the request decoder use.
struct SchemaCompiler {
    var diagnostics = Diagnostics()
    private var enums: [String: StringEnum] = [:]
    private var namedTypes: [String: ObjectType] = [:]
    private var defaults: [String: [Int: Value]] = [:]
    private var bounds: [String: [Int: FieldBounds]] = [:]

    static let scalarTypes: [String: CELType] = [
        "string": .string, "bool": .bool, "int": .int, "decimal": .decimal, "timestamp": .timestamp,
        "duration": .duration, "dyn": .dyn,
    ]

    mutating func compile(_ schema: SchemaModel) -> RequestSchema {
        var seen: [String: SourceSpan] = [:]
        for (name, values) in schema.enums {
            if let first = seen[name.value] {
                diagnostics.append(PolicyMessages.duplicateID(name.value, at: name.span, first: first))
            }
            seen[name.value] = name.span
            var unique: [String] = []
            for value in values where !unique.contains(value.value) { unique.append(value.value) }
            enums[name.value] = StringEnum(name: name.value, values: unique)
        }
        // Named types may refer to enums and to types declared before them.
        for (name, fields) in schema.types {
            if let first = seen[name.value] {
                diagnostics.append(PolicyMessages.duplicateID(name.value, at: name.span, first: first))
            }
            seen[name.value] = name.span
            namedTypes[name.value] = objectType(named: name.value, fields)
        }
        let root = objectType(named: "request", schema.request)
        return RequestSchema(root: root, enums: enums, defaults: defaults, bounds: bounds)
    }

    private mutating func objectType(named name: String, _ fields: [FieldModel]) -> ObjectType {
        var declared: [ObjectType.Field] = []
        var pendingDefaults: [(Int, YAMLDefault, CELType)] = []
        var seen: [String: SourceSpan] = [:]
        for field in fields {
            if let first = seen[field.name.value] {
                diagnostics.append(PolicyMessages.duplicateID(field.name.value, at: field.name.span, first: first))
                continue
            }
            seen[field.name.value] = field.name.span
            let type: CELType
            switch field.type {
            case .named(let text): type = resolve(text)
            case .object(let nested): type = .object(objectType(named: "\(name).\(field.name.value)", nested))
            }
            if let value = field.defaultValue { pendingDefaults.append((declared.count, value, type)) }
            if field.minimum != nil || field.maximum != nil, let range = fieldBounds(field, type) {
                bounds[name, default: [:]][declared.count] = range
            }
            declared.append(ObjectType.Field(name: field.name.value, type: type, required: !field.optional))
        }
        for (slot, value, type) in pendingDefaults {
            guard let parsed = defaultValue(value, type) else { continue }
            // A default is a value the decoder puts in the request: it must be one the
            // request itself could send.
            if let range = bounds[name]?[slot], !range.contains(parsed) {
                diagnostics.append(PolicyMessages.defaultOutOfRange(
                    value.text, field: declared[slot].name, range: range, at: value.span))
                continue
            }
            defaults[name, default: [:]][slot] = parsed
        }
        return ObjectType(name: name, fields: declared)
    }

    /// A type written as text: a scalar, an enum, a named type, `list(T)`, `map(string, T)`.
    mutating func resolve(_ text: Located<String>) -> CELType {
        let name = text.value.trimmingCharacters(in: .whitespaces)
        if let scalar = Self.scalarTypes[name] { return scalar }
        if let enumeration = enums[name] { return .enumString(enumeration) }
        if let object = namedTypes[name] { return .object(object) }
        if name.hasPrefix("list("), name.hasSuffix(")") {
            return .list(resolve(Located(String(name.dropFirst(5).dropLast()), at: text.span)))
        }
        if name.hasPrefix("map("), name.hasSuffix(")") {
            let inner = name.dropFirst(4).dropLast()
            if let comma = inner.firstIndex(of: ","), inner[..<comma].trimmingCharacters(in: .whitespaces) == "string" {
                return .map(.string, resolve(Located(String(inner[inner.index(after: comma)...]), at: text.span)))
            }
        }
        let known = Array(Self.scalarTypes.keys) + Array(enums.keys) + Array(namedTypes.keys)
        diagnostics.append(PolicyMessages.unknownType(name, at: text.span, known: known.sorted()))
        return .dyn
    }

    /// The parsed `minimum` / `maximum` of a field, or nil after reporting why they
    /// cannot be: a type without an order the decoder checks, a literal that is not of
    /// the field's type, or a minimum above the maximum.
    private mutating func fieldBounds(_ field: FieldModel, _ type: CELType) -> FieldBounds? {
        let written = [field.minimum, field.maximum].compactMap { $0 }
        let typeName: String
        switch type {
        case .int: typeName = "int"
        case .timestamp: typeName = "timestamp"
        case .opaque("decimal", let params) where params.isEmpty: typeName = "decimal"
        default:
            for bound in written {
                diagnostics.append(PolicyMessages.boundOnUnorderedType(
                    bound.key, field: field.name.value, type: type.description, at: bound.span))
            }
            return nil
        }
        var range = FieldBounds()
        var valid = true
        for bound in written {
            guard let value = boundValue(bound, typeName) else {
                valid = false
                continue
            }
            if bound.key == "minimum" { range.minimum = value } else { range.maximum = value }
        }
        guard valid else { return nil }
        if let minimum = range.minimum, let maximum = range.maximum, let at = field.maximum,
            FieldBounds.isLess(maximum, than: minimum)
        {
            diagnostics.append(PolicyMessages.emptyRange(
                field: field.name.value, minimum: field.minimum?.text ?? "", maximum: at.text, at: at.span,
                minimumSpan: field.minimum?.span))
            return nil
        }
        return range
    }

    /// A bound's literal as a value of the field's type; decimals from the text as
    /// written (never through `Double`).
    private mutating func boundValue(_ bound: YAMLBound, _ typeName: String) -> Value? {
        let text = bound.text.trimmingCharacters(in: .whitespaces)
        let value: Value?
        let expected: DiagnosticText
        switch typeName {
        case "int":
            value = Int64(text).map(Value.int)
            expected = PolicyMessages.boundInteger
        case "decimal":
            value = CELDecimal(parsing: text).map(Value.decimal)
            expected = PolicyMessages.boundDecimal
        default:
            value = CELTimestamp(rfc3339: text).map(Value.timestamp)
            expected = PolicyMessages.boundTimestamp
        }
        guard let value else {
            diagnostics.append(PolicyMessages.invalid(PolicyMessages.keyWord(bound.key), bound.text, expected: expected, at: bound.span))
            return nil
        }
        return value
    }

    private mutating func defaultValue(_ value: YAMLDefault, _ type: CELType) -> Value? {
        let text = value.text
        switch type {
        case .string: return .string(text)
        case .enumString(let e):
            guard e.contains(text) else {
                diagnostics.append(PolicyMessages.invalid(
                    PolicyMessages.defaultWord, text, expected: PolicyMessages.oneOf(e.values), at: value.span))
                return nil
            }
            return .string(text)
        case .int:
            guard let int = Int64(text) else {
                diagnostics.append(PolicyMessages.invalid(PolicyMessages.defaultWord, text, expected: PolicyMessages.anInteger, at: value.span))
                return nil
            }
            return .int(int)
        case .bool:
            guard text == "true" || text == "false" else {
                diagnostics.append(PolicyMessages.invalid(PolicyMessages.defaultWord, text, expected: PolicyMessages.trueOrFalse, at: value.span))
                return nil
            }
            return .bool(text == "true")
        case .decimal:
            guard let d = CELDecimal(parsing: text) else {
                diagnostics.append(PolicyMessages.invalid(PolicyMessages.defaultWord, text, expected: PolicyMessages.decimalLike, at: value.span))
                return nil
            }
            return .decimal(d)
        default:
            diagnostics.append(PolicyMessages.invalid(
                PolicyMessages.defaultWord, text, expected: PolicyMessages.defaultOnlyFor, at: value.span))
            return nil
        }
    }
}

/// Durations in policies: CEL's syntax (`30m`, `1.5h`) plus whole days (`30d`).
package enum PolicyDuration {
    /// The duration `text` denotes, or nil when it is not one.
    package static func parse(_ text: String) -> CELDuration? {
        if text.hasSuffix("d"), let days = Int64(text.dropLast()), days >= 0, days <= 36_500 {
            return CELDuration(seconds: days * 86_400)
        }
        return CELDuration(parsing: text)
    }
}
