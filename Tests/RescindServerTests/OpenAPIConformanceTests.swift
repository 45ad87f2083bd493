import Foundation
import Hummingbird
import HummingbirdTesting
import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

@testable import RescindServer

/// The document a service serves describes what it really answers: every example
/// request is valid against its generated `Request` schema, and every decision (with
/// its explanation) against its `Decision` schema, through a small validator of the
/// JSON Schema keywords the document uses.
@Suite struct OpenAPIConformanceTests {
    @Test func examplesAndTheirDecisionsMatchTheServedDocument() async throws {
        let folder = Fixture.packageRoot.appendingPathComponent("Examples/requests")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(names.count >= 28)
        let (document, decisions) = try await Fixture.app().app.test(.router) { client in
            let document = try await client.execute(uri: "/openapi.json", method: .get) { $0.text }
            var decisions: [(String, String, String)] = []
            for name in names {
                let request = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                let answer = try await client.execute(
                    uri: "/v1/decisions?explain=true", method: .post, headers: jsonHeaders(), body: ByteBuffer(string: request)
                ) { response in
                    #expect(response.status == .ok, "\(name)")
                    return response.text
                }
                decisions.append((name, request, answer))
            }
            return (document, decisions)
        }
        let root = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        let validator = SchemaValidator(document: root)
        var problemsSeen = false, adviceSeen = false, refundSeen = false
        for (name, request, answer) in decisions {
            let requestJSON = try JSONSerialization.jsonObject(with: Data(request.utf8))
            #expect(validator.errors(requestJSON, against: ["$ref": "#/components/schemas/Request"]) == [], "\(name) request")
            let decision = try JSONSerialization.jsonObject(with: Data(answer.utf8))
            #expect(validator.errors(decision, against: ["$ref": "#/components/schemas/Decision"]) == [], "\(name) decision")
            problemsSeen = problemsSeen || answer.contains("\"problems\"")
            adviceSeen = adviceSeen || answer.contains("\"changes\":[{")
            refundSeen = refundSeen || answer.contains("\"steps\"")
        }
        // The examples reach the parts of the schema that matter.
        #expect(problemsSeen && adviceSeen && refundSeen)
    }

    /// The validator finds what it should: a wrong enum value, a missing required key,
    /// an unknown field where none is allowed, a wrong obligation.
    @Test func validatorCatchesMismatches() throws {
        let set = try #require(LoadedPolicies.load(paths: [Fixture.policies]).policySet)
        let bytes = try #require(openAPIDocument(for: set, bundled: try #require(bundledOpenAPIDocument)))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let validator = SchemaValidator(document: root)
        let request = try JSONSerialization.jsonObject(
            with: Data(try String(contentsOf: Fixture.packageRoot.appendingPathComponent("Examples/requests/buyer-paid-card.json"), encoding: .utf8).utf8))
            as! [String: Any]
        let schema: [String: Any] = ["$ref": "#/components/schemas/Request"]
        #expect(validator.errors(request, against: schema) == [])
        var order = request["order"] as! [String: Any]
        order["status"] = "shiped"
        var wrong = request
        wrong["order"] = order
        #expect(validator.errors(wrong, against: schema).contains { $0.contains("$.order.status") })
        wrong = request
        wrong["colour"] = "red"
        #expect(validator.errors(wrong, against: schema).contains { $0.contains("colour") })
        wrong = request
        wrong["order"] = nil
        #expect(validator.errors(wrong, against: schema).contains { $0.contains("order") })
        let obligation: [String: Any] = ["type": "refund", "source": "refunds", "amount": "1.00"]
        #expect(!validator.errors(obligation, against: ["$ref": "#/components/schemas/Obligation"]).isEmpty)
    }
}

/// The JSON Schema keywords the OpenAPI document uses: `$ref` (local), `type` (one or a
/// list), `enum`, `const`, `properties`, `required`, `additionalProperties`, `items`,
/// `oneOf`, `minimum`/`maximum`, `pattern`. Errors name the JSON path.
struct SchemaValidator {
    let document: [String: Any]

    func errors(_ value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
        if let reference = schema["$ref"] as? String {
            var node: Any = document
            for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] as Any }
            guard let resolved = node as? [String: Any] else { return ["\(path): unresolved \(reference)"] }
            return errors(value, against: resolved, at: path)
        }
        var found: [String] = []
        if let variants = schema["oneOf"] as? [[String: Any]] {
            let matching = variants.filter { errors(value, against: $0, at: path).isEmpty }
            if matching.count != 1 { found.append("\(path): matches \(matching.count) of the oneOf variants") }
        }
        if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }),
            !types.contains(where: { Self.has(value, type: $0) })
        {
            return found + ["\(path): expected \(types.joined(separator: " or ")), found \(value)"]
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == "\(value)" }) {
            found.append("\(path): \(value) is not one of \(allowed)")
        }
        if let constant = schema["const"], "\(constant)" != "\(value)" { found.append("\(path): expected \(constant)") }
        if let pattern = schema["pattern"] as? String, let text = value as? String,
            text.range(of: pattern, options: .regularExpression) == nil
        {
            found.append("\(path): `\(text)` does not match \(pattern)")
        }
        if let number = value as? NSNumber, !(value is Bool) {
            if let minimum = schema["minimum"] as? NSNumber, number.doubleValue < minimum.doubleValue { found.append("\(path): below minimum") }
            if let maximum = schema["maximum"] as? NSNumber, number.doubleValue > maximum.doubleValue { found.append("\(path): above maximum") }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path): missing `\(key)`")
            }
            for (key, member) in object {
                if let property = properties[key] {
                    found += errors(member, against: property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    found += errors(member, against: additional, at: "\(path).\(key)")
                } else if (schema["additionalProperties"] as? Bool) == false {
                    found.append("\(path): unknown field `\(key)`")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { found += errors(item, against: items, at: "\(path)[\(index)]") }
        }
        return found
    }

    private static func has(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": value is [String: Any]
        case "array": value is [Any]
        case "string": value is String
        // Foundation on Linux reads JSON numbers and booleans as NSNumber alike; the
        // request decoder and the writers are the ones that keep them apart.
        case "boolean": value is Bool
        case "integer": (value as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
        case "number": value is NSNumber
        case "null": value is NSNull
        default: true
        }
    }
}
