import RescindJSON

/// A JSON value with its object members in the order written, for documents people
/// read (the JSON Schemas of `rescind schema`): printed with two-space indentation,
/// the same bytes for the same value.
package indirect enum SchemaJSON: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral
{
    case members([Member])
    case array([SchemaJSON])
    case string(String)
    case integer(Int)
    case bool(Bool)

    /// One member of an object.
    package struct Member: Sendable, Equatable {
        package let key: String
        package let value: SchemaJSON

        package init(_ key: String, _ value: SchemaJSON) {
            self.key = key
            self.value = value
        }
    }

    package init(stringLiteral value: String) { self = .string(value) }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(integerLiteral value: Int) { self = .integer(value) }

    /// An object of the members given, leaving out those whose value is nil.
    package static func object(_ members: [(String, SchemaJSON?)]) -> SchemaJSON {
        .members(members.compactMap { key, value in value.map { Member(key, $0) } })
    }

    /// An array of strings.
    package static func strings(_ values: [String]) -> SchemaJSON { .array(values.map(SchemaJSON.string)) }

    /// The value of member `key` of an object; nil for other values or a missing key.
    package subscript(key: String) -> SchemaJSON? {
        guard case .members(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The document's text: two-space indentation, one member or element per line
    /// except for short arrays of scalars, which stay on one line; ends with a newline.
    package var prettyText: String {
        var out = ""
        write(to: &out, indent: 0)
        return out + "\n"
    }

    private static let lineWidth = 100

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .string(let value): out += JSONWriter.text { $0.string(value) }
        case .integer(let value): out += String(value)
        case .bool(let value): out += value ? "true" : "false"
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            if let inline = inlineText, indent + inline.count <= Self.lineWidth {
                out += inline
                return
            }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                item.write(to: &out, indent: indent + 2)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .members(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{\n"
            for (index, member) in members.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                out += JSONWriter.text { $0.string(member.key) } + ": "
                member.value.write(to: &out, indent: indent + 2)
                out += index == members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    /// An array of scalars on one line, or nil for anything else.
    private var inlineText: String? {
        guard case .array(let items) = self else { return nil }
        var parts: [String] = []
        for item in items {
            switch item {
            case .members, .array: return nil
            default:
                var text = ""
                item.write(to: &text, indent: 0)
                parts.append(text)
            }
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}
