import Testing

@testable import RescindHistory

/// Events read from JSON lines: what is accepted, and errors that say which line and
/// which field.
@Suite("Cancellation events from JSON lines")
struct CancellationEventReaderTests {
    static let line =
        #"{"order_id":"o-1","buyer_id":"b-1","seller_id":"s-1","at":"2026-03-01T18:00:00.25+08:00","initiator":"buyer","reason":"changed_mind","request_id":"req-1"}"#

    static func read(_ text: String, defaultRequestID: String? = nil) throws(HistoryError) -> [CancellationEvent] {
        try CancellationEventReader.events(fromJSONLines: Array(text.utf8), defaultRequestID: defaultRequestID)
    }

    static func error(_ text: String) -> HistoryError? {
        do {
            _ = try read(text)
            return nil
        } catch { return error }
    }

    @Test func readsAnEvent() throws {
        let events = try Self.read(Self.line)
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.orderID == "o-1")
        #expect(event.buyerID == "b-1")
        #expect(event.sellerID == "s-1")
        #expect(event.atText == "2026-03-01T18:00:00.25+08:00")
        #expect(event.at == HistoryInstant(microseconds: 1_772_359_200_250_000))
        #expect(event.initiator == "buyer")
        #expect(event.reason == "changed_mind")
        #expect(event.requestID == "req-1")
        #expect(event.status == .recorded)
    }

    @Test func blankLinesAndSpacesAreSkipped() throws {
        let events = try Self.read("\n  " + Self.line + "  \n\n" + Self.line.replacingOccurrences("o-1", "o-2") + "\n")
        #expect(events.map(\.orderID) == ["o-1", "o-2"])
    }

    @Test func statusAndDefaultRequestID() throws {
        let text = Self.line.replacingOccurrences(#","request_id":"req-1""#, #","status":"retracted""#)
        let events = try Self.read(text, defaultRequestID: "import:events.jsonl")
        #expect(events.first?.status == .retracted)
        #expect(events.first?.requestID == "import:events.jsonl")
        #expect(Self.error(text)?.description == "line 1, $: error: missing field `request_id`")
    }

    @Test func escapesAreDecoded() throws {
        let text = Self.line.replacingOccurrences(#""reason":"changed_mind""#, #""reason":"caf\u00e9 \"x\"""#)
        #expect(try Self.read(text).first?.reason == "café \"x\"")
    }

    @Test func jsonLineRoundTrips() throws {
        var event = try #require(try Self.read(Self.line).first)
        #expect(try Self.read(event.jsonLine) == [event])
        event.status = .retracted
        event.reason = "a \"quoted\" reason"
        #expect(try Self.read(event.jsonLine) == [event])
    }

    @Test func errorsNameTheLineAndTheField() {
        let cases: [(String, String)] = [
            (
                Self.line.replacingOccurrences("2026-03-01T18:00:00.25+08:00", "2026-03-01 18:00"),
                "line 2, $.at: error: `2026-03-01 18:00` is not an RFC 3339 timestamp with an offset (e.g. `2026-03-01T10:00:00Z`)"
            ),
            (
                Self.line.replacingOccurrences("2026-03-01T18:00:00.25+08:00", "2026-03-01T18:00:00.0000001Z"),
                "line 2, $.at: error: `2026-03-01T18:00:00.0000001Z` is more precise than a microsecond; the history keeps microseconds"
            ),
            (
                Self.line.replacingOccurrences(#""buyer_id""#, #""buyerid""#),
                "line 2, $.buyerid: error: unknown field `buyerid`; did you mean `buyer_id`?"
            ),
            (Self.line.replacingOccurrences(#""o-1""#, "17"), "line 2, $.order_id: error: `order_id` must be a string"),
            (Self.line.replacingOccurrences(#""s-1""#, #""""#), "line 2, $.seller_id: error: `seller_id` must not be empty"),
            (
                Self.line.replacingOccurrences(#""initiator":"buyer","#, ""),
                "line 2, $: error: missing field `initiator`"
            ),
            (
                Self.line.replacingOccurrences(#""buyer_id":"b-1""#, #""buyer_id":"b-1","buyer_id":"b-2""#),
                "line 2, $.buyer_id: error: field `buyer_id` appears twice"
            ),
            (
                Self.line.replacingOccurrences(#""request_id":"req-1""#, #""request_id":"req-1","status":"gone""#),
                "line 2, $.status: error: unknown status `gone`; expected `recorded` or `retracted`"
            ),
            ("[1]", "line 2, $: error: an event must be a JSON object"),
            (#"{"order_id":"o-1""#, "line 2, column 18: error: invalid JSON: expected `,` or `}`"),
            // The tokenizer's offset: just after the bad escape.
            (#"{"order_id":"o-1\q"}"#, "line 2, column 19: error: invalid JSON: invalid escape"),
            (Self.line + " x", "line 2, column \(Self.line.utf8.count + 2): error: invalid JSON: unexpected text after the event"),
        ]
        for (text, expected) in cases {
            #expect(Self.error(Self.line + "\n" + text + "\n" + Self.line)?.description == expected, "\(text)")
            #expect(Self.error(Self.line + "\n" + text)?.kind == .invalidEvent)
        }
    }
}

/// Instants at microsecond precision, and the flooring that keeps window edges exact.
@Suite("History instants")
struct HistoryInstantTests {
    @Test func flooringFromNanoseconds() {
        #expect(HistoryInstant(flooring: 10, nanos: 999).microseconds == 10_000_000)
        #expect(HistoryInstant(flooring: 10, nanos: 1_000).microseconds == 10_000_001)
        #expect(HistoryInstant(flooring: 10, nanos: -1).microseconds == 9_999_999)
        #expect(HistoryInstant(flooring: -1, nanos: 500).microseconds == -1_000_000)
    }

    @Test func rfc3339() throws {
        #expect(HistoryInstant(microseconds: 1_772_359_200_000_001).rfc3339 == "2026-03-01T10:00:00.000001Z")
        let event = try CancellationEvent(
            orderID: "o", buyerID: "b", sellerID: "s", at: "2026-03-01T10:00:00.000001Z", initiator: "buyer",
            reason: "r", requestID: "q")
        #expect(event.at.microseconds == 1_772_359_200_000_001)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
