import RescindDiagnostics
import Testing

/// Diagnostics in zh-CN: a diagnostic carries its text in both languages, `message`
/// stays English, and the renderers pick the language while keeping codes, spans and
/// JSON keys as they are.
@Suite("Diagnostics in zh-CN")
struct LocaleRenderingTests {
    static let policy = SourceFile(path: "policy.yaml", text: "name: refunds\nwindow: 30 days\n")
    static let windowValue = policy.span(from: 22, to: 29)

    static let mismatch = Diagnostic.error(
        "x-type", .en("expected an integer, found `30 days`", zh: "应为整数，实际是`30 days`"), at: windowValue,
        notes: [DiagnosticNote(.en("the unit goes in `unit`", zh: "单位写在`unit`中"), span: nil)],
        help: .en("write `30`", zh: "请写成`30`"))

    @Test("`message` and `help` stay English; `message(in:)` and `help(in:)` pick a locale")
    func publicAccessors() {
        #expect(Self.mismatch.message == "expected an integer, found `30 days`")
        #expect(Self.mismatch.help == "write `30`")
        #expect(Self.mismatch.message(in: .en) == Self.mismatch.message)
        #expect(Self.mismatch.message(in: .zhCN) == "应为整数，实际是 `30 days`")
        #expect(Self.mismatch.help(in: .zhCN) == "请写成 `30`")
        #expect(Self.mismatch.notes[0].message(in: .zhCN) == "单位写在 `unit` 中")
        #expect(Diagnostic.Locale(rawValue: "zh-CN") == .zhCN)
        #expect(Diagnostic.Locale.allCases.map(\.rawValue) == ["en", "zh-CN"])
    }

    @Test("an embedder's own text has no translation: every locale shows the English")
    func untranslatedFallsBack() {
        var diagnostic = Diagnostic.error("x-own", "my own words", at: nil, help: "my help")
        #expect(diagnostic.message(in: .zhCN) == "my own words")
        #expect(diagnostic.translationProblems == [
            "[x-own] message `my own words`: no zh-CN text", "[x-own] help `my help`: no zh-CN text",
        ])
        // Setting `message` replaces the text in every locale.
        var translated = Self.mismatch
        translated.message = "replaced"
        #expect(translated.message(in: .zhCN) == "replaced")
        diagnostic.help = nil
        #expect(diagnostic.help(in: .zhCN) == nil)
    }

    @Test("the audit catches a Chinese that is the English or drops a backticked input")
    func translationAudit() {
        #expect(Self.mismatch.translationProblems.isEmpty)
        #expect(DiagnosticText.en("unknown key `x`", zh: "unknown key `x`").translationProblem == "the zh-CN text is the English")
        #expect(DiagnosticText.en("unknown key `x`", zh: "未知的键").translationProblem == "the zh-CN text leaves out `x`")
        // Code alone needs no translation.
        #expect(DiagnosticText.en("`)`", zh: "`)`").translationProblem == nil)
    }

    @Test("Chinese text gets a space between a Chinese character and inline code, none at full-width punctuation")
    func spacing() {
        #expect(DiagnosticText.en("a", zh: "规则`a`未定义").zh == "规则 `a` 未定义")
        #expect(DiagnosticText.en("a", zh: "规则 `a` 未定义").zh == "规则 `a` 未定义")
        #expect(DiagnosticText.en("a", zh: "应为`a`、`b`（`c`）：`d`").zh == "应为 `a`、`b`（`c`）：`d`")
        #expect(DiagnosticText.en("a", zh: "`a`1`b`").zh == "`a`1`b`")
        // Words and numbers in Latin script get a space too; inline code is left as written.
        #expect(DiagnosticText.en("a", zh: "共3项，YAML格式：`a1中`").zh == "共 3 项，YAML 格式：`a1中`")
    }

    @Test("human: the words change; `path:line:col: error[code]:`, the source line and the caret do not")
    func human() {
        let english = HumanRenderer(sources: SourceMap([Self.policy])).render(Self.mismatch)
        let chinese = HumanRenderer(sources: SourceMap([Self.policy]), locale: .zhCN).render(Self.mismatch)
        #expect(english == """
            policy.yaml:2:9: error[x-type]: expected an integer, found `30 days`
              |
            2 | window: 30 days
              |         ^~~~~~~
              = note: the unit goes in `unit`
              = help: write `30`

            """)
        #expect(chinese == """
            policy.yaml:2:9: error[x-type]: 应为整数，实际是 `30 days`
              |
            2 | window: 30 days
              |         ^~~~~~~
              = 说明：单位写在 `unit` 中
              = 提示：请写成 `30`

            """)
    }

    @Test("a located note keeps its location; its label is in the locale")
    func locatedNote() {
        let first = Self.policy.span(from: 0, to: 4)
        let duplicate = Diagnostic.error(
            "x-dup", .en("duplicate key `name`", zh: "键 `name` 重复"), at: first,
            notes: [DiagnosticNote(.en("first defined here", zh: "首次定义在这里"), span: first)])
        let chinese = HumanRenderer(sources: SourceMap([Self.policy]), locale: .zhCN).render(duplicate)
        #expect(chinese.contains("policy.yaml:1:1: 说明：首次定义在这里\n"))
    }

    @Test("json: `message`, notes and `help` in the locale; keys, codes and spans unchanged")
    func json() {
        let english = JSONDiagnosticRenderer().render([Self.mismatch])
        let chinese = JSONDiagnosticRenderer(locale: .zhCN).render([Self.mismatch])
        #expect(chinese == english
            .replacingOccurrences(of: "expected an integer, found `30 days`", with: "应为整数，实际是 `30 days`")
            .replacingOccurrences(of: "the unit goes in `unit`", with: "单位写在 `unit` 中")
            .replacingOccurrences(of: "write `30`", with: "请写成 `30`"))
        #expect(chinese.contains(#""code":"x-type""#))
    }

    @Test("github: the same command and properties; message, notes and help in the locale")
    func github() {
        let chinese = GitHubRenderer(locale: .zhCN).render(Self.mismatch)
        #expect(chinese == "::error file=policy.yaml,line=2,col=9,endLine=2,endColumn=16,title=x-type::"
            + "应为整数，实际是 `30 days`%0A说明：单位写在 `unit` 中%0A提示：请写成 `30`\n")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
