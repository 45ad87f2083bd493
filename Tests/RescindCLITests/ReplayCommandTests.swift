import Foundation
import Testing

/// `rescind replay`, through the real binary, on a small request log whose report was
/// computed by hand.
///
/// The candidate is the reference pack with three edits:
///   (a) tier `abuse-warn` from 3 to 2 cancellations, (b) tier `abuse-review` from 5 to 4,
///   (c) card refunds initiated within 2 business days instead of 3.
///
/// The log (`ReplayFixture.lines`; requests at Friday 2026-11-27 10:00 Shanghai unless
/// said; "n" is the repeat-canceller count; L = decision-log entry, P = plain request):
///
/// | line | request | baseline | candidate | change |
/// |---|---|---|---|---|
/// | 1 L | buyer, paid, card, n 0 | allow (bbs), refund 12-02 / 12-11 | allow (bbs), refund 12-01 / 12-10 | initiate_by and expected_by 1 day earlier |
/// | 2 P | buyer, paid, wallet, n 0 | allow (bbs) | same | none |
/// | 3 L | buyer, paid, wallet, n 2 | allow (bbs) | allow (bbs, abuse-warn) + warn_account | deciding rules (`abuse-warn` matches now); warn_account added |
/// | 4 P | buyer, paid, wallet, n 4 | allow (bbs, abuse-warn) | review (abuse-review) | flip allow → review |
/// | 5 L | buyer, paid, card, n 4 | allow (bbs, abuse-warn) | review (abuse-review) | flip allow → review |
/// | 6 | empty | — | — | skipped, not counted |
/// | 7 P | buyer, processing, wallet, n 5 | review (abuse-review) | review (abuse-review) | none |
/// | 8 L | buyer, shipped, card, n 4 | deny (buyer-after-shipment; abuse-warn matched) | deny (buyer-after-shipment; abuse-review matched) | none: same effect, deciding rules, obligations |
/// | 9 P | seller stock-out, processing, card (Thursday 12-03) | allow, refund 1 day (stock-out case first) | same | none |
/// | 10 L | buyer, paid, card, n 0, Wednesday 11-25 | refund 11-30 / 12-09 | refund 11-27 / 12-08 | initiate_by 3 days earlier (over the weekend), expected_by 1 day earlier |
/// | 11 | `{"id": "broken",` | bad: invalid JSON | | |
/// | 12 L | buyer, paid, card, n 3 | allow (bbs, abuse-warn) | allow (bbs, abuse-warn) | initiate_by and expected_by 1 day earlier |
/// | 13 P | order.status `shiped` | bad: invalid enum | | |
///
/// Card deadlines (business days, counted from the day after): Friday 11-27: 3 days →
/// Mon 30, Tue 1, Wed 2 → 12-02, then 7 → 12-11; 2 days → Tue 12-01, then 7 → 12-10.
/// Wednesday 11-25: 3 days → Thu 26, Fri 27, Mon 30 → 11-30, then 7 → 12-09; 2 days →
/// 11-27, then 7 → 12-08.
///
/// So: 12 lines (6 entries, 6 plain), 2 bad, 10 replayed; transitions allow → allow 6
/// (lines 1, 2, 3, 9, 10, 12), allow → review 2 (4, 5), review → review 1 (7), deny →
/// deny 1 (8); changed 6 (1, 3, 4, 5, 10, 12); obligations changed on 4 (1, 3, 10, 12):
/// refund.expected_by 3 (−1 day ×3), refund.initiate_by 3 (−1 day ×2, −3 days ×1),
/// warn_account added 1.
enum ReplayFixture {
    static let at = "2026-11-27T10:00:00+08:00"

