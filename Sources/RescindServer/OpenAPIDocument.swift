import CEL
import CELCommon
import CELRuntime
import Foundation
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy

/// docs/openapi.json, bundled with the library (read once). Looked up beside the
/// executable rather than through `Bundle.module`, which ends the process when the
/// bundle was not deployed with the binary; then the route answers 404 instead.
let bundledOpenAPIDocument: [UInt8]? = {
    let bundle = "Rescind_RescindServer.resources/openapi.json"
    let folders = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
    return folders.lazy.compactMap { FileManager.default.contents(atPath: $0.appendingPathComponent(bundle).path) }
        .first.map(Array.init)
}()

/// The OpenAPI document a service answers: the bundled one, with the request schema
/// generated from `policySet`'s schema (fields, enums, formats, ranges, defaults) and
/// the obligations narrowed to the types and fields its rules can produce, so a client
/// generated from it knows the real request. Without a loaded set, the bundled document.
/// Deterministic: the same set gives the same bytes.
func openAPIDocument(for policySet: PolicySet?, bundled: [UInt8]? = bundledOpenAPIDocument) -> [UInt8]? {
    guard let bundled else { return nil }
    guard let policySet,
        var document = (try? JSONSerialization.jsonObject(with: Data(bundled))) as? [String: Any],
        var components = document["components"] as? [String: Any],
        var schemas = components["schemas"] as? [String: Any]
    else { return bundled }
    let generator = RequestJSONSchema(schema: policySet.schema)
    var request = generator.object(policySet.schema.root, depth: 0)
    request["description"] =
        "A cancellation request as the policy set `\(policySet.name)` \(policySet.version) declares it "
        + "(generated from its schema; unknown fields are rejected)."
    schemas["Request"] = request
    if var obligation = schemas["Obligation"] as? [String: Any], let variants = obligation["oneOf"] as? [[String: Any]] {
        obligation["oneOf"] = narrowed(variants, to: policySet.obligationFieldNames)
        schemas["Obligation"] = obligation
    }
    components["schemas"] = schemas
    document["components"] = components
    if var info = document["info"] as? [String: Any] {
        info["x-policy"] = ["name": policySet.name, "version": policySet.version, "digest": policySet.digest]
        document["info"] = info
    }
    guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    else { return bundled }
    return Array(data) + [0x0A]
}

/// The obligation variants of the types `produced` lists, each with exactly the fields
/// the set writes (in `required` too).
private func narrowed(_ variants: [[String: Any]], to produced: [(type: String, fields: [String])]) -> [[String: Any]] {
    produced.compactMap { type, fields in
        guard var variant = variants.first(where: {
            (($0["properties"] as? [String: Any])?["type"] as? [String: Any])?["const"] as? String == type
        }) else { return nil }
        let properties = variant["properties"] as? [String: Any] ?? [:]
        var kept: [String: Any] = [:]
        for name in ["type", "source"] + fields { kept[name] = properties[name] ?? ["description": "A field of `\(type)`."] }
        variant["properties"] = kept
        variant["required"] = ["type", "source"] + fields
        return variant
    }
}

/// JSON Schema (2020-12, as OpenAPI 3.1 uses) for the request fields a `RequestSchema`
/// declares, as the request decoder reads them.
package struct RequestJSONSchema {
    let schema: RequestSchema

    package init(schema: RequestSchema) { self.schema = schema }

    /// Nested objects beyond this are described as plain objects: a schema cannot be
    /// recursive today, the bound keeps a future one from hanging the endpoint.
    static let maxDepth = 32

    package func object(_ type: ObjectType, depth: Int) -> [String: Any] {
        var properties: [String: Any] = [:]
        var required: [String] = []
        for (slot, field) in type.fields.enumerated() {
            var property = self.type(field.type, depth: depth + 1)
            let defaultValue = schema.defaults[type.name]?[slot]
            if let defaultValue, let json = json(defaultValue) { property["default"] = json }
            if let bounds = schema.bounds[type.name]?[slot] { describe(bounds, of: field.type, in: &property) }
            if field.required && defaultValue == nil { required.append(field.name) }
            properties[field.name] = property
        }
        var result: [String: Any] = ["type": "object", "properties": properties, "additionalProperties": false]
        if !required.isEmpty { result["required"] = required }
        return result
    }

    func type(_ type: CELType, depth: Int) -> [String: Any] {
        switch type {
        case .string: return ["type": "string"]
        case .bool: return ["type": "boolean"]
        case .int: return ["type": "integer"]
        case .timestamp: return ["type": "string", "format": "date-time"]
        case .duration:
            return ["type": "string", "pattern": "^-?([0-9]+(\\.[0-9]+)?(h|m|s|ms|us|ns))+$", "description": "A CEL duration such as `30m`."]
        case .enumString(let values): return ["type": "string", "enum": values.values]
        case .list(let element): return ["type": "array", "items": self.type(element, depth: depth + 1)]
        case .map(_, let value): return ["type": "object", "additionalProperties": self.type(value, depth: depth + 1)]
        case .object(let object):
            return depth > Self.maxDepth ? ["type": "object"] : self.object(object, depth: depth)
        case .opaque("decimal", _):
            return [
                "type": ["string", "number"], "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
                "description": "A decimal, best sent as text (`\"58.00\"`) so no float ever rounds it.",
            ]
        default: return [:]
        }
    }

    /// Ranges: JSON Schema's `minimum`/`maximum` for integers; decimals and timestamps
    /// travel as text, so their range is stated in `x-minimum`/`x-maximum` and words.
    private func describe(_ bounds: FieldBounds, of type: CELType, in property: inout [String: Any]) {
        if case .int = type {
            if case .int(let value)? = bounds.minimum { property["minimum"] = value }
            if case .int(let value)? = bounds.maximum { property["maximum"] = value }
            return
        }
        if let minimum = bounds.minimum.flatMap(json) { property["x-minimum"] = minimum }
        if let maximum = bounds.maximum.flatMap(json) { property["x-maximum"] = maximum }
        property["description"] = "Inclusive range: \(bounds.text.replacingOccurrences(of: "`", with: ""))."
    }

    private func json(_ value: Value) -> Any? {
        switch value {
        case .string(let text): text
        case .bool(let flag): flag
        case .int(let number): number
        case .decimal(let decimal): decimal.description
        case .timestamp(let timestamp): timestamp.rfc3339
        default: nil
        }
    }
}
