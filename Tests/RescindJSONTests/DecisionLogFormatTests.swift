import Foundation
import RescindJSON
import Testing

/// The decision-log format is written by the server and read by replay through the same
/// `DecisionLogFormat`: what one side writes, the other reads back as it was.
@Suite("Decision log format")
struct DecisionLogFormatTests {
    static let policy = Array(#"{"name":"cancellations","version":"2026.11","digest":"sha256:ab"}"#.utf8)

    /// One entry of each kind, with texts that need escaping and a request nested inside.
    static let entries: [DecisionLogFormat.Entry] = [
        .init(
            seq: 1, bootID: "7f0c2b0e-1b9e-4c1e-9f55-2a1d2f0c9b11", decisionID: "5a1f0d6e-0000-4000-8000-000000000001",
            loggedAt: "2026-07-03T05:26:22.000830Z", policy: policy, latencyMicroseconds: 412,
            outcome: .decision(
                request: Array(#"{"id":"req-1","order":{"status":"placed","note":"a \"b\" }"}}"#.utf8), requestBytes: 73,
                decision: Array(#"{"request_id":"req-1","effect":"allow","deciding_rules":["r"]}"#.utf8))),
        .init(
            seq: 2, bootID: "7f0c2b0e-1b9e-4c1e-9f55-2a1d2f0c9b11", decisionID: "id with \"quotes\" and \\",
            loggedAt: "2026-07-03T05:26:23.000000Z", policy: policy, latencyMicroseconds: 0,
            outcome: .rejected(
                requestPrefix: Array("{\"id\": \"r\u{e9}\",\n\t\"x\": \u{1}".utf8), requestBytes: 9000,
                sha256: String(repeating: "ab", count: 32), truncated: true,
                error: Array(#"{"code":"request-invalid-json","message":"invalid JSON: unterminated string","path":"$"}"#.utf8))),
        .init(
            seq: 3, bootID: "b", decisionID: "d", loggedAt: "2026-07-03T05:26:24.999999Z", policy: policy,
            latencyMicroseconds: 1_000_000,
            outcome: .rejected(
                requestPrefix: Array("[]".utf8), requestBytes: 2, sha256: String(repeating: "0", count: 64), truncated: false,
                error: Array(#"{"code":"request-not-object","message":"m","path":"$","help":"h"}"#.utf8))),
        // The events the history store supplied (issue 14), kept for replay.
        .init(
            seq: 4, bootID: "b", decisionID: "e", loggedAt: "2026-07-03T05:26:25.000000Z", policy: policy,
            latencyMicroseconds: 9,
            outcome: .decision(
                request: Array(#"{"id":"req-4","actor":{"id":"u-1"}}"#.utf8), requestBytes: 35,
                decision: Array(#"{"request_id":"req-4","effect":"review","deciding_rules":["abuse-review"]}"#.utf8)),
            history: Array(#"[{"order_id":"o-1","at":"2026-07-01T00:00:00.250Z","initiator":"buyer","reason":"other"}]"#.utf8)),
    ]

    @Test("every kind of entry reads back as it was written")
    func roundTrip() throws {
        for entry in Self.entries {
            let line = DecisionLogFormat.line(entry)
            #expect(line.last == UInt8(ascii: "\n"))
            #expect(!line.dropLast().contains(UInt8(ascii: "\n")), "one line")
            let read = try #require(DecisionLogFormat.entry(from: line), "\(String(decoding: line, as: UTF8.self))")
            #expect(read == entry)
            // Any JSON reader takes the line, with its members in the documented order.
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(Set(object.keys) == Set(DecisionLogFormat.keys))
            let text = String(decoding: line, as: UTF8.self)
            let positions = DecisionLogFormat.keys.map { text.range(of: "\"\($0)\":")!.lowerBound }
            #expect(positions == positions.sorted())
        }
    }

    @Test("the envelope replay reads finds each entry's request, exactly and quickly")
    func envelope() throws {
        for entry in Self.entries {
            let line = DecisionLogFormat.line(entry)
            for quick in [false, true] {
                let envelope = DecisionLogFormat.envelope(of: line, quick: quick)
                let range = try #require(envelope.request)
                switch entry.outcome {
                case .decision(let request, _, _):
                    #expect(Array(line[range]) == request)
                    #expect(!envelope.requestIsString)
                case .rejected(let prefix, _, _, let truncated, _):
                    #expect(envelope.requestIsString)
                    #expect(DecisionLogFormat.unquote(line[range]) == Array(String(decoding: prefix, as: UTF8.self).utf8))
                    #expect(envelope.truncated == truncated)
                }
                // `history` is before `request`: found by the quick scan too.
                #expect(envelope.hasHistoryMember)
                #expect(envelope.history.map { Array(line[$0]) } == entry.history)
                if !quick || entry.outcome.isRejected {
                    #expect(envelope.seq == entry.seq)
                    #expect(envelope.bootID.map { String(decoding: line[$0], as: UTF8.self) } == entry.bootID)
                }
            }
        }
    }

    @Test("a line without `history` (written before it) is read to its end for one, and is an entry either way")
    func withoutHistory() throws {
        let request = #"{"id":"r","x":{"a":[1,"}"]}}"#
        let lines = [
            #"{"seq":1,"boot_id":"b","truncated":false,"request":\#(request),"decision":{"effect":"allow"},"error":null}"#,
            #"{"request":\#(request),"decision":{"effect":"allow"},"history":[{"order_id":"o"}]}"#,
            // Cut after its decision (a crash): still the entry it was.
            #"{"seq":1,"boot_id":"b","request":\#(request),"decision":{"effect":"allow"},"error":nu"#,
        ]
        for (index, line) in lines.enumerated() {
            for quick in [false, true] {
                let envelope = DecisionLogFormat.envelope(of: Array(line.utf8), quick: quick)
                let range = try #require(envelope.request, "\(line)")
                #expect(String(decoding: Array(line.utf8)[range], as: UTF8.self) == request)
                #expect(envelope.hasHistoryMember == (index == 1))
                #expect(envelope.history.map { String(decoding: Array(line.utf8)[$0], as: UTF8.self) } == (index == 1 ? #"[{"order_id":"o"}]"# : nil))
            }
        }
    }

    @Test("a plain request is not an entry")
    func plainRequest() {
        for line in [#"{"id":"r","request":{"a":1}}"#, #"{"request":7,"decision":{}}"#, "", "[1]"] {
            #expect(DecisionLogFormat.envelope(of: Array(line.utf8)).request == nil, "\(line)")
            #expect(DecisionLogFormat.entry(from: Array(line.utf8)) == nil)
        }
    }
}

extension DecisionLogFormat.Outcome {
    var isRejected: Bool {
        if case .rejected = self { true } else { false }
    }
}
