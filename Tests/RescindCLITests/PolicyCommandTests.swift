import Foundation
import Testing

/// Helpers shared by the `check` and `eval` tests.
enum PolicyCLI {
    /// A fresh temporary copy of the reference pack, for tests that break it.
    static func copyOfPolicies() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-cli-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: CLI.packageRoot.appendingPathComponent("Policies"), to: copy)
        return copy
    }

    /// Replaces `old` (which must occur) with `new` in `file`.
    static func edit(_ file: URL, replacing old: String, with new: String) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        try #require(text.contains(old), "`\(old)` is not in \(file.lastPathComponent)")
        try text.replacingOccurrences(of: old, with: new).write(to: file, atomically: true, encoding: .utf8)
    }

    /// Writes `text` to a new temporary file and returns its path.
    static func temporaryFile(_ text: String, extension ext: String = "json") throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-cli-\(UUID().uuidString).\(ext)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func example(_ name: String) throws -> String {
        try String(contentsOf: CLI.packageRoot.appendingPathComponent("Examples/requests/\(name)"), encoding: .utf8)
    }

    /// An example request on one line (for --jsonl).
    static func compact(_ name: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(try example(name).utf8))
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The keys of a JSON object's top level, in the order written (JSONSerialization
    /// forgets the order, and the order is part of the contract).
    static func topLevelKeys(_ json: String) -> [String] {
        var keys: [String] = []
        var depth = 0
        var inString = false
        var escaped = false
        var current = ""
        var expectingKey = false
        var readingKey = false
        for character in json {
            if inString {
                if escaped {
                    escaped = false
                    if readingKey { current.append(character) }
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                    if readingKey {
                        keys.append(current)
                        readingKey = false
                    }
                } else if readingKey {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "\"":
                inString = true
                if depth == 1 && expectingKey {
                    readingKey = true
                    expectingKey = false
                    current = ""
                }
            case "{", "[":
                depth += 1
                if depth == 1 { expectingKey = true }
            case "}", "]": depth -= 1
            case ",": if depth == 1 { expectingKey = true }
            default: break
            }
        }
        return keys
    }
}

/// `rescind check`, through the real binary.
@Suite("rescind check")
struct CheckCommandTests {
    @Test("the reference pack checks clean: exit 0, summary on stderr")
    func referencePackIsClean() throws {
        let run = try CLI.run(["check", "Policies"])
        #expect(run.status == 0)
        #expect(run.stdout == "")
        #expect(run.stderr == "ok: marketplace-cancellations 2026.12: 12 rules, 1 thresholds, 7 files\n")
    }

    @Test("an error exits 3 with the rendered diagnostic on stdout")
    func errorExits3() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let file = copy.appendingPathComponent("who-may-cancel.yaml")
        try PolicyCLI.edit(file, replacing: "- order.status in [\"shipped\", \"delivered\"]", with: "- order.status == \"shiped\"")
        let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        let line = try #require(lines.firstIndex { $0.contains("\"shiped\"") }) + 1
        #expect(line == 42)
        let run = try CLI.run(["check", copy.path])
        #expect(run.status == 3)
        #expect(run.stdout == """
            \(file.path):42:27: error[cel-invalid-enum-value]: `shiped` is not a valid `order_status`; expected one of \
            `pending_payment`, `paid`, `processing`, `shipped`, `delivered`, `cancelled`
               |
            42 |         - order.status == "shiped"
               |                           ^~~~~~~~
              = help: did you mean `shipped`?