    /// A buyer's request with `history` earlier cancellations by the buyer, all within
    /// the 30-day window of a request on Friday 2026-11-27.
    static func buyer(
        _ id: String, status: String = "paid", method: String, history: Int = 0, at: String = at
    ) -> String {
        let items = (0..<history).map { index in
            "{\"order_id\":\"o-\(id)-\(index)\",\"at\":\"2026-11-0\(index + 1)T12:00:00+08:00\","
                + "\"initiator\":\"buyer\",\"reason\":\"changed_mind\"}"
        }
        return "{\"id\":\"\(id)\",\"at\":\"\(at)\",\"actor\":{\"id\":\"u-\(id)\",\"role\":\"buyer\",\"verified\":false},"
            + "\"reason\":\"changed_mind\",\"order\":{\"id\":\"o-\(id)\",\"status\":\"\(status)\","
            + "\"placed_at\":\"2026-11-20T10:00:00+08:00\",\"total\":\"100.00\",\"currency\":\"CNY\","
            + "\"payment_method\":\"\(method)\",\"seller_id\":\"s-1\"},"
            + "\"buyer_history\":{\"cancellations\":[\(items.joined(separator: ","))]}}"
    }

    /// A decision-log entry around a request; replay reads only its `request`.
    static func entry(_ request: String, number: Int) -> String {
        "{\"decision_id\":\"d-\(number)\",\"logged_at\":\"2026-11-27T02:00:00.000123Z\","
            + "\"policy\":{\"name\":\"marketplace-cancellations\",\"version\":\"2026.11\",\"digest\":\"0\"},"
            + "\"latency_us\":42,\"request\":\(request),\"decision\":{\"effect\":\"allow\"}}"
    }

    static func lines() throws -> [String] {
        [
            entry(buyer("r1", method: "card"), number: 1),
            buyer("r2", method: "wallet"),
            entry(buyer("r3", method: "wallet", history: 2), number: 3),
            buyer("r4", method: "wallet", history: 4),
            entry(buyer("r5", method: "card", history: 4), number: 5),
            "",
            buyer("r6", status: "processing", method: "wallet", history: 5),
            entry(buyer("r7", status: "shipped", method: "card", history: 4), number: 8),
            try PolicyCLI.compact("seller-stock-out-card-capped-voucher.json"),
            entry(buyer("r9", method: "card", at: "2026-11-25T10:00:00+08:00"), number: 10),
            "{\"id\": \"broken\",",
            entry(buyer("r11", method: "card", history: 3), number: 12),
            buyer("r12", status: "shiped", method: "card"),
        ]
    }

    /// The log, as a temporary file.
    static func requests() throws -> String {
        try PolicyCLI.temporaryFile(try lines().joined(separator: "\n") + "\n", extension: "jsonl")
    }

    /// The reference pack with the three edits above, as a temporary folder.
    static func candidate() throws -> URL {
        let copy = try PolicyCLI.copyOfPolicies()
        try edit(copy)
        return copy
    }

    static func edit(_ folder: URL) throws {
        let thresholds = folder.appendingPathComponent("abuse-thresholds.yaml")
        try PolicyCLI.edit(thresholds, replacing: "at_least: 3", with: "at_least: 2")
        try PolicyCLI.edit(thresholds, replacing: "at_least: 5", with: "at_least: 4")
        try PolicyCLI.edit(
            folder.appendingPathComponent("refunds.yaml"),
            replacing: "  - when: order.payment_method == \"card\"\n    days: 3",
            with: "  - when: order.payment_method == \"card\"\n    days: 2")
    }
}

