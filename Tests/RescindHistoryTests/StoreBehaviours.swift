import Testing

@testable import RescindHistory

/// What every `HistoryStore` must do, run against each real store (SQLite in a temporary
/// file, PostgreSQL when the tests have a server): each function is one behaviour, and
/// each store's suite has a test per function.
enum StoreBehaviours {
    /// 2026-03-01T10:00:00Z, the clock of the scenarios.
    static let t0 = HistoryInstant(microseconds: 1_772_359_200_000_000)
    static let hour: Int64 = 3_600_000_000
    static let window: Int64 = 720 * hour

    static func event(
        _ order: String, buyer: String = "b-1", at: HistoryInstant = t0, initiator: String = "buyer",
        reason: String = "changed_mind", request: String? = nil, seller: String = "s-1"
    ) -> CancellationEvent {
        CancellationEvent(
            orderID: order, buyerID: buyer, sellerID: seller, at: at, initiator: initiator, reason: reason,
            requestID: request ?? "req-\(order)")
    }

    /// Recorded events come back in a window, with every field as given.
    static func recordsAndReads(_ store: some HistoryStore) async throws {
        let events = [
            event("o-1", at: t0.adding(microseconds: -2 * hour)),
            CancellationEvent(
                orderID: "o-2", buyerID: "b-1", sellerID: "s-2", at: t0.adding(microseconds: -hour),
                atText: "2026-03-01T17:00:00+08:00", initiator: "seller", reason: "stock_out", requestID: "req-2"),
            event("o-3", buyer: "b-2"),
        ]
        let outcome = try await store.record(events)
        #expect(outcome == RecordOutcome(recorded: ["o-1", "o-2", "o-3"]))
        let found = try await store.events(buyerID: "b-1", from: t0.adding(microseconds: -window), through: t0)
        #expect(found == [events[0], events[1]])
        #expect(found[1].atText == "2026-03-01T17:00:00+08:00")
        #expect(try await store.events(buyerID: "b-nobody", from: t0.adding(microseconds: -window), through: t0) == [])
    }

    /// The same cancellation again is a duplicate, whatever its request id or the offset
    /// its time was written with; the first recording is kept.
    static func recordingTwiceIsADuplicate(_ store: some HistoryStore) async throws {
        let first = event("o-1", request: "req-a")
        _ = try await store.record([first])
        var again = event("o-1", request: "req-b")
        again.atText = "2026-03-01T18:00:00+08:00"
        let outcome = try await store.record([again, event("o-2")])
        #expect(outcome == RecordOutcome(recorded: ["o-2"], duplicates: ["o-1"]))
        let found = try await store.events(buyerID: "b-1", from: t0.adding(microseconds: -1), through: t0)
        #expect(found.map(\.requestID) == ["req-a", "req-o-2"])
    }