            """)
        #expect(run.stderr == "failed: 1 error, 0 warnings\n")
    }

    @Test("--format json is valid JSON with diagnostics[].code and span")
    func jsonFormat() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        let file = copy.appendingPathComponent("who-may-cancel.yaml")
        try PolicyCLI.edit(file, replacing: "- actor.role == \"buyer\"\n", with: "- ordr.role == \"buyer\"\n")
        try PolicyCLI.edit(copy.appendingPathComponent("schema.yaml"), replacing: "total: {type: decimal,", with: "total: {type: decmal,")

        let run = try CLI.run(["check", copy.path, "--format", "json"])
        #expect(run.status == 3)
        #expect(run.stderr == "")
        let object = try PolicyCLI.object(run.stdout)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        let codes = diagnostics.compactMap { $0["code"] as? String }
        #expect(codes.contains("cel-undeclared-reference"))
        #expect(codes.contains("policy-unknown-type"))
        for diagnostic in diagnostics {
            #expect(diagnostic["severity"] as? String == "error")
            let span = try #require(diagnostic["span"] as? [String: Any])
            let file = try #require(span["file"] as? String)
            #expect(file.hasPrefix(copy.path))
            let start = try #require(span["start"] as? [String: Int])
            #expect((start["line"] ?? 0) > 0 && (start["column"] ?? 0) > 0)
            #expect(span["end"] is [String: Int])
        }
    }

    @Test("--format github emits ::error file=…,line=… lines")
    func githubFormat() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        try PolicyCLI.edit(copy.appendingPathComponent("schema.yaml"), replacing: "total: {type: decimal,", with: "total: {type: decmal,")
        let run = try CLI.run(["check", copy.path, "--format", "github"])
        #expect(run.status == 3)
        let lines = run.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.hasPrefix("::error file="), "\(line)")
            #expect(line.contains(",line="), "\(line)")
        }
        let schemaLines = try String(contentsOf: copy.appendingPathComponent("schema.yaml"), encoding: .utf8)
            .components(separatedBy: "\n")
        let line = try #require(schemaLines.firstIndex { $0.contains("decmal") }) + 1
        let escapedPath = copy.appendingPathComponent("schema.yaml").path
            .replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
        #expect(lines.contains { $0.hasPrefix("::error file=\(escapedPath),line=\(line),col=19,") && $0.contains("title=policy-unknown-type::unknown type `decmal`") })
    }

    @Test("warnings alone still exit 0 and are counted in the summary")
    func warningsExit0() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        try PolicyCLI.edit(copy.appendingPathComponent("schema.yaml"), replacing: "optional: true", with: "optional: yes")
        let run = try CLI.run(["check", copy.path])
        #expect(run.status == 0)
        #expect(run.stdout.contains("warning[yaml-boolean-like]"))
        #expect(run.stderr.hasPrefix("ok: marketplace-cancellations 2026.12: 12 rules, 1 thresholds, 7 files, 2 warnings"))
    }

    @Test("a bad --format is a usage error (64)")
    func badFormat() throws {
        let run = try CLI.run(["check", "Policies", "--format", "xml"])
        #expect(run.status == 64)
    }

    @Test("within 60 days of the calendar's last year's end, check warns (today from RESCIND_TODAY or --today)")
    func calendarCoverageWarning() throws {
        let run = try CLI.run(["check", "Policies"], environment: ["RESCIND_TODAY": "2026-12-05"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix(
            "Policies/calendar-cn-mainland.yaml:26:8: warning[policy-calendar-coverage-ending]: calendar `cn-mainland`'s"
                + " last covered day is 2026-12-31: its coverage ends in 26 days (today is 2026-12-05)"))
        #expect(run.stderr == "ok: marketplace-cancellations 2026.12: 12 rules, 1 thresholds, 7 files, 1 warning\n")
        let option = try CLI.run(["check", "Policies", "--today", "2027-01-10"])
        #expect(option.stdout.contains("its coverage ended 10 days ago (today is 2027-01-10)"))
        let early = try CLI.run(["check", "Policies", "--today", "2026-11-01"])
        #expect(early.stdout == "")
        let bad = try CLI.run(["check", "Policies", "--today", "tomorrow"])
        #expect(bad.status == 64)
    }
}

/// `rescind eval`, through the real binary.
@Suite("rescind eval")
struct EvalCommandTests {
    @Test("an allowed request prints the text decision and exits 0")
    func allowText() throws {
        let run = try CLI.run(["eval", "--policies", "Policies", "Examples/requests/buyer-paid-card.json"])
        #expect(run.status == 0)
        #expect(run.stderr == "")
        // The digest changes with every edit of the pack; take it from the JSON form.
        let json = try CLI.run(["eval", "--policies", "Policies", "--json", "Examples/requests/buyer-paid-card.json"])
        let policy = try #require(try PolicyCLI.object(json.stdout)["policy"] as? [String: String])
        let digest = try #require(policy["digest"])
        #expect(run.stdout == """
            effect: allow (buyer-before-shipment)
            matched: buyer-before-shipment
            reasons:
              - 订单 o-1 尚未发货，您可以取消该订单。
            obligations:
              - refund: amount 129.99, fee 0.00, currency CNY, initiate_by 2026-12-02T23:59:59+08:00, \
            expected_by 2026-12-11T23:59:59+08:00
            policy: marketplace-cancellations 2026.12 (sha256:\(digest.prefix(12)))