@Suite("rescind replay")
struct ReplayCommandTests {
    @Test("the hand-computed example: counts, flips and causes, obligations, bad lines, exactly")
    func handComputedExample() throws {
        let candidate = try ReplayFixture.candidate()
        defer { try? FileManager.default.removeItem(at: candidate) }
        let requests = try ReplayFixture.requests()
        defer { try? FileManager.default.removeItem(atPath: requests) }

        let run = try CLI.run([
            "replay", "--requests", requests, "--baseline", "Policies", "--candidate", candidate.path, "--samples", "1",
            "--format", "json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try PolicyCLI.object(run.stdout)
        #expect(report["lines"] as? Int == 12)
        #expect(report["log_entries"] as? Int == 6)
        #expect(report["plain_requests"] as? Int == 6)
        #expect(report["bad_lines"] as? Int == 2)
        #expect(report["replayed"] as? Int == 10)
        #expect(report["changed"] as? Int == 6)
        #expect(report["flips"] as? Int == 2)
        #expect(report["obligation_changes"] as? Int == 4)

        let transitions = try #require(report["transitions"] as? [[String: Any]]).map {
            "\($0["from"]!) → \($0["to"]!): \($0["requests"]!)"
        }
        #expect(transitions == ["allow → allow: 6", "allow → review: 2", "review → review: 1", "deny → deny: 1"])

        let changes = try #require(report["changes"] as? [[String: Any]])
        #expect(changes.map { "\($0["label"]!): \($0["requests"]!)" } == [
            "allow → review: 2",
            "allow: buyer-before-shipment → buyer-before-shipment, abuse-warn: 1",
            "refund.expected_by: 3",
            "refund.initiate_by: 3",
            "warn_account added: 1",
        ])
        let causes = changes.map { change in
            (change["causes"] as? [[String: Any]] ?? []).map { "\($0["text"]!) ×\($0["requests"]!)" }
        }
        #expect(causes[0] == ["`abuse-review` matches now ×2", "`abuse-warn` no longer matches ×2"])
        #expect(causes[1] == ["`abuse-warn` matches now ×1"])
        let shifts = changes.map { change in
            (change["shifts"] as? [[String: Any]] ?? []).map { "\($0["seconds"]!)s ×\($0["requests"]!)" }
        }
        #expect(shifts[2] == ["-86400s ×3"])
        #expect(shifts[3] == ["-259200s ×1", "-86400s ×2"])
        #expect(changes[3]["summary"] as? String == "earlier by 3 days: 1; earlier by 1 day: 2")

