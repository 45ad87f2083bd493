import Foundation
import Rescind
import RescindTooling
import CEL
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

/// Replay reads a decision-log entry's `history` (issue 14): the events the history store
/// supplied, given to the policies again; older lines without it replay as before, and a
/// malformed one is a bad line located by line number and JSON path.
@Suite("replay with logged history")
struct ReplayHistoryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Policies/ plus a `history:` section (loaded from a temporary copy).
    static func historySet() throws -> PolicySet {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-history-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: root.appendingPathComponent("Policies"), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("policy-set.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        // The shipped section, replaced by the test's own.
        let anchor = "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.role == \"buyer\" ? actor.id : order.buyer_id'\n  request_lists: accept\n# When the history store does not answer, a person reviews the cancellation rather\n# than letting a repeat canceller through unchecked.\non_history_unavailable: review\n"
        let range = try #require(text.range(of: anchor))
        let section = "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.id'\n  request_lists: accept\n"
        try text.replacingCharacters(in: range, with: section).write(to: file, atomically: true, encoding: .utf8)
        let loaded = LoadedPolicies.load(paths: [folder.path])
        return try #require(loaded.policySet, "\(HumanRenderer(sources: loaded.sources, color: false).render(loaded.diagnostics))")
    }

    static func referenceSet() throws -> PolicySet {
        try #require(LoadedPolicies.load(paths: [root.appendingPathComponent("Policies").path]).policySet)
    }

    static let request = #"{"id":"req-h","at":"2026-11-27T10:00:00+08:00","locale":"en","actor":{"id":"u-21","role":"buyer","verified":false},"reason":"changed_mind","order":{"id":"o-21","status":"paid","placed_at":"2026-11-27T08:00:00+08:00","total":"58.00","currency":"CNY","payment_method":"card","seller_id":"s-1"}}"#

    /// Five cancellations the buyer started within 30 days: the abuse-review tier.
    static let history = (1...5).map { #"{"order_id":"o-\#($0)","at":"2026-11-2\#($0)T01:00:00Z","initiator":"buyer","reason":"changed_mind"}"# }
        .joined(separator: ",")

    static let head = #"{"seq":1,"boot_id":"b","decision_id":"d","logged_at":"2026-11-27T02:00:00.000001Z","policy":{"name":"p","version":"1","digest":"x"},"latency_us":5,"request_bytes":300,"request_sha256":null,"truncated":false,"#

    /// An entry as the service writes it, with `history` (JSON) before `request`.
    static func entry(history: String, seq: Int = 1) -> String {
        head.replacingOccurrences(of: #""seq":1"#, with: #""seq":\#(seq)"#)
            + #""history":\#(history),"request":\#(request),"decision":{"effect":"review"},"error":null}"#
    }

    static func replay(_ lines: [String], baseline: PolicySet, candidate: PolicySet) throws -> ReplayReport {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-replay-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try #require(LineReader(path: path))
        return Replay(baseline: ReplaySide(policySet: baseline, source: "b"), candidate: ReplaySide(policySet: candidate, source: "c"))
            .run(reader)
    }

    static func rules(_ replay: Replay, _ line: String) throws -> [String] {
        try replay.decisions(of: Array(line.utf8)).baseline.get().decidingRules
    }

    @Test("the logged events decide: the abuse-review tier with them, the threshold's on_missing without")
    func loggedEventsAreSupplied() throws {
        let set = try Self.historySet()
        let replay = Replay(baseline: ReplaySide(policySet: set, source: "s"), candidate: ReplaySide(policySet: set, source: "s"))
        #expect(try Self.rules(replay, Self.entry(history: "[\(Self.history)]")).contains("abuse-review"))
        #expect(try !Self.rules(replay, Self.entry(history: "null")).contains("abuse-review"))
        #expect(try !Self.rules(replay, Self.entry(history: "[]")).contains("abuse-review"))
    }

    @Test("lines written before `history` replay as before, with the reference policies and with a `history:` section")
    func oldLinesReplay() throws {
        let old = Self.head + #""request":\#(Self.request),"decision":{"effect":"review"},"error":null}"#
        let older = #"{"decision_id":"d","request":\#(Self.request),"decision":{"effect":"review"}}"#
        for set in [try Self.referenceSet(), try Self.historySet()] {
            let report = try Self.replay([old, older, Self.request], baseline: set, candidate: set)
            #expect(report.lines == 3)
            #expect(report.logEntries == 2)
            #expect(report.badLines == 0, "\(report.badLineSamples)")
            #expect(report.changed == 0)
            #expect(report.historyEntries == 0)
            #expect(report.text.contains("history:") == false)
            let replay = Replay(baseline: ReplaySide(policySet: set, source: "s"), candidate: ReplaySide(policySet: set, source: "s"))
            let plain = try replay.decisions(of: Array(Self.request.utf8)).baseline.get()
            for line in [old, older] {
                #expect(try replay.decisions(of: Array(line.utf8)).baseline.get().decidingRules == plain.decidingRules)
            }
        }
    }

    @Test("`history` is read wherever it is in the line, by the quick scan too")
    func historyAfterTheDecision() throws {
        let set = try Self.historySet()
        let reordered = Self.head + #""request":\#(Self.request),"decision":{"effect":"review"},"error":null,"history":[\#(Self.history)]}"#
        let report = try Self.replay([reordered, Self.entry(history: "[\(Self.history)]", seq: 2)], baseline: set, candidate: set)
        #expect(report.historyEntries == 2)
        #expect(report.badLines == 0)
        let replay = Replay(baseline: ReplaySide(policySet: set, source: "s"), candidate: ReplaySide(policySet: set, source: "s"))
        #expect(try Self.rules(replay, reordered).contains("abuse-review"))
    }

    @Test("a malformed `history` is a bad line at its line number and JSON path", arguments: [
        (#"[{"order_id":"o-1","at":"2026-11-21 01:00","initiator":"buyer","reason":"other"}]"#,
         "request-invalid-timestamp", "$.history[0].at", "`at` must be an RFC 3339 timestamp; found `2026-11-21 01:00`"),
        (#"[{"order_id":"o-1","at":"2026-11-21T01:00:00Z","initiator":"buyer","reason":"other"},{"order_id":"o-2","at":"2026-11-21T01:00:00Z","initiator":"buyer"}]"#,
         "request-missing-field", "$.history[1].reason", "a history event needs `reason`"),
        (#"[{"order_id":"o-1","at":"2026-11-21T01:00:00Z","initiator":"buyer","reason":"other","note":"x"}]"#,
         "request-unknown-field", "$.history[0].note", "unknown field `note` in a history event"),
        (#"[{"order_id":7,"at":"2026-11-21T01:00:00Z","initiator":"buyer","reason":"other"}]"#,
         "request-type-mismatch", "$.history[0].order_id", "`order_id` must be a string; found `7`"),
        (#"[{"order_id":"o","order_id":"o","at":"2026-11-21T01:00:00Z","initiator":"buyer","reason":"other"}]"#,
         "request-duplicate-field", "$.history[0].order_id", "`order_id` appears twice"),
        (#"["o-1"]"#, "request-type-mismatch", "$.history[0]", "a history event must be an object; found a string"),
        (#"{"cancellations":[]}"#, "request-type-mismatch", "$.history",
         "`history` must be an array of the events the history store supplied, or null; found an object"),
    ])
    func malformed(history: String, code: String, path: String, message: String) throws {
        let set = try Self.historySet()
        let good = Self.entry(history: "[\(Self.history)]")
        let report = try Self.replay([good, Self.entry(history: history, seq: 2), good], baseline: set, candidate: set)
        #expect(report.lines == 3)
        #expect(report.badLines == 1)
        let bad = try #require(report.badLineSamples.first)
        #expect(bad.line == 2)
        #expect(bad.error.code.rawValue == code)
        #expect(bad.error.path == path)
        #expect(bad.error.message == message)
        #expect(report.text.contains("line 2: error[\(code)] at \(path): \(message)"), "\(report.text)")
        #expect(report.historyEntries == 2)
        let replay = Replay(baseline: ReplaySide(policySet: set, source: "s"), candidate: ReplaySide(policySet: set, source: "s"))
        #expect(throws: RequestError.self) { try replay.decisions(of: Array(Self.entry(history: history).utf8)).baseline.get() }
    }
}