            """)

        // The same pack named another way gives the same digest.
        let absolute = try CLI.run(["eval", "--policies", CLI.packageRoot.appendingPathComponent("Policies").path + "/",
                                    "Examples/requests/buyer-paid-card.json"])
        #expect(absolute.stdout == run.stdout)
    }

    @Test("deny exits 1, review exits 2", arguments: [
        ("buyer-after-shipment.json", Int32(1), "deny"),
        ("abuse-review.json", Int32(2), "review"),
        ("buyer-paid-card.json", Int32(0), "allow"),
    ])
    func exitCodes(_ file: String, _ status: Int32, _ effect: String) throws {
        let run = try CLI.run(["eval", "--policies", "Policies", "Examples/requests/\(file)"])
        #expect(run.status == status)
        #expect(run.stdout.hasPrefix("effect: \(effect) ("))
        let json = try CLI.run(["eval", "--policies", "Policies", "--json", "Examples/requests/\(file)"])
        #expect(json.status == status)
        #expect(try PolicyCLI.object(json.stdout)["effect"] as? String == effect)
    }

    @Test("--json has exactly the contract's keys in order; --explain adds explanation last")
    func jsonKeys() throws {
        let plain = ["request_id", "effect", "deciding_rules", "matched_rules", "obligations", "reasons", "locale", "policy"]
        let run = try CLI.run(["eval", "--policies", "Policies", "--json", "Examples/requests/buyer-paid-card.json"])
        #expect(run.status == 0)
        #expect(run.stdout.hasSuffix("}\n"))
        #expect(run.stdout.filter { $0 == "\n" }.count == 1)
        _ = try PolicyCLI.object(run.stdout)
        #expect(PolicyCLI.topLevelKeys(run.stdout) == plain)

        let explained = try CLI.run(["eval", "--policies", "Policies", "--json", "--explain", "Examples/requests/buyer-paid-card.json"])
        #expect(explained.status == 0)
        let object = try PolicyCLI.object(explained.stdout)
        #expect(PolicyCLI.topLevelKeys(explained.stdout) == plain + ["explanation"])
        let explanation = try #require(object["explanation"] as? [String: Any])
        #expect(explanation["rules"] is [[String: Any]])
    }

    @Test("--json values of an allowed request with a refund")
    func jsonValues() throws {
        let run = try CLI.run(["eval", "--policies", "Policies", "--json", "Examples/requests/buyer-paid-card.json"])
        let object = try PolicyCLI.object(run.stdout)
        #expect(object["request_id"] as? String == "req-1")
        #expect(object["deciding_rules"] as? [String] == ["buyer-before-shipment"])
        #expect(object["matched_rules"] as? [String] == ["buyer-before-shipment"])
        #expect(object["locale"] as? String == "zh-CN")
        let policy = try #require(object["policy"] as? [String: String])
        #expect(policy["name"] == "marketplace-cancellations")
        #expect(policy["version"] == "2026.12")
        #expect(policy["digest"]?.count == 64)
        let obligations = try #require(object["obligations"] as? [[String: Any]])
        #expect(obligations.count == 1)
        let refund = try #require(obligations.first)
        for key in ["type", "amount", "fee", "currency", "initiate_by", "expected_by"] {
            #expect(refund[key] != nil, "refund has no `\(key)`")
        }
        #expect(refund["type"] as? String == "refund")
        #expect(refund["amount"] as? String == "129.99")
        #expect(refund["fee"] as? String == "0.00")
        #expect(refund["currency"] as? String == "CNY")
        #expect(refund["initiate_by"] as? String == "2026-12-02T23:59:59+08:00")
        #expect(refund["expected_by"] as? String == "2026-12-11T23:59:59+08:00")
        let reasons = try #require(object["reasons"] as? [[String: String]])
        #expect(reasons.map { $0["rule"] } == ["buyer-before-shipment"])
    }

    @Test("--locale chooses the language of the reasons")
    func locale() throws {
        func reasons(_ extra: [String]) throws -> ([String], String?) {
            let run = try CLI.run(["eval", "--policies", "Policies", "--json"] + extra + ["Examples/requests/buyer-paid-card.json"])
            #expect(run.status == 0)
            let object = try PolicyCLI.object(run.stdout)
            let reasons = try #require(object["reasons"] as? [[String: String]])
            return (reasons.compactMap { $0["text"] }, object["locale"] as? String)
        }
        let english = try reasons(["--locale", "en"])
        let chinese = try reasons(["--locale", "zh-CN"])
        let fromRequest = try reasons([])
        #expect(english.0 == ["Order o-1 has not shipped yet, so you can cancel it."])
        #expect(english.1 == "en")
        #expect(chinese.0 == ["订单 o-1 尚未发货，您可以取消该订单。"])
        #expect(chinese.1 == "zh-CN")
        #expect(fromRequest.0 == chinese.0)

        let text = try CLI.run(["eval", "--policies", "Policies", "--locale", "en", "Examples/requests/buyer-paid-card.json"])
        #expect(text.stdout.contains("  - Order o-1 has not shipped yet, so you can cancel it.\n"))
    }

    @Test("--locale is matched as a BCP 47 tag; a language without texts is a usage error")
    func localeMatching() throws {
        for tag in ["zh", "zh-Hans", "zh_CN", "zh-cn"] {
            let run = try CLI.run(["eval", "--policies", "Policies", "--json", "--locale", tag, "Examples/requests/buyer-paid-card.json"])
            #expect(run.status == 0, "--locale \(tag)")
            #expect(try PolicyCLI.object(run.stdout)["locale"] as? String == "zh-CN", "--locale \(tag)")
        }
        for command in [["eval"], ["explain"]] {
            let run = try CLI.run(command + ["--policies", "Policies", "--locale", "fr", "Examples/requests/buyer-paid-card.json"])
            #expect(run.status == 64)
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.contains("--locale `fr`: `marketplace-cancellations` has no texts in this language; its locales are `en` and `zh-CN`"))
        }
    }

    static let invalidRequests: [(String, String, String)] = [
        ("bad enum value", "\"status\": \"paid\"|\"status\": \"shiped\"", "$.order.status"),
        ("missing field", "\"currency\": \"CNY\",|", "$.order.currency"),
        ("malformed JSON", "\"seller_stats\": {|\"seller_stats\": {,", "$.seller_stats"),
    ]

    @Test("an invalid request exits 3 and names the JSON path", arguments: invalidRequests)
    func invalidRequest(_ what: String, _ edit: String, _ path: String) throws {
        let parts = edit.components(separatedBy: "|")
        let original = try PolicyCLI.example("buyer-paid-card.json")
        try #require(original.contains(parts[0]))
        let file = try PolicyCLI.temporaryFile(original.replacingOccurrences(of: parts[0], with: parts[1]))
        defer { try? FileManager.default.removeItem(atPath: file) }

        let run = try CLI.run(["eval", "--policies", "Policies", file])
        #expect(run.status == 3, "\(what)")
        #expect(run.stdout == "")
        #expect(run.stderr.contains(path), "\(what): \(run.stderr)")
        #expect(run.stderr.hasPrefix("error[request-"), "\(what): \(run.stderr)")

        let json = try CLI.run(["eval", "--policies", "Policies", "--json", file])
        #expect(json.status == 3)
        let object = try PolicyCLI.object(json.stdout)
        let error = try #require(object["error"] as? [String: Any])
        #expect(error["path"] as? String == path, "\(what)")
        #expect((error["code"] as? String)?.hasPrefix("request-") == true)
        #expect(error["line"] == nil)
    }

    @Test("--jsonl: one output line per input line; a bad line becomes an error object")
    func jsonl() throws {
        let lines = [
            try PolicyCLI.compact("buyer-paid-card.json"),
            try PolicyCLI.compact("buyer-after-shipment.json").replacingOccurrences(of: "\"shipped\"", with: "\"shiped\""),
            try PolicyCLI.compact("abuse-review.json"),
        ]
        let file = try PolicyCLI.temporaryFile(lines.joined(separator: "\n") + "\n", extension: "jsonl")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try CLI.run(["eval", "--policies", "Policies", "--jsonl", file])
        #expect(run.status == 0)
        let output = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        try #require(output.count == 4 && output[3].isEmpty, "\(run.stdout)")
        let first = try PolicyCLI.object(String(output[0]))
        #expect(first["effect"] as? String == "allow")
        let second = try PolicyCLI.object(String(output[1]))
        #expect(second.count == 1)
        let error = try #require(second["error"] as? [String: Any])
        #expect(error["line"] as? Int == 2)
        #expect(error["path"] as? String == "$.order.status")
        #expect(error["code"] as? String == "request-invalid-enum")
        let third = try PolicyCLI.object(String(output[2]))
        #expect(third["effect"] as? String == "review")
    }

    @Test("a negative total is refused by the pack's schema: exit 3, the path, the bound and the value")
    func negativeTotal() throws {
        let request = try PolicyCLI.compact("buyer-paid-card.json").replacingOccurrences(of: "\"129.99\"", with: "\"-129.99\"")
        #expect(request.contains("-129.99"))
        let human = try CLI.run(["eval", "--policies", "Policies", "-"], input: request)
        #expect(human.status == 3)
        #expect(human.stdout == "")
        #expect(human.stderr == """
            error[request-out-of-range]: $.order.total: `order.total` must be at least `0`; found `-129.99`
              = help: the schema allows values from `0` to `10000000`, inclusive