        let bad = try #require(report["bad_lines_first"] as? [[String: [String: Any]]]).map {
            "\($0["error"]!["line"]!) \($0["error"]!["code"]!) \($0["error"]!["path"]!)"
        }
        #expect(bad == ["11 request-invalid-json $", "13 request-invalid-enum $.order.status"])

        // One sample per kind, the first in file order; a request may be the sample of two kinds.
        let samples = try #require(report["samples"] as? [[String: Any]])
        #expect(samples.map { "\($0["change"]!) @\($0["line"]!)" } == [
            "allow → review @4",
            "allow: buyer-before-shipment → buyer-before-shipment, abuse-warn @3",
            "refund.expected_by @1",
            "refund.initiate_by @1",
            "warn_account added @3",
        ])
        #expect(samples[3]["differences"] as? [String] == [
            "refund.initiate_by 2026-12-02T23:59:59+08:00 → 2026-12-01T23:59:59+08:00 (earlier by 1 day)",
            "refund.expected_by 2026-12-11T23:59:59+08:00 → 2026-12-10T23:59:59+08:00 (earlier by 1 day)",
        ])
        // Both decisions of a sample carry their explanations.
        let baseline = try #require(samples[0]["baseline"] as? [String: Any])
        let candidateDecision = try #require(samples[0]["candidate"] as? [String: Any])
        #expect(baseline["effect"] as? String == "allow")
        #expect(candidateDecision["effect"] as? String == "review")
        #expect(baseline["explanation"] is [String: Any])
        #expect(candidateDecision["explanation"] is [String: Any])
    }

    @Test("the human report: counts, causes, obligations and samples with both explanations")
    func humanReport() throws {
        let candidate = try ReplayFixture.candidate()
        defer { try? FileManager.default.removeItem(at: candidate) }
        let requests = try ReplayFixture.requests()
        defer { try? FileManager.default.removeItem(atPath: requests) }
        let run = try CLI.run([
            "replay", "--requests", requests, "--baseline", "Policies", "--candidate", candidate.path, "--samples", "0",
            "--locale", "en",
        ])
        #expect(run.status == 0)
        // The candidate is the pack with three fixed edits, so its digest is fixed too.
        #expect(run.stdout == """
            replay: 12 lines (6 decision-log entries, 6 plain requests), 2 bad
            baseline:  marketplace-cancellations 2026.12 (sha256:f014fcd1be15) from `Policies`
            candidate: marketplace-cancellations 2026.12 (sha256:afa96699b932) from `\(candidate.path)`
            changed: 6 of 10 requests (60.00%): 2 effect flips, 1 with other deciding rules, 4 with changed obligations

            effects (baseline → candidate):
              allow → allow    6  60.00%
              allow → review   2  20.00%  changed
              review → review  1  10.00%
              deny → deny      1  10.00%

            effect flips, and what made them:
              allow → review: 2 (20.00%)
                `abuse-review` matches now: 2
                `abuse-warn` no longer matches: 2

            same effect, other deciding rules:
              allow: buyer-before-shipment → buyer-before-shipment, abuse-warn: 1 (10.00%)
                `abuse-warn` matches now: 1

            same effect, changed obligations:
              refund.expected_by: 3 (30.00%): earlier by 1 day: 3
              refund.initiate_by: 3 (30.00%): earlier by 3 days: 1; earlier by 1 day: 2
              warn_account added: 1 (10.00%)

            bad lines (first 2 of 2):
              line 11: error[request-invalid-json] at $: invalid JSON: expected a field name in double quotes, found end of input
              line 13: error[request-invalid-enum] at $.order.status: `order.status` must be one of `pending_payment`, `paid`, `processing`, `shipped`, `delivered` or `cancelled`; found `shiped`

            """)
    }

    @Test("--fail-on: within the limits exits 0, past one exits 5 and says which")
    func failOn() throws {
        let candidate = try ReplayFixture.candidate()
        defer { try? FileManager.default.removeItem(at: candidate) }
        let requests = try ReplayFixture.requests()
        defer { try? FileManager.default.removeItem(atPath: requests) }
        let base = ["replay", "--requests", requests, "--baseline", "Policies", "--candidate", candidate.path, "--samples", "0"]

        // 2 of 10 flip allow → review: 20% is not more than 20%; no refund amount changed.
        let pass = try CLI.run(base + [
            "--fail-on", "allow->review>20%", "--fail-on", "any->deny>0", "--fail-on", "refund.amount>0",
            "--fail-on", "changed>6",
        ])
        #expect(pass.status == 0, "\(pass.stderr)")
        #expect(pass.stderr == "")
        #expect(pass.stdout.contains("""
            checks:
              passed  allow->review>20%: 2 of 10 (20.00%)
              passed  any->deny>0: 0 of 10 (0.00%)
              passed  refund.amount>0: 0 of 10 (0.00%)
              passed  changed>6: 6 of 10 (60.00%)
            """))

        let fail = try CLI.run(base + [
            "--fail-on", "allow -> review > 1", "--fail-on", "refund.initiate_by>0", "--fail-on", "warn_account.*>10%",
            "--fail-on", "bad-lines>0", "--fail-on", "deciding-rules>1",
        ])
        #expect(fail.status == 5)
        #expect(fail.stdout.contains("""
            checks:
              FAILED  allow -> review > 1: 2 of 10 (20.00%)
              FAILED  refund.initiate_by>0: 3 of 10 (30.00%)
              passed  warn_account.*>10%: 1 of 10 (10.00%)
              FAILED  bad-lines>0: 2 of 12 (16.67%)
              passed  deciding-rules>1: 1 of 10 (10.00%)
            """))
        #expect(fail.stderr == """
            replay: 3 of 5 --fail-on thresholds exceeded: `allow -> review > 1`: 2 of 10 (20.00%); \
            `refund.initiate_by>0`: 3 of 10 (30.00%); `bad-lines>0`: 2 of 12 (16.67%)

            """)
    }

    @Test("a bad --fail-on is a usage error (64) that says what is wrong", arguments: [
        ("allow->dney>1%", "unknown effect `dney`"),
        ("allow->deny", "expected METRIC>LIMIT"),
        ("allow->deny>1.5.1%", "the limit `1.5.1%` is not a percentage"),
        ("allow->deny>-1", "the limit `-1` is not a number of requests"),
        ("chnged>0", "unknown metric `chnged`; did you mean `changed`?"),
        ("allow->allow>0", "`allow->allow` is no change"),
        ("refnd.amount>0", "neither policy set has obligations of type `refnd`; did you mean `refund`?"),
        ("refund.amonut>0", "`refund` obligations have no field `amonut`; did you mean `amount`?"),
    ])
    func badFailOn(spec: String, message: String) throws {
        let run = try CLI.run([
            "replay", "--requests", "Examples/ci/sample-requests.jsonl", "--baseline", "Policies", "--candidate", "Policies",
            "--fail-on", spec,
        ])
        #expect(run.status == 64)
        #expect(run.stderr.hasPrefix("Error: --fail-on `\(spec)`: \(message)"), "\(run.stderr)")
        #expect(run.stdout == "")
    }

    @Test("--format json: fixed top-level keys, in order")
    func jsonKeys() throws {
        let requests = try ReplayFixture.requests()
        defer { try? FileManager.default.removeItem(atPath: requests) }
        let run = try CLI.run([
            "replay", "--requests", requests, "--baseline", "Policies", "--candidate", "Policies", "--format", "json",
            "--fail-on", "changed>0",
        ])
        #expect(run.status == 0)
        #expect(PolicyCLI.topLevelKeys(run.stdout) == [
            "baseline", "candidate", "lines", "log_entries", "plain_requests", "bad_lines", "replayed", "changed", "flips",
            "obligation_changes", "gaps", "history", "transitions", "changes", "bad_lines_first", "checks", "failed", "samples",
        ])
        let report = try PolicyCLI.object(run.stdout)
        #expect(report["changed"] as? Int == 0)
        #expect(report["failed"] as? Bool == false)
        let baseline = try #require(report["baseline"] as? [String: Any])
        #expect(Set(baseline.keys) == ["source", "commit", "name", "version", "digest"])
        #expect(baseline["commit"] is NSNull)
    }

    @Test("--format markdown: summary tables and samples in <details> blocks")
    func markdown() throws {
        let candidate = try ReplayFixture.candidate()
        defer { try? FileManager.default.removeItem(at: candidate) }
        let requests = try ReplayFixture.requests()
        defer { try? FileManager.default.removeItem(atPath: requests) }
        let run = try CLI.run([
            "replay", "--requests", requests, "--baseline", "Policies", "--candidate", candidate.path, "--format", "markdown",
            "--fail-on", "allow->deny>1%", "--samples", "1",
        ])
        #expect(run.status == 0)
        let markdown = run.stdout
        #expect(markdown.hasPrefix("## Policy replay: 6 of 10 requests change (60.00%)\n"))
        #expect(markdown.contains("""
            ### Effects

            | baseline → candidate | requests | share |
            |---|---:|---:|
            | allow → allow | 6 | 60.00% |
            | **allow → review** | 2 | 20.00% |
            | review → review | 1 | 10.00% |
            | deny → deny | 1 | 10.00% |
            """))
        #expect(markdown.contains("| `allow->deny>1%` | 0 of 10 (0.00%) | ✅ passed |"))
        #expect(markdown.contains("| allow → review | 2 (20.00%) | `abuse-review` matches now (2); `abuse-warn` no longer matches (2) |"))
        #expect(markdown.contains("| `refund.initiate_by` | 3 (30.00%) | earlier by 3 days: 1; earlier by 1 day: 2 |"))
        #expect(markdown.contains("| `warn_account` added | 1 (10.00%) |  |"))
        #expect(markdown.components(separatedBy: "<details>").count - 1 == 5)
        #expect(markdown.contains("<summary>allow → review: line 4, request <code>r4</code></summary>"))
        #expect(markdown.components(separatedBy: "</details>").count - 1 == 5)
    }

    @Test("the same report whatever the number of threads")
    func deterministicAcrossJobs() throws {
        let candidate = try ReplayFixture.candidate()
        defer { try? FileManager.default.removeItem(at: candidate) }
        // Enough lines for several batches per thread.
        let lines = try ReplayFixture.lines()
        let many = (0..<1200).flatMap { _ in lines }.joined(separator: "\n") + "\n"
        let requests = try PolicyCLI.temporaryFile(many, extension: "jsonl")
        defer { try? FileManager.default.removeItem(atPath: requests) }
        let base = ["replay", "--requests", requests, "--baseline", "Policies", "--candidate", candidate.path, "--format", "json"]
        let one = try CLI.run(base + ["--jobs", "1"])
        #expect(one.status == 0)
        #expect(try PolicyCLI.object(one.stdout)["replayed"] as? Int == 12_000)
        for jobs in ["2", "3"] {
            let run = try CLI.run(base + ["--jobs", jobs])
            #expect(run.stdout == one.stdout, "--jobs \(jobs)")
        }
    }

    @Test("git:REV reads the folder at a revision: same digest and counts as the folder itself")
    func gitBaseline() throws {
        let repository = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-replay-git-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: repository) }
        let policies = repository.appendingPathComponent("Policies")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.packageRoot.appendingPathComponent("Policies"), to: policies)
        try git(["init", "-q"], in: repository)
        try git(["add", "-A"], in: repository)
        try git(["commit", "-q", "-m", "reference pack"], in: repository)
        try ReplayFixture.edit(policies)
        try git(["commit", "-q", "-a", "-m", "candidate"], in: repository)
        let requests = try ReplayFixture.requests()
        defer { try? FileManager.default.removeItem(atPath: requests) }
        let candidate = try ReplayFixture.candidate()
        defer { try? FileManager.default.removeItem(at: candidate) }

        let fromFolders = try CLI.run([
            "replay", "--requests", requests, "--baseline", "Policies", "--candidate", candidate.path, "--format", "json",
        ])
        let fromGit = try CLI.run([
            "replay", "--requests", requests, "--baseline", "git:HEAD~1", "--candidate", policies.path, "--format", "json",
        ])
        #expect(fromGit.status == 0, "\(fromGit.stderr)")
        let folders = try PolicyCLI.object(fromFolders.stdout), git = try PolicyCLI.object(fromGit.stdout)
        let baseline = try #require(git["baseline"] as? [String: Any])
        #expect(baseline["source"] as? String == "git:HEAD~1")
        #expect((baseline["commit"] as? String)?.count == 40)
        #expect(baseline["digest"] as? String == (folders["baseline"] as? [String: Any])?["digest"] as? String)
        #expect((git["candidate"] as? [String: Any])?["digest"] as? String
            == (folders["candidate"] as? [String: Any])?["digest"] as? String)
        for key in ["lines", "replayed", "changed", "flips", "obligation_changes"] {
            #expect(git[key] as? Int == folders[key] as? Int, "\(key)")
        }
        #expect(git["changed"] as? Int == 6)

        // Both sides at revisions, the folder named by --policies-path.
        let bothGit = try CLI.run([
            "replay", "--requests", requests, "--baseline", "git:HEAD~1", "--candidate", "git:HEAD",
            "--policies-path", policies.path, "--format", "json",
        ])
        #expect(bothGit.status == 0, "\(bothGit.stderr)")
        #expect(try PolicyCLI.object(bothGit.stdout)["changed"] as? Int == 6)

        // An unknown revision is a usage error that says what to do in CI.
        let unknown = try CLI.run([
            "replay", "--requests", requests, "--baseline", "git:no-such-branch", "--candidate", policies.path,
        ])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.hasPrefix(
            "Error: `git:no-such-branch`: git cannot find the revision `no-such-branch` in the repository of `\(policies.path)`; "))
    }

    @Test("errors in a side's policies are rendered with their location; exit 3")
    func invalidCandidate() throws {
        let candidate = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: candidate) }
        let file = candidate.appendingPathComponent("who-may-cancel.yaml")
        try PolicyCLI.edit(file, replacing: "- order.status in [\"shipped\", \"delivered\"]", with: "- order.status == \"shiped\"")
        let run = try CLI.run([
            "replay", "--requests", "Examples/ci/sample-requests.jsonl", "--baseline", "Policies", "--candidate",
            candidate.path,
        ])
        #expect(run.status == 3)
        #expect(run.stdout == "")
        #expect(run.stderr.hasPrefix("""
            error: the candidate `\(candidate.path)` has errors:
            \(file.path):42:27: error[cel-invalid-enum-value]:
            """))
    }

    @Test("the sample log replays cleanly against the policies that wrote it")
    func sampleLog() throws {
        let run = try CLI.run([
            "replay", "--requests", "Examples/ci/sample-requests.jsonl", "--baseline", "Policies", "--candidate", "Policies",
            "--format", "json", "--fail-on", "changed>0", "--fail-on", "bad-lines>0",
        ])
        #expect(run.status == 0)
        let report = try PolicyCLI.object(run.stdout)
        #expect(report["lines"] as? Int == 3000)
        #expect(report["log_entries"] as? Int == 3000)
        #expect(report["changed"] as? Int == 0)
    }

    private func git(_ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory.path, "-c", "user.name=Rescind Tests", "-c", "user.email=tests@example.com"]
            + arguments
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "git \(arguments.joined(separator: " "))")
    }
}
