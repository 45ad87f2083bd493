import Foundation
import Testing

/// `--locale zh-CN`: the diagnostics of `check`, `test` and the commands that load
/// policies, in Chinese, through the real binary. The codes, locations, carets and JSON
/// keys are the same as in English; only the words change.
@Suite("diagnostics in zh-CN")
struct LocaleCommandTests {
    /// A copy of `Policies/` with `"shiped"` for `"shipped"` in who-may-cancel.yaml, and the line it is on.
    static func brokenPolicies() throws -> (folder: URL, file: URL, line: Int) {
        let copy = try PolicyCLI.copyOfPolicies()
        let file = copy.appendingPathComponent("who-may-cancel.yaml")
        try PolicyCLI.edit(file, replacing: "- order.status in [\"shipped\", \"delivered\"]", with: "- order.status == \"shiped\"")
        return (copy, file, try TestCommandTests.line(of: "\"shiped\"", in: file))
    }

    @Test("check --locale zh-CN: the located diagnostic in Chinese, same code and caret, a Chinese help line and summary")
    func checkInChinese() throws {
        let (copy, file, line) = try Self.brokenPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let run = try CLI.run(["check", copy.path, "--locale", "zh-CN"])
        #expect(run.status == 3)
        #expect(run.stdout == """
            \(file.path):\(line):27: error[cel-invalid-enum-value]: `shiped` 不是有效的 `order_status`；应为 \
            `pending_payment`、`paid`、`processing`、`shipped`、`delivered`、`cancelled` 之一
               |
            \(line) |         - order.status == "shiped"
               |                           ^~~~~~~~
              = 提示：是否想写 `shipped`？

            """)
        #expect(run.stderr == "未通过：1 个错误，0 个警告\n")
        // The English is unchanged, and the default.
        let english = try CLI.run(["check", copy.path])
        #expect(english.stdout.contains("error[cel-invalid-enum-value]: `shiped` is not a valid `order_status`; expected one of"))
        #expect(try CLI.run(["check", copy.path, "--locale", "en"]).stdout == english.stdout)
    }

    @Test("the tag is matched as a BCP 47 tag; RESCIND_LOCALE when no --locale; another language is a usage error")
    func spellings() throws {
        let (copy, _, _) = try Self.brokenPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let chinese = try CLI.run(["check", copy.path, "--locale", "zh-CN"]).stdout
        for tag in ["zh", "zh-Hans", "zh_CN", "zh-cn"] {
            #expect(try CLI.run(["check", copy.path, "--locale", tag]).stdout == chinese, "\(tag)")
        }
        #expect(try CLI.run(["check", copy.path], environment: ["RESCIND_LOCALE": "zh-CN"]).stdout == chinese)
        // The flag wins over the environment.
        let english = try CLI.run(["check", copy.path, "--locale", "en"], environment: ["RESCIND_LOCALE": "zh-CN"])
        #expect(english.stdout.contains("is not a valid `order_status`"))
        let french = try CLI.run(["check", copy.path, "--locale", "fr"])
        #expect(french.status == 64)
        #expect(french.stderr.contains("--locale `fr`: diagnostics are written in `en` and `zh-CN`"))
        #expect(try CLI.run(["check", copy.path], environment: ["RESCIND_LOCALE": "fr"]).status == 64)
    }

    @Test("--format json --locale zh-CN: the same document with `message` and `help` in Chinese")
    func json() throws {
        let (copy, _, _) = try Self.brokenPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let english = try CLI.run(["check", copy.path, "--format", "json"])
        let chinese = try CLI.run(["check", copy.path, "--format", "json", "--locale", "zh-CN"])
        #expect(chinese.status == 3)
        let en = try Self.diagnostics(english.stdout), zh = try Self.diagnostics(chinese.stdout)
        #expect(zh.count == 1)
        #expect(zh.map { $0["code"] as? String } == en.map { $0["code"] as? String })
        #expect(zh.map { Array($0.keys).sorted() } == en.map { Array($0.keys).sorted() })
        #expect((zh[0]["span"] as? NSDictionary) == (en[0]["span"] as? NSDictionary))
        #expect((zh[0]["message"] as? String)?.hasPrefix("`shiped` 不是有效的 `order_status`；应为 `pending_payment`、") == true)
        #expect(zh[0]["help"] as? String == "是否想写 `shipped`？")
        // Only the texts differ: the rest of the bytes are the English run's.
        let replaced = english.stdout
            .replacingOccurrences(of: en[0]["message"] as! String, with: zh[0]["message"] as! String)
            .replacingOccurrences(of: en[0]["help"] as! String, with: zh[0]["help"] as! String)
        #expect(chinese.stdout == replaced)
    }

    @Test("--format github --locale zh-CN: the same annotation, the message and help in Chinese")
    func github() throws {
        let (copy, file, line) = try Self.brokenPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let run = try CLI.run(["check", copy.path, "--format", "github", "--locale", "zh-CN"])
        #expect(run.status == 3)
        #expect(run.stdout.hasPrefix(
            "::error file=\(file.path),line=\(line),col=27,endLine=\(line),endColumn=35,title=cel-invalid-enum-value::`shiped` 不是有效的"))
        #expect(run.stdout.hasSuffix("%0A提示：是否想写 `shipped`？\n"))
    }

    @Test("test --locale zh-CN: a failing case's failures, the decision heading and the summary in Chinese; exit 4")
    func failingTestInChinese() throws {
        let copy = try TestCommandTests.mutatedPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        let policies = copy.appendingPathComponent("Policies").path
        let run = try CLI.run(["test", policies, "--locale", "zh-CN"])
        #expect(run.status == 4)
        let tests = copy.appendingPathComponent("Policies/abuse-thresholds.tests.yaml")
        let row = try TestCommandTests.line(of: "- [5, review, abuse-review]", in: tests)
        #expect(run.stdout.contains("""
              ✘ the tier follows the number of cancellations in 30 days [buyer_cancellations_in_window: 5]
                \(tests.path):\(row):15: error[test-failed]: effect：预期效果为 `review`，实际为 `allow`
            """))
        #expect(run.stdout.contains("tier：预期档位为 `abuse-review`，实际为 `abuse-warn`"))
        #expect(run.stdout.contains("""
                决策：
                  effect: allow (buyer-before-shipment, abuse-warn)
            """))
        #expect(run.stdout.contains("测试：通过 "))
        #expect(run.stdout.contains("失败 2 个（"))
        // JSON: the failure messages in Chinese, the keys as they are.
        let json = try CLI.run(["test", policies, "--locale", "zh-CN", "--format", "json"])
        #expect(json.status == 4)
        #expect(json.stdout.contains(#""expectation":"effect","message":"预期效果为 `review`，实际为 `allow`""#))
        // JUnit XML: the failure messages in Chinese, the elements and attributes as they are.
        let junit = try CLI.run(["test", policies, "--locale", "zh-CN", "--format", "junit"])
        #expect(junit.status == 4)
        #expect(junit.stdout.contains(#"<failure message="effect：预期效果为 `review`，实际为 `allow`；tier："#))
    }

    @Test("test --locale zh-CN: a problem in a test file is located, in Chinese, with the same code; exit 3")
    func invalidTestFileInChinese() throws {
        let copy = try TestCommandTests.copyOfPack()
        defer { try? FileManager.default.removeItem(at: copy) }
        let tests = copy.appendingPathComponent("Policies/who-may-cancel.tests.yaml")
        try PolicyCLI.edit(tests, replacing: "deciding: [buyer-before-shipment]", with: "deciding: [buyer-befor-shipment]")
        let run = try CLI.run(["test", copy.appendingPathComponent("Policies").path, "--locale", "zh-CN"])
        #expect(run.status == 3)
        let line = try TestCommandTests.line(of: "buyer-befor-shipment", in: tests)
        #expect(run.stdout.hasPrefix("""
            \(tests.path):\(line):18: error[test-unknown-name]: `buyer-befor-shipment` 不是 `marketplace-cancellations` 中的规则或档位
            """))
        #expect(run.stdout.contains("  = 提示：是否想写 `buyer-before-shipment`？\n"))
        #expect(run.stderr == "未通过：测试文件中有 1 个错误\n")
    }

    @Test("eval --locale zh-CN: policies that fail to load are reported in Chinese, and so is a bad request")
    func evalInChinese() throws {
        let (copy, file, line) = try Self.brokenPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let request = "Examples/requests/buyer-paid-card.json"
        let run = try CLI.run(["eval", "--policies", copy.path, "--locale", "zh-CN", request])
        #expect(run.status == 3)
        #expect(run.stderr.hasPrefix("\(file.path):\(line):27: error[cel-invalid-enum-value]: `shiped` 不是有效的 `order_status`"))
        let bad = try CLI.run(["eval", "--locale", "zh-CN", "-"], input: #"{"ordr": 1}"#)
        #expect(bad.status == 3)
        #expect(bad.stderr.hasPrefix("""
            error[request-unknown-field]: $.ordr: 有未知字段 `ordr`
              = 提示：是否想写 `order`？
            error[request-missing-field]: $.id: 缺少必填字段 `id`

            """))
    }

    /// The `diagnostics` array of `rescind check --format json`.
    static func diagnostics(_ text: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return try #require(object?["diagnostics"] as? [[String: Any]])
    }
}
