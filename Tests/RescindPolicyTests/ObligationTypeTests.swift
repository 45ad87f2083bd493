import Foundation
import Testing
import CEL
import Rescind
import RescindEngine

/// `ObligationType.all` is the one declaration of obligation types: these check that
/// the compiler accepts exactly what it declares, that decisions show what it derives,
/// and that docs/policy-language.md's table says the same.
@Suite("Obligation types")
struct ObligationTypeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    // MARK: - Docs

    /// The rows of the Markdown table whose header row is `header`, cells trimmed.
    static func table(_ header: String, in text: String) -> [[String]]? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: header) else { return nil }
        return lines[(start + 2)...].prefix { $0.hasPrefix("|") }.map { line in
            line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    static let fieldsHeader = "| type | key | holds | when left out | allowed |"
    static let decisionHeader = "| type | fields in a decision, after `type` and `source` |"

    static func code(_ text: String) -> String { "`\(text)`" }

    /// The docs' row for one declared field, in the docs' words.
    static func row(_ type: ObligationType, _ field: ObligationField) -> [String] {
        let holds: String, allowed: String
        switch field.kind {
        case .recipient(let choices):
            holds = "recipient"
            allowed = choices.map(code).joined(separator: ", ")
        case .expression(let celType, let rule):
            holds = "\(celType) CEL"
            switch rule {
            case nil: allowed = "any"
            case .nonNegative?: allowed = "zero or more, when constant"
            case .currencyCode?: allowed = "three capital letters (ISO 4217), when constant"
            }
        case .duration(let deadlineKey):
            holds = "duration"
            allowed = "more than zero; the decision adds \(code(deadlineKey))"
        case .integer(let range):
            holds = "whole number"
            allowed = "\(range.lowerBound) to \(range.upperBound)"
        case .text:
            holds = "text"
            allowed = "any text"
        }
        let leftOut = switch field.presence {
        case .required: "required"
        case .optional: "optional"
        case .defaultValue(let value): code(value)
        }
        return [code(type.name), code(field.name), holds, leftOut, allowed]
    }

    @Test("docs/policy-language.md's obligation table is the declaration: types, keys, kinds, defaults, allowed values")
    func docsTableMatchesDeclaration() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/policy-language.md"), encoding: .utf8)
        let documented = try #require(Self.table(Self.fieldsHeader, in: docs), "no `\(Self.fieldsHeader)` table")
        let declared = ObligationType.all.flatMap { type in type.fields.map { Self.row(type, $0) } }
        #expect(documented.count == declared.count)
        for (written, expected) in zip(documented, declared) { #expect(written == expected) }
    }

    @Test("docs/policy-language.md lists the fields decisions show, as the declaration derives them")
    func docsDecisionFieldsMatchDeclaration() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/policy-language.md"), encoding: .utf8)
        let documented = try #require(Self.table(Self.decisionHeader, in: docs), "no `\(Self.decisionHeader)` table")
        let set = try #require(ReferencePackTests.policies.policySet)
        let refund = try #require(set.obligationFieldNames.first { $0.type == "refund" })
        let declared = [(refund.type, refund.fields)] + ObligationType.all.map { ($0.name, $0.decisionFieldNames) }
        #expect(documented == declared.map { [Self.code($0.0), $0.1.map(Self.code).joined(separator: ", ")] })
    }

    // MARK: - Compiling and deciding

    /// A valid value of `field` for `PolicyFixture`'s schema, as YAML.
    static func validValue(_ field: ObligationField) -> String {
        switch field.kind {
        case .recipient(let choices): choices.last!
        case .expression(.decimal, _): #"decimal("2.50")"#
        case .expression(_, .currencyCode?): #"'"CNY"'"#
        case .expression: "actor.id"
        case .duration: "48h"
        case .integer(let range): String(range.upperBound)
        case .text: "a-template"
        }
    }

    @Test("every declared type compiles with every field written, and decides with the fields the declaration derives")
    func everyTypeDecides() throws {
        let yaml = ObligationType.all.map { type in
            "      - type: \(type.name)\n" + type.fields.map { "        \($0.name): \(Self.validValue($0))\n" }.joined()
        }.joined()
        let loaded = LoadTimeChecksTests.withObligations(yaml)
        let set = try #require(loaded.policySet, "\(PolicyFixture.render(loaded))")
        let rule = try #require(set.rules.first)
        #expect(rule.obligations.map(\.type) == ObligationType.all)
        #expect(rule.obligations.map { $0.fields.map(\.name) } == ObligationType.all.map { $0.fields.map(\.name) })

        let request = try RequestDecoder(schema: set.schema).decode(#"""
            {"id": "r-1", "at": "2026-11-27T10:00:00+08:00", "actor": {"id": "u-1", "role": "buyer"},
             "order": {"status": "paid", "total": "10.00", "currency": "CNY"}}
            """#).get()
        let decision = set.decide(request.root)
        #expect(decision.obligations.map(\.type) == ObligationType.all.map(\.name))
        for (obligation, type) in zip(decision.obligations, ObligationType.all) {
            #expect(obligation.fields.map(\.name) == type.decisionFieldNames, "\(type)")
            #expect((obligation[ObligationType.reasonKey] != nil) == type.carriesReason, "\(type)")
        }
        #expect(decision.obligations.first?[ObligationType.reasonKey]?.text == "Buyers may cancel.")
    }

    @Test("a recipient outside the declared choices is a located error with did-you-mean, for every type that has one")
    func everyRecipientIsChecked() throws {
        let typed = ObligationType.all.filter { type in
            type.fields.contains { if case .recipient = $0.kind { true } else { false } }
        }
        #expect(typed.map(\.name) == ["notify", "voucher"])
        for type in typed {
            let required = type.fields.filter { if case .required = $0.presence { true } else { false } }
            let yaml = "      - type: \(type.name)\n        to: sellr\n"
                + required.map { "        \($0.name): \(Self.validValue($0))\n" }.joined()
            let loaded = LoadTimeChecksTests.withObligations(yaml)
            #expect(loaded.policySet == nil)
            let text = PolicyFixture.render(loaded)
            #expect(text.contains(
                "p/rules.yaml:11:13: error[policy-unknown-recipient]: unknown recipient `sellr` in a `\(type.name)` obligation"),
                "\(text)")
            #expect(text.contains("= help: did you mean `seller`?"), "\(text)")
        }
    }

    @Test("types are typed: a template's type is the declaration, its name what decisions write")
    func typedTemplates() {
        #expect(ObligationType.named("notify") == .notify)
        #expect(ObligationType.named("refund") == nil)
        #expect(ObligationType.notify.carriesReason && !ObligationType.voucher.carriesReason)
        #expect(ObligationType.notify.decisionFieldNames == ["to", "within", "due_by", "template", "reason"])
        #expect(ObligationType.restrictAccount.decisionFieldNames == ["account", "for", "until"])
        #expect(Set(ObligationType.all.map(\.name)).count == ObligationType.all.count)
    }
}