    /// A different event for a recorded order is refused, named, and changes nothing;
    /// the rest of its batch is recorded.
    static func differentEventForAnOrderIsAConflict(_ store: some HistoryStore) async throws {
        _ = try await store.record([event("o-1", buyer: "b-1")])
        let outcome = try await store.record([event("o-1", buyer: "b-2"), event("o-2", buyer: "b-2")])
        #expect(outcome.recorded == ["o-2"])
        #expect(outcome.duplicates == [])
        #expect(outcome.conflicts.count == 1)
        #expect(outcome.conflicts.first?.kind == .conflict)
        #expect(
            outcome.conflicts.first?.message
                == "order `o-1` is already recorded with a different `buyer_id`; an order's cancellation is recorded once")
        let later = try await store.record([event("o-1", at: t0.adding(microseconds: 1))])
        #expect(later.conflicts.map(\.message).first?.contains("`at`") == true)
        #expect(try await store.events(buyerID: "b-2", from: t0.adding(microseconds: -1), through: t0).map(\.orderID) == ["o-2"])
        #expect(try await store.events(buyerID: "b-1", from: t0.adding(microseconds: -1), through: t0).map(\.orderID) == ["o-1"])
    }

    /// Repeats inside one batch are judged against their first occurrence.
    static func repeatsWithinABatch(_ store: some HistoryStore) async throws {
        let outcome = try await store.record([event("o-1"), event("o-1"), event("o-1", reason: "other")])
        #expect(outcome.recorded == ["o-1"])
        #expect(outcome.duplicates == ["o-1"])
        #expect(outcome.conflicts.map(\.kind) == [.conflict])
        #expect(try await store.stats().events == 1)
    }

    /// A retracted event is no longer counted, stays retracted when recorded again, and
    /// a second retraction or an unknown order changes nothing.
    static func retraction(_ store: some HistoryStore) async throws {
        _ = try await store.record([event("o-1"), event("o-2")])
        #expect(try await store.retract(orderID: "o-1") == .retracted)
        #expect(try await store.retract(orderID: "o-1") == .alreadyRetracted)
        #expect(try await store.retract(orderID: "o-404") == .notFound)
        let again = try await store.record([event("o-1")])
        #expect(again == RecordOutcome(duplicates: ["o-1"]))
        let found = try await store.events(buyerID: "b-1", from: t0.adding(microseconds: -1), through: t0)
        #expect(found.map(\.orderID) == ["o-2"])
        let stats = try await store.stats()
        #expect(stats.events == 2)
        #expect(stats.retracted == 1)
    }

    /// An event recorded as retracted (an import of a reviewed cancellation) is kept
    /// and never counted.
    static func recordingARetractedEvent(_ store: some HistoryStore) async throws {
        var retracted = event("o-1")
        retracted.status = .retracted
        #expect(try await store.record([retracted]).recorded == ["o-1"])
        #expect(try await store.events(buyerID: "b-1", from: t0.adding(microseconds: -1), through: t0) == [])
        #expect(try await store.retract(orderID: "o-1") == .alreadyRetracted)
    }

    /// The window is `(from, through]` to the microsecond, as the engine counts
    /// `(at - window, at]`: an event exactly `window` before the decision is out, one a
    /// microsecond later is in, one at the decision's instant is in, one after is out.
    /// A decision clock finer than a microsecond floors to the same answer.
    static func windowEdges(_ store: some HistoryStore) async throws {
        let start = t0.adding(microseconds: -window)
        _ = try await store.record([
            event("edge-start", at: start),
            event("after-start", at: start.adding(microseconds: 1)),
            event("at-decision", at: t0),
            event("after-decision", at: t0.adding(microseconds: 1)),
        ])
        let found = try await store.events(buyerID: "b-1", from: start, through: t0).map(\.orderID)
        #expect(found == ["after-start", "at-decision"])
        // The decision at t0 + 500 ns: the engine's start is t0 - window + 500 ns.
        let seconds = t0.microseconds / 1_000_000
        let through = HistoryInstant(flooring: seconds, nanos: 500)
        let from = HistoryInstant(flooring: seconds - window / 1_000_000, nanos: 500)
        #expect(try await store.events(buyerID: "b-1", from: from, through: through).map(\.orderID) == found)
    }

    /// Several buyers in one query: each asked-for buyer is a key, in its own window,
    /// asked twice or with no events.
    static func manyBuyers(_ store: some HistoryStore) async throws {
        var events: [CancellationEvent] = []
        for buyer in 0..<5 {
            for n in 0..<(buyer + 1) {
                events.append(event("o-\(buyer)-\(n)", buyer: "b-\(buyer)", at: t0.adding(microseconds: -Int64(n) * hour)))
            }
        }
        events.append(event("o-old", buyer: "b-1", at: t0.adding(microseconds: -window)))
        _ = try await store.record(events)
        let found = try await store.events(
            buyerIDs: ["b-0", "b-1", "b-4", "b-1", "b-none"], from: t0.adding(microseconds: -window), through: t0)
        #expect(found.keys.sorted() == ["b-0", "b-1", "b-4", "b-none"])
        #expect(found["b-0"]?.count == 1)
        #expect(found["b-1"]?.map(\.orderID) == ["o-1-1", "o-1-0"])
        #expect(found["b-4"]?.count == 5)
        #expect(found["b-none"] == [])
        for (buyer, list) in found {
            let single = try await store.events(buyerID: buyer, from: t0.adding(microseconds: -window), through: t0)
            #expect(single == list)
        }
        #expect(try await store.events(buyerIDs: [], from: t0, through: t0) == [:])
    }

    /// Purge deletes what is strictly older than the instant and says how many.
    static func purgeAndStats(_ store: some HistoryStore) async throws {
        let empty = try await store.stats()
        #expect(empty.events == 0)
        #expect(empty.oldest == nil)
        #expect(empty.schemaVersion >= 1)
        _ = try await store.record([
            event("o-1", buyer: "b-1", at: t0.adding(microseconds: -3 * hour)),
            event("o-2", buyer: "b-2", at: t0.adding(microseconds: -2 * hour)),
            event("o-3", buyer: "b-2", at: t0),
        ])
        let stats = try await store.stats()
        #expect(stats.events == 3)
        #expect(stats.buyers == 2)
        #expect(stats.oldest == t0.adding(microseconds: -3 * hour))
        #expect(stats.newest == t0)
        #expect(try await store.purge(before: t0.adding(microseconds: -2 * hour)) == 1)
        #expect(try await store.purge(before: t0.adding(microseconds: -2 * hour)) == 0)
        let after = try await store.stats()
        #expect(after.events == 2)
        #expect(after.buyers == 1)
        #expect(after.oldest == t0.adding(microseconds: -2 * hour))
    }

    /// 200 concurrent records for one buyer (each its own order, each sent twice) give
    /// exactly 200 events: none lost, none doubled.
    static func concurrentRecordsForOneBuyer(_ store: some HistoryStore) async throws {
        let outcomes = try await withThrowingTaskGroup(of: RecordOutcome.self) { group in
            for n in 0..<400 {
                group.addTask {
                    try await store.record([event("o-\(n % 200)", at: t0.adding(microseconds: -Int64(n % 200)))])
                }
            }
            var all: [RecordOutcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.reduce(0) { $0 + $1.recorded.count } == 200)
        #expect(outcomes.reduce(0) { $0 + $1.duplicates.count } == 200)
        #expect(outcomes.allSatisfy { $0.conflicts.isEmpty })
        let found = try await store.events(buyerID: "b-1", from: t0.adding(microseconds: -window), through: t0)
        #expect(found.count == 200)
        #expect(Set(found.map(\.orderID)).count == 200)
    }

    /// Import: new events counted, repeats and conflicts reported as `record` does.
    static func importCounts(_ store: some HistoryStore) async throws {
        _ = try await store.record([event("o-0"), event("o-1")])
        var events = (0..<1_000).map { event("o-\($0)", buyer: "b-\($0 % 10)", at: t0.adding(microseconds: -Int64($0))) }
        events[0] = event("o-0")
        events[1] = event("o-1", reason: "other")
        let summary = try await store.import(events: events, batchSize: 300)
        #expect(summary.recorded == 998)
        #expect(summary.duplicates == 1)
        #expect(summary.conflicts.map(\.kind) == [.conflict])
        #expect(try await store.stats().events == 1_000)
    }

    /// In an import too, an order's first occurrence is the one recorded, whatever
    /// order the store writes a batch in.
    static func importKeepsTheFirstOccurrence(_ store: some HistoryStore) async throws {
        let summary = try await store.import(
            events: [event("o-1", buyer: "b-9"), event("o-2"), event("o-1", buyer: "b-1"), event("o-1", buyer: "b-9")],
            batchSize: 10)
        #expect(summary.recorded == 2)
        #expect(summary.duplicates == 1)
        #expect(summary.conflicts.map(\.message).first?.contains("`buyer_id`") == true)
        #expect(try await store.events(buyerID: "b-9", from: t0.adding(microseconds: -1), through: t0).map(\.orderID) == ["o-1"])
    }

    /// A closed store refuses calls instead of hanging.
    static func closedStoreRefuses(_ store: some HistoryStore) async throws {
        await store.close()
        await #expect(throws: HistoryError(.closed, "the history store is closed")) {
            try await store.events(buyerID: "b-1", from: t0, through: t0)
        }
        await store.close()  // twice is fine
    }

    /// `historyItems` answers every window as `events` does, as the list items a request
    /// carries: after records, a retraction, a re-recorded retracted order, an event
    /// recorded as retracted, an import and a purge, at the window's edges, with ties on
    /// the instant ordered by order id, and for a buyer with no events.
    static func itemsAgreeWithEvents(_ store: some HistoryStore) async throws {
        let start = t0.adding(microseconds: -window)
        var retracted = event("recorded-retracted", at: t0.adding(microseconds: -5))
        retracted.status = .retracted
        _ = try await store.record([
            event("edge-start", at: start), event("after-start", at: start.adding(microseconds: 1)),
            event("tie-b", at: t0.adding(microseconds: -hour), initiator: "seller", reason: "stock_out"),
            event("tie-a", at: t0.adding(microseconds: -hour)), event("at-decision", at: t0),
            event("after-decision", at: t0.adding(microseconds: 1)), event("other-buyer", buyer: "b-2", at: t0),
            event("to-retract", at: t0.adding(microseconds: -7)), retracted,
        ])
        #expect(try await store.retract(orderID: "to-retract") == .retracted)
        _ = try await store.record([event("to-retract", at: t0.adding(microseconds: -7))])
        _ = try await store.import(
            events: (0..<20).map { event("imported-\($0)", at: start.adding(microseconds: Int64($0) * hour)) }, batchSize: 7)
        _ = try await store.purge(before: start.adding(microseconds: 3 * hour))
        for (from, through) in [
            (start, t0), (start.adding(microseconds: -1), t0.adding(microseconds: 1)),
            (t0.adding(microseconds: -hour - 1), t0.adding(microseconds: -hour)), (t0, t0),
        ] {
            for buyer in ["b-1", "b-2", "b-nobody"] {
                let events = try await store.events(buyerID: buyer, from: from, through: through)
                let items = try await store.historyItems(buyerID: buyer, from: from, through: through)
                #expect(items == events.map(\.historyItem), "\(buyer) in (\(from), \(through)]")
            }
        }
        let ties = try await store.historyItems(
            buyerID: "b-1", from: t0.adding(microseconds: -hour - 1), through: t0.adding(microseconds: -hour))
        #expect(ties.map(\.orderID) == ["tie-a", "tie-b"])
        #expect(ties.map(\.initiator) == ["buyer", "seller"])
        let all = try await store.historyItems(buyerID: "b-1", from: start, through: t0).map(\.orderID)
        #expect(!all.contains("to-retract") && !all.contains("recorded-retracted") && !all.contains("edge-start"))
        #expect(!all.contains("imported-2") && all.contains("imported-3") && all.contains("at-decision"))
    }
}
