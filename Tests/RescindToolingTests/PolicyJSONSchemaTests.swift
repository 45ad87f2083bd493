import Foundation
import RescindEngine
import RescindPolicy
import RescindTooling
import Testing

/// The schemas as the Swift API gives them (`PolicyJSONSchema`, `PolicyFileKind`): what
/// `rescind schema` prints and a host such as the workbench can embed.
@Suite("policy JSON schemas")
struct PolicyJSONSchemaTests {
    @Test func kindsAreNamedByFileAndByDocumentKind() {
        #expect(PolicyFileKind.allCases.map(\.fileName) == [
            "policy-set.json", "request-schema.json", "calendar.json", "rules.json", "thresholds.json", "refunds.json",
            "tests.json", "fixtures.json",
        ])
        #expect(PolicyFileKind.named("policy-set") == .policySet)
        #expect(PolicyFileKind.named("policy_set") == .policySet)
        #expect(PolicyFileKind.named("schema") == .requestSchema)
        #expect(PolicyFileKind.named("rules.json") == .rules)
        #expect(PolicyFileKind.named("rule") == nil)
        #expect(PolicyFileKind.suggestion(for: "rule") == "did you mean `rules`?")
        #expect(PolicyFileKind.forDocument(kind: "schema") == .requestSchema)
        // Every policy document kind the loader knows has a schema.
        #expect(PolicyKeywords.documentKinds.allSatisfy { PolicyFileKind.forDocument(kind: $0) != nil })
    }

    @Test(arguments: PolicyFileKind.allCases) func schemaPinsItsKindAndIsDeterministic(kind: PolicyFileKind) {
        let schema = PolicyJSONSchema.schema(for: kind)
        #expect(schema["$schema"] == .string(PolicyJSONSchema.dialect))
        #expect(schema["$id"] == .string(PolicyJSONSchema.idPrefix + kind.fileName))
        #expect(schema["properties"]?["kind"]?["const"] == .string(kind.documentKind))
        #expect(schema["additionalProperties"] == .bool(false))
        #expect(PolicyJSONSchema.text(for: kind) == schema.prettyText)
        #expect(PolicyJSONSchema.text(for: kind) == PolicyJSONSchema.text(for: kind))
        #expect(schema.prettyText.hasSuffix("}\n"))
    }

    /// The vocabulary comes from the engine's declarations: effects and obligation types.
    @Test func enumsFollowTheEngine() throws {
        let rules = PolicyJSONSchema.schema(for: .rules)
        let effect = try #require(rules["$defs"]?["effect"]?["enum"])
        #expect(effect == .strings(Effect.allCases.map(\.rawValue)))
        let obligation = try #require(rules["$defs"]?["obligation"]?["properties"]?["type"]?["enum"])
        #expect(obligation == .strings(ObligationType.all.map(\.name)))
    }

    @Test func printsShortScalarArraysOnOneLine() {
        let value = SchemaJSON.object([("a", .strings(["x", "y"])), ("b", .members([])), ("c", "q\"uote")])
        #expect(value.prettyText == "{\n  \"a\": [\"x\", \"y\"],\n  \"b\": {},\n  \"c\": \"q\\\"uote\"\n}\n")
    }
}
