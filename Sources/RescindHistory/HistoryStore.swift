import RescindEngine

/// Where Rescind keeps the cancellations it counts for the repeat-canceller thresholds.
///
/// The rules every store follows (and the tests of both stores check):
/// - **One event per order id, ever.** `record` is idempotent on the order id: the same
///   cancellation recorded again (same buyer, seller, instant, initiator and reason —
///   `CancellationEvent.isSameCancellation`) is a no-op reported as a duplicate, whatever
///   its request id or the offset its time was written with (the first recording is
///   kept). A *different* event for a recorded order id is refused and reported as a
///   conflict, never merged or overwritten: a retried request stays harmless, and a bug
///   that reuses order ids shows instead of silently moving a cancellation to another
///   buyer. A retracted order stays retracted when recorded again (a late retry of the
///   original cancellation does not bring it back).
/// - **Retraction** marks the event `retracted`; it is kept (so it is still a duplicate)
///   but no window returns it any more.
/// - **Windows** are `(from, through]`, open at the start and closed at the end, at
///   microsecond precision: the engine counts `(at - window, at]`.
/// - **Every call has a deadline** (the store's query timeout): a store that does not
///   answer in time throws `HistoryError` of kind `.timeout`; nothing waits longer.
///   (SQLite's window reads are bounded by SQLite's busy timeout rather than a timer:
///   see `SQLiteHistoryStore.events`.) Other failures are `.unavailable`.
/// - **Nothing waits for Swift's cooperative pool**: the work and the deadline run on the
///   store's own threads, and the deadline is measured against the store's work, not
///   against when the caller is resumed (`withDeadline`).
package protocol HistoryStore: Sendable {
    /// Records `events` (in one transaction per batch); what happened to each order id.
    func record(_ events: [CancellationEvent]) async throws(HistoryError) -> RecordOutcome

    /// Records many events (`rescind history import`) with `record`'s rules, in large
    /// transactions; counts instead of order ids.
    func `import`(events: [CancellationEvent], batchSize: Int) async throws(HistoryError) -> ImportSummary

    /// Marks the event of `orderID` retracted.
    func retract(orderID: String) async throws(HistoryError) -> RetractOutcome

    /// The recorded (not retracted) events of `buyerID` with `from < at ≤ through`,
    /// oldest first (ties by order id).
    func events(buyerID: String, from: HistoryInstant, through: HistoryInstant) async throws(HistoryError)
        -> [CancellationEvent]

    /// The same window as a request's history list holds it (order id, instant,
    /// initiator, reason), in the same order: what a decision's lookup needs, which a
    /// store may answer more cheaply than whole events (SQLite reads one packed row).
    func historyItems(buyerID: String, from: HistoryInstant, through: HistoryInstant) async throws(HistoryError)
        -> [HistoryItem]

    /// The same for many buyers in one query (a batch of decisions): every buyer asked
    /// for is a key, with an empty list when it has no events.
    func events(buyerIDs: [String], from: HistoryInstant, through: HistoryInstant) async throws(HistoryError)
        -> [String: [CancellationEvent]]

    /// Deletes every event (recorded or retracted) with `at < before`; how many.
    func purge(before: HistoryInstant) async throws(HistoryError) -> Int

    /// Counts over the whole store.
    func stats() async throws(HistoryError) -> HistoryStats

    /// Releases connections and files; later calls throw `.closed`.
    func close() async
}

extension HistoryStore {
    /// `events(buyerID:from:through:)`'s events as items (what PostgreSQL answers with).
    package func historyItems(buyerID: String, from: HistoryInstant, through: HistoryInstant)
        async throws(HistoryError) -> [HistoryItem]
    {
        try await events(buyerID: buyerID, from: from, through: through).map(\.historyItem)
    }
}

/// What `record` did with a batch, each order id in exactly one list, in batch order.
package struct RecordOutcome: Sendable, Equatable {
    /// Newly stored.
    package var recorded: [String] = []
    /// Already stored as the same cancellation (or repeated within the batch): nothing
    /// changed.
    package var duplicates: [String] = []
    /// Already stored as a different cancellation: refused; nothing changed. Each
    /// error is of kind `.conflict` and names the first field that differs.
    package var conflicts: [HistoryError] = []

    package init(recorded: [String] = [], duplicates: [String] = [], conflicts: [HistoryError] = []) {
        self.recorded = recorded
        self.duplicates = duplicates
        self.conflicts = conflicts
    }
}

/// What `retract` found.
package enum RetractOutcome: String, Sendable, Equatable {
    /// The event was recorded and is now retracted.
    case retracted
    /// It was retracted before: nothing changed.
    case alreadyRetracted = "already-retracted"
    /// No event has that order id: nothing changed (a later record of it will count).
    case notFound = "not-found"
}

/// Counts over a store (`rescind history stats`).
package struct HistoryStats: Sendable, Equatable {
    /// Events stored, recorded and retracted together.
    package var events: Int
    /// Of those, retracted.
    package var retracted: Int
    /// Distinct buyers with at least one stored event.
    package var buyers: Int
    /// The earliest and latest `at` stored; nil when empty.
    package var oldest: HistoryInstant?
    package var newest: HistoryInstant?
    /// The schema version the store is at.
    package var schemaVersion: Int

    package init(
        events: Int, retracted: Int, buyers: Int, oldest: HistoryInstant?, newest: HistoryInstant?, schemaVersion: Int
    ) {
        self.events = events
        self.retracted = retracted
        self.buyers = buyers
        self.oldest = oldest
        self.newest = newest
        self.schemaVersion = schemaVersion
    }
}
