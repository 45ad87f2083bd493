import CELRuntime
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

/// The schemas' patterns against the parsers the loader uses, on the same texts: a
/// pattern that drifted from its parser would flag valid policies or pass broken ones.
@Suite("policy JSON schema patterns")
struct PolicyJSONSchemaPatternTests {
    static func pattern(_ definition: String, in kind: PolicyFileKind) throws -> Regex<AnyRegexOutput> {
        guard case .string(let text)? = PolicyJSONSchema.schema(for: kind)["$defs"]?[definition]?["pattern"] else {
            throw PatternMissing()
        }
        return try Regex(text)
    }

    struct PatternMissing: Error {}

    static let durations = [
        "24h", "30m", "720h", "14d", "1h30m", "1.5h", ".5h", "90s", "100ms", "1us", "1µs", "250ns", "0", "0s",
        "30 days", "h", "1x", "5.", "1d12h", "d", "", "1H", "1 h", "1h ", "3w",
    ]

    /// Unsigned durations: the pattern accepts a text exactly when `PolicyDuration` parses it.
    @Test(arguments: durations) func durationPatternFollowsTheParser(text: String) throws {
        let pattern = try Self.pattern("duration", in: .thresholds)
        #expect((text.firstMatch(of: pattern) != nil) == (PolicyDuration.parse(text) != nil), "`\(text)`")
    }

    static let dates = [
        "2026-01-01", "2026-10-01..2026-10-07", "2026-10-01 .. 2026-10-07", "2025-12-31..2026-01-02", "2026-1-01",
        "2026-13-01", "2026-00-10", "2026-01-32", "26-01-01", "2026-01-01...2026-01-02", "2026-01-01 to 2026-01-02",
        "2026/01/01", "",
    ]

    /// Dates and ranges: what the pattern accepts is what the calendar reads, but for days
    /// a month does not have (`2026-02-30`), which only `rescind check` knows.
    @Test(arguments: dates) func datePatternFollowsTheCalendar(text: String) throws {
        let pattern = try Self.pattern("dateOrRange", in: .calendar)
        let parts = text.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
        let parsed = (1...2).contains(parts.count) && parts.allSatisfy { CivilDate(iso: $0) != nil }
        #expect((text.firstMatch(of: pattern) != nil) == parsed, "`\(text)`")
    }
}