            """)
        let json = try CLI.run(["eval", "--policies", "Policies", "--json", "-"], input: request)
        #expect(json.status == 3)
        let error = try #require(try PolicyCLI.object(json.stdout.trimmingCharacters(in: .newlines))["error"] as? [String: Any])
        #expect(error["code"] as? String == "request-out-of-range")
        #expect(error["path"] as? String == "$.order.total")
        // In a stream the line is refused and the run goes on.
        let file = try PolicyCLI.temporaryFile(request + "\n" + (try PolicyCLI.compact("buyer-paid-card.json")) + "\n", extension: "jsonl")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let stream = try CLI.run(["eval", "--policies", "Policies", "--jsonl", file])
        let lines = stream.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(stream.stdout)")
        #expect(lines[0].hasPrefix(#"{"error":{"code":"request-out-of-range","message":"`order.total` must be at least `0`; found `-129.99`","path":"$.order.total""#))
        #expect(try PolicyCLI.object(lines[1])["effect"] as? String == "allow")
    }

    @Test("usage errors exit 64", arguments: [
        ["eval", "--policies", "Policies"],
        ["eval", "--policies", "Policies", "--jsonl", "x.jsonl", "Examples/requests/buyer-paid-card.json"],
        ["eval", "--policies", "Policies", "--no-such-flag", "Examples/requests/buyer-paid-card.json"],
    ])
    func usageErrors(_ arguments: [String]) throws {
        let run = try CLI.run(arguments)
        #expect(run.status == 64)
        #expect(run.stdout == "")
        #expect(!run.stderr.isEmpty)
    }

    @Test("invalid policies exit 3 with the diagnostics on stderr")
    func invalidPolicies() throws {
        let copy = try PolicyCLI.copyOfPolicies()
        defer { try? FileManager.default.removeItem(at: copy) }
        try PolicyCLI.edit(copy.appendingPathComponent("schema.yaml"), replacing: "total: {type: decimal,", with: "total: {type: decmal,")
        let run = try CLI.run(["eval", "--policies", copy.path, "Examples/requests/buyer-paid-card.json"])
        #expect(run.status == 3)
        #expect(run.stdout == "")
        #expect(run.stderr.contains("error[policy-unknown-type]: unknown type `decmal`"))
    }
}
