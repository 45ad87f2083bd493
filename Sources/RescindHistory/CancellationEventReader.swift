import RescindJSON

/// Reads cancellation events from JSON lines, one object a line (`rescind history
/// import`, `POST /v1/cancellations`):
///
///     {"order_id":"o-1","buyer_id":"b-1","seller_id":"s-1","at":"2026-03-01T10:00:00Z",
///      "initiator":"buyer","reason":"changed_mind","request_id":"req-1"}
///
/// Every field is a non-empty string; `status` (`recorded`, the default, or `retracted`)
/// is optional, and so is `request_id` when the caller gives a default. Unknown and
/// repeated fields are refused (a misspelt `buyerid` would otherwise drop the buyer).
/// Errors are located: `line 3, $.at`, or `line 3, column 17` for JSON that does not
/// parse. Built on the project's one tokenizer (`JSONScanner`); times are read as the
/// engine reads them (`CancellationEvent.instant(rfc3339:)`).
package enum CancellationEventReader {
    static let requiredFields = ["order_id", "buyer_id", "seller_id", "at", "initiator", "reason", "request_id"]
    static let knownFields = requiredFields + ["status"]

    /// Every event of `text` (JSON lines; blank lines are skipped).
    package static func events(fromJSONLines text: [UInt8], defaultRequestID: String? = nil) throws(HistoryError)
        -> [CancellationEvent]
    {
        var events: [CancellationEvent] = []
        try forEachEvent(inJSONLines: text, defaultRequestID: defaultRequestID) { events.append($0) }
        return events
    }

    /// Calls `body` with each event of `text` in order, so an import need not hold the
    /// whole file's events at once.
    package static func forEachEvent(
        inJSONLines text: [UInt8], defaultRequestID: String? = nil, _ body: (CancellationEvent) throws(HistoryError) -> Void
    ) throws(HistoryError) {
        var lineStart = text.startIndex
        var lineNumber = 1
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            let line = text[lineStart..<lineEnd]
            if line.contains(where: { !JSONScanner<ArraySlice<UInt8>>.isSpace($0) }) {
                try body(event(fromLine: line, lineNumber: lineNumber, defaultRequestID: defaultRequestID))
            }
            lineStart = lineEnd + 1
            lineNumber += 1
        }
    }

    /// One event from one line's bytes; `lineNumber` only locates errors.
    package static func event(fromLine line: ArraySlice<UInt8>, lineNumber: Int = 1, defaultRequestID: String? = nil)
        throws(HistoryError) -> CancellationEvent
    {
        var scanner = JSONScanner(line)
        func syntax(_ message: String) -> HistoryError {
            HistoryError(
                .invalidEvent, HistoryMessages.json(message),
                location: "line \(lineNumber), column \(scanner.index - line.startIndex + 1)")
        }
        func field(_ name: String, _ message: String) -> HistoryError {
            HistoryError(.invalidEvent, message, location: "line \(lineNumber), $.\(name)")
        }
        var fields: [String: String] = [:]
        scanner.skipSpace()
        guard scanner.consume(UInt8(ascii: "{")) else {
            throw HistoryError(.invalidEvent, HistoryMessages.notObject(), location: "line \(lineNumber), $")
        }
        scanner.skipSpace()
        if !scanner.consume(UInt8(ascii: "}")) {
            repeat {
                scanner.skipSpace()
                guard scanner.current == UInt8(ascii: "\"") else { throw syntax("expected a field name") }
                let name: String
                do { name = try scanner.decodeString() } catch { throw syntax(error.message) }
                scanner.skipSpace()
                guard scanner.consume(UInt8(ascii: ":")) else { throw syntax("expected `:` after a field name") }
                scanner.skipSpace()
                guard knownFields.contains(name) else {
                    throw field(name, HistoryMessages.unknownField(name, suggestion: closest(to: name, in: knownFields)))
                }
                guard fields[name] == nil else { throw field(name, HistoryMessages.duplicateField(name)) }
                if scanner.current == UInt8(ascii: "\"") {
                    let value: String
                    do { value = try scanner.decodeString() } catch { throw syntax(error.message) }
                    guard !value.isEmpty else { throw field(name, HistoryMessages.emptyField(name)) }
                    fields[name] = value
                } else {
                    let start = scanner.index
                    guard scanner.skipValue(), scanner.index > start else { throw syntax("expected a value") }
                    throw field(name, HistoryMessages.notString(name))
                }
                scanner.skipSpace()
            } while scanner.consume(UInt8(ascii: ","))
            guard scanner.consume(UInt8(ascii: "}")) else { throw syntax("expected `,` or `}`") }
        }
        scanner.skipSpace()
        guard scanner.atEnd else { throw syntax("unexpected text after the event") }
        if fields["request_id"] == nil, let defaultRequestID { fields["request_id"] = defaultRequestID }
        for name in requiredFields where fields[name] == nil {
            throw HistoryError(.invalidEvent, HistoryMessages.missingField(name), location: "line \(lineNumber), $")
        }
        var status = CancellationStatus.recorded
        if let text = fields["status"] {
            guard let known = CancellationStatus(rawValue: text) else {
                throw field("status", HistoryMessages.badStatus(text))
            }
            status = known
        }
        let at: HistoryInstant
        do { at = try CancellationEvent.instant(rfc3339: fields["at"]!) } catch { throw field("at", error.message) }
        return CancellationEvent(
            orderID: fields["order_id"]!, buyerID: fields["buyer_id"]!, sellerID: fields["seller_id"]!, at: at,
            atText: fields["at"]!, initiator: fields["initiator"]!, reason: fields["reason"]!,
            requestID: fields["request_id"]!, status: status)
    }

    /// The known name nearest `name` (at most two edits away), for a did-you-mean.
    static func closest(to name: String, in names: [String]) -> String? {
        let best = names.map { ($0, editDistance(Array(name.utf8), Array($0.utf8))) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= 2 else { return nil }
        return best.0
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension CancellationEvent {
    /// The event as one JSON line (no newline), in the reader's format; `status` is
    /// written only when retracted.
    package var jsonLine: String {
        JSONWriter.text { out in
            out.beginObject()
            out.key("order_id"); out.string(orderID)
            out.key("buyer_id"); out.string(buyerID)
            out.key("seller_id"); out.string(sellerID)
            out.key("at"); out.string(atText)
            out.key("initiator"); out.string(initiator)
            out.key("reason"); out.string(reason)
            out.key("request_id"); out.string(requestID)
            if status == .retracted { out.key("status"); out.string(status.rawValue) }
            out.endObject()
        }
    }
}
