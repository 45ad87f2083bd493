import Rescind
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import RescindYAML

/// Diagnostic codes of policy test files (`rescind test`), all in one place.
extension DiagnosticCode {
    /// No `*.tests.yaml` file under the paths given.
    package static let testNoFiles: DiagnosticCode = "test-no-files"
    /// A test file's `kind` is not `tests` or `fixtures`.
    package static let testUnknownKind: DiagnosticCode = "test-unknown-kind"
    /// Two cases, fixtures or generators share a name.
    package static let testDuplicateName: DiagnosticCode = "test-duplicate-name"
    /// A request names a fixture that no file in scope defines, or fixtures build on each other in a circle.
    package static let testUnknownFixture: DiagnosticCode = "test-unknown-fixture"
    /// `include:` names a file that is missing or is not a fixtures file.
    package static let testBadInclude: DiagnosticCode = "test-bad-include"
    /// An expectation names a rule, tier, obligation type or field, or locale the policy set does not have.
    package static let testUnknownName: DiagnosticCode = "test-unknown-name"
    /// A value in a test file is not what its key takes.
    package static let testInvalidValue: DiagnosticCode = "test-invalid-value"
    /// A case's request cannot be put together (no request, a path through a non-object, …).
    package static let testBadRequest: DiagnosticCode = "test-bad-request"
    /// A case expects nothing, so it could never fail.
    package static let testNoExpectations: DiagnosticCode = "test-no-expectations"
    /// A table row does not have one value per column.
    package static let testTableShape: DiagnosticCode = "test-table-shape"
    /// A case's decision did not meet its expectations (GitHub annotations).
    package static let testFailed: DiagnosticCode = "test-failed"
    /// A rule, tier, obligation or boundary that no case exercised (GitHub annotations).
    package static let testNotCovered: DiagnosticCode = "test-not-covered"
}

/// The test layer's messages: lowercase, user input in backticks, a `help:` where it
/// helps; each written in English and in Chinese (zh-CN) side by side.
enum TestMessages {
    static func noFiles(_ paths: [String]) -> Diagnostic {
        let list = paths.map { "`\($0)`" }
        return .error(
            .testNoFiles,
            .en("no test files found in \(list.joined(separator: ", "))", zh: "在 \(list.joined(separator: "、")) 中没有找到测试文件"),
            at: nil,
            help: .en(
                "test files end in `.tests.yaml` and live beside the policies; see docs/testing-policies.md",
                zh: "测试文件以 `.tests.yaml` 结尾，与策略文件放在一起；参见 docs/testing-policies.md"))
    }

    static func unknownKind(_ kind: String, at span: SourceSpan) -> Diagnostic {
        let kinds = ["tests", "fixtures"]
        return .error(
            .testUnknownKind, .en("unknown test file kind `\(kind)`", zh: "未知的测试文件类型 `\(kind)`"), at: span,
            help: Suggestions.didYouMean(kind, in: kinds)
                ?? .en("expected `tests` or `fixtures`", zh: "应为 `tests` 或 `fixtures`"))
    }

    /// What two definitions that share a name are.
    enum Definition {
        case fixture
        case testCase
        case generator

        var text: DiagnosticText {
            switch self {
            case .fixture: .en("fixture", zh: "预置请求")
            case .testCase: .en("case", zh: "用例")
            case .generator: .en("generator", zh: "生成器")
            }
        }
    }

    static func duplicate(_ what: Definition, _ name: String, at span: SourceSpan, first: SourceSpan) -> Diagnostic {
        .error(
            .testDuplicateName, .en("duplicate \(what.text.en) `\(name)`", zh: "\(what.text.zh) `\(name)` 重复"), at: span,
            notes: [DiagnosticNote(.en("the first one is here", zh: "第一个在这里"), span: first)])
    }

    static func unknownFixture(_ name: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        let list = Suggestions.quoted(known.sorted(), .and)
        return .error(
            .testUnknownFixture, .en("no fixture named `\(name)`", zh: "没有名为 `\(name)` 的预置请求"), at: span,
            help: Suggestions.didYouMean(name, in: known)
                ?? (known.isEmpty
                    ? .en(
                        "define it under `fixtures:` in this file or in a file it includes",
                        zh: "请在本文件或它包含的文件的 `fixtures:` 下定义它")
                    : .en("the fixtures in scope are \(list.en)", zh: "可用的预置请求有 \(list.zh)")))
    }

