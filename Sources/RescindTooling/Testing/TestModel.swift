import CEL
import CELRuntime
import Rescind
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// One runnable test case: a decoded request and what its decision must look like.
/// A table row is a case of its own, named after its table and its values.
package struct PolicyTestCase: Sendable {
    /// The case's name; a table row's adds its values (`tiers [count: 3]`).
    package let name: String
    /// The test file it is written in.
    package let file: String
    /// Where the case (or the table row) starts: failures are annotated here.
    package let location: SourceSpan
    /// The request, decoded by the same `RequestDecoder` as `rescind eval`.
    package let request: ObjectValue
    /// The locale decisions are made in (`defaults.locale`); nil keeps the request's.
    let locale: String?
    let expectations: Expectations
}

/// The cases of one test file, in the order written.
package struct PolicyTestSuite: Sendable {
    /// The test file.
    package let file: String
    /// Its cases, table rows expanded.
    package let cases: [PolicyTestCase]
}

/// What a case expects of its decision; every part is optional, and each names where
/// it is written so a failure points at it.
struct Expectations: Sendable {
    var effect: Located<Effect>?
    /// Exactly these rules and tiers decide (in any order); empty: the default decides.
    var deciding: Located<[String]>?
    /// Each of these matched.
    var matched: [Located<String>] = []
    /// None of these matched.
    var notMatched: [Located<String>] = []
    /// The threshold tier reached; `value == nil` for none.
    var tier: Located<String?>?
    /// The decision's obligations, one to one, each matched on its type and the fields given.
    var obligations: Located<[ExpectedObligation]>?
    var reasons: [ExpectedReason] = []
    /// Exactly these problem kinds (`missing-list`, …), each at least once; nil: the
    /// decision must have no problem at all (an unexpected one always fails the case).
    var problems: Located<[String]>?

    var isEmpty: Bool {
        effect == nil && deciding == nil && matched.isEmpty && notMatched.isEmpty && tier == nil
            && obligations == nil && reasons.isEmpty && problems == nil
    }

    /// `other`'s expectations where it has them, else these (a table row over its table's `expect:`).
    func overridden(by other: Expectations) -> Expectations {
        var merged = self
        if let effect = other.effect { merged.effect = effect }
        if let deciding = other.deciding { merged.deciding = deciding }
        if !other.matched.isEmpty { merged.matched = other.matched }
        if !other.notMatched.isEmpty { merged.notMatched = other.notMatched }
        if let tier = other.tier { merged.tier = tier }
        if let obligations = other.obligations { merged.obligations = obligations }
        if !other.reasons.isEmpty { merged.reasons = other.reasons }
        if let problems = other.problems { merged.problems = problems }
        return merged
    }
}

/// An expected obligation: its type and the fields that matter, as the decision JSON
/// writes them (`amount: "12.34"`, `initiate_by: "2026-12-02T23:59:59+08:00"`).
struct ExpectedObligation: Sendable {
    let type: Located<String>
    let fields: [(name: Located<String>, value: Located<String>)]
    let span: SourceSpan

    /// `voucher` with amount `12.34`, to = `buyer`.
    var description: String {
        "`\(type.value)`" + (fields.isEmpty ? "" : " with " + fields.map { "\($0.name.value) `\($0.value.value)`" }
            .joined(separator: ", "))
    }
}

/// An expected reason text in a locale, optionally from one rule or tier.
struct ExpectedReason: Sendable {
    enum Match: Sendable {
        case equals(String)
        case contains(String)
    }

    let locale: Located<String>?
    let rule: Located<String>?
    let match: Match
    let span: SourceSpan
}
