import CELCommon
import Foundation
import CELRuntime
import RescindDiagnostics
import RescindEngine
import Testing

@testable import RescindPolicy

/// Every message function of the policy layer, called with sample arguments in each of
/// its branches, yields a zh-CN text for the message, each note and the help that
/// differs from the English and keeps its backticked inputs. The static-check suites
/// check the diagnostics they make the same way; this also reaches the messages no
/// policy in the tests happens to trigger.
@Suite("policy messages in zh-CN")
struct PolicyMessagesLocaleTests {
    static let file = SourceFile(path: "p/rules.yaml", text: "kind: rules\nrules: []\n")
    static let span = file.span(from: 0, to: 4)
    static let other = file.span(from: 12, to: 17)

    /// One diagnostic per message function and branch.
    static var diagnostics: [Diagnostic] {
        let span = Self.span, other = Self.other
        typealias M = PolicyMessages
        func failure(_ function: String, _ literal: String?) -> ConstantChecks.Failure {
            ConstantChecks.Failure(
                function: function, range: TextRange(0, 4), literal: literal, call: "\(function)(\"x\")",
                message: "invalid argument")
        }
        return [
            M.noFiles(["Policies", "More"]), M.unreadable("Policies", "permission denied"),
            M.unknownKind("rule", at: span), M.unknownKind("tests", at: span), M.unknownKind("zzzzzz", at: span),
            M.emptyFile(at: span), M.emptyDocument(at: span), M.missingKind(at: span),
            M.fileNotListed("rules.yaml", at: span, listedAt: other, listed: ["rule.yaml"]),
            M.fileNotListed("rules.yaml", at: span, listedAt: other, listed: []),
            M.listedFileMissing("rules.yaml", at: span, present: ["rule.yaml"]),
            M.listedFileMissing("rules.yaml", at: span, present: []),
            M.missingDocument("schema"), M.duplicateDocument("refunds", at: span, first: other),
            M.invalid(M.effectWord, "alow", expected: M.effectChoices, at: span, help: Suggestions.didYouMean("allow")),
            M.invalid(M.requestListsWord, "x", expected: M.requestListsChoices, at: span),
            M.invalid(M.timeZoneWord, "Asia/Shanghia", expected: M.timeZoneExpected, at: span),
            M.invalid(M.weekdayWord, "sat", expected: M.weekdayExpected, at: span),
            M.invalid(M.yearsWord, "2026-", expected: M.yearsExpected, at: span),
            M.invalid(M.dateWord, "2026-13-01", expected: M.dateExpected, at: span),
            M.invalid(M.windowWord, "30 days", expected: M.windowExpected, at: span),
            M.invalid(M.businessDaysWord, "99", expected: M.fromZero(to: 60), at: span),
            M.invalid(M.keyWord("minimum"), "abc", expected: M.boundInteger, at: span),
            M.invalid(M.keyWord("maximum"), "abc", expected: M.boundDecimal, at: span),
            M.invalid(M.keyWord("minimum"), "abc", expected: M.boundTimestamp, at: span),
            M.invalid(M.defaultWord, "x", expected: M.oneOf(["a", "b"]), at: span),
            M.invalid(M.defaultWord, "x", expected: M.anInteger, at: span),
            M.invalid(M.defaultWord, "x", expected: M.trueOrFalse, at: span),
            M.invalid(M.defaultWord, "x", expected: M.decimalLike, at: span),
            M.invalid(M.defaultWord, "x", expected: M.defaultOnlyFor, at: span),
            M.boundOnUnorderedType("minimum", field: "order.status", type: "string", at: span),
            M.emptyRange(field: "order.total", minimum: "10", maximum: "5", at: span, minimumSpan: other),
            M.defaultOutOfRange("-1", field: "order.total", range: FieldBounds(minimum: .int(0), maximum: .int(10)), at: span),
            M.duplicateID("a", at: span, first: other),
            M.unknownType("decmal", at: span, known: ["decimal"]), M.unknownType("zzzzzz", at: span, known: []),
            M.unknownCalendar("cn", at: span, known: ["cn-mainland", "hk"]), M.unknownCalendar("cn", at: span, known: []),
            M.unknownCalendar("cn-mainlnd", at: span, known: ["cn-mainland"]),
            M.historyListNotAField("buyer.cancelations", at: span, known: ["cancellations"]),
            M.historyListNotAList("order.total", found: "decimal", at: span),
            M.historyItemField("at", kind: "timestamp", list: "x", found: "string", at: span),
            M.historyItemField("reason", kind: "enum", list: "x", found: nil, at: span),
            M.historyListNotCounted("x", at: span), M.historyUnavailableAllows(at: span),
            M.historyUnavailableWithoutHistory(at: span), M.unknownThreshold("repeat", at: span, known: ["repeat-x"]),
            M.tiersOutOfOrder("b", 3, after: "a", 5, at: span, previousSpan: other),
            M.missingLocale("zh-CN", at: span), M.missingLocale("zh-CN", at: span, kind: .description),
            M.neverMatches("r", path: "order.status", first: "`paid`", second: "`shipped`", at: span),
            M.shadowed("r", by: "s", effect: "deny", at: span, otherSpan: other),
            M.unknownObligation("notfy", at: span, known: ["notify"]),
            M.unknownObligation("zzzzzz", at: span, known: ["notify", "refund"]),
            M.invalidConstant(failure("duration", "30d"), at: span), M.invalidConstant(failure("duration", "3 weeks"), at: span),
            M.invalidConstant(failure("duration", "1x"), at: span),
            M.invalidConstant(failure("decimal", "5,000.00"), at: span), M.invalidConstant(failure("decimal", "abc"), at: span),
            M.invalidConstant(failure("timestamp", "2026-01-01"), at: span),
            M.invalidConstant(failure("timestamp", "soon"), at: span), M.invalidConstant(failure("matches", "("), at: span),
            M.invalidConstant(failure("int", nil), at: span),
            M.unknownRecipient("byer", in: "notify", at: span, known: ["buyer"]),
            M.unknownRecipient("zzzzzz", in: "notify", at: span, known: ["buyer", "seller"]),
            M.unknownObligationKey("templte", in: "notify", at: span, known: ["template"]),
            M.unknownObligationKey("zzzzzz", in: "notify", at: span, known: ["template", "to"]),
            M.missingObligationKey("to", in: "notify", at: span),
            M.invalidWholeNumber("3.0", key: "days", range: 0...60, at: span),
            M.invalidWholeNumber("x", key: "days", range: 0...60, at: span),
            M.invalidObligationDuration("0h", key: "within", at: span),
            M.invalidObligationDuration("24 hours", key: "within", at: span),
            M.negativeAmount("-1", key: "amount", at: span), M.invalidCurrencyCode("cny", at: span),
            M.invalidCurrencyCode("yuan", at: span), M.holidayIsWorkday("2026-10-01", at: span, holiday: other),
            M.holidayOnWeekend("2026-11-07", weekdays: ["saturday", "sunday"], at: span),
            M.workdayNotWeekend("2026-11-04", weekday: "wednesday", at: span),
            M.unknownLocale("zh_CN", at: span, locales: ["en", "zh-CN"]), M.unknownLocale("fr", at: span, locales: ["en", "zh-CN"]),
            M.unknownLocale("ne", at: span, locales: ["en", "zh-CN"]),
            M.emptyReason("en", at: span), M.tagInExpression("!paid", at: span), M.onErrorAllows(at: span),
            M.noRefundCase("initiate_within", field: "order.payment_method", value: "bank", example: [("actor.role", "buyer")], at: span),
            M.noRefundCase("initiate_within", field: "order.payment_method", value: "bank", example: [], at: span),
            M.noRefundFallback("fee", at: span), M.dateOutsideYears("2027-01-01", years: "2025..2026", at: span),
            M.coverageEnding("cn-mainland", lastDay: "2026-12-31", days: 26, today: "2026-12-05", at: span),
            M.coverageEnding("cn-mainland", lastDay: "2026-12-31", days: 1, today: "2026-12-30", at: span),
            M.coverageEnding("cn-mainland", lastDay: "2026-12-31", days: -3, today: "2027-01-03", at: span),
            M.missingListUnhandled("repeat", list: "buyer.cancellations", optional: "buyer", at: span),
            M.schemaWithoutRequest(at: span), M.notACondition(at: span), M.obligationWithoutType(at: span),
            M.missingReason(at: span, locales: ["en", "zh-CN"]), M.unclosedHole(at: span),
            M.countNotAList(found: "int", at: span),
        ] + [
            M.roleKey("buyer"), M.roleCondition, M.roleMessageValue, M.roleCount, M.roleFee, M.roleCountedTimestamps,
        ].map { M.resultType(role: $0, expected: "bool", found: "int", at: span) } + [
            M.typeNameOrFields, M.numberOrTimestamp, M.textOrTextPerLocale, M.aLocale, M.aString, M.aValue,
            M.aCELExpression,
        ].map { M.invalid(M.keyWord("x"), "y", expected: $0, at: span) } + [
            M.field("order.total"), M.keyed("history"), M.keyedCase("initiate_within"), M.policyDocument, M.ruleWord,
            M.thresholdWord, M.tierWord, M.feeCase,
        ].map { Diagnostic.error("x", .en("missing key in \($0.en)", zh: "\($0.zh)中缺少键"), at: span) }
    }

