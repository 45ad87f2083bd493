/// What went wrong in the history store: a kind callers switch on (the server maps
/// them to statuses, the CLI to exit codes) and a message for people.
package struct HistoryError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: String, Sendable, Equatable {
        /// An event that is not valid (a field missing or of the wrong type, a time that
        /// is not RFC 3339).
        case invalidEvent = "invalid-event"
        /// A different event for an order id already recorded: refused, never merged.
        case conflict
        /// The store did not answer within the query timeout.
        case timeout
        /// The store cannot be reached or refused the operation (connection, disk,
        /// permissions, SQL errors).
        case unavailable
        /// A `--history` / `RESCIND_HISTORY` location that cannot be used.
        case invalidLocation = "invalid-location"
        /// The database's schema is newer than this build knows, or not Rescind's.
        case schema
        /// The store was closed.
        case closed
    }

    package var kind: Kind
    /// Lowercase, user input in backticks.
    package var message: String
    /// Where in the input the error is: `line 3, $.at` for an event read from JSON
    /// lines, a character offset in a URL; nil when not about input.
    package var location: String?
    /// The order a `.conflict` is about, so callers match it to their input without
    /// reading the message.
    package var orderID: String?

    package init(_ kind: Kind, _ message: String, location: String? = nil, orderID: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.orderID = orderID
    }

    /// A different event for an order id already recorded.
    static func conflict(orderID: String, field: String) -> HistoryError {
        HistoryError(.conflict, HistoryMessages.conflict(orderID: orderID, field: field), orderID: orderID)
    }

    /// `location: error: message` (or `error: message`), as the CLI prints it.
    package var description: String {
        if let location { return "\(location): error: \(message)" }
        return "error: \(message)"
    }
}

/// Every message of the module, together, so their wording stays consistent.
enum HistoryMessages {
    static func requestListRefused(_ list: String) -> String {
        "the policy set takes `\(list)` from Rescind's history store (`request_lists: refuse`); leave it out of the request"
    }

    static func unavailable(buyer: String, _ error: HistoryError) -> String {
        "the history store did not answer for buyer `\(buyer)`: \(error.message)"
    }

    static func buyerFailed(_ message: String) -> String {
        "the policy set's `history.buyer` could not be evaluated for this request: \(message)"
    }

    static func cannotRecord(missing path: String) -> String {
        "the cancellation cannot be recorded: the request has no `\(path)`"
    }

    static let cannotRecordWithoutBuyer =
        "the cancellation cannot be recorded: the policy set's `history.buyer` names no buyer for this request"

    static func notTimestamp(_ text: String) -> String {
        "`\(text)` is not an RFC 3339 timestamp with an offset (e.g. `2026-03-01T10:00:00Z`)"
    }
    static func finerThanMicrosecond(_ text: String) -> String {
        "`\(text)` is more precise than a microsecond; the history keeps microseconds"
    }
    static func emptyField(_ name: String) -> String { "`\(name)` must not be empty" }
    static func missingField(_ name: String) -> String { "missing field `\(name)`" }
    static func notString(_ name: String) -> String { "`\(name)` must be a string" }
    static func unknownField(_ name: String, suggestion: String?) -> String {
        suggestion.map { "unknown field `\(name)`; did you mean `\($0)`?" } ?? "unknown field `\(name)`"
    }
    static func duplicateField(_ name: String) -> String { "field `\(name)` appears twice" }
    static func notObject() -> String { "an event must be a JSON object" }
    static func badStatus(_ text: String) -> String { "unknown status `\(text)`; expected `recorded` or `retracted`" }
    static func json(_ message: String) -> String { "invalid JSON: \(message)" }
    static func conflict(orderID: String, field: String) -> String {
        "order `\(orderID)` is already recorded with a different `\(field)`; an order's cancellation is recorded once"
    }
    static func timeout(_ operation: String, _ duration: Duration) -> String {
        "the history store did not answer `\(operation)` within \(milliseconds(duration)) ms"
    }
    static func unavailable(_ operation: String, _ cause: String) -> String {
        "the history store failed `\(operation)`: \(cause)"
    }
    static let closed = "the history store is closed"
    static func malformedBuyerRow(_ buyer: String) -> String {
        "the packed history row of buyer `\(buyer)` is malformed; rebuild it from the event table (`rescind_buyer_history`)"
    }
    static func schemaTooNew(_ version: Int, known: Int) -> String {
        "the history database is at schema version \(version), newer than this build's \(known); upgrade rescind"
    }
    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
