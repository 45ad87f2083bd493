import Foundation
import GRDB
import Testing

@testable import RescindHistory

/// The embedded store against a real SQLite file in a temporary folder, one per test.
@Suite("SQLite history store")
struct SQLiteHistoryStoreTests {
    /// A store in a new temporary folder, removed after `body`.
    static func withStore(
        queryTimeout: Duration = .seconds(5), _ body: (SQLiteHistoryStore, String) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rescind-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("history.db").path
        let store = try SQLiteHistoryStore(path: path, queryTimeout: queryTimeout)
        try await body(store, path)
        await store.close()
    }

    @Test func recordsAndReads() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.recordsAndReads(s) } }
    @Test func recordingTwiceIsADuplicate() async throws {
        try await Self.withStore { s, _ in try await StoreBehaviours.recordingTwiceIsADuplicate(s) }
    }
    @Test func differentEventForAnOrderIsAConflict() async throws {
        try await Self.withStore { s, _ in try await StoreBehaviours.differentEventForAnOrderIsAConflict(s) }
    }
    @Test func repeatsWithinABatch() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.repeatsWithinABatch(s) } }
    @Test func retraction() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.retraction(s) } }
    @Test func recordingARetractedEvent() async throws {
        try await Self.withStore { s, _ in try await StoreBehaviours.recordingARetractedEvent(s) }
    }
    @Test func windowEdges() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.windowEdges(s) } }
    @Test func manyBuyers() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.manyBuyers(s) } }
    @Test func purgeAndStats() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.purgeAndStats(s) } }
    @Test func concurrentRecordsForOneBuyer() async throws {
        try await Self.withStore { s, _ in try await StoreBehaviours.concurrentRecordsForOneBuyer(s) }
    }
    @Test func importCounts() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.importCounts(s) } }
    @Test func importKeepsTheFirstOccurrence() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.importKeepsTheFirstOccurrence(s) } }
    @Test func itemsAgreeWithEvents() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.itemsAgreeWithEvents(s) } }
    @Test func closedStoreRefuses() async throws { try await Self.withStore { s, _ in try await StoreBehaviours.closedStoreRefuses(s) } }

    /// Closing and opening the file again loses nothing, retractions included, and the
    /// migrations are not applied twice.
    @Test func reopenLosesNothing() async throws {
        try await Self.withStore { store, path in
            let events = (0..<500).map { StoreBehaviours.event("o-\($0)", at: StoreBehaviours.t0.adding(microseconds: -Int64($0))) }
            _ = try await store.record(events)
            #expect(try await store.retract(orderID: "o-7") == .retracted)
            await store.close()
            let reopened = try SQLiteHistoryStore(path: path)
            let stats = try await reopened.stats()
            #expect(stats.events == 500)
            #expect(stats.retracted == 1)
            #expect(stats.schemaVersion == SQLiteHistoryStore.schemaVersion)
            let found = try await reopened.events(
                buyerID: "b-1", from: StoreBehaviours.t0.adding(microseconds: -1_000), through: StoreBehaviours.t0)
            #expect(found.count == 499)
            #expect(!found.contains { $0.orderID == "o-7" })
            await reopened.close()
        }
    }

    /// The file is in WAL mode, and the buyer's window is one range scan of the table's
    /// `(buyer_id, at_us, order_id)` key, with no sort (SQLite's own plan says so).
    @Test func walAndIndexRangeScan() async throws {
        try await Self.withStore { store, path in
            await store.close()
            let queue = try DatabaseQueue(path: path)
            try await queue.read { db in
                #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteHistoryStore.windowSQL, arguments: ["b", 0, 1])
                    .map { $0["detail"] as String }
                #expect(
                    plan.contains {
                        $0.contains("USING PRIMARY KEY (buyer_id=? AND at_us>? AND at_us<?)")
                    }, "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
            }
            try queue.close()
        }
    }

    /// A writer that cannot get the lock within the query timeout throws `.timeout`
    /// (another connection holds the write lock until after the call); reads go on
    /// meanwhile (WAL). Without the deadline the call would not return: the time limit
    /// fails it. (No bound on the seconds taken: in the full suite, busy threads of the
    /// cooperative pool delay any task's resumption by tens of seconds.)
    @Test(.timeLimit(.minutes(2))) func lockedWriterTimesOut() async throws {
        try await Self.withStore(queryTimeout: .milliseconds(300)) { store, path in
            // Another connection holds the write lock until told to let go (a whole
            // transaction inside one access, as GRDB requires).
            // It waits for locks itself: the store's timed-out write may still hold the
            // lock for a moment after the holder lets go.
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            let blocker = try DatabaseQueue(path: path, configuration: configuration)
            let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
            let holder = Thread {
                try? blocker.writeWithoutTransaction { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    locked.signal()
                    release.wait()
                    try db.execute(sql: "ROLLBACK")
                }
            }
            holder.start()
            locked.wait()
            await #expect {
                _ = try await store.record([StoreBehaviours.event("o-1")])
            } throws: { error in
                (error as? HistoryError)?.kind == .timeout
            }
            #expect(try await store.events(buyerID: "b-1", from: StoreBehaviours.t0, through: StoreBehaviours.t0) == [])
            release.signal()
            try await blocker.write { _ in }  // waits for the holder's access to end
            try blocker.close()
            #expect(try await store.record([StoreBehaviours.event("o-1")]).recorded == ["o-1"])
        }
    }

    /// With every thread of the cooperative pool blocked, the store still records,
    /// reads, retracts, purges and counts within a 1 s deadline (its work and its
    /// deadline run on threads of their own), and a write that cannot get the lock still
    /// times out at its deadline. The CI run of the whole suite on two cores timed out
    /// every history call this way (`record` within 5000 ms).
    @Test(.timeLimit(.minutes(2))) func answersWhileTheCooperativePoolIsBlocked() async throws {
        try await Self.withStore(queryTimeout: .seconds(1)) { store, path in
            try await whileTheCooperativePoolIsBlocked {
                let events = [StoreBehaviours.event("o-1"), StoreBehaviours.event("o-2", buyer: "b-2")]
                #expect(try await store.record(events) == RecordOutcome(recorded: ["o-1", "o-2"]))
                let from = StoreBehaviours.t0.adding(microseconds: -StoreBehaviours.window)
                #expect(try await store.events(buyerID: "b-1", from: from, through: StoreBehaviours.t0) == [events[0]])
                let both = try await store.events(buyerIDs: ["b-1", "b-2"], from: from, through: StoreBehaviours.t0)
                #expect(both == ["b-1": [events[0]], "b-2": [events[1]]])
                #expect(try await store.import(events: [StoreBehaviours.event("o-3")], batchSize: 10).recorded == 1)
                #expect(try await store.retract(orderID: "o-1") == .retracted)
                #expect(try await store.stats().events == 3)
                #expect(try await store.purge(before: StoreBehaviours.t0.adding(microseconds: 1)) == 3)
            }
            // The deadline fires from its timer while the pool is blocked.
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            let blocker = try DatabaseQueue(path: path, configuration: configuration)
            let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
            let holder = Thread {
                try? blocker.writeWithoutTransaction { db in
                    try db.execute(sql: "BEGIN IMMEDIATE")
                    locked.signal()
                    release.wait()
                    try db.execute(sql: "ROLLBACK")
                }
            }
            holder.start()
            locked.wait()
            let elapsed = try await whileTheCooperativePoolIsBlocked {
                let start = ContinuousClock.now
                await #expect {
                    _ = try await store.record([StoreBehaviours.event("o-9")])
                } throws: { error in
                    (error as? HistoryError)?.kind == .timeout
                }
                return ContinuousClock.now - start
            }
            #expect(elapsed < .seconds(3))
            release.signal()
            try await blocker.write { _ in }
            try blocker.close()
        }
    }

    /// A file whose schema is newer than this build's is refused, not written to.
    @Test func newerSchemaIsRefused() async throws {
        try await Self.withStore { store, path in
            await store.close()
            let queue = try DatabaseQueue(path: path)
            let known = SQLiteHistoryStore.schemaVersion
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('\(known + 1)-from-the-future')")
            }
            try queue.close()
            #expect {
                _ = try SQLiteHistoryStore(path: path)
            } throws: { error in
                (error as? HistoryError)?.kind == .schema
                    && (error as? HistoryError)?.message
                        == "the history database is at schema version \(known + 1), newer than this build's \(known); upgrade rescind"
            }
        }
    }

    /// A path that cannot be opened is `.unavailable`, naming it.
    @Test func unopenableFile() {
        #expect {
            _ = try SQLiteHistoryStore(path: "/nonexistent-folder/history.db")
        } throws: { error in
            (error as? HistoryError)?.kind == .unavailable
                && (error as? HistoryError)?.message.contains("`/nonexistent-folder/history.db`") == true
        }
    }
}