    static func fixtureCycle(_ chain: [String], at span: SourceSpan) -> Diagnostic {
        let path = chain.map { "`\($0)`" }.joined(separator: " → ")
        return .error(
            .testUnknownFixture,
            .en("fixture `\(chain[0])` builds on itself: \(path)", zh: "预置请求 `\(chain[0])` 以自身为基础：\(path)"),
            at: span)
    }

    /// What a test names that the policy set lacks.
    enum Name {
        case tier
        case ruleOrTier
        case obligationType
        case field
        case locale
        case expectation

        var text: DiagnosticText {
            switch self {
            case .tier: .en("a tier", zh: "档位")
            case .ruleOrTier: .en("a rule or tier", zh: "规则或档位")
            case .obligationType: .en("an obligation type", zh: "义务类型")
            case .field: .en("a field", zh: "字段")
            case .locale: .en("a locale", zh: "语言")
            case .expectation: .en("an expectation", zh: "预期项")
            }
        }
    }

    /// Where a name was looked up: the policy set, a kind of obligation, a case.
    static func policySet(_ name: String) -> DiagnosticText { .en("`\(name)`", zh: "`\(name)`") }
    static func obligation(_ type: String) -> DiagnosticText { .en("a `\(type)` obligation", zh: "`\(type)` 义务") }
    static let aCase = DiagnosticText.en("a case", zh: "用例")

    static func unknown(_ what: Name, _ name: String, at span: SourceSpan, known: [String], in owner: DiagnosticText)
        -> Diagnostic
    {
        .error(
            .testUnknownName,
            .en("`\(name)` is not \(what.text.en) of \(owner.en)", zh: "`\(name)` 不是\(owner.zh)中的\(what.text.zh)"),
            at: span,
            help: Suggestions.didYouMean(name, in: known)
                ?? (known.isEmpty ? nil : PolicyTestWords.expectedOneOf(known)))
    }

    // MARK: - Test files

