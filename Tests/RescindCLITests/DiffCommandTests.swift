import Foundation
import Testing

@Suite("rescind diff")
struct DiffCommandTests {
    /// The digest `rescind diff --format json` reports for side `key` (`a`, `b`).
    static func digest(_ run: CLIRun, _ key: String) throws -> String {
        let side = try #require(try PolicyCLI.object(run.stdout)[key] as? [String: Any])
        return try #require(side["digest"] as? String)
    }

    @Test("a threshold change in text, Markdown and JSON; exit 0")
    func threshold() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        try PolicyCLI.edit(copy.appendingPathComponent("abuse-thresholds.yaml"), replacing: "at_least: 5", with: "at_least: 4")
        let json = try CLI.run(["diff", "Policies", copy.path, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(PolicyCLI.topLevelKeys(json.stdout) == ["a", "b", "locale", "summary", "changes"])
        let digest = try Self.digest(json, "b").prefix(12)
        let changes = try #require(try PolicyCLI.object(json.stdout)["changes"] as? [[String: Any]])
        #expect(changes.count == 1)
        #expect(changes.first?["words"] as? String
            == "tier `abuse-review` of `repeat-canceller` now starts at 4 cancellations (was 5)")

        let text = try CLI.run(["diff", "Policies", copy.path])
        #expect(text.status == 0)
        #expect(text.stderr == "")
        #expect(text.stdout == """
            A: Policies (marketplace-cancellations 2026.12, digest f014fcd1be15)
            B: \(copy.path) (marketplace-cancellations 2026.12, digest \(digest))
            1 change: 0 added, 0 removed, 1 changed

            thresholds
              tier `abuse-review` of `repeat-canceller` now starts at 4 cancellations (was 5)
                A Policies/abuse-thresholds.yaml:54  B \(copy.path)/abuse-thresholds.yaml:54

            """)

        let markdown = try CLI.run(["diff", "Policies", copy.path, "--format", "markdown", "--locale", "zh-CN"])
        #expect(markdown.stdout == """
            ### 策略变更

            **共 1 处变化：新增 0，删除 0，修改 1**：**A** `Policies`（`marketplace-cancellations` 2026.12，摘要 `f014fcd1be15`） → **B** `\(copy.path)`（`marketplace-cancellations` 2026.12，摘要 `\(digest)`）

            #### 阈值

            | 变化 | 修改前 | 修改后 | 位置 |
            | --- | --- | --- | --- |
            | 阈值 `repeat-canceller` 的档位 `abuse-review` 改为自 4 次起适用（原为 5 次） | `5` | `4` | A `Policies/abuse-thresholds.yaml:54`<br>B `\(copy.path)/abuse-thresholds.yaml:54` |

            """)
    }

    @Test("--exit-code: 8 when there are changes, 0 when there are none; --output writes the file")
    func exitCode() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let same = try CLI.run(["diff", "Policies", copy.path, "--exit-code"])
        #expect(same.status == 0)
        #expect(same.stdout.hasSuffix("\nno changes\n"))

        try PolicyCLI.edit(copy.appendingPathComponent("refunds.yaml"), replacing: "days: 5", with: "days: 4")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-diff-\(UUID().uuidString).md")
        defer { try? FileManager.default.removeItem(at: output) }
        let changed = try CLI.run(["diff", "Policies", copy.path, "--exit-code", "--format", "markdown", "--output", output.path])
        #expect(changed.status == 8)
        #expect(changed.stdout == "")
        let written = try String(contentsOf: output, encoding: .utf8)
        #expect(written.contains("| refund for `bank_transfer` now initiated within 4 business days (was 5) | `5` | `4` |"))
        // Without the flag, changes are not a failure.
        #expect(try CLI.run(["diff", "Policies", copy.path]).status == 0)
    }

    @Test("git:REV and git:REV:path read the folder at a revision")
    func git() throws {
        let repository = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-diff-git-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: repository) }
        let policies = repository.appendingPathComponent("Policies")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.packageRoot.appendingPathComponent("Policies"), to: policies)
        try Self.git(["init", "-q"], in: repository)
        try Self.git(["add", "-A"], in: repository)
        try Self.git(["commit", "-q", "-m", "reference pack"], in: repository)
        try PolicyCLI.edit(policies.appendingPathComponent("abuse-thresholds.yaml"), replacing: "at_least: 5", with: "at_least: 4")
        try Self.git(["commit", "-q", "-a", "-m", "review sooner"], in: repository)

        let line = "  tier `abuse-review` of `repeat-canceller` now starts at 4 cancellations (was 5)"
        let working = try CLI.run(["diff", "git:HEAD~1", policies.path])
        #expect(working.status == 0, "\(working.stderr)")
        #expect(working.stdout.hasPrefix("A: git:HEAD~1 (commit "))
        #expect(working.stdout.contains("\n\(line)\n    A HEAD~1:Policies/abuse-thresholds.yaml:54  B \(policies.path)/abuse-thresholds.yaml:54\n"))

        let revisions = try CLI.run(["diff", "git:HEAD~1:\(policies.path)", "git:HEAD:\(policies.path)", "--format", "json"])
        #expect(revisions.status == 0, "\(revisions.stderr)")
        let object = try PolicyCLI.object(revisions.stdout)
        #expect(((object["a"] as? [String: Any])?["commit"] as? String)?.count == 40)
        #expect((object["a"] as? [String: Any])?["digest"] as? String == (try Self.digest(CLI.run(["diff", "Policies", "Policies", "--format", "json"]), "a")))
        #expect((object["changes"] as? [[String: Any]])?.map { $0["id"] as? String } == ["repeat-canceller/abuse-review"])

        let unknown = try CLI.run(["diff", "git:no-such-branch", policies.path])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.hasPrefix(
            "Error: `git:no-such-branch`: git cannot find the revision `no-such-branch` in the repository of `\(policies.path)`; "))
        let empty = try CLI.run(["diff", "git:", "Policies"])
        #expect(empty.status == 64)
        #expect(empty.stderr.hasPrefix("Error: `git:` needs a revision"))
    }

    @Test("a side with errors: its diagnostics, located; exit 3")
    func invalidSide() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let file = copy.appendingPathComponent("who-may-cancel.yaml")
        try PolicyCLI.edit(file, replacing: "- order.status in [\"shipped\", \"delivered\"]", with: "- order.status == \"shiped\"")
        let run = try CLI.run(["diff", "Policies", copy.path])
        #expect(run.status == 3)
        #expect(run.stdout == "")
        #expect(run.stderr.hasPrefix("""
            error: B `\(copy.path)` has errors:
            \(file.path):42:27: error[cel-invalid-enum-value]:
            """))
    }

    @Test("the CI workflow's command on this repository: the committed pack against the working tree")
    func workflowCommand() throws {
        let run = try CLI.run(["diff", "git:HEAD", "Policies", "--format", "markdown"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("### Policy changes\n\n"))
    }

    @Test("an unknown --locale is a usage error")
    func locale() throws {
        let run = try CLI.run(["diff", "Policies", "Policies", "--locale", "fr"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("--locale `fr`: give `en` or `zh-CN`"))
    }

    private static func git(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory.path, "-c", "user.name=Rescind Tests", "-c", "user.email=tests@example.com"]
            + arguments
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "git \(arguments.joined(separator: " "))")
    }
}
