import CELRuntime
import RescindJSON

/// A decoded request written back as request JSON, for opening a policy test's case in
/// "try": fields in schema order, decimals as text (never a float), instants in UTC,
/// optional objects the request left out omitted. Decoding the result gives the same
/// request (the round trip is tested).
enum RequestJSON {
    /// Objects nest only as deep as a schema declares them; the bound guards a cycle.
    static let maxDepth = 64

    static func text(of object: ObjectValue) -> String {
        JSONWriter.text(capacity: 1024) { write(.object(object), depth: 0, into: &$0) }
    }

    private static func write(_ value: Value, depth: Int, into out: inout JSONWriter) {
        guard depth <= maxDepth else { return out.literal("null") }
        switch value {
        case .null: out.literal("null")
        case .bool(let flag): out.bool(flag)
        case .int(let number): out.integer(number)
        case .uint(let number): out.append(String(number))
        case .double(let number): out.append(number.isFinite ? String(number) : "null")
        case .string(let text): out.string(text)
        case .decimal(let decimal): out.string(decimal.description)
        case .timestamp(let timestamp): out.string(timestamp.rfc3339)
        case .duration, .bytes, .type, .error, .map: out.string(value.celLiteral)
        case .list(let elements):
            out.array { out in
                for element in elements {
                    out.element()
                    write(element, depth: depth + 1, into: &out)
                }
            }
        case .object(let object):
            out.object { out in
                for (slot, field) in object.type.fields.enumerated() {
                    guard let value = object.fields[slot] else { continue }
                    if case .object(let child) = value, child.isZeroFilled { continue }
                    out.key(named: field.name)
                    write(value, depth: depth + 1, into: &out)
                }
            }
        }
    }
}