    static func invalidSpacing(_ text: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testInvalidValue,
            .en(
                "invalid spacing `\(text)`: expected a positive duration such as `1h` or `30m`",
                zh: "无效的间隔 `\(text)`：应为正的时长，例如 `1h` 或 `30m`"),
            at: span)
    }

    static func tableShape(cells: Int, columns: [String], at span: SourceSpan) -> Diagnostic {
        let list = Suggestions.quoted(columns, .and)
        return .error(
            .testTableShape,
            .en(
                "this row has \(cells) value\(cells == 1 ? "" : "s"); the table has "
                    + "\(columns.count) column\(columns.count == 1 ? "" : "s")",
                zh: "这一行有 \(cells) 个值，而表格有 \(columns.count) 列"),
            at: span, help: .en("columns: \(list.en)", zh: "各列为：\(list.zh)"))
    }

    static func invalidEffect(_ text: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testInvalidValue,
            .en(
                "invalid effect `\(text)`: expected `allow`, `deny` or `review`",
                zh: "无效的效果 `\(text)`：应为 `allow`、`deny` 或 `review`"),
            at: span, help: Suggestions.didYouMean(text, in: Effect.allCases.map(\.rawValue)))
    }

    static func unknownProblemKind(_ kind: String, at span: SourceSpan, known: [String]) -> Diagnostic {
        .error(
            .testInvalidValue, .en("unknown problem kind `\(kind)`", zh: "未知的问题类型 `\(kind)`"), at: span,
            help: Suggestions.didYouMean(kind, in: known)
                ?? Suggestions.quoted(known).map(en: { "expected \($0)" }, zh: { "应为 \($0)" }))
    }

    static func obligationWithoutType(at span: SourceSpan, types: [String]) -> Diagnostic {
        let list = Suggestions.quoted(types)
        return .error(
            .yamlMissingKey, .en("an expected obligation needs a `type`", zh: "预期的义务需要 `type`"), at: span,
            help: .en("types: \(list.en)", zh: "可用的类型：\(list.zh)"))
    }

    static func reasonMatch(at span: SourceSpan) -> Diagnostic {
        .error(
            .testInvalidValue,
            .en(
                "a reason expectation needs exactly one of `equals` and `contains`",
                zh: "原因预期必须且只能有 `equals` 和 `contains` 中的一个"),
            at: span,
            help: .en(
                "`equals:` compares the whole text, `contains:` a part of it", zh: "`equals:` 比较整段文本，`contains:` 比较其中一部分"))
    }

    // MARK: - Test plans

    static func severalDocuments(_ count: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .testInvalidValue,
            .en(
                "a test file holds one YAML document; this one has \(count)",
                zh: "一个测试文件只能有一个 YAML 文档，这个文件有 \(count) 个"),
            at: span,
            help: .en(
                "move the other cases into the first document's `cases:`", zh: "请把其他用例移到第一个文档的 `cases:` 中"))
    }

    static func emptyTestFile(at span: SourceSpan) -> Diagnostic {
        .error(
            .testInvalidValue, .en("the test file is empty", zh: "测试文件是空的"), at: span,
            help: .en("start it with `kind: tests` and a list of `cases:`", zh: "请以 `kind: tests` 开头，并写出 `cases:` 列表"))
    }

    static func includesItself(_ include: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadInclude,
            .en(
                "`\(include)` includes itself, through the files it includes",
                zh: "`\(include)` 通过它包含的文件又包含了自身"),
            at: span)
    }

    static func noIncludedFile(_ include: String, lookedFor path: String, at span: SourceSpan, help: DiagnosticText?)
        -> Diagnostic
    {
        .error(
            .testBadInclude,
            .en("no file `\(include)` (looked for `\(path)`)", zh: "没有文件 `\(include)`（查找的是 `\(path)`）"),
            at: span, help: help)
    }

    static func includesTests(_ include: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadInclude,
            .en(
                "`\(include)` is a `kind: tests` file; only `kind: fixtures` files can be included",
                zh: "`\(include)` 是 `kind: tests` 文件；只能包含 `kind: fixtures` 文件"),
            at: span,
            help: .en(
                "move the shared fixtures into a `kind: fixtures` file and include that",
                zh: "请把共用的预置请求移到一个 `kind: fixtures` 文件中，再包含该文件"))
    }

    static func caseWithoutRequest(_ name: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadRequest, .en("case `\(name)` has no `request`", zh: "用例 `\(name)` 没有 `request`"), at: span,
            help: .en(
                "give the case a `request:`, or every case one with `defaults: request:`",
                zh: "请为该用例写上 `request:`，或用 `defaults: request:` 为所有用例提供请求"))
    }

    static func caseExpectsNothing(_ name: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testNoExpectations,
            .en("case `\(name)` expects nothing, so it can never fail", zh: "用例 `\(name)` 没有任何预期，因此永远不会失败"),
            at: span, help: .en("add `expect:` with at least the `effect`", zh: "请添加 `expect:`，至少写出 `effect`"))
    }

    static func tableExpectsNothing(_ name: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testNoExpectations,
            .en("table `\(name)` expects nothing, so it can never fail", zh: "表格 `\(name)` 没有任何预期，因此永远不会失败"),
            at: span,
            help: .en(
                "add a column such as `effect` or `tier`, or `expect:` for every row",
                zh: "请添加 `effect` 或 `tier` 之类的列，或为每一行写上 `expect:`"))
    }

    // MARK: - Requests

    static func requestNotAMapping(at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadRequest, .en("a request is a fixture's name or a mapping", zh: "请求应为预置请求的名称或一个映射"), at: span,
            help: .en(
                "write the request's fields, or `base: FIXTURE` / `file: PATH` with `set:`",
                zh: "请写出请求的各字段，或用 `base: FIXTURE` / `file: PATH` 加 `set:`"))
    }

    static func baseAndFile(at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadRequest,
            .en("a request starts from `base:` or from `file:`, not both", zh: "请求只能从 `base:` 或 `file:` 之一开始，不能两者都用"),
            at: span)
    }

    static func fixtureNotAMapping(_ name: String, at span: SourceSpan) -> Diagnostic {
        .error(.testBadRequest, .en("fixture `\(name)` is not a mapping", zh: "预置请求 `\(name)` 不是映射"), at: span)
    }

    static func noRequestFile(_ path: String, lookedFor key: String, at span: SourceSpan, help: DiagnosticText?) -> Diagnostic {
        .error(
            .testBadRequest,
            .en("no request file `\(path)` (looked for `\(key)`)", zh: "没有请求文件 `\(path)`（查找的是 `\(key)`）"),
            at: span, help: help)
    }

    static func requestFileNotObject(_ path: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadRequest, .en("request file `\(path)` does not hold an object", zh: "请求文件 `\(path)` 的内容不是对象"),
            at: span)
    }

    static func notARequestPath(_ path: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadRequest, .en("`\(path)` is not a request path", zh: "`\(path)` 不是请求中的路径"), at: span,
            help: .en("name fields joined by dots, such as `order.status`", zh: "请用点号连接字段名，例如 `order.status`"))
    }

    static func cannotSet(_ path: String, prefix: String, found: DiagnosticText, at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadRequest,
            .en(
                "cannot set `\(path)`: `\(prefix)` is \(found.en), not an object",
                zh: "无法设置 `\(path)`：`\(prefix)` 是\(found.zh)，不是对象"),
            at: span)
    }

    static func generatedCount(_ name: String, maximum: Int, found: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testInvalidValue,
            .en(
                "`\(name)` takes a count from 0 to \(maximum); found `\(found)`",
                zh: "`\(name)` 的数量应在 0 到 \(maximum) 之间，实际是 `\(found)`"),
            at: span)
    }

    static func generatorWithoutAt(_ name: String, at span: SourceSpan) -> Diagnostic {
        .error(
            .testBadRequest,
            .en(
                "`\(name)` places items before the request's `at`, but the request has no valid `at`",
                zh: "`\(name)` 要把各项排在请求的 `at` 之前，但请求没有有效的 `at`"),
            at: span)
    }

    static func beforeYearOne(_ name: String, item: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            .testInvalidValue,
            .en("`\(name)`: item \(item) would be before the year 1", zh: "`\(name)`：第 \(item) 项会早于公元 1 年"),
            at: span)
    }

    static func inRequestOfCase(_ name: String, at span: SourceSpan) -> DiagnosticNote {
        DiagnosticNote(.en("in the request of case `\(name)`", zh: "位于用例 `\(name)` 的请求中"), span: span)
    }

    /// A file next to the one named, spelled almost the same.
    static func sibling(_ name: String) -> DiagnosticText { Suggestions.didYouMean(name) }
}

