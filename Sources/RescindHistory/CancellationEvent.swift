import CELRuntime
import RescindJSON

/// An instant at microsecond precision: whole microseconds since the Unix epoch (UTC).
///
/// Events are kept at this precision (SQLite `INTEGER`, PostgreSQL `bigint`). A window's
/// edges converted from a finer clock with `init(flooring:nanos:)` give exactly the
/// engine's answer: for an event at `e` µs and an edge at `t` ns,
/// `e·1000 > t ⇔ e > ⌊t/1000⌋` and `e·1000 ≤ t ⇔ e ≤ ⌊t/1000⌋`.
package struct HistoryInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var microseconds: Int64

    package init(microseconds: Int64) { self.microseconds = microseconds }

    /// `seconds` since the epoch plus `nanos` (any sign), rounded down to the microsecond.
    package init(flooring seconds: Int64, nanos: Int64 = 0) {
        microseconds = seconds * 1_000_000 + Self.floorDivide(nanos, 1_000).0
    }

    /// A CEL timestamp (the engine's clock), rounded down to the microsecond.
    package init(flooring timestamp: CELTimestamp) {
        self.init(flooring: timestamp.seconds, nanos: Int64(timestamp.nanos))
    }

    package static func < (lhs: HistoryInstant, rhs: HistoryInstant) -> Bool { lhs.microseconds < rhs.microseconds }

    /// `self` moved by `microseconds` (negative: earlier).
    package func adding(microseconds delta: Int64) -> HistoryInstant {
        HistoryInstant(microseconds: microseconds + delta)
    }

    /// RFC 3339 in UTC with six fraction digits (`2026-03-01T10:00:00.000000Z`).
    package var rfc3339: String {
        let (seconds, micros) = Self.floorDivide(microseconds, 1_000_000)
        return RFC3339.string(seconds: seconds, nanoseconds: Int32(micros * 1_000), fraction: .microseconds)
    }

    package var description: String { rfc3339 }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}

/// Whether an event counts: `recorded` events are counted, `retracted` ones (a
/// cancellation later reviewed and refused, say) are kept but never counted again.
package enum CancellationStatus: String, Sendable, Hashable, CaseIterable {
    case recorded
    case retracted
}

/// One cancellation in a buyer's history: what the engine counts for the
/// repeat-canceller thresholds.
package struct CancellationEvent: Sendable, Hashable {
    /// The key: one event per order, ever (see `HistoryStore.record`).
    package var orderID: String
    package var buyerID: String
    package var sellerID: String
    /// When the order was cancelled, at microsecond precision.
    package var at: HistoryInstant
    /// `at` as it was given (offset and fraction digits kept), for explanations and
    /// replay; `at` is what windows compare.
    package var atText: String
    /// Who started the cancellation (`buyer`, `seller`, `support`, `system`).
    package var initiator: String
    package var reason: String
    /// The request or decision that recorded it.
    package var requestID: String
    package var status: CancellationStatus

    /// An event; `atText` defaults to `at` in UTC with six fraction digits.
    package init(
        orderID: String, buyerID: String, sellerID: String, at: HistoryInstant, atText: String? = nil,
        initiator: String, reason: String, requestID: String, status: CancellationStatus = .recorded
    ) {
        self.orderID = orderID
        self.buyerID = buyerID
        self.sellerID = sellerID
        self.at = at
        self.atText = atText ?? at.rfc3339
        self.initiator = initiator
        self.reason = reason
        self.requestID = requestID
        self.status = status
    }

    /// An event whose time is RFC 3339 text, read exactly as the engine reads a
    /// request's timestamps (`CELTimestamp(rfc3339:)`); throws `invalidEvent` for text
    /// that is not one or that is finer than a microsecond.
    package init(
        orderID: String, buyerID: String, sellerID: String, at text: String, initiator: String, reason: String,
        requestID: String, status: CancellationStatus = .recorded
    ) throws(HistoryError) {
        let instant = try Self.instant(rfc3339: text)
        self.init(
            orderID: orderID, buyerID: buyerID, sellerID: sellerID, at: instant, atText: text, initiator: initiator,
            reason: reason, requestID: requestID, status: status)
    }

    /// RFC 3339 text as an instant, at most six fraction digits that are not zero (a
    /// finer time would be rounded, and a window edge could then count it wrongly).
    static func instant(rfc3339 text: String) throws(HistoryError) -> HistoryInstant {
        guard let timestamp = CELTimestamp(rfc3339: text) else {
            throw HistoryError(.invalidEvent, HistoryMessages.notTimestamp(text))
        }
        guard timestamp.nanos % 1_000 == 0 else {
            throw HistoryError(.invalidEvent, HistoryMessages.finerThanMicrosecond(text))
        }
        return HistoryInstant(flooring: timestamp)
    }

    /// Whether `other` is the same cancellation recorded again: every field the engine
    /// can count (buyer, seller, instant, initiator, reason) is equal. The request id and
    /// the way `at` was written may differ (a retry from another request, another
    /// offset): the first recording is kept.
    package func isSameCancellation(as other: CancellationEvent) -> Bool {
        orderID == other.orderID && buyerID == other.buyerID && sellerID == other.sellerID && at == other.at
            && initiator == other.initiator && reason == other.reason
    }

    /// The first of the fields `isSameCancellation` compares that differ from `other`'s.
    func firstDifference(from other: CancellationEvent) -> String? {
        if buyerID != other.buyerID { return "buyer_id" }
        if sellerID != other.sellerID { return "seller_id" }
        if at != other.at { return "at" }
        if initiator != other.initiator { return "initiator" }
        if reason != other.reason { return "reason" }
        return nil
    }
}
