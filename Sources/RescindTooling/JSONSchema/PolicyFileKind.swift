import RescindDiagnostics

/// A kind of file `rescind schema` has a JSON Schema for: the six policy document kinds
/// and the two test file kinds. Its name is the schema's file name in docs/schema/
/// (`rules` → `rules.json`), which the policy files' `# yaml-language-server: $schema=`
/// comments point to.
package enum PolicyFileKind: String, CaseIterable, Sendable {
    case policySet = "policy-set"
    case requestSchema = "request-schema"
    case calendar
    case rules
    case thresholds
    case refunds
    case tests
    case fixtures

    /// The name `rescind schema KIND` takes and docs/schema/ files are named by.
    package var name: String { rawValue }

    /// The schema's file name: `rules.json`.
    package var fileName: String { rawValue + ".json" }

    /// The `kind:` the YAML document declares (`policy_set`, `schema`, `tests`, …).
    package var documentKind: String {
        switch self {
        case .policySet: "policy_set"
        case .requestSchema: "schema"
        case .calendar: "calendar"
        case .rules: "rules"
        case .thresholds: "thresholds"
        case .refunds: "refunds"
        case .tests: "tests"
        case .fixtures: "fixtures"
        }
    }

    /// What files of this kind are, in a few words (for the list `rescind schema` prints).
    package var summary: String {
        switch self {
        case .policySet: "the policy set: name, version, default, on_error, locales, files, history"
        case .requestSchema: "the request's shape: enums, types and request fields"
        case .calendar: "a business-day calendar: weekend, holidays, make-up workdays"
        case .rules: "rules: when, effect, reason, obligations"
        case .thresholds: "thresholds: a count in a window, and tiers"
        case .refunds: "refunds: amount, fee and deadlines in business days"
        case .tests: "policy tests (*.tests.yaml): cases, tables, expectations"
        case .fixtures: "shared test fixtures and generators (kind: fixtures)"
        }
    }

    /// The kind named `name`: a schema name (`policy-set`), a file name
    /// (`policy-set.json`) or a document kind (`policy_set`, `schema`).
    package static func named(_ name: String) -> PolicyFileKind? {
        let bare = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        return allCases.first { $0.rawValue == bare || $0.documentKind == bare }
    }

    /// The kind of a YAML document whose `kind:` is `documentKind`.
    package static func forDocument(kind documentKind: String) -> PolicyFileKind? {
        allCases.first { $0.documentKind == documentKind }
    }

    /// "did you mean `rules`?" for a name that is no kind, or nil when nothing is close.
    package static func suggestion(for name: String) -> String? {
        Suggestions.didYouMean(name, in: allCases.map(\.rawValue) + allCases.map(\.documentKind))?.en
    }
}