/// Words of the test layer's messages shared by several of them.
enum PolicyTestWords {
    static func expectedOneOf(_ names: [String]) -> DiagnosticText {
        let list = Suggestions.quoted(names)
        return .en("expected one of \(list.en)", zh: "应为 \(list.zh) 之一")
    }
}

// MARK: - Failures: a decision that does not meet a case's expectations

extension TestMessages {
    /// How an unmet expectation is put, expected against actual.
    enum Failures {
        static func effect(expected: String, got: String) -> DiagnosticText {
            .en("expected effect `\(expected)`, got `\(got)`", zh: "预期效果为 `\(expected)`，实际为 `\(got)`")
        }

        private static func deciders(_ ids: [String]) -> DiagnosticText {
            ids.isEmpty ? .en("the default (no rule)", zh: "默认结果（无规则）") : Suggestions.quoted(ids, .and)
        }

        static func deciding(expected: [String], got: [String]) -> DiagnosticText {
            let expected = deciders(expected), got = deciders(got)
            return .en(
                "expected \(expected.en) to decide, got \(got.en)", zh: "预期由 \(expected.zh) 决定，实际由 \(got.zh) 决定")
        }

        static func notMatched(_ id: String, matched: [String]) -> DiagnosticText {
            let list = Suggestions.quoted(matched, .and)
            return matched.isEmpty
                ? .en("expected `\(id)` to match; nothing matched", zh: "预期 `\(id)` 命中；但没有任何规则命中")
                : .en("expected `\(id)` to match; matched: \(list.en)", zh: "预期 `\(id)` 命中；实际命中的是 \(list.zh)")
        }

        static func matched(_ id: String) -> DiagnosticText {
            .en("expected `\(id)` not to match, but it did", zh: "预期 `\(id)` 不命中，但它命中了")
        }

        static func tier(_ expected: String?, reached: [String]) -> DiagnosticText {
            let got: DiagnosticText = reached.isEmpty ? .en("no tier", zh: "未达任何档位") : Suggestions.quoted(reached, .and)
            guard let expected else { return .en("expected no tier, got \(got.en)", zh: "预期不达任何档位，实际为 \(got.zh)") }
            return .en("expected tier `\(expected)`, got \(got.en)", zh: "预期档位为 `\(expected)`，实际为 \(got.zh)")
        }

        static func problems(expected: Set<String>, got: Set<String>) -> DiagnosticText {
            func show(_ kinds: Set<String>) -> DiagnosticText {
                kinds.isEmpty ? .en("none", zh: "无") : Suggestions.quoted(kinds.sorted(), .and)
            }
            let expected = show(expected), got = show(got)
            return .en("expected problems \(expected.en), got \(got.en)", zh: "预期问题为 \(expected.zh)，实际为 \(got.zh)")
        }

