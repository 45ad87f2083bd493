import Foundation
import Rescind
import RescindTooling
import CEL
import CELRuntime
import RescindDiagnostics
import RescindEngine
import RescindPolicy
import Testing

@testable import RescindServer

/// A copy of Policies/ with a `history:` section, as an analyst would add it (the
/// reference pack has none; its digest is quoted elsewhere and is not changed here).
struct HistoryPolicyCopy {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let section = "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.id'\n  request_lists: accept\n"

    let folder: URL

    init(section: String = Self.section) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-history-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("Policies"), to: folder)
        let file = folder.appendingPathComponent("policy-set.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        // The shipped section, replaced by the test's own.
        let anchor = "history:\n  list: buyer_history.cancellations\n  buyer: 'actor.role == \"buyer\" ? actor.id : order.buyer_id'\n  request_lists: accept\n# When the history store does not answer, a person reviews the cancellation rather\n# than letting a repeat canceller through unchecked.\non_history_unavailable: review\n"
        let range = try #require(text.range(of: anchor), "policy-set.yaml has no `\(anchor)`")
        try text.replacingCharacters(in: range, with: section).write(to: file, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    func load() throws -> PolicySet {
        let loaded = LoadedPolicies.load(paths: [folder.path])
        return try #require(loaded.policySet, "\(HumanRenderer(sources: loaded.sources, color: false).render(loaded.diagnostics))")
    }
}

/// Replay stays exact (issue 14): a decision-log entry records the events the history
/// store supplied, and `rescind replay` decides with them, without the store.
@Suite struct DecisionLogHistoryTests {
    /// Examples/requests/abuse-review.json without its own list: the store supplies it.
    static let request = """
        {"id": "req-history", "at": "2026-11-27T10:00:00+08:00", "locale": "en",
         "actor": {"id": "u-21", "role": "buyer", "verified": false}, "reason": "changed_mind",
         "order": {"id": "o-21", "status": "paid", "placed_at": "2026-11-27T08:00:00+08:00", "total": "58.00",
                   "currency": "CNY", "payment_method": "card", "seller_id": "s-1"}}
        """

    /// What the store holds for `u-21` in the 720 hours before `at` (abuse-review.json's
    /// list without the event outside the window): five the buyer started, one support's;
    /// one with milliseconds, one with nanoseconds, to show `at` keeps its precision.
    static func events() throws -> [HistoryItem] {
        func at(_ text: String) throws -> CELTimestamp { try #require(CELTimestamp(rfc3339: text)) }
        return [
            HistoryItem(orderID: "o-21-a", at: try at("2026-10-28T10:00:01+08:00"), initiator: "buyer", reason: "changed_mind"),
            HistoryItem(orderID: "o-21-b", at: try at("2026-11-05T14:00:00+08:00"), initiator: "buyer", reason: "other"),
            HistoryItem(orderID: "o-21-c", at: try at("2026-11-12T09:30:00.250+08:00"), initiator: "buyer", reason: "changed_mind"),
            HistoryItem(orderID: "o-21-d", at: try at("2026-11-19T20:00:00.000000007+08:00"), initiator: "buyer", reason: "changed_mind"),
            HistoryItem(orderID: "o-21-f \"q\"", at: try at("2026-11-22T10:00:00+08:00"), initiator: "support", reason: "other"),
            HistoryItem(orderID: "o-21-e", at: try at("2026-11-25T12:00:00Z"), initiator: "buyer", reason: "changed_mind"),
        ]
    }

    /// The line the service logs for `request` decided by `set` with `events` supplied
    /// (as the server's handler does: supply, decide with `.store`, answer the JSON),
    /// and the decision's JSON as answered.
    static func logged(_ set: PolicySet, events: [HistoryItem], logHistory: Bool = true) throws -> (line: [UInt8], decision: [UInt8]) {
        let decoded = try RequestDecoder(schema: set.schema).decode(Array(request.utf8)).get()
        let decision = set.decide(set.supplying(events, to: decoded.root), history: .store(events: events.count))
        var response: [UInt8] = []
        decision.writeJSON(into: &response)
        var entry = DecisionLogEntry(
            decisionID: nil, loggedAt: WallClock.now(), policySet: set, latencyMicroseconds: 17, request: Array(request.utf8),
            requestCompacted: false, outcome: .decision(response))
        entry.seq = 1
        entry.history = logHistory ? events : nil
        return (try #require(entry.line(bootID: "9864c909-c332-44bc-877e-35e514b89273")), response)
    }

    /// The `decision` member of a logged line, as written.
    static func loggedDecision(_ line: [UInt8]) throws -> String {
        try #require(members(String(decoding: line.dropLast(), as: UTF8.self)).first { $0.key == "decision" }?.raw)
    }

    static func json(_ decision: Decision) -> String {
        var bytes: [UInt8] = []
        decision.writeJSON(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func replay(_ lines: [[UInt8]], baseline: PolicySet, candidate: PolicySet) throws -> ReplayReport {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-replay-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(lines.joined()).write(to: URL(fileURLWithPath: path))
        let reader = try #require(LineReader(path: path))
        return Replay(baseline: ReplaySide(policySet: baseline, source: "baseline"), candidate: ReplaySide(policySet: candidate, source: "candidate"))
            .run(reader)
    }

    @Test func historyIsWrittenBeforeTheRequestAsTheStoreSuppliedIt() throws {
        let copy = try HistoryPolicyCopy()
        defer { copy.remove() }
        let set = try copy.load()
        let (line, _) = try Self.logged(set, events: try Self.events())
        let text = String(decoding: line, as: UTF8.self)
        #expect(members(String(text.dropLast())).map(\.key) == DecisionLogTests.keys)
        let history = try #require(members(String(text.dropLast())).first { $0.key == "history" }?.raw)
        #expect(history == #"[{"order_id":"o-21-a","at":"2026-10-28T02:00:01Z","initiator":"buyer","reason":"changed_mind"},"#
            + #"{"order_id":"o-21-b","at":"2026-11-05T06:00:00Z","initiator":"buyer","reason":"other"},"#
            + #"{"order_id":"o-21-c","at":"2026-11-12T01:30:00.250Z","initiator":"buyer","reason":"changed_mind"},"#
            + #"{"order_id":"o-21-d","at":"2026-11-19T12:00:00.000000007Z","initiator":"buyer","reason":"changed_mind"},"#
            + #"{"order_id":"o-21-f \"q\"","at":"2026-11-22T02:00:00Z","initiator":"support","reason":"other"},"#
            + #"{"order_id":"o-21-e","at":"2026-11-25T12:00:00Z","initiator":"buyer","reason":"changed_mind"}]"#)
        #expect(try JSONSerialization.jsonObject(with: Data(line)) is [String: Any])
        // Without events, `history` is null and the line is otherwise as before.
        let (plain, _) = try Self.logged(set, events: try Self.events(), logHistory: false)
        #expect(members(String(decoding: plain.dropLast(), as: UTF8.self)).first { $0.key == "history" }?.raw == "null")
    }

    @Test func replayWithTheLoggedHistoryReproducesTheDecisionByteForByte() throws {
        let copy = try HistoryPolicyCopy()
        defer { copy.remove() }
        let set = try copy.load()
        let (line, response) = try Self.logged(set, events: try Self.events())
        let logged = try Self.loggedDecision(line)
        #expect(logged == String(decoding: response, as: UTF8.self))
        #expect(logged.contains(#""abuse-review""#), "five buyer cancellations in 30 days: \(logged)")

        let replay = Replay(baseline: ReplaySide(policySet: set, source: "a"), candidate: ReplaySide(policySet: set, source: "a"))
        let decisions = replay.decisions(of: line)
        #expect(Self.json(try decisions.baseline.get()) == logged)
        #expect(Self.json(try decisions.candidate.get()) == logged)

        let report = try Self.replay([line, line], baseline: set, candidate: set)
        #expect(report.logEntries == 2)
        #expect(report.badLines == 0)
        #expect(report.changed == 0)
        #expect(report.historyEntries == 2)
        #expect(report.historyNotSupplied.baseline == 0 && report.historyNotSupplied.candidate == 0)
        #expect(report.transitions.map { "\($0.from.rawValue)->\($0.to.rawValue):\($0.count)" } == ["review->review:2"])
        #expect(report.text.contains("history: 2 entries replayed with the store's events they logged\n"), "\(report.text)")
        #expect(report.json.contains(#""history":{"entries":2,"not_supplied":{"baseline":0,"candidate":0}}"#))
    }

    @Test func withoutItsHistoryTheSameRequestDecidesOtherwise() throws {
        let copy = try HistoryPolicyCopy()
        defer { copy.remove() }
        let set = try copy.load()
        let (line, _) = try Self.logged(set, events: try Self.events())
        let (bare, _) = try Self.logged(set, events: try Self.events(), logHistory: false)
        let logged = try Self.loggedDecision(line)
        let replay = Replay(baseline: ReplaySide(policySet: set, source: "a"), candidate: ReplaySide(policySet: set, source: "a"))
        let without = try replay.decisions(of: bare).baseline.get()
        #expect(Self.json(without) != logged)
        #expect(!without.decidingRules.contains("abuse-review"), "\(without.decidingRules)")
        #expect(try replay.decisions(of: line).baseline.get().decidingRules.contains("abuse-review"))
    }

    @Test func aCandidateWithoutHistoryDecidesWithoutTheEventsAndTheReportSaysSo() throws {
        let copy = try HistoryPolicyCopy()
        defer { copy.remove() }
        let set = try copy.load()
        // The pack without its `history:` section.
        let plain = try HistoryPolicyCopy(section: "")
        defer { plain.remove() }
        let reference = try plain.load()
        #expect(reference.history == nil)
        let (line, _) = try Self.logged(set, events: try Self.events())

        let report = try Self.replay([line], baseline: set, candidate: reference)
        #expect(report.historyEntries == 1)
        #expect(report.historyNotSupplied.baseline == 0 && report.historyNotSupplied.candidate == 1)
        #expect(report.changed == 1, "abuse-review, then the threshold's on_missing: \(report.text)")
        #expect(report.text.contains(
            "history: 1 entry replayed with the store's events they logged; the candidate decided 1 without them (its policies take no history for `buyer_history.cancellations`)"),
            "\(report.text)")
        // Swapped: the baseline has no `history:` and takes no events; the candidate does.
        let swapped = try Self.replay([line], baseline: reference, candidate: set)
        #expect(swapped.historyNotSupplied.baseline == 1 && swapped.historyNotSupplied.candidate == 0)
        let decisions = Replay(baseline: ReplaySide(policySet: reference, source: "r"), candidate: ReplaySide(policySet: set, source: "s"))
            .decisions(of: line)
        #expect(Self.json(try decisions.candidate.get()) == (try Self.loggedDecision(line)))
    }
}