    @Test("every message function has a zh-CN text, different from the English, that keeps the backticked inputs")
    func everyMessageIsTranslated() {
        let diagnostics = Self.diagnostics
        #expect(diagnostics.count > 100)
        let problems = diagnostics.flatMap(\.translationProblems)
        #expect(problems.isEmpty, "untranslated:\n\(problems.joined(separator: "\n"))")
        // And the rendering in Chinese has the English one's shape (see StaticCheckTests.shape).
        let sources = SourceMap([Self.file])
        let english = HumanRenderer(sources: sources).render(diagnostics)
        let chinese = HumanRenderer(sources: sources, locale: .zhCN).render(diagnostics)
        #expect(StaticCheckTests.shape(chinese) == StaticCheckTests.shape(english))
    }

    @Test("the Chinese uses full-width punctuation: no ASCII `;` `:` `,` `(` outside code and paths")
    func fullWidthPunctuation() {
        for diagnostic in Self.diagnostics {
            var texts = [diagnostic.message(in: .zhCN)] + diagnostic.notes.map { $0.message(in: .zhCN) }
            if let help = diagnostic.help(in: .zhCN) { texts.append(help) }
            for text in texts {
                let prose = DiagnosticText.removingCode(text)
                    // Values quoted as CEL literals and URLs keep their ASCII.
                    .replacingOccurrences(of: #""[^"]*""#, with: "", options: .regularExpression)
                    .replacingOccurrences(of: #"https://\S+"#, with: "", options: .regularExpression)
                    .replacingOccurrences(of: #"list\(T\)|map\(string, T\)|docs/\S+|\(policy-set\.yaml\)|U\+[0-9A-F]+"#, with: "", options: .regularExpression)
                #expect(!prose.contains(where: { ";:,(".contains($0) }), "\(diagnostic.code): \(text)")
            }
        }
    }
}