        static func unexpectedProblem(
            kind: String, rule: String, expression: String, message: String, location: String
        ) -> DiagnosticText {
            .en(
                "an unexpected problem: \(kind): rule `\(rule)`: `\(expression)`: \(message) (\(location))",
                zh: "出现了意外的问题：\(kind)：规则 `\(rule)`：`\(expression)`：\(message)（\(location)）")
        }

        static func obligationDiffers(
            expected: DiagnosticText, type: String, source: String, differences: [(name: String, value: String?)]
        ) -> DiagnosticText {
            let en = differences.map { d in d.value.map { "\(d.name) `\($0)`" } ?? "no \(d.name)" }
            let zh = differences.map { d in d.value.map { "\(d.name) 为 `\($0)`" } ?? "没有 \(d.name)" }
            return .en(
                "expected \(expected.en); the decision's `\(type)` (from `\(source)`) has " + en.joined(separator: "; "),
                zh: "预期 \(expected.zh)；决策中的 `\(type)`（来自 `\(source)`）" + zh.joined(separator: "；"))
        }

        static func obligationMissing(expected: DiagnosticText, types: [String]) -> DiagnosticText {
            let quoted = types.map { "`\($0)`" }
            return .en(
                "expected \(expected.en); the decision has "
                    + (types.isEmpty ? "no obligations" : "no such obligation, only " + quoted.joined(separator: ", ")),
                zh: "预期 \(expected.zh)；"
                    + (types.isEmpty ? "决策中没有任何义务" : "决策中没有这项义务，只有 " + quoted.joined(separator: "、")))
        }

        static func extraObligation(type: String, source: String, expectedNone: Bool) -> DiagnosticText {
            .en(
                "the decision has an unexpected `\(type)` obligation (from `\(source)`)" + (expectedNone ? "; expected none" : ""),
                zh: "决策中有一项意外的 `\(type)` 义务（来自 `\(source)`）" + (expectedNone ? "；预期没有任何义务" : ""))
        }

        static func noReasonFrom(_ rule: String, rules: [String]) -> DiagnosticText {
            let list = Suggestions.quoted(rules, .and)
            return .en(
                "expected a reason from `\(rule)`; the reasons come from \(list.en)",
                zh: "预期有来自 `\(rule)` 的原因；实际的原因来自 \(list.zh)")
        }

        static func reasonEquals(_ text: String, locale: String, got: [String]) -> DiagnosticText {
            let quoted = got.map { "`\($0)`" }
            return .en(
                "expected the reason (\(locale)) `\(text)`; got " + quoted.joined(separator: ", "),
                zh: "预期原因（\(locale)）为 `\(text)`；实际为 " + quoted.joined(separator: "、"))
        }

        static func reasonContains(_ part: String, locale: String, got: [String]) -> DiagnosticText {
            let quoted = got.map { "`\($0)`" }
            return .en(
                "expected a reason (\(locale)) containing `\(part)`; got " + quoted.joined(separator: ", "),
                zh: "预期原因（\(locale)）包含 `\(part)`；实际为 " + quoted.joined(separator: "、"))
        }
    }

    /// A case's failures as one diagnostic text: "effect: expected …".
    static func failure(_ failure: ExpectationFailure) -> DiagnosticText {
        failure.text.map(en: { "\(failure.expectation): \($0)" }, zh: { "\(failure.expectation)：\($0)" })
    }
}

/// The words of a test report, in a locale.
package struct TestReportWords: Sendable {
    package let locale: Diagnostic.Locale

    package init(_ locale: Diagnostic.Locale) { self.locale = locale }

    /// "the decision:", before a failed case's explained decision.
    var theDecision: String { locale == .zhCN ? "决策：" : "the decision:" }

    /// "tests: 59 passed, 1 failed (60 cases in 5 files)".
    func summary(passed: Int, failed: Int, cases: Int, files: Int) -> String {
        switch locale {
        case .en:
            "tests: \(passed) passed, \(failed) failed (\(cases) case\(cases == 1 ? "" : "s") "
                + "in \(files) file\(files == 1 ? "" : "s"))"
        case .zhCN:
            "测试：通过 \(passed) 个，失败 \(failed) 个（\(files) 个文件，共 \(cases) 个用例）"
        }
    }
}
