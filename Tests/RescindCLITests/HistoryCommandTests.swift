import Foundation
import Testing

/// `rescind history import|stats|purge` and `rescind eval --history` (issue 14), run as
/// users run them: the real binary against a fresh SQLite file (and PostgreSQL when
/// `RESCIND_TEST_POSTGRES_URL` names a server).
@Suite("history commands")
struct HistoryCommandTests {
    /// A temporary folder with a copy of the reference pack whose policy set declares
    /// `history:` (`request_lists` as given), and a SQLite file in it.
    struct Fixture {
        let folder: URL
        var policies: String { folder.appendingPathComponent("Policies").path }
        var database: String { folder.appendingPathComponent("history.db").path }
        var history: String { "sqlite:" + database }

        init(requestLists: String = "accept") throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-history-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: CLI.packageRoot.appendingPathComponent("Policies"), to: folder.appendingPathComponent("Policies"))
            // The shipped section replaced by the test's own.
            try PolicyCLI.edit(
                folder.appendingPathComponent("Policies/policy-set.yaml"), replacing: "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.role == \"buyer\" ? actor.id : order.buyer_id'\n  request_lists: accept\n# When the history store does not answer, a person reviews the cancellation rather\n# than letting a repeat canceller through unchecked.\non_history_unavailable: review\n",
                with: """
                    history:
                      list: buyer_history.cancellations
                      buyer: 'actor.role == "buyer" ? actor.id : "unknown-buyer"'
                      request_lists: \(requestLists)

                    """)
        }

        /// A copy of the shipped policies with their `history:` section taken out; its path.
        func policiesWithoutHistory() throws -> String {
            let plain = folder.appendingPathComponent("Plain")
            try FileManager.default.copyItem(at: CLI.packageRoot.appendingPathComponent("Policies"), to: plain)
            try PolicyCLI.edit(plain.appendingPathComponent("policy-set.yaml"), replacing: "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.role == \"buyer\" ? actor.id : order.buyer_id'\n  request_lists: accept\n# When the history store does not answer, a person reviews the cancellation rather\n# than letting a repeat canceller through unchecked.\non_history_unavailable: review\n", with: "")
            return plain.path
        }

        /// Writes `text` to `name` in the folder; its path.
        func file(_ name: String, _ text: String) throws -> String {
            let url = folder.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    /// One event line.
    static func event(
        _ order: String, buyer: String = "u-22", at: String, initiator: String = "buyer", status: String? = nil
    ) -> String {
        var line = #"{"order_id":"\#(order)","buyer_id":"\#(buyer)","seller_id":"s-1","at":"\#(at)","#
            + #""initiator":"\#(initiator)","reason":"changed_mind","request_id":"req-\#(order)""#
        if let status { line += #","status":"\#(status)""# }
        return line + "}"
    }

    /// Five cancellations buyer `u-22` started in the 30 days before
    /// `buyer-no-history.json`'s `at` (2026-11-27T10:00:00+08:00), and one older.
    static let fiveRecent = [
        event("h-1", at: "2026-11-01T10:00:00Z"),
        event("h-2", at: "2026-11-05T10:00:00+08:00"),
        event("h-3", at: "2026-11-10T10:00:00Z"),
        event("h-4", at: "2026-11-20T10:00:00Z"),
        event("h-5", at: "2026-11-26T23:00:00+08:00"),
        event("h-old", at: "2026-09-01T10:00:00Z"),
    ].joined(separator: "\n") + "\n"

    @Test("imported events cross a tier in eval --history, and the explanation says where they came from")
    func importThenEval() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let events = try fixture.file("events.jsonl", Self.fiveRecent)
        let imported = try CLI.run(["history", "import", "--history", fixture.history, events])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("  imported:   6\n"), "\(imported.stdout)")

        let request = "Examples/requests/buyer-no-history.json"
        let decided = try CLI.run([
            "eval", "--policies", fixture.policies, "--history", fixture.history, "--locale", "en", "--explain", request,
        ])
        #expect(decided.status == 2, "\(decided.stderr)")
        #expect(decided.stdout.hasPrefix("effect: review (abuse-review)\n"), "\(decided.stdout)")
        #expect(decided.stdout.contains("You have cancelled 5 orders in the last 30 days"))
        #expect(decided.stdout.contains("(from the history store)"), "\(decided.stdout)")

        // RESCIND_HISTORY stands for the flag, and --jsonl settles each line.
        let line = try PolicyCLI.compact("buyer-no-history.json")
        let streamed = try CLI.run(
            ["eval", "--policies", fixture.policies, "--jsonl", "-"],
            environment: ["RESCIND_HISTORY": fixture.history], input: line + "\n" + line + "\n")
        #expect(streamed.status == 0, "\(streamed.stderr)")
        let decisions = streamed.stdout.split(separator: "\n")
        #expect(decisions.count == 2)
        #expect(decisions.allSatisfy { $0.contains(#""effect":"review","deciding_rules":["abuse-review"]"#) })

        // The flag wins over the environment: an empty store counts nothing.
        let empty = "sqlite:" + fixture.folder.appendingPathComponent("empty.db").path
        let flagWins = try CLI.run(
            ["eval", "--policies", fixture.policies, "--history", empty, "--json", request],
            environment: ["RESCIND_HISTORY": fixture.history])
        #expect(flagWins.status == 0, "\(flagWins.stdout)\(flagWins.stderr)")
        #expect(flagWins.stdout.contains(#""effect":"allow""#))
    }

    @Test("a carried list is used as given (and said so) with accept; without a history: section --history changes nothing")
    func carriedListsAndSetsWithoutHistory() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let request = "Examples/requests/abuse-review.json"
        let plain = try CLI.run(["eval", "--policies", fixture.policies, "--explain", request])
        #expect(plain.status == 2)
        #expect(plain.stdout.contains("effect: review (abuse-review)"))
        #expect(!plain.stdout.contains("(as the request carried it)") && !plain.stdout.contains("history store"))
        let carried = try CLI.run([
            "eval", "--policies", fixture.policies, "--history", fixture.history, "--explain", request,
        ])
        #expect(carried.status == 2, "\(carried.stderr)")
        #expect(carried.stdout.contains("(as the request carried it)"), "\(carried.stdout)")

        // A set without `history:`: the store is not even opened.
        let plainPolicies = try fixture.policiesWithoutHistory()
        let unused = fixture.folder.appendingPathComponent("unused.db").path
        let reference = try CLI.run(["eval", "--policies", plainPolicies, "--explain", "--json", request])
        let withHistory = try CLI.run([
            "eval", "--policies", plainPolicies, "--history", "sqlite:" + unused, "--explain", "--json", request,
        ])
        #expect(withHistory.status == reference.status)
        #expect(withHistory.stdout == reference.stdout)
        #expect(!FileManager.default.fileExists(atPath: unused))
    }

    @Test("stats prints counts, retracted events, buyers, the oldest and newest instant and the schema version")
    func stats() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let events = try fixture.file(
            "events.jsonl",
            Self.fiveRecent + Self.event("h-7", buyer: "u-7", at: "2026-11-02T00:00:00Z", status: "retracted") + "\n")
        #expect(try CLI.run(["history", "import", "--history", fixture.history, events]).status == 0)
        let human = try CLI.run(["history", "stats", "--history", fixture.history])
        #expect(human.status == 0, "\(human.stderr)")
        #expect(
            human.stdout == """
                history:        \(fixture.history)
                schema version: 2
                events:         7 (1 retracted)
                buyers:         2
                oldest:         2026-09-01T10:00:00.000000Z
                newest:         2026-11-26T15:00:00.000000Z

                """)
        let json = try CLI.run(["history", "stats", "--format", "json"], environment: ["RESCIND_HISTORY": fixture.history])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(
            json.stdout
                == #"{"history":"\#(fixture.history)","schema_version":2,"events":7,"retracted":1,"buyers":2,"oldest":"2026-09-01T10:00:00.000000Z","newest":"2026-11-26T15:00:00.000000Z"}"#
                + "\n")
    }

    @Test("purge deletes the events before --before, or before now minus the longest window and the margin")
    func purge() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let events = try fixture.file("events.jsonl", Self.fiveRecent)
        #expect(try CLI.run(["history", "import", "--history", fixture.history, events]).status == 0)
        let before = try CLI.run([
            "history", "purge", "--history", fixture.history, "--before", "2026-11-01T10:00:00Z",
        ])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout == "purged 1 event before 2026-11-01T10:00:00.000000Z from \(fixture.history)\n")
        // 720h (abuse-thresholds.yaml) and 168h before 2026-12-15T10:00:00Z: 2026-11-08T10:00:00Z.
        let byPolicies = try CLI.run([
            "history", "purge", "--history", fixture.history, "--policies", fixture.policies,
            "--now", "2026-12-15T10:00:00Z", "--format", "json",
        ])
        #expect(byPolicies.status == 0, "\(byPolicies.stderr)")
        #expect(
            byPolicies.stdout
                == #"{"history":"\#(fixture.history)","before":"2026-11-08T10:00:00.000000Z","purged":2}"# + "\n")
        let margin = try CLI.run([
            "history", "purge", "--history", fixture.history, "--policies", fixture.policies,
            "--now", "2026-12-15T10:00:00Z", "--margin", "0s",
        ])
        #expect(margin.stdout == "purged 1 event before 2026-11-15T10:00:00.000000Z from \(fixture.history)\n")
        let stats = try CLI.run(["history", "stats", "--history", fixture.history, "--format", "json"])
        #expect(stats.stdout.contains(#""events":2,"#), "\(stats.stdout)")

        let noCut = try CLI.run(["history", "purge", "--history", fixture.history])
        #expect(noCut.status == 64)
        #expect(noCut.stderr.contains("Error: give the cut: --before RFC3339, or --policies DIR"))
        #expect(noCut.stderr.contains("See 'rescind history purge --help'"), "\(noCut.stderr)")
        let plainPolicies = try fixture.policiesWithoutHistory()
        let noSection = try CLI.run(["history", "purge", "--history", fixture.history, "--policies", plainPolicies])
        #expect(noSection.status == 64)
        #expect(noSection.stderr.contains("`\(plainPolicies)` has no `history:` section"), "\(noSection.stderr)")
    }

    @Test("a bad line is located with its JSON path, and nothing is imported")
    func badLine() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let text = Self.event("h-1", at: "2026-11-01T10:00:00Z") + "\n"
            + Self.event("h-2", at: "yesterday") + "\n\n"
            + #"{"order_id":"h-3","buyerid":"u-1"}"# + "\n"
            + #"{"order_id" 3}"# + "\n"
        let events = try fixture.file("events.jsonl", text)
        let run = try CLI.run(["history", "import", "--history", fixture.history, events])
        #expect(run.status == 3)
        #expect(run.stdout.isEmpty)
        #expect(
            run.stderr == """
                \(events):2: error: $.at: `yesterday` is not an RFC 3339 timestamp with an offset (e.g. `2026-03-01T10:00:00Z`)
                \(events):4: error: $.buyerid: unknown field `buyerid`; did you mean `buyer_id`?
                \(events):5:13: error: invalid JSON: expected `:` after a field name
                error: nothing imported: 3 bad lines

                """, "\(run.stderr)")
        let stats = try CLI.run(["history", "stats", "--history", fixture.history, "--format", "json"])
        #expect(stats.stdout.contains(#""events":0,"#), "\(stats.stdout)")
    }

    @Test("importing the same file twice imports nothing the second time and counts duplicates; conflicts are located")
    func duplicatesAndConflicts() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let events = try fixture.file("events.jsonl", Self.fiveRecent)
        let first = try CLI.run(["history", "import", "--history", fixture.history, "--format", "json", events])
        #expect(first.status == 0, "\(first.stderr)")
        let firstObject = try PolicyCLI.object(first.stdout)
        #expect(firstObject["imported"] as? Int == 6)
        let second = try CLI.run(["history", "import", "--history", fixture.history, "--format", "json", events])
        #expect(second.status == 0, "\(second.stderr)")
        let object = try PolicyCLI.object(second.stdout)
        #expect(object["imported"] as? Int == 0)
        #expect(object["duplicates"] as? Int == 6)
        #expect((object["conflicts"] as? [Any])?.isEmpty == true)
        #expect(object["input"] as? String == "events")

        let changed = try fixture.file(
            "changed.jsonl",
            Self.event("h-9", at: "2026-11-03T10:00:00Z") + "\n"
                + Self.event("h-2", buyer: "u-99", at: "2026-11-05T10:00:00+08:00") + "\n")
        let conflict = try CLI.run(["history", "import", "--history", fixture.history, changed])
        #expect(conflict.status == 7)
        #expect(
            conflict.stderr
                == "\(changed):2: error: order `h-2` is already recorded with a different `buyer_id`; an order's cancellation is recorded once\n",
            "\(conflict.stderr)")
        #expect(conflict.stdout.contains("  imported:   1\n  duplicates: 0\n  conflicts:  1\n"), "\(conflict.stdout)")
    }

    /// A decision-log line (docs/decision-log.md) for `request` with `effect`.
    static func logLine(seq: Int, request: String, effect: String) -> String {
        #"{"seq":\#(seq),"boot_id":"b-1","decision_id":"d-\#(seq)","logged_at":"2026-11-27T02:00:00.000000Z","#
            + #""policy":{"name":"marketplace-cancellations","version":"2026.12","digest":"x"},"latency_us":10,"#
            + #""request_bytes":100,"request_sha256":null,"truncated":false,"request":\#(request),"#
            + #""decision":{"request_id":"r","effect":"\#(effect)","deciding_rules":[]},"error":null}"#
    }

    @Test("a decision log's allowed decisions are imported as the events they record; it needs --policies")
    func decisionLog() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let paid = try PolicyCLI.compact("buyer-paid-card.json")
        let support = try PolicyCLI.compact("support-verified.json")
        let shipped = try PolicyCLI.compact("buyer-after-shipment.json")
        let rejected = #"{"seq":4,"boot_id":"b-1","decision_id":"d-4","logged_at":"2026-11-27T02:00:00.000000Z","#
            + #""policy":{"name":"m","version":"1","digest":"x"},"latency_us":1,"request_bytes":5,"#
            + #""request_sha256":"ab","truncated":false,"request":"{\"a\"","decision":null,"#
            + #""error":{"code":"request-invalid-json","message":"m","path":"$"}}"#
        let log = try fixture.file(
            "decisions.log",
            [
                Self.logLine(seq: 1, request: paid, effect: "allow"),
                Self.logLine(seq: 2, request: support, effect: "allow"),
                Self.logLine(seq: 3, request: shipped, effect: "deny"),
                rejected,
            ].joined(separator: "\n") + "\n")
        let refused = try CLI.run(["history", "import", "--history", fixture.history, log])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("is a decision log: give --policies DIR"), "\(refused.stderr)")

        let run = try CLI.run([
            "history", "import", "--history", fixture.history, "--policies", fixture.policies, "--format", "json", log,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try PolicyCLI.object(run.stdout)
        #expect(object["input"] as? String == "decision-log")
        #expect(object["events"] as? Int == 2)
        #expect(object["skipped"] as? Int == 2)
        #expect(object["imported"] as? Int == 2)
        // The buyer is `history.buyer`'s: the buyer's own id, or the fallback for support.
        let stats = try CLI.run(["history", "stats", "--history", fixture.history, "--format", "json"])
        #expect(stats.stdout.contains(#""events":2,"retracted":0,"buyers":2,"#), "\(stats.stdout)")
    }

    @Test("with request_lists: refuse a carried list is a request error at its path, and eval needs the store")
    func refusedList() throws {
        let fixture = try Fixture(requestLists: "refuse")
        defer { fixture.remove() }
        let request = "Examples/requests/abuse-review.json"
        let run = try CLI.run(["eval", "--policies", fixture.policies, "--history", fixture.history, request])
        #expect(run.status == 3)
        #expect(run.stdout.isEmpty)
        #expect(
            run.stderr.hasPrefix(
                "error[request-history-refused]: $.buyer_history.cancellations: the policy set takes `buyer_history.cancellations` from Rescind's history store (`request_lists: refuse`); leave it out of the request\n"),
            "\(run.stderr)")
        #expect(run.stderr.contains("the store keeps the buyer's cancellations; send the request without the list"))
        let json = try CLI.run(["eval", "--policies", fixture.policies, "--history", fixture.history, "--json", request])
        #expect(json.status == 3)
        #expect(json.stdout.contains(#""path":"$.buyer_history.cancellations""#), "\(json.stdout)")
        let line = try PolicyCLI.compact("abuse-review.json")
        let streamed = try CLI.run(
            ["eval", "--policies", fixture.policies, "--history", fixture.history, "--jsonl", "-"], input: line + "\n")
        #expect(streamed.status == 0)
        #expect(
            streamed.stdout.contains(
                #""path":"$.buyer_history.cancellations","help":"the store keeps the buyer's cancellations; send the request without the list","line":1}}"#),
            "\(streamed.stdout)")

        let withoutStore = try CLI.run(["eval", "--policies", fixture.policies, request])
        #expect(withoutStore.status == 64)
        #expect(
            withoutStore.stderr.contains(
                "Error: `marketplace-cancellations` takes `buyer_history.cancellations` from the history store (`request_lists: refuse`): give --history LOCATION or $RESCIND_HISTORY"
            ), "\(withoutStore.stderr)")
    }

    @Test("a location that does not read is a usage error; a store that cannot be opened exits 6")
    func locations() throws {
        let missing = try CLI.run(["history", "stats"], environment: ["RESCIND_HISTORY": ""])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("Error: give the history store with --history LOCATION or $RESCIND_HISTORY"))
        let bad = try CLI.run(["history", "stats", "--history", "mysql://db/x"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("Error: --history `mysql://db/x`: column 1: unknown history location `mysql:`"), "\(bad.stderr)")
        let unavailable = try CLI.run(["history", "stats", "--history", "sqlite:/nonexistent-rescind-dir/history.db"])
        #expect(unavailable.status == 6, "\(unavailable.stderr)")
        #expect(unavailable.stderr.hasPrefix("error[history-unavailable]: "), "\(unavailable.stderr)")
    }

    @Test("import and stats against PostgreSQL (RESCIND_TEST_POSTGRES_URL)")
    func postgres() throws {
        guard let url = ProcessInfo.processInfo.environment["RESCIND_TEST_POSTGRES_URL"] else {
            print("skipped: RESCIND_TEST_POSTGRES_URL is not set (Scripts/postgres-test-server.sh start sets it)")
            return
        }
        let fixture = try Fixture()
        defer { fixture.remove() }
        // A schema of its own, so other runs' events do not count.
        let schema = "cli_" + UUID().uuidString.prefix(8).lowercased().replacingOccurrences(of: "-", with: "")
        let location = url + (url.contains("?") ? "&" : "?") + "schema=" + schema
        let events = try fixture.file("events.jsonl", Self.fiveRecent)
        let imported = try CLI.run(["history", "import", "--history", location, "--format", "json", events])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try PolicyCLI.object(imported.stdout)["imported"] as? Int == 6)
        let stats = try CLI.run(["history", "stats", "--format", "json"], environment: ["RESCIND_HISTORY": location])
        #expect(stats.status == 0, "\(stats.stderr)")
        let object = try PolicyCLI.object(stats.stdout)
        #expect(object["events"] as? Int == 6)
        #expect(object["buyers"] as? Int == 1)
        #expect(object["oldest"] as? String == "2026-09-01T10:00:00.000000Z")
    }
}
